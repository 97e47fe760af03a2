// Gateway benchmark: manifest savings on real manifests (three reference MCP servers from npm,
// test/fixtures/manifests/), the latency proxy_mcp_server adds over calling the upstream directly,
// and tools/list tokens for a client that sees ctxgate plus three upstreams, aggregated through
// ctxgate versus connected to each directly. Prints one JSON object.
//   The server runs in this process (createApp + startHttpServer, as the tests do); upstreams are the
//   real stdio servers, started through the CTXGATE_UPSTREAM_COMMANDS allow-list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { countTokens } from '../src/engine/tokens.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { startHttpServer } from '../src/server/http.js';
import { AccountsService } from '../src/services/accounts.js';
import { compressManifest, MANIFEST_LEVELS, type ManifestTool } from '../src/services/gateway/manifest.js';
import { KeysService } from '../src/services/keys.js';

const N = Number(process.env.BENCH_GATEWAY_CALLS ?? 50);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-gw-'));
const bin = (pkg: string) => path.join(projectRoot, 'node_modules', pkg, 'dist/index.js');
const UPSTREAMS: Array<{ name: string; cmd: string; env: Record<string, string> }> = [
  { name: 'memory', cmd: `${process.execPath} ${bin('@modelcontextprotocol/server-memory')}`, env: { MEMORY_FILE_PATH: path.join(tmp, 'memory.jsonl') } },
  { name: 'filesystem', cmd: `${process.execPath} ${bin('@modelcontextprotocol/server-filesystem')} ${tmp}`, env: {} },
  { name: 'thinking', cmd: `${process.execPath} ${bin('@modelcontextprotocol/server-sequential-thinking')}`, env: {} },
];

// 1. Manifest savings per server and level, from the fixtures.
const fixtureDir = path.join(projectRoot, 'test/fixtures/manifests');
const manifests = fs
  .readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(fixtureDir, f), 'utf8')) as { source: { package: string; version: string }; tools: ManifestTool[] });
const manifest_savings = manifests.map((m) => ({
  package: `${m.source.package}@${m.source.version}`,
  tools: m.tools.length,
  levels: Object.fromEntries(
    MANIFEST_LEVELS.map((level) => {
      const t = compressManifest(m.tools, { level }).totals;
      const dropped = compressManifest(m.tools, { level, outputSchema: 'drop' }).totals;
      return [level, { ...t, savings_pct_output_schema_dropped: dropped.savings_pct }];
    }),
  ),
}));

// 2 and 3 need the server and the upstreams.
const log = createLogger('silent', 'stderr');
const config = loadConfig({ host: '127.0.0.1', port: 0, dataDir: path.join(tmp, 'data'), logLevel: 'silent', databaseUrl: undefined, upstreams: { commands: UPSTREAMS.map((u) => u.cmd), idleMs: 600_000 } });
const app = await createApp(config, log);
const owner = (await app.deps.service(AccountsService).owner()).user;
const key = (await app.deps.service(KeysService).create({ name: 'bench', plan: 'enterprise', ownerId: owner.id })).key;
const http = await startHttpServer(app, log);

async function connect(query: Record<string, string> = {}): Promise<Client> {
  const url = new URL(`${http.url}/mcp`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const c = new Client({ name: 'bench', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return c;
}
const full = await connect({ profile: 'full' });
for (const u of UPSTREAMS) {
  const r = await full.callTool({ name: 'register_upstream_server', arguments: { name: u.name, command: u.cmd, env: u.env } });
  if (r.isError) throw new Error(JSON.stringify(r.content));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;
/** Times each call N times, round-robin (so machine-load drift hits every variant alike), after a warm-up. */
async function timeAll(fns: Array<() => Promise<unknown>>): Promise<number[][]> {
  for (const fn of fns) for (let i = 0; i < 10; i++) await fn(); // warm-up: process start, JIT, pooled connection
  const out: number[][] = fns.map(() => []);
  for (let i = 0; i < N; i++) {
    for (const [j, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      out[j]!.push(performance.now() - t);
    }
  }
  return out;
}

// 2. Added latency: the same call (memory's search_nodes on a 40-entity graph) direct vs through ctxgate.
const direct = new Client({ name: 'bench-direct', version: '1' });
await direct.connect(new StdioClientTransport({ command: process.execPath, args: [bin('@modelcontextprotocol/server-memory')], env: { PATH: process.env.PATH ?? '', MEMORY_FILE_PATH: path.join(tmp, 'memory.jsonl') }, stderr: 'ignore' }));
await direct.callTool({ name: 'create_entities', arguments: { entities: Array.from({ length: 40 }, (_, i) => ({ name: `E${i}`, entityType: 't', observations: [`obs ${i}`] })) } });
const args = { query: 'E1' };
const [tDirect, tProxy, tProxyCompress, tCallTool] = await timeAll([
  () => direct.callTool({ name: 'search_nodes', arguments: args }),
  () => full.callTool({ name: 'proxy_mcp_server', arguments: { server: 'memory', tool: 'search_nodes', arguments: args } }),
  () => full.callTool({ name: 'proxy_mcp_server', arguments: { server: 'memory', tool: 'search_nodes', arguments: args, compress: true } }),
  () => full.callTool({ name: 'call_tool', arguments: { name: 'memory__search_nodes', arguments: args } }),
]);
const ms = (xs: number[]) => ({ median_ms: Math.round(median(xs) * 100) / 100, p95_ms: Math.round(p95(xs) * 100) / 100 });
await direct.close();

// 3. tools/list tokens: what a client pays per session.
const listTokens = async (c: Client) => countTokens(JSON.stringify((await c.listTools()).tools));
const lean = await connect();
const aggregated = await connect({ upstreams: '1' });
const directLists: Record<string, number> = {};
for (const u of UPSTREAMS) {
  const [command, ...rest] = u.cmd.split(' ');
  const c = new Client({ name: 'bench-direct', version: '1' });
  await c.connect(new StdioClientTransport({ command: command!, args: rest, env: { PATH: process.env.PATH ?? '', ...u.env }, stderr: 'ignore' }));
  directLists[u.name] = await listTokens(c);
  await c.close();
}
const ctxgateDefault = await listTokens(lean);
const ctxgateAggregated = await listTokens(aggregated);
const directTotal = ctxgateDefault + Object.values(directLists).reduce((a, b) => a + b, 0);

for (const c of [full, lean, aggregated]) await c.close();
await http.close();
await app.close();
fs.rmSync(tmp, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      bench: 'gateway',
      tokenizer: 'o200k_base',
      manifest_savings,
      latency: {
        calls: N,
        call: 'memory search_nodes on a 40-entity graph',
        direct_stdio: ms(tDirect),
        proxy_mcp_server: ms(tProxy),
        proxy_mcp_server_compress: ms(tProxyCompress),
        call_tool_namespaced: ms(tCallTool),
        added_median_ms: Math.round((median(tProxy) - median(tDirect)) * 100) / 100,
        note: 'client, ctxgate and the upstream share this machine; ctxgate runs in the bench process',
      },
      tools_list_tokens: {
        upstreams: UPSTREAMS.map((u) => u.name),
        direct: { ctxgate_default: ctxgateDefault, ...directLists, total: directTotal },
        aggregated_listed: { total: ctxgateAggregated, savings_pct: Math.round((1000 * (directTotal - ctxgateAggregated)) / directTotal) / 10 },
        aggregated_lean: { total: ctxgateDefault, savings_pct: Math.round((1000 * (directTotal - ctxgateDefault)) / directTotal) / 10, note: 'upstream tools not listed; reached with search_tools + call_tool' },
      },
    },
    null,
    2,
  ),
);
