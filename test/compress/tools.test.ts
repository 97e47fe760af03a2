// The compress and cache toolsets through the real server: REST aliases and the official MCP client.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../src/engine/tokens.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';
import { query } from '../helpers/database.js';
import { GUIDE, GUIDE_VARIANT } from './fixtures.js';
import { tools as compressTools } from '../../tools/compress.js';
import { tools as cacheTools } from '../../tools/cache.js';

let server: TestServer;
let key: string;
let client: Client;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.createKey({ name: 'compress', newUser: true, plan: 'enterprise' })).keyString;
  client = await connectMcp(server, { key });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

function usageRows(tool: string): Promise<Array<{ cache: string | null; counted: number; tokens_in: number }>> {
  return query(server.deps, 'SELECT cache, counted, tokens_in FROM usage_events WHERE tool = ? ORDER BY id', tool);
}

describe('compress_text over REST', () => {
  it('compresses a Markdown guide at balanced by ≥75%, with exact stats and a structural-loss header', async () => {
    const r = await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE, fidelity: 'balanced', cost_model: 'claude-sonnet-4-6' } });
    expect(r.status).toBe(200);
    const out = r.body;
    expect(out.stats.original_tokens).toBe(countTokens(GUIDE));
    expect(out.stats.compressed_tokens).toBe(countTokens(out.compressed));
    expect(out.stats.savings_pct).toBeGreaterThanOrEqual(75);
    expect(out.stats.estimated_cost_saved).toMatch(/^\$0\.\d{4}$/);
    expect(r.headers.get('x-cache-hit')).toBe('false');
    expect(out.structural_loss.length).toBeGreaterThan(0);
    expect(r.headers.get('x-fidelity-warning')).toBe(out.structural_loss.join(','));
    expect(out.structure.input).toEqual({ code_blocks: 2, headings: 9, urls: 2 });
  });

  it('serves an identical call from the exact cache, recorded but not counted against the quota', async () => {
    const body = { text: GUIDE, fidelity: 'outline' };
    const first = await rest(server, 'POST', '/v1/compress', { key, body });
    const second = await rest(server, 'POST', '/v1/compress', { key, body });
    expect(second.headers.get('x-cache-hit')).toBe('true');
    expect(second.headers.get('x-cache-source')).toBe('exact');
    expect(second.body.compressed).toBe(first.body.compressed);
    expect(second.body.cache).toEqual({ hit: true, source: 'exact', similarity: 1 });
    const rows = await usageRows('compress_text');
    const last = rows.at(-1)!;
    expect(last).toMatchObject({ cache: 'exact', counted: 0 });
    expect(rows.at(-2)).toMatchObject({ cache: null, counted: 1 });
  });

  it('serves a near-duplicate from the semantic cache at the project threshold', async () => {
    const set = await rest(server, 'PUT', '/v1/settings/semantic-cache-threshold', { key, body: { threshold: 0.9 } });
    expect(set.body).toEqual({ threshold: 0.9, source: 'user' });
    await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE, fidelity: 'detailed' } });
    const near = await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE_VARIANT, fidelity: 'detailed' } });
    expect(near.headers.get('x-cache-hit')).toBe('true');
    expect(near.body.cache.source).toBe('semantic');
    expect(near.body.cache.similarity).toBeGreaterThanOrEqual(0.9);
    expect((await usageRows('compress_text')).at(-1)).toMatchObject({ cache: 'semantic', counted: 0 });
    // A different fidelity is a different request: no hit.
    const other = await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE_VARIANT, fidelity: 'abstract' } });
    expect(other.headers.get('x-cache-hit')).toBe('false');
    const stats = await callTool(client, 'cache_stats');
    expect(stats.structured).toMatchObject({ exact_hits: 1, semantic_hits: 1, threshold: 0.9, threshold_source: 'user' });
    expect(stats.structured.hits).toBe(2);
  });

  it('rejects bad input with the documented statuses', async () => {
    const empty = await rest(server, 'POST', '/v1/compress', { key, body: { text: '' } });
    expect(empty.status).toBe(422);
    const fid = await rest(server, 'POST', '/v1/compress', { key, body: { text: 'hello', fidelity: 'extreme' } });
    expect(fid.status).toBe(400);
    expect(fid.body.valid).toEqual(['abstract', 'outline', 'balanced', 'detailed', 'raw']);
    const free = (await server.createKey({ plan: 'free', name: 'free-tier' })).keyString;
    const big = await rest(server, 'POST', '/v1/compress', { key: free, body: { text: 'word '.repeat(30_000) } });
    expect(big.status).toBe(413);
    expect(big.body.detail).toContain('102400');
    expect(big.body.limit).toBe(102400);
    const secret = 'AKIA' + 'Z4XQ7MPL2RT5WBN3';
    const sec = await rest(server, 'POST', '/v1/compress', { key, body: { text: `deploy with ${secret} today` } });
    expect(sec.status).toBe(400);
    expect(sec.body).toMatchObject({ error_code: 'sensitive_content', marker_class: 'aws_access_key' });
    expect(JSON.stringify(sec.body)).not.toContain(secret);
    const model = await rest(server, 'POST', '/v1/compress', { key, body: { text: 'hello', cost_model: 'gpt-99' } });
    expect(model.status).toBe(200);
    expect(model.body.stats.cost_note).toMatch(/not in the price table/);
  });

  it('never returns small inputs larger, and adds the terse suffix on request', async () => {
    const text = 'Deploy on Friday.';
    const r = await rest(server, 'POST', '/v1/compress', { key, body: { text, fidelity: 'abstract', style: 'terse' } });
    expect(r.status).toBe(200);
    expect(r.body.compressed).toBe(text);
    expect(r.body.stats.compressed_tokens).toBeLessThanOrEqual(r.body.stats.original_tokens);
    expect(r.body.system_prompt_suffix).toMatch(/^Be concise/);
    expect(r.body.style_suffix_version).toBe('v1');
  });
});

describe('compress_text over MCP', () => {
  it('returns the structural-loss list and query-guided content in structuredContent', async () => {
    const r = await callTool(client, 'compress_text', { text: GUIDE, fidelity: 'outline', query: 'What port does the HTTP API listen on?', use_cache: false });
    expect(r.isError).toBe(false);
    expect(r.structured.query_guided).toBe(true);
    expect(r.structured.compressed).toContain('7443');
    expect(Array.isArray(r.structured.structural_loss)).toBe(true);
  });

  it('get_compression_presets works without a key', async () => {
    const anon = await connectMcp(server, { key: null });
    try {
      const r = await callTool(anon, 'get_compression_presets');
      expect(r.isError).toBe(false);
      expect(r.structured.fidelities.map((f: { name: string }) => f.name)).toEqual(['abstract', 'outline', 'balanced', 'detailed', 'raw']);
      expect(r.structured.profiles).toBeNull();
    } finally {
      await anon.close();
    }
  });

  it('core and free profiles carry the catalog-marked compress tools', async () => {
    const core = await connectMcp(server, { key, profile: 'core' });
    const free = await connectMcp(server, { key, profile: 'free' });
    try {
      const c = (await core.listTools()).tools.map((t) => t.name);
      const f = (await free.listTools()).tools.map((t) => t.name);
      expect(c).toEqual(expect.arrayContaining(['compress_text', 'gc_pre_flight']));
      expect(c).not.toContain('batch_compress');
      expect(f).toEqual(expect.arrayContaining(['compress_text', 'batch_compress', 'recommend_fidelity', 'get_compression_presets', 'check_budget', 'adapt_to_context_window', 'advise_context', 'gc_pre_flight']));
      expect(f).not.toContain('detect_issues');
    } finally {
      await core.close();
      await free.close();
    }
  });
});

describe('batch_compress', () => {
  it('compresses each document, reports failures inline and summarises', async () => {
    const secret = 'sk-proj-' + 'a1B2c3D4e5F6g7H8i9J0kLmN';
    const r = await rest(server, 'POST', '/v1/batch-compress', {
      key,
      body: { documents: [{ text: GUIDE, fidelity: 'balanced' }, { text: `key=${secret}` }, { text: GUIDE, fidelity: 'abstract', query: 'dead-letter queue' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.summary).toMatchObject({ total_documents: 3, successful: 2, failed: 1 });
    expect(r.body.results[1]).toMatchObject({ error_code: 'sensitive_content', compressed: '', original_tokens: 0 });
    expect(r.body.results[1].error).not.toContain(secret);
    expect(r.body.results[2].compressed).toContain('dead-letter');
    const tooMany = await rest(server, 'POST', '/v1/batch-compress', { key, body: { documents: Array.from({ length: 51 }, () => ({ text: 'x' })) } });
    expect(tooMany.status).toBe(400);
    const none = await rest(server, 'POST', '/v1/batch-compress', { key, body: { documents: [] } });
    expect(none.status).toBe(400);
  });
});

describe('fidelity profiles', () => {
  it('create, use as profile=, list, get, delete — scoped to the project', async () => {
    const c = await rest(server, 'POST', '/v1/profiles', { key, body: { name: 'tight', fidelity: 'abstract', chunk_tokens: 200 } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'tight', fidelity: 'abstract', chunk_tokens: 200 });
    const dup = await rest(server, 'POST', '/v1/profiles', { key, body: { name: 'tight' } });
    expect(dup.status).toBe(409);
    const used = await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE, profile: 'tight' } });
    expect(used.body.fidelity).toBe('abstract');
    expect(used.body.profile).toBe('tight');
    const override = await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE, profile: 'tight', fidelity: 'detailed' } });
    expect(override.body.fidelity).toBe('detailed');
    expect((await rest(server, 'GET', `/v1/profiles/${c.body.profile_id}`, { key })).body.name).toBe('tight');
    expect((await rest(server, 'GET', '/v1/profiles', { key })).body.profiles).toHaveLength(1);
    const stranger = (await server.createKey({ newUser: true, name: 'stranger' })).keyString;
    expect((await rest(server, 'GET', '/v1/profiles/tight', { key: stranger })).status).toBe(404);
    expect((await rest(server, 'POST', '/v1/compress', { key: stranger, body: { text: GUIDE, profile: 'tight' } })).status).toBe(404);
    expect((await rest(server, 'DELETE', '/v1/profiles/tight', { key })).body.deleted).toBe(true);
    expect((await rest(server, 'GET', '/v1/profiles/tight', { key })).status).toBe(404);
  });
});

describe('advisory tools', () => {
  it('recommend_fidelity, check_budget and gc_pre_flight answer over REST and MCP', async () => {
    const rec = await rest(server, 'POST', '/v1/recommend', { key, body: { text: GUIDE, model: 'claude-sonnet-4-6' } });
    expect(rec.body).toMatchObject({ recommended_fidelity: 'balanced', original_tokens: countTokens(GUIDE) });
    const b = await rest(server, 'POST', '/v1/check-budget', { key, body: { text: GUIDE, context_window: 1000 } });
    expect(b.body.status).toBe('CRITICAL');
    const pf = await callTool(client, 'gc_pre_flight', { text: GUIDE + GUIDE_VARIANT, context_tokens: 0 });
    expect(pf.structured.verdict).toBe('send_compressed');
    const pf2 = await callTool(client, 'gc_pre_flight', {});
    expect(pf2.structured.verdict).toBe('send_as_is');
  });

  it('gc_pre_flight refuses text and incoming_tokens together (422 one_of); either alone or neither is fine', async () => {
    const both = await callTool(client, 'gc_pre_flight', { text: GUIDE, incoming_tokens: 10 });
    expect(both.isError).toBe(true);
    expect(both.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'incoming_tokens', rule: 'one_of', valid: ['text', 'incoming_tokens'] });
    const n = await callTool(client, 'gc_pre_flight', { incoming_tokens: 10 });
    expect(n.structured.incoming_tokens).toBe(10);
  });

  it('counts read "1 token", not "1 tokens" (gc_pre_flight, recommend_fidelity)', async () => {
    const pf = await callTool(client, 'gc_pre_flight', { incoming_tokens: 1 });
    expect(pf.structured.reasoning).toMatch(/^1 token is small/);
    const rec = await callTool(client, 'recommend_fidelity', { text: 'Hi' });
    expect(rec.text).not.toMatch(/\b1 tokens\b/);
    expect(JSON.stringify(rec.structured)).toContain('1 token is under 500');
  });

  it('an unknown model is worded alike by estimate_tokens and gc_pre_flight (400 enum naming the field)', async () => {
    const a = await callTool(client, 'estimate_tokens', { text: 'x', model: 'gpt-99' });
    const b = await callTool(client, 'gc_pre_flight', { model: 'gpt-99' });
    for (const r of [a, b]) expect(r.structured).toMatchObject({ status: 400, error_code: 'invalid_value', field: 'model', rule: 'enum' });
    expect(a.structured.detail).toMatch(/^Unknown model "gpt-99" in `model`\. Known: /);
    expect(b.structured.detail).toBe(a.structured.detail);
  });

  it('adapt_to_context_window keeps the relevant item, compresses or drops the rest to fit', async () => {
    const r = await callTool(client, 'adapt_to_context_window', {
      items: [
        { id: 'guide', content: GUIDE },
        { id: 'note', content: 'The coordinator listens on port 7443 for TLS traffic only.' },
        { id: 'guide2', content: GUIDE_VARIANT },
      ],
      max_tokens: 700,
      query: 'which port does the API use?',
    });
    expect(r.isError).toBe(false);
    const by = Object.fromEntries(r.structured.items.map((i: { id: string }) => [i.id, i]));
    expect(by.note.action).toBe('kept');
    expect(r.structured.total_tokens).toBeLessThanOrEqual(700);
    expect(r.structured.fits).toBe(true);
    expect(r.structured.items.some((i: { action: string }) => i.action !== 'kept')).toBe(true);
  });

  it('advise_context without messages or context_tokens is a 422 naming the field, like other missing fields', async () => {
    const r = await callTool(client, 'advise_context', {});
    expect(r.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'messages', rule: 'required' });
  });

  it('detect_issues groups lost numbers into one counted issue, so a real hallucination stays visible', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => `| node-${i} | ${1000 + i * 7} ms | ${(i * 0.37).toFixed(2)}% | ${40 + i} MB |`);
    const original = `# Load test, build 4812\n\nThe p99 latency stayed under the 1500 ms budget on every node.\n\n| node | p99 | errors | rss |\n|---|---|---|---|\n${rows.join('\n')}\n`;
    const compressed = 'Load test of build 4812: p99 latency stayed under the 1500 ms budget on every node. Three nodes crashed with OOM at 9000 MB.';
    const r = await callTool(client, 'detect_issues', { original_text: original, compressed_text: compressed });
    expect(r.isError).toBe(false);
    const issues = r.structured.issues as Array<{ type: string; description: string }>;
    expect(issues[0]).toMatchObject({ type: 'hallucination' });
    expect(issues[0]!.description).toContain('9000mb');
    const numberIssues = issues.filter((i) => /^Lost (\d+ )?numbers?\b/.test(i.description));
    expect(numberIssues).toHaveLength(1);
    expect(numberIssues[0]!.description).toMatch(/^Lost \d{3} numbers: '[^']+'(, '[^']+'){11} and \d+ more$/);
    expect(JSON.stringify(r.structured).length).toBeLessThan(2500);
    expect(r.structured.coverage_score).toBeLessThan(0.2); // the loss still counts in full
  });

  it('detect_issues and audit_cache over REST', async () => {
    const d = await rest(server, 'POST', '/v1/detect-issues', { key, body: { original_text: GUIDE, compressed_text: 'Harbor leases last 45 seconds by default.' } });
    expect(d.status).toBe(200);
    expect(d.body.issues.some((i: { type: string }) => i.type === 'hallucination')).toBe(true);
    expect(d.body.quality_score).toBeLessThan(1);
    const a = await rest(server, 'POST', '/v1/audit-cache', { key, body: { text: 'You are a helpful assistant.', provider: 'openai' } });
    expect(a.body).toMatchObject({ provider: 'openai', cache_friendly: false });
  });
});

describe('cache toolset', () => {
  it('validates the threshold range, resets to the default with null, and clears entries', async () => {
    const bad = await rest(server, 'PUT', '/v1/settings/semantic-cache-threshold', { key, body: { threshold: 0.5 } });
    expect(bad.status).toBe(422);
    const reset = await callTool(client, 'set_semantic_cache_threshold', { threshold: null });
    expect(reset.structured).toEqual({ threshold: 0.95, source: 'global' });
    const got = await rest(server, 'GET', '/v1/settings/semantic-cache-threshold', { key });
    expect(got.body).toEqual({ threshold: 0.95, source: 'global' });
    const cleared = await callTool(client, 'clear_cache', {});
    expect(cleared.structured.deleted_entries).toBeGreaterThan(0);
    const again = await rest(server, 'POST', '/v1/compress', { key, body: { text: GUIDE, fidelity: 'outline' } });
    expect(again.headers.get('x-cache-hit')).toBe('false');
  });

  it('never serves one tenant from another tenant\'s cache', async () => {
    const body = { text: GUIDE, fidelity: 'balanced' };
    await rest(server, 'POST', '/v1/compress', { key, body });
    expect((await rest(server, 'POST', '/v1/compress', { key, body })).headers.get('x-cache-hit')).toBe('true');
    const other = (await server.createKey({ newUser: true, name: 'other-tenant' })).keyString;
    const r = await rest(server, 'POST', '/v1/compress', { key: other, body });
    expect(r.headers.get('x-cache-hit')).toBe('false');
    const stats = await rest(server, 'POST', '/v1/tools/cache_stats', { key: other, body: {} });
    expect(stats.body).toMatchObject({ exact_hits: 0, semantic_hits: 0, misses: 1, entries: 1 });
  });
});

describe('examples', () => {
  it('every compress and cache tool answers its documented examples over MCP with schema-valid output', async () => {
    const fresh = (await server.createKey({ newUser: true, name: 'examples' })).keyString;
    const c = await connectMcp(server, { key: fresh });
    try {
      for (const tool of [...compressTools, ...cacheTools]) {
        expect(tool.examples?.length, tool.name).toBeGreaterThan(0);
        for (const ex of tool.examples ?? []) {
          const r = await callTool(c, tool.name, ex.args);
          expect(r.isError, `${tool.name}: ${r.text.slice(0, 200)}`).toBe(false);
          expect(tool.output.safeParse(r.structured).success, tool.name).toBe(true);
        }
      }
    } finally {
      await c.close();
    }
  });
});
