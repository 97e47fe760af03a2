// The code toolset through the real server: MCP (official SDK client) and the REST aliases.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const FIX = path.join(import.meta.dirname, '../fixtures/code');
const SHOP = path.join(FIX, 'shop');
const shopFiles = () =>
  fs.readdirSync(path.join(SHOP, 'shop')).sort().map((name) => ({ path: `shop/${name}`, content: fs.readFileSync(path.join(SHOP, 'shop', name), 'utf8') }));

let server: TestServer;
let client: Client;
let allowed: string;

beforeAll(async () => {
  allowed = tempDir('ctxgate-code-root-');
  server = await startTestServer({ config: { allowedRoots: [allowed] } });
  client = await connectMcp(server, { key: server.ownerKey });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  fs.rmSync(allowed, { recursive: true, force: true });
});

const CODE_TOOLS = ['compress_code', 'compress_codebase', 'gc_blast_radius', 'search_code', 'repo_map'];

describe('registration', () => {
  it('lists the five code tools with schemas in the full profile, none in core/free', async () => {
    const fullClient = await connectMcp(server, { key: server.ownerKey, profile: 'full' });
    const listed = (await fullClient.listTools()).tools;
    await fullClient.close();
    for (const name of CODE_TOOLS) {
      const t = listed.find((x) => x.name === name);
      expect(t, name).toBeDefined();
      expect(t!.inputSchema.type).toBe('object');
    }
    const free = await connectMcp(server, { key: server.ownerKey, profile: 'free' });
    const freeNames = (await free.listTools()).tools.map((t) => t.name);
    await free.close();
    for (const name of CODE_TOOLS) expect(freeNames).not.toContain(name);
  });

  it('refuses free-plan keys (pro tools)', async () => {
    const key = (await server.createKey({ plan: 'free' })).keyString;
    const r = await rest(server, 'POST', '/v1/compress-code', { key, body: { code: 'def f():\n    return 1\n' } });
    expect(r.status).toBe(403);
    const pro = (await server.createKey({ plan: 'pro' })).keyString;
    expect((await rest(server, 'POST', '/v1/compress-code', { key: pro, body: { code: 'def f():\n    return 1\n' } })).status).toBe(200);
  });
});

describe('compress_code', () => {
  it('returns the skeleton as the text content and the seed stats over MCP', async () => {
    const code = fs.readFileSync(path.join(FIX, 'sample.go'), 'utf8');
    const res = await callTool(client, 'compress_code', { code, fidelity: 'outline' });
    expect(res.isError).toBe(false);
    const s = res.structured;
    expect(s.stats.language_detected).toBe('go');
    expect(s.stats.compressed_tokens).toBeLessThan(s.stats.original_tokens);
    expect(s.stats.tokens_saved).toBe(s.stats.original_tokens - s.stats.compressed_tokens);
    expect(s.stats.savings_pct).toBeGreaterThan(0);
    expect(s.compressed).toContain('func Normalize(name string) string { ... }');
    // The model reads the skeleton itself (not JSON-escaped) under a one-line summary.
    expect(res.text).toBe(`[compress_code: go, outline; ${s.stats.original_tokens} → ${s.stats.compressed_tokens} tokens, ${s.stats.savings_pct}% saved]\n${s.compressed}`);
    expect(s.symbols[0].name).toBeTypeOf('string');
  });

  it('compresses a large file (parsed on the worker thread) like a small one', async () => {
    const unit = fs.readFileSync(path.join(FIX, 'sample.ts'), 'utf8');
    const big = Array.from({ length: 100 }, (_, i) => unit.replace(/\b(normalize|Inventory|load|Item|Index|Unit)\b/g, `$1_${i}`)).join('\n');
    expect(big.length).toBeGreaterThan(64 * 1024);
    const r = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: big, path: 'big.ts', fidelity: 'outline' } });
    expect(r.status).toBe(200);
    expect(r.body.stats.language_detected).toBe('typescript');
    expect(r.body.stats.top_level_definitions).toBe(600);
    expect(r.body.compressed).toContain('export function normalize_99(name: string): string { ... }');
    expect(r.body.compressed).not.toContain('BODY_');
  });

  it('is at POST /v1/compress-code with the seed body; the hint wins over detection', async () => {
    const r = await rest(server, 'POST', '/v1/compress-code', {
      key: server.ownerKey,
      body: { code: 'def process(items):\n    """Process."""\n    return [i * 2 for i in items]\n', language: 'py', fidelity: 'balanced' },
    });
    expect(r.status).toBe(200);
    expect(r.body.stats.language_detected).toBe('python');
    expect(r.body.compressed).toContain('def process(items):');
  });

  it('refuses an unknown language hint with 400 listing the supported ones', async () => {
    const r = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: 'x = 1', language: 'cobol' } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('unsupported_language');
    expect(r.body.detail).toMatch(/language/);
    expect(r.body.supported).toEqual(['python', 'javascript', 'typescript', 'tsx', 'java', 'go', 'rust', 'c', 'cpp']);
  });

  it('refuses empty code with 422, binary content with 400, a bad fidelity with 400', async () => {
    const empty = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: '' } });
    expect(empty.status).toBe(422);
    expect(empty.body.detail).toMatch(/code/);
    const blank = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: '   \n  ' } });
    expect(blank.status).toBe(422);
    const binary = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: 'ELF\u0000\u0001\u0002\u0000garbage', language: 'c' } });
    expect(binary.status).toBe(400);
    expect(binary.body.error_code).toBe('binary_content');
    const fid = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: 'x = 1', fidelity: 'tiny' } });
    expect(fid.status).toBe(400);
    expect(fid.body.valid).toContain('balanced');
  });

  it('refuses content whose language cannot be detected, naming the language field', async () => {
    const r = await rest(server, 'POST', '/v1/compress-code', { key: server.ownerKey, body: { code: 'Dear team, lunch is at noon.' } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('language_undetected');
    expect(r.body.field).toBe('language');
  });
});

describe('gc_blast_radius', () => {
  it('ranks the files a change touches at POST /v1/compress-code/structural', async () => {
    const r = await rest(server, 'POST', '/v1/compress-code/structural', {
      key: server.ownerKey,
      body: { files: shopFiles(), focus_symbol: 'price_of', top_k: 25 },
    });
    expect(r.status).toBe(200);
    const ranked = r.body.ranked_context;
    expect(ranked.slice(0, 4).map((x: { path: string }) => x.path).sort()).toEqual(['shop/cart.py', 'shop/checkout.py', 'shop/pricing.py', 'shop/report.py']);
    expect(ranked[0].contributing_signals).toEqual(['bm25', 'graph_distance']);
    expect(ranked[0].rank).toBe(1);
    const pricing = ranked.find((x: { path: string }) => x.path === 'shop/pricing.py');
    expect(pricing.symbols).toContainEqual({ name: 'price_of', kind: 'function', line: 5, defines: true });
    expect(r.body.stats).toMatchObject({ files_in: 7, symbols_in: expect.any(Number), degraded: false, focus_definitions: 1 });
    expect(r.body.stats.files_ranked).toBeGreaterThanOrEqual(5);
    expect(r.body.message).toBeNull();
  });

  it.each([
    ['../etc/passwd'],
    ['src/../../secret.py'],
    ['/etc/passwd'],
    ['C:\\Windows\\win.ini'],
    ['\\\\server\\share\\x.py'],
    ['src/a\u0000.py'],
  ])('refuses the bad path %j with 400 bad_path before any work', async (bad) => {
    const files = [...shopFiles(), { path: bad, content: 'x = 1' }];
    const r = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files, focus_symbol: 'price_of' } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('bad_path');
    expect(r.body.field).toBe(`files[${files.length - 1}].path`);
  });

  it('refuses secrets with 400 sensitive_content and never echoes them', async () => {
    const secret = 'AKIAIOSFODNN7EXAMPLQ';
    const files = [...shopFiles(), { path: 'shop/aws.py', content: `KEY = "${secret}"\n` }];
    const r = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files, focus_symbol: 'price_of' } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('sensitive_content');
    expect(r.body.marker_class).toBe('aws_access_key');
    expect(JSON.stringify(r.body)).not.toContain(secret);
    const mcp = await callTool(client, 'gc_blast_radius', { files, focus_symbol: 'price_of' });
    expect(mcp.isError).toBe(true);
    expect(mcp.structured.error_code).toBe('sensitive_content');
    expect(mcp.text).not.toContain(secret);
  });

  it('enforces the file-count, per-file and total caps with 413', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ path: `f${i}.py`, content: 'x = 1\n' }));
    const r1 = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files: many } });
    expect(r1.status).toBe(413);
    expect(r1.body.detail).toMatch(/1000/);
    const big = 'x = 1\n'.repeat(Math.ceil((512 * 1024 + 10) / 6));
    const r2 = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files: [{ path: 'big.py', content: big }] } });
    expect(r2.status).toBe(413);
    expect(r2.body.field).toBe('files[0].content');
    const chunk = 'y = 2\n'.repeat(Math.floor((500 * 1024) / 6));
    const total = Array.from({ length: 11 }, (_, i) => ({ path: `m${i}.py`, content: chunk }));
    const r3 = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files: total } });
    expect(r3.status).toBe(413);
    expect(r3.body.field).toBe('files');
  });

  it('validates top_k (1-500) and requires at least one file', async () => {
    const r = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files: shopFiles(), top_k: 501 } });
    expect(r.status).toBe(422);
    expect(r.body.detail).toMatch(/top_k/);
    const e = await rest(server, 'POST', '/v1/compress-code/structural', { key: server.ownerKey, body: { files: [] } });
    expect(e.status).toBe(422);
  });

  // It took only a pasted bundle ("Unknown argument 'root'"): a repository had to be sent file by file.
  it('reads an allowed local root like the other code tools, ranking as for the same files pasted', async () => {
    const root = path.join(allowed, 'shop-repo');
    fs.cpSync(SHOP, root, { recursive: true });
    const fromRoot = await callTool(client, 'gc_blast_radius', { root, focus_symbol: 'price_of' });
    expect(fromRoot.isError, fromRoot.text).toBeFalsy();
    const fromFiles = await callTool(client, 'gc_blast_radius', { files: shopFiles(), focus_symbol: 'price_of' });
    const paths = (r: typeof fromRoot) => (r.structured.ranked_context as Array<{ path: string }>).map((x) => x.path);
    expect(paths(fromRoot).filter((p) => p.startsWith('shop/'))).toEqual(paths(fromFiles));
    expect(fromRoot.structured.stats.focus_definitions).toBeGreaterThan(0);
  });

  it('refuses files and root together, neither, and a root outside the allowed ones', async () => {
    const both = await callTool(client, 'gc_blast_radius', { root: allowed, files: shopFiles() });
    expect(both.structured).toMatchObject({ status: 422, field: 'root' });
    const neither = await callTool(client, 'gc_blast_radius', { focus_symbol: 'price_of' });
    expect(neither.structured).toMatchObject({ status: 422, field: 'files' });
    const outside = await callTool(client, 'gc_blast_radius', { root: '/etc', focus_symbol: 'x' });
    expect(outside.structured).toMatchObject({ status: 403, field: 'root' });
  });
});

describe('compress_codebase', () => {
  it('digests a bundle with progress notifications on large inputs', async () => {
    const files = [...shopFiles()];
    for (let i = 0; i < 30; i++) files.push({ path: `gen/mod${i}.py`, content: `from shop.pricing import price_of\n\ndef f${i}(item):\n    """Price ${i}."""\n    return price_of(item, ${i})\n` });
    const progress: number[] = [];
    const res = await callTool(client, 'compress_codebase', { files, token_budget: 3000 }, { onprogress: (p) => progress.push(p.progress) });
    expect(res.isError).toBe(false);
    const s = res.structured;
    expect(s.stats.files_in).toBe(37);
    expect(s.stats.digest_tokens).toBeLessThanOrEqual(3000);
    expect(s.stats.languages).toEqual({ python: 37 });
    expect(s.files[0].path).toMatch(/shop\/(pricing|config)\.py/);
    expect(res.text.split('\n')[0]).toMatch(/^\[compress_codebase: 37 files, \d+ → \d+ tokens \(budget 3000\);/);
    expect(res.text.endsWith(s.digest)).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('reads an allowed local root, honouring .gitignore', async () => {
    const root = path.join(allowed, 'proj');
    fs.cpSync(SHOP, root, { recursive: true });
    fs.mkdirSync(path.join(root, 'build'), { recursive: true });
    fs.writeFileSync(path.join(root, 'build', 'generated.py'), 'def generated_symbol():\n    return 1\n');
    fs.writeFileSync(path.join(root, 'shop', 'scratch.gen.py'), 'def scratch_symbol():\n    return 2\n');
    fs.writeFileSync(path.join(root, '.gitignore'), 'build/\n*.gen.py\n');
    const res = await callTool(client, 'compress_codebase', { root, token_budget: 4000 });
    expect(res.isError).toBe(false);
    const paths = res.structured.files.map((f: { path: string }) => f.path).sort();
    expect(paths).toEqual(['shop/__init__.py', 'shop/cart.py', 'shop/checkout.py', 'shop/config.py', 'shop/pricing.py', 'shop/report.py', 'shop/util.py']);
    expect(res.structured.digest).not.toContain('generated_symbol');
  });

  it('refuses roots outside CTXGATE_ALLOWED_ROOTS and requires files or root', async () => {
    const outside = await callTool(client, 'compress_codebase', { root: FIX });
    expect(outside.isError).toBe(true);
    expect(outside.structured.status).toBe(403);
    expect(outside.structured.field).toBe('root');
    const sneaky = await callTool(client, 'compress_codebase', { root: path.join(allowed, '..') });
    expect(sneaky.isError).toBe(true);
    expect(sneaky.structured.status).toBe(403);
    const neither = await callTool(client, 'compress_codebase', {});
    expect(neither.isError).toBe(true);
    expect(neither.structured.status).toBe(422);
  });
});

describe('search_code and repo_map', () => {
  it('search_code returns hits with their enclosing symbol and lines', async () => {
    const res = await callTool(client, 'search_code', { query: 'coupon discount', files: shopFiles(), top_k: 3 });
    expect(res.isError).toBe(false);
    const [first, second] = res.structured.results;
    // The definition named by the query first (both signals), then the code using both words.
    expect(first).toMatchObject({ path: 'shop/pricing.py', symbol: 'discount', kind: 'function', rank: 1, contributing_signals: ['bm25', 'symbol'] });
    expect(second).toMatchObject({ path: 'shop/checkout.py', symbol: 'checkout', kind: 'function', rank: 2, start_line: 6 });
    expect(second.matches.some((m: { line: number; text: string }) => m.line === 9 && m.text.includes('discount(total, coupon)'))).toBe(true);
  });

  it('repo_map lists ranked definitions within the budget', async () => {
    const res = await callTool(client, 'repo_map', { files: shopFiles(), token_budget: 80 });
    expect(res.isError).toBe(false);
    const s = res.structured;
    expect(s.stats.map_tokens).toBeLessThanOrEqual(80);
    expect(s.stats.definitions_shown).toBeLessThan(s.stats.definitions_total);
    expect(s.definitions.map((d: { name: string }) => d.name)).toContain('price_of');
    expect(res.text).toBe(`[repo_map: ${s.stats.definitions_shown} of ${s.stats.definitions_total} definitions, ${s.stats.map_tokens} tokens]\n${s.map}`);
    const bad = await callTool(client, 'repo_map', { files: shopFiles(), focus_files: ['nope.py'] });
    expect(bad.isError).toBe(true);
    expect(bad.structured.field).toBe('focus_files');
  });

  it('validate bundles the same way as gc_blast_radius (paths, per-file language hints)', async () => {
    const bad = await callTool(client, 'search_code', { query: 'x', files: [{ path: '../up.py', content: 'x = 1' }] });
    expect(bad.isError).toBe(true);
    expect(bad.structured.error_code).toBe('bad_path');
    const lang = await callTool(client, 'repo_map', { files: [{ path: 'a.src', content: 'x = 1', language: 'fortran' }] });
    expect(lang.isError).toBe(true);
    expect(lang.structured.error_code).toBe('unsupported_language');
    expect(lang.structured.field).toBe('files[0].language');
  });

  it('answers the same from the parse cache as from a fresh parse', async () => {
    const files = shopFiles();
    const first = await callTool(client, 'repo_map', { files, token_budget: 300 });
    const again = await callTool(client, 'repo_map', { files, token_budget: 300 });
    expect(again.structured).toEqual(first.structured);
  });
});
