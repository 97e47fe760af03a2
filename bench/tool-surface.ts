// What the tool surface costs a model's context: o200k tokens of the tools/list result a client
// receives, per profile (no parameter = the lean default), and tokens of the MCP content blocks that
// text-payload tools return for realistic inputs (the part the model reads back).
// Runs the real server in-process on an ephemeral port with a temp data dir and the SDK client.
// Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { countTokens } from '../src/engine/tokens.js';
import type { JsonSchema } from '../src/registry/schema.js';
import { lintSchema } from '../src/registry/schema-lint.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { startHttpServer } from '../src/server/http.js';
import { AccountsService } from '../src/services/accounts.js';
import { KeysService } from '../src/services/keys.js';
import { GUIDE } from '../test/compress/fixtures.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-surface-'));
const config = loadConfig({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', secret: undefined, publicUrl: undefined, allowedHosts: [], allowedOrigins: [] });
const log = createLogger(config.logLevel, 'stderr');
const app = await createApp(config, log);
const owner = (await app.deps.service(AccountsService).owner()).user;
const key = (await app.deps.service(KeysService).create({ name: 'bench', plan: 'enterprise', ownerId: owner.id })).key;
const http = await startHttpServer(app, log);

async function connect(profile: string | null): Promise<Client> {
  const url = new URL(`${http.url}/mcp`);
  if (profile) url.searchParams.set('profile', profile);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

// ---- tools/list per profile, and the portability lint over the full list ---------------------------
const toolsList: Record<string, { tools: number; bytes: number; tokens: number }> = {};
const portability: Record<string, number> = {};
for (const profile of [null, 'core', 'free', 'full']) {
  const client = await connect(profile);
  const list = await client.listTools();
  const json = JSON.stringify(list);
  toolsList[profile ?? 'default'] = { tools: list.tools.length, bytes: Buffer.byteLength(json), tokens: countTokens(json) };
  if (profile === 'full') {
    for (const t of list.tools) {
      const findings = [...lintSchema(t.inputSchema as JsonSchema, 'input'), ...(t.outputSchema ? lintSchema(t.outputSchema as JsonSchema, 'output') : [])];
      for (const f of findings) portability[f.rule] = (portability[f.rule] ?? 0) + 1;
    }
  }
  await client.close();
}
// The MCP Inspector's rules are type-union, untyped-schema and boolean-schema (see schema-lint.ts).
const inspectorWarnings = (portability['type-union'] ?? 0) + (portability['untyped-schema'] ?? 0) + (portability['boolean-schema'] ?? 0);

// ---- content blocks of text-payload tools ------------------------------------------------------
const client = await connect('full');
const call = async (name: string, args: Record<string, unknown>) => {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: unknown };
  if (r.isError) throw new Error(`${name} failed: ${r.content[0]?.text}`);
  const text = r.content.map((c) => c.text ?? '').join('\n');
  return { text, structured: r.structuredContent as Record<string, unknown> };
};
const readFixture = (rel: string) => fs.readFileSync(path.join(projectRoot, 'test/fixtures', rel), 'utf8');
const shopDir = path.join(projectRoot, 'test/fixtures/code/shop/shop');
const shopFiles = fs
  .readdirSync(shopDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => {
    const abs = path.join(e.parentPath, e.name);
    return { path: path.relative(path.dirname(shopDir), abs), content: fs.readFileSync(abs, 'utf8') };
  });
await call('ingest_context', { file_id: 'bench-guide', content: GUIDE });

const cases: Array<[string, string, Record<string, unknown>]> = [
  ['compress_text', 'harbor guide, balanced', { text: GUIDE }],
  ['read_skeleton', 'harbor guide, outline', { file_id: 'bench-guide', fidelity: 'outline' }],
  ['filter_cli_output', 'pytest-fail.txt', { output: readFixture('cli/pytest-fail.txt') }],
  ['filter_cli_output', 'git-log-stat.txt', { output: readFixture('cli/git-log-stat.txt') }],
  ['compress_code', 'sample.py, balanced', { code: readFixture('code/sample.py'), path: 'sample.py' }],
  ['compress_codebase', `shop fixture (${shopFiles.length} files)`, { files: shopFiles, token_budget: 2000 }],
];
const contentBlocks = [];
for (const [tool, input, args] of cases) {
  const { text, structured } = await call(tool, args);
  const payload = String(structured.compressed ?? structured.skeleton ?? structured.filtered ?? structured.digest ?? '');
  contentBlocks.push({ tool, input, content_tokens: countTokens(text), payload_tokens: countTokens(payload), structured_json_tokens: countTokens(JSON.stringify(structured)) });
}
await client.close();
await http.close();
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      bench: 'tool-surface',
      encoding: 'o200k_base',
      registered_tools: app.registry.tools.size,
      tools_list: toolsList,
      default_budget_tokens: 4000,
      portability_findings_full: portability,
      inspector_portability_warnings_full: inspectorWarnings,
      content_blocks: contentBlocks,
      content_tokens_total: contentBlocks.reduce((n, c) => n + c.content_tokens, 0),
      payload_tokens_total: contentBlocks.reduce((n, c) => n + c.payload_tokens, 0),
    },
    null,
    2,
  ),
);
process.exit(0);
