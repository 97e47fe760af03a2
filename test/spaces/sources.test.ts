// Sources, artifacts, snapshots and uploads on the real server and store (REST and MCP): both message
// forms, both export formats (several conversations per file), documents, processing as a job,
// artifact kinds and versioning, search through the retrieval index, snapshot budgets, signed uploads
// end to end, bad input (4xx naming the problem, nothing stored), tenancy and project delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, until, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: Client;
let key: string;
let space: string;

beforeAll(async () => {
  server = await startTestServer();
  key = server.ownerKey;
  client = await connectMcp(server, { key, profile: 'full' });
  space = (await rest(server, 'POST', '/v1/spaces', { key, body: { name: 'Main' } })).body.id;
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

const FENCE = '```';
const USERS_V1 = 'CREATE TABLE users (\n  id uuid PRIMARY KEY,\n  email text NOT NULL\n);';
const USERS_V2 = 'CREATE TABLE users (\n  id uuid PRIMARY KEY,\n  email text NOT NULL UNIQUE,\n  created_at timestamptz NOT NULL\n);';
const APP_V1 = "export function handler(req) {\n  return { status: 200 };\n}";
const APP_V2 = "export function handler(req) {\n  if (!req.user) return { status: 401 };\n  return { status: 200 };\n}";

const CONVERSATION = [
  { role: 'system', content: 'You are a helpful engineer.' },
  { role: 'user', content: 'We need a users table and an HTTP handler for the billing service.' },
  {
    role: 'assistant',
    content: `We decided to use UUID primary keys because ids appear in public URLs.\n\n${FENCE}sql\n${USERS_V1}\n${FENCE}\n\nIn src/handler.ts:\n\n${FENCE}ts\n${APP_V1}\n${FENCE}\n\nRun it with:\n\n${FENCE}bash\nnpm run dev\n${FENCE}`,
  },
  { role: 'user', content: [{ type: 'text', text: 'Emails must be unique. Should we add created_at too?' }] },
  {
    role: 'assistant',
    content: `Yes. Updated schema:\n\n${FENCE}sql\n${USERS_V2}\n${FENCE}\n\nAnd src/handler.ts now checks the user:\n\n${FENCE}ts\n${APP_V2}\n${FENCE}\n\n${FENCE}mermaid\nsequenceDiagram\n  Client->>API: POST /invoices\n  API-->>Client: 201\n${FENCE}\n\nTODO: add rate limiting to the handler.`,
  },
];

async function waitReady(sourceId: string, k = key): Promise<any> {
  return until(
    async () => {
      const s = await rest(server, 'GET', `/v1/sources/${sourceId}`, { key: k });
      return s.body.status === 'ready' || s.body.status === 'failed' ? s.body : undefined;
    },
    { what: `source ${sourceId} finished` },
  );
}

const countRows = async (table: string) => {
  const { query } = await import('../helpers/database.js');
  const rows = (await query(server.deps, `SELECT COUNT(*) AS n FROM ${table}`)) as Array<{ n: number | string }>;
  return Number(rows[0]!.n);
};

describe('conversation sources and artifacts', () => {
  let sourceId: string;
  it('POST /v1/sources with OpenAI/Anthropic messages: stored, processed by a job, artifacts extracted', async () => {
    const r = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, title: 'Billing chat', messages: CONVERSATION } });
    expect(r.status).toBe(201);
    expect(r.body.sources).toHaveLength(1);
    expect(r.body.sources[0]).toMatchObject({ kind: 'conversation', format: 'messages', message_count: 5, title: 'Billing chat' });
    expect(r.body.job_id).toMatch(/^job_/);
    sourceId = r.body.sources[0].id;
    const done = await waitReady(sourceId);
    expect(done.status).toBe('ready');
    expect(done.artifacts_count).toBeGreaterThan(5);
    // The source is ready once its item is done; the job is marked completed just after.
    await until(async () => (await rest(server, 'GET', `/v1/batch-queue/${r.body.job_id}`, { key })).body.status === 'completed', { what: 'the job completed' });
  });

  it('code blocks byte-exact with language and file name; schemas, diagrams, commands, decisions, TODOs', async () => {
    const all = (await rest(server, 'GET', `/v1/artifacts?source_id=${sourceId}&limit=100`, { key })).body.artifacts as any[];
    const schema = all.filter((a) => a.kind === 'schema');
    expect(schema.map((a) => a.content)).toEqual([USERS_V1, USERS_V2]);
    expect(schema[0]).toMatchObject({ subtype: 'sql_ddl', name: 'users', language: 'sql', version: 1, previous_id: null });
    expect(schema[1]).toMatchObject({ version: 2, previous_id: schema[0].id });
    const code = all.filter((a) => a.kind === 'code' && a.name === 'src/handler.ts');
    expect(code.map((a) => [a.content, a.version, a.language])).toEqual([
      [APP_V1, 1, 'typescript'],
      [APP_V2, 2, 'typescript'],
    ]);
    expect(all.find((a) => a.kind === 'diagram')).toMatchObject({ subtype: 'mermaid', language: 'mermaid' });
    expect(all.some((a) => a.kind === 'code' && a.content === 'npm run dev' && a.language === 'shell')).toBe(true);
    const decision = all.find((a) => a.kind === 'decision');
    expect(decision.content).toMatch(/decided to use UUID primary keys/);
    expect(all.find((a) => a.kind === 'todo').content).toMatch(/rate limiting/);
    expect(all.some((a) => a.kind === 'question' && /created_at/.test(a.content))).toBe(true);

    const filtered = await rest(server, 'GET', `/v1/artifacts?space_id=${space}&kind=schema&language=sql`, { key });
    expect(filtered.body.total).toBe(2);

    const one = await rest(server, 'GET', `/v1/artifacts/${schema[1].id}`, { key });
    expect(one.status).toBe(200);
    expect(one.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(one.body.message).toMatchObject({ role: 'assistant', index: 4 }); // the system message is index 0
    expect(one.body.message.content).toContain(USERS_V2);
  });

  it('the same artifact in a later source becomes a new version; seen unchanged, it is not stored twice', async () => {
    const later = [
      { role: 'user', content: 'Final handler please.' },
      { role: 'assistant', content: `src/handler.ts:\n\n${FENCE}ts\n${APP_V2}\n  // audited\n${FENCE}\n\n${FENCE}sql\n${USERS_V2}\n${FENCE}` },
    ];
    const r = await callTool(client, 'create_source', { space_id: space, messages: later });
    expect(r.isError).toBe(false);
    const id = (r.structured as any).sources[0].id;
    await waitReady(id);
    const arts = (await callTool(client, 'list_artifacts', { source_id: id })).structured as any;
    // The unchanged users schema is not stored again; the handler is v3 of the same lineage.
    expect(arts.artifacts.filter((a: any) => a.kind === 'schema')).toEqual([]);
    const h = arts.artifacts.find((a: any) => a.name === 'src/handler.ts');
    expect(h.version).toBe(3);
    const full = (await callTool(client, 'get_artifact', { id: h.id })).structured as any;
    expect(full.versions.map((v: any) => v.version)).toEqual([1, 2, 3]);
  });

  it('search_artifacts finds through the retrieval index, with filters', async () => {
    const r = await rest(server, 'POST', '/v1/artifacts/search', { key, body: { query: 'users table email', kind: 'schema' } });
    expect(r.status).toBe(200);
    expect(r.body.results.length).toBeGreaterThan(0);
    expect(r.body.results.every((a: any) => a.kind === 'schema')).toBe(true);
    const kw = await callTool(client, 'search_artifacts', { query: 'sequenceDiagram invoices', mode: 'keyword' });
    expect((kw.structured as any).results[0].kind).toBe('diagram');
    expect(kw.text).toMatch(/^\[search_artifacts: /);
    // One text processing on both backends: a dotted name is split into its words for the query
    // and for the artifact's text alike (PostgreSQL's 'english' parser once kept it whole).
    const dotted = await callTool(client, 'search_artifacts', { query: 'user', mode: 'keyword' }); // the handler reads req.user
    expect((dotted.structured as any).results.map((a: any) => a.name)).toContain('src/handler.ts');
  });

  it('list and get sources; get with content', async () => {
    const l = await rest(server, 'GET', `/v1/sources?space_id=${space}`, { key });
    expect(l.body.total).toBeGreaterThanOrEqual(2);
    const g = await callTool(client, 'get_source', { id: sourceId, include_content: true });
    expect((g.structured as any).messages[1]).toEqual({ role: 'user', text: CONVERSATION[1]!.content });
  });
});

const chatgptExport = [
  {
    title: 'Docker build',
    create_time: 1700000000,
    current_node: 'n3',
    mapping: {
      root: { id: 'root', message: null, parent: null, children: ['n1'] },
      n1: { id: 'n1', parent: 'root', children: ['n2'], message: { id: 'n1', author: { role: 'user' }, content: { content_type: 'text', parts: ['How do I build the image?'] } } },
      n2: { id: 'n2', parent: 'n1', children: ['n3', 'n2b'], message: { id: 'n2', author: { role: 'assistant' }, content: { content_type: 'text', parts: [`Use this Dockerfile:\n\n${FENCE}dockerfile\nFROM node:20\nCOPY . .\n${FENCE}`] } } },
      n2b: { id: 'n2b', parent: 'n2', children: [], message: { id: 'n2b', author: { role: 'user' }, content: { content_type: 'text', parts: ['an abandoned branch'] } } },
      n3: { id: 'n3', parent: 'n2', children: [], message: { id: 'n3', author: { role: 'user' }, content: { content_type: 'text', parts: ['Thanks, that works.'] } } },
    },
  },
  {
    title: 'Second chat',
    current_node: 'b2',
    mapping: {
      b1: { id: 'b1', parent: null, children: ['b2'], message: { id: 'b1', author: { role: 'user' }, content: { content_type: 'text', parts: ['Hello there'] } } },
      b2: { id: 'b2', parent: 'b1', children: [], message: { id: 'b2', author: { role: 'assistant' }, content: { content_type: 'text', parts: ['We will go with Postgres.'] } } },
    },
  },
];
const claudeExport = [
  {
    uuid: 'c-1',
    name: 'Proto design',
    chat_messages: [
      { uuid: 'm1', sender: 'human', text: 'Define the invoice message.', content: [{ type: 'text', text: 'Define the invoice message.' }] },
      { uuid: 'm2', sender: 'assistant', text: '', content: [{ type: 'text', text: `${FENCE}proto\nsyntax = "proto3";\nmessage Invoice {\n  string id = 1;\n}\n${FENCE}` }] },
    ],
  },
  { uuid: 'c-2', name: 'Empty', chat_messages: [] },
  { uuid: 'c-3', name: 'Graph', chat_messages: [{ uuid: 'x', sender: 'human', text: `${FENCE}dot\ndigraph deps {\n  a -> b;\n}\n${FENCE}` }] },
];

describe('export files', () => {
  it('a ChatGPT conversations.json: one source per conversation, the thread current_node shows', async () => {
    const r = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, export_json: JSON.stringify(chatgptExport) } });
    expect(r.status).toBe(201);
    expect(r.body.sources.map((s: any) => [s.title, s.format, s.message_count])).toEqual([
      ['Docker build', 'export', 3],
      ['Second chat', 'export', 2],
    ]);
    const first = await rest(server, 'GET', `/v1/sources/${r.body.sources[0].id}?include_content=true`, { key });
    expect(first.body.messages.map((m: any) => m.text)).not.toContain('an abandoned branch');
    await waitReady(r.body.sources[0].id);
    const arts = await rest(server, 'GET', `/v1/artifacts?source_id=${r.body.sources[0].id}&kind=code`, { key });
    expect(arts.body.artifacts[0]).toMatchObject({ content: 'FROM node:20\nCOPY . .', language: 'dockerfile' });
  });

  it('a Claude export: conversations with text, content blocks; empty ones dropped', async () => {
    const r = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, export_json: JSON.stringify(claudeExport), export_format: 'claude' } });
    expect(r.status).toBe(201);
    expect(r.body.sources.map((s: any) => s.title)).toEqual(['Proto design', 'Graph']);
    await waitReady(r.body.sources[0].id);
    await waitReady(r.body.sources[1].id);
    const proto = await rest(server, 'GET', `/v1/artifacts?source_id=${r.body.sources[0].id}&kind=schema`, { key });
    expect(proto.body.artifacts[0]).toMatchObject({ subtype: 'protobuf', name: 'Invoice' });
    const dot = await rest(server, 'GET', `/v1/artifacts?source_id=${r.body.sources[1].id}&kind=diagram`, { key });
    expect(dot.body.artifacts[0]).toMatchObject({ subtype: 'graphviz', name: 'deps' });
  });
});

describe('documents', () => {
  it('Markdown text and a base64 HTML file', async () => {
    const md = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, text: `# Runbook\n\n${FENCE}yaml\nopenapi: 3.0.0\ninfo:\n  title: Billing API\n${FENCE}\n` } });
    expect(md.status).toBe(201);
    expect(md.body.sources[0]).toMatchObject({ kind: 'document', format: 'markdown' });
    await waitReady(md.body.sources[0].id);
    const oa = await rest(server, 'GET', `/v1/artifacts?source_id=${md.body.sources[0].id}`, { key });
    expect(oa.body.artifacts[0]).toMatchObject({ kind: 'schema', subtype: 'openapi', name: 'Billing API', role: 'document' });
    const html = '<html><head><title>Notes</title></head><body><p>The plan is to ship on Friday.</p></body></html>';
    const h = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, content_base64: Buffer.from(html).toString('base64'), filename: 'notes.html' } });
    expect(h.status).toBe(201);
    expect(h.body.sources[0]).toMatchObject({ kind: 'document', format: 'html' });
  });
});

describe('bad input: 4xx naming the problem, nothing stored', () => {
  it('malformed export, unknown role, empty conversation, missing space, two inputs, over the cap', async () => {
    const before = await countRows('space_sources');
    const cases: Array<[unknown, number, RegExp]> = [
      [{ space_id: space, export_json: '[{"mapping": ' }, 422, /export_json is not valid JSON/],
      [{ space_id: space, export_json: JSON.stringify([{ foo: 1 }]) }, 422, /neither a ChatGPT nor a Claude/],
      [{ space_id: space, export_json: JSON.stringify([{ mapping: { a: { id: 'a', parent: null, message: { author: { role: 'wizard' }, content: { parts: ['x'] } } } }, current_node: 'a' }]) }, 422, /author\.role/],
      [{ space_id: space, export_json: JSON.stringify([{ chat_messages: [{ sender: 'robot', text: 'x' }] }]), export_format: 'claude' }, 422, /sender must be/],
      [{ space_id: space, messages: [{ role: 'wizard', content: 'hi' }] }, 400, /messages\.0\.role|messages\[0\]\.role/],
      [{ space_id: space, messages: [] }, 422, /empty/],
      [{ space_id: 'spc_nope', messages: CONVERSATION }, 404, /space_id/],
      [{ space_id: space, messages: CONVERSATION, text: 'x' }, 422, /only one of .*"rule":"one_of"/],
      [{ space_id: space }, 422, /give one of .*"rule":"required"/],
      [{ space_id: space, text: '   ' }, 422, /empty/],
    ];
    for (const [body, status, re] of cases) {
      const r = await rest(server, 'POST', '/v1/sources', { key, body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(JSON.stringify(r.body)).toMatch(re);
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/);
    }
    // The spaces toolset is Pro and up (the free plan cannot call it): the pro cap is 1 MB per source.
    const pro = (await server.createKey({ plan: 'pro' })).keyString;
    const big = await rest(server, 'POST', '/v1/sources', { key: pro, body: { space_id: space, text: 'x'.repeat(1025 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ field: 'text', unit: 'bytes' });
    expect(await countRows('space_sources')).toBe(before);
  });
});

describe('snapshots', () => {
  const long = Array.from({ length: 30 }, (_, i) =>
    i % 2 === 0
      ? { role: 'user', content: `Question ${i}: how should the worker pool handle retries for queue ${i}? We have seen timeouts and duplicate deliveries in staging, and the logs are noisy.` }
      : {
          role: 'assistant',
          content: `For queue ${i - 1}, the retry policy matters. ${i === 5 ? 'We decided to use exponential backoff because fixed delays caused thundering herds. ' : ''}${i === 17 ? "Let's go with idempotency keys on every job. " : ''}Consider the visibility timeout, the dead-letter queue, the poison message handling, and the metrics you export for each stage of the pipeline. In practice the defaults are fine for most workloads, but tune them under load.`,
        },
  );

  it('default 3–4× smaller, decisions kept, last turn verbatim; Markdown and JSON; get and list', async () => {
    const src = (await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, messages: long, title: 'Queues' } })).body.sources[0].id;
    await waitReady(src);
    const r = await rest(server, 'POST', '/v1/snapshots', { key, body: { source_id: src } });
    expect(r.status).toBe(201);
    expect(r.body.compression_ratio).toBeGreaterThanOrEqual(3);
    expect(r.body.tokens_out).toBeLessThanOrEqual(r.body.budget_tokens);
    expect(r.body.state.decisions.map((d: any) => d.text)).toEqual([
      'We decided to use exponential backoff because fixed delays caused thundering herds.',
      "Let's go with idempotency keys on every job.",
    ]);
    expect(r.body.state.goal).toMatch(/worker pool/);
    expect(r.body.state.last_turns.at(-1)).toEqual({ role: 'assistant', content: long.at(-1)!.content, message_index: 29 });
    expect(r.body.markdown).toMatch(/^# Snapshot: Queues\n/);
    expect(r.body.markdown).toContain('## Decisions');
    const got = await rest(server, 'GET', `/v1/snapshots/${r.body.id}`, { key });
    expect(got.body.markdown).toBe(r.body.markdown);
    expect(got.body.state).toEqual(r.body.state);
    const list = await rest(server, 'GET', `/v1/snapshots?source_id=${src}`, { key });
    expect(list.body.snapshots.map((s: any) => s.id)).toEqual([r.body.id]);
    // Deleting the source deletes what was made from it: artifacts and snapshots.
    expect((await rest(server, 'DELETE', `/v1/sources/${src}`, { key })).body).toEqual({ deleted: true, id: src });
    expect((await rest(server, 'GET', `/v1/snapshots/${r.body.id}`, { key })).status).toBe(404);
    expect((await rest(server, 'GET', `/v1/artifacts?source_id=${src}`, { key })).body.total).toBe(0);
  });

  it('a token budget is honoured; messages passed in; artifacts inline on request', async () => {
    const small = await callTool(client, 'create_snapshot', { messages: long, budget_tokens: 120 });
    expect(small.isError).toBe(false);
    const s = small.structured as any;
    expect(s.tokens_out).toBeLessThanOrEqual(120);
    expect(s.state.decisions.length).toBeGreaterThan(0);
    const big = (await callTool(client, 'create_snapshot', { messages: long, budget_tokens: 5000 })).structured as any;
    expect(big.tokens_out).toBeGreaterThan(s.tokens_out);

    const srcs = (await rest(server, 'GET', `/v1/sources?space_id=${space}&limit=1`, { key })).body.sources;
    const inline = await rest(server, 'POST', '/v1/snapshots', { key, body: { source_id: srcs[0].id, inline_artifacts: true, budget_tokens: 4000 } });
    // The newest version of the lineage: v3, from the later source.
    expect(inline.body.state.artifacts.some((a: any) => a.name === 'src/handler.ts' && a.content === `${APP_V2}\n  // audited` && a.version === 3)).toBe(true);
    expect(inline.body.markdown).toContain('// audited');
    const empty = await rest(server, 'POST', '/v1/snapshots', { key, body: { messages: [] } });
    expect(empty.status).toBe(422);
  });
});

describe('uploads', () => {
  it('signed URL → one PUT → create_source → artifacts; reuse, tamper, expiry, another key and the cap refused', async () => {
    const slot = await rest(server, 'POST', '/v1/uploads', { key, body: { filename: 'conversations.json' } });
    expect(slot.status).toBe(201);
    expect(slot.body).toMatchObject({ method: 'PUT' });
    expect(Date.parse(slot.body.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    const url: string = slot.body.upload_url;
    const file = Buffer.from(JSON.stringify(chatgptExport));
    const tampered = url.replace(/token=(.)/, (_m, c) => `token=${c === 'a' ? 'b' : 'a'}`);
    expect((await rest(server, 'PUT', tampered, { rawBody: file, headers: { 'Content-Type': 'application/json' } })).status).toBe(403);
    const put = await rest(server, 'PUT', url, { rawBody: file, headers: { 'Content-Type': 'application/json' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ upload_id: slot.body.upload_id, size: file.length });
    const again = await rest(server, 'PUT', url, { rawBody: file, headers: { 'Content-Type': 'application/json' } });
    expect(again.status).toBe(409);

    const other = (await server.createKey({ name: 'other-key' })).keyString;
    expect((await rest(server, 'POST', '/v1/sources', { key: other, body: { space_id: space, upload_id: slot.body.upload_id } })).status).toBe(404);
    // A fresh space: the same blocks in the main space would be versions already seen, not new artifacts.
    const fresh = (await rest(server, 'POST', '/v1/spaces', { key, body: { name: 'uploads' } })).body.id;
    const src = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: fresh, upload_id: slot.body.upload_id } });
    expect(src.status).toBe(201);
    expect(src.body.sources.map((s: any) => s.kind)).toEqual(['upload', 'upload']);
    await waitReady(src.body.sources[0].id);
    expect((await rest(server, 'GET', `/v1/artifacts?source_id=${src.body.sources[0].id}`, { key })).body.total).toBeGreaterThan(0);
    const reused = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, upload_id: slot.body.upload_id } });
    expect(reused.status).toBe(400);
    expect(reused.body.field).toBe('upload_id');

    const expired = await rest(server, 'POST', '/v1/uploads', { key, body: { expires_in: 1 } });
    await new Promise((r) => setTimeout(r, 2100));
    const late = await rest(server, 'PUT', expired.body.upload_url, { rawBody: 'hello' });
    expect(late.status).toBe(403);
    expect(late.body.rule).toBe('expired');

    const pro = (await server.createKey({ plan: 'pro' })).keyString;
    const small = await rest(server, 'POST', '/v1/uploads', { key: pro, body: {} });
    expect(small.body.max_bytes).toBe(1024 * 1024);
    const over = await rest(server, 'PUT', small.body.upload_url, { rawBody: Buffer.alloc(small.body.max_bytes + 1, 97) });
    expect(over.status).toBe(413);
    const pending = await rest(server, 'POST', '/v1/sources', { key: pro, body: { space_id: space, upload_id: small.body.upload_id } });
    expect(pending.status).toBe(400);
    expect(pending.body.detail).toMatch(/no file yet/);
  });
});

describe('tenancy and project delete', () => {
  it("another tenant sees no sources, artifacts or snapshots; project delete removes every row and keyword row", async () => {
    const other = (await server.createKey({ newUser: true })).keyString;
    expect((await rest(server, 'GET', '/v1/artifacts', { key: other })).body.total).toBe(0);
    expect((await rest(server, 'POST', '/v1/artifacts/search', { key: other, body: { query: 'users table', mode: 'keyword' } })).body.results).toEqual([]);
    expect((await rest(server, 'GET', '/v1/sources', { key: other })).body.total).toBe(0);

    const p = await rest(server, 'POST', '/v1/tools/create_project', { key, body: { name: 'spaces-doomed' } });
    const pk = (await server.createKey({ projectId: p.body.id })).keyString;
    const sp = (await rest(server, 'POST', '/v1/spaces', { key: pk, body: { name: 'doomed' } })).body.id;
    const s = (await rest(server, 'POST', '/v1/sources', { key: pk, body: { space_id: sp, messages: [{ role: 'user', content: `${FENCE}sql\nCREATE TABLE quokkanomical (id int);\n${FENCE}` }] } })).body.sources[0].id;
    await waitReady(s, pk);
    await rest(server, 'POST', '/v1/snapshots', { key: pk, body: { source_id: s } });
    expect((await rest(server, 'POST', '/v1/artifacts/search', { key: pk, body: { query: 'quokkanomical', mode: 'keyword' } })).body.results.length).toBe(1);
    const before = { artifacts: await countRows('artifacts'), sources: await countRows('space_sources') };
    expect((await rest(server, 'POST', '/v1/tools/delete_project', { key, body: { project_id: p.body.id } })).status).toBe(200);
    expect(await countRows('artifacts')).toBe(before.artifacts - 1);
    expect(await countRows('space_sources')).toBe(before.sources - 1);
    const { query } = await import('../helpers/database.js');
    for (const t of ['spaces', 'space_sources', 'artifacts', 'space_snapshots', 'space_collections', 'space_uploads']) {
      const rows = (await query(server.deps, `SELECT COUNT(*) AS n FROM ${t} WHERE project_id = ?`, p.body.id)) as Array<{ n: number | string }>;
      expect(Number(rows[0]!.n), t).toBe(0);
    }
    if (server.deps.store.dialect.backend === 'sqlite') {
      const [orphans] = (await query(server.deps, 'SELECT COUNT(*) AS n FROM artifacts_fts f WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.rowid = f.rowid)')) as Array<{ n: number }>;
      expect(Number(orphans!.n)).toBe(0);
      const [left] = (await query(server.deps, 'SELECT COUNT(*) AS n FROM artifacts_fts WHERE artifacts_fts MATCH ?', 'quokkanomical')) as Array<{ n: number }>;
      expect(Number(left!.n)).toBe(0);
    }
  });
});
