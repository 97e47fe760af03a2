// The gateway end to end: the reference memory server (@modelcontextprotocol/server-memory, from npm)
// registered as a stdio upstream through the operator's allow-list, its tools listed and called
// through ctxgate with the official MCP SDK client against the real server; ctxgate itself as an
// HTTP upstream (loopback allow-listed) with a bearer header; refusals; credentials never returned;
// tenancy; project delete.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { query } from '../helpers/database.js';

const MEMORY_BIN = path.resolve(__dirname, '../../node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const MEMORY_CMD = `${process.execPath} ${MEMORY_BIN}`;
const SECRET_VALUE = 'sk-upstream-do-not-echo-0123456789';

let server: TestServer;
let client: Client;
let memoryFile: string;

beforeAll(async () => {
  memoryFile = path.join(tempDir('ctxgate-memory-'), 'memory.jsonl');
  server = await startTestServer({ config: { upstreams: { commands: [MEMORY_CMD], idleMs: 60_000 }, urlAllowlist: ['127.0.0.1'] } });
  client = await connectMcp(server, { key: server.ownerKey, profile: 'full' });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  fs.rmSync(path.dirname(memoryFile), { recursive: true, force: true });
});

describe('stdio upstream: the reference memory server', () => {
  it('registers through the allow-list; env values are sealed and never returned', async () => {
    const r = await callTool(client, 'register_upstream_server', { name: 'memory', command: MEMORY_CMD, env: { MEMORY_FILE_PATH: memoryFile, API_TOKEN: SECRET_VALUE } });
    expect(r.isError).toBe(false);
    expect(r.structured.server).toMatchObject({ name: 'memory', transport: 'stdio', target: MEMORY_CMD, env_names: ['MEMORY_FILE_PATH', 'API_TOKEN'] });
    expect(JSON.stringify(r.raw)).not.toContain(SECRET_VALUE);
    const listed = await callTool(client, 'list_upstream_servers');
    expect(listed.structured.servers).toHaveLength(1);
    expect(JSON.stringify(listed.raw)).not.toContain(SECRET_VALUE);
    const rows = await query(server.deps, 'SELECT credentials FROM upstream_servers WHERE name = ?', 'memory');
    expect(rows[0].credentials).toMatch(/^v1\./);
    expect(rows[0].credentials).not.toContain(SECRET_VALUE);
    expect(rows[0].credentials).not.toContain(memoryFile);
  });

  it('lists its tools, compressed and namespaced', async () => {
    const r = await callTool(client, 'list_upstream_tools', { server: 'memory' });
    expect(r.isError).toBe(false);
    const names = r.structured.tools.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['create_entities', 'read_graph', 'search_nodes', 'open_nodes']));
    expect(r.structured.tools[0].namespaced).toBe(`memory__${names[0]}`);
    expect(r.structured.totals.compressed_tokens).toBeLessThan(r.structured.totals.original_tokens);
    // Schemas keep their required lists.
    const create = r.structured.tools.find((t: { name: string }) => t.name === 'create_entities');
    expect(create.inputSchema.required).toEqual(['entities']);
    expect(create.inputSchema.properties.entities.items.required).toEqual(['name', 'entityType', 'observations']);
  });

  it('calls its tools through proxy_mcp_server (the env reached the process: the graph is in our file)', async () => {
    const entities = Array.from({ length: 40 }, (_, i) => ({ name: `Service_${i}`, entityType: 'service', observations: [`owned by team ${i % 4}`, `written in ${i % 2 ? 'Go' : 'TypeScript'}`] }));
    const created = await callTool(client, 'proxy_mcp_server', { server: 'memory', tool: 'create_entities', arguments: { entities } });
    expect(created.isError).toBe(false);
    expect(created.structured.is_error).toBe(false);
    expect(fs.readFileSync(memoryFile, 'utf8')).toContain('Service_39');

    const raw = await callTool(client, 'proxy_mcp_server', { server: 'memory', tool: 'read_graph' });
    const rawText = raw.structured.content[0].text as string;
    expect(JSON.parse(rawText).entities).toHaveLength(40);

    const small = await callTool(client, 'proxy_mcp_server', { server: 'memory', tool: 'read_graph', compress: true, max_tokens: 300 });
    expect(small.isError).toBe(false);
    const c = small.structured.compression;
    expect(c.blocks[0].kind).toBe('json');
    expect(c.tokens).toBeLessThanOrEqual(300);
    expect(c.truncated).toBe(true);
    const handle = small.structured.continuation.handle as string;
    expect(small.text).toContain(handle);
    // The full result comes back page by page, whole.
    const pages: string[] = [];
    for (let p = 1; p <= small.structured.continuation.pages; p++) {
      const page = await callTool(client, 'proxy_mcp_server', { continuation: handle, page: p });
      expect(page.isError).toBe(false);
      pages.push(page.structured.content[0].text);
    }
    expect(JSON.parse(pages.join(''))).toEqual(JSON.parse(rawText));
    // Without a budget squeeze the JSON is folded into a table and still smaller.
    const folded = await callTool(client, 'proxy_mcp_server', { server: 'memory', tool: 'read_graph', compress: true, max_tokens: 100_000 });
    const table = JSON.parse(folded.structured.content[0].text);
    expect(table.entities.columns).toEqual(['name', 'entityType', 'observations']);
    expect(table.entities.rows).toHaveLength(40);
    expect(folded.structured.compression.tokens).toBeLessThan(folded.structured.compression.original_tokens);
  });

  it('reaches upstream tools through call_tool (server__tool) and search_tools', async () => {
    const hits = await callTool(client, 'search_tools', { query: 'search nodes knowledge graph', limit: 25 });
    expect(hits.structured.results.map((h: { name: string }) => h.name)).toContain('memory__search_nodes');
    const r = await callTool(client, 'call_tool', { name: 'memory__search_nodes', arguments: { query: 'Service_7' } });
    expect(r.isError).toBe(false);
    expect(r.text).toContain('Service_7');
    const bad = await callTool(client, 'call_tool', { name: 'memory__no_such_tool', arguments: {} });
    expect(bad.isError).toBe(true);
    expect(bad.structured.status).toBe(404);
  });

  it('lists upstream tools as namespaced tools in tools/list on request (?upstreams=1)', async () => {
    const url = new URL(server.mcpUrl);
    url.searchParams.set('upstreams', '1');
    const c2 = await connectMcp({ mcpUrl: url.toString() }, { key: server.ownerKey });
    try {
      const list = await c2.listTools();
      const t = list.tools.find((x) => x.name === 'memory__open_nodes');
      expect(t).toBeDefined();
      expect(t!.inputSchema.required).toEqual(['names']);
      const r = await c2.callTool({ name: 'memory__open_nodes', arguments: { names: ['Service_3'] } });
      expect(JSON.stringify(r.content)).toContain('Service_3');
    } finally {
      await c2.close();
    }
    const plain = await client.listTools();
    expect(plain.tools.some((x) => x.name.startsWith('memory__'))).toBe(false);
  });

  it('compress_mcp_registry compresses the live manifest of the project upstreams', async () => {
    const r = await callTool(client, 'compress_mcp_registry', { include_tools: false });
    expect(r.isError).toBe(false);
    expect(r.structured.servers[0]).toMatchObject({ name: 'memory', error: null, tools: null });
    expect(r.structured.totals.tokens_saved).toBeGreaterThan(0);
  });
});

describe('refusals', () => {
  it('a command that is not allow-listed is refused (403) and nothing is stored', async () => {
    for (const command of ['/bin/sh -c id', `${MEMORY_CMD} --extra`, 'node']) {
      const r = await callTool(client, 'register_upstream_server', { name: 'evil', command });
      expect(r.isError).toBe(true);
      expect(r.structured.status).toBe(403);
      expect(r.structured.field).toBe('command');
    }
    const r = await callTool(client, 'register_upstream_server', { name: 'evil', command: MEMORY_CMD, env: { NODE_OPTIONS: '--require /tmp/x.js' } });
    expect(r.structured.status).toBe(400);
    expect(r.structured.field).toBe('env');
    expect((await query(server.deps, 'SELECT id FROM upstream_servers WHERE name = ?', 'evil')).length).toBe(0);
  });

  it('neither of command and url is a 422 required, both a 422 one_of naming the extra field, as every other tool answers', async () => {
    const neither = await rest(server, 'POST', '/v1/tools/register_upstream_server', { key: server.ownerKey, body: { name: 'half' } });
    expect(neither.status).toBe(422);
    expect(neither.body).toMatchObject({ error_code: 'invalid_input', field: 'command', rule: 'required', valid: ['command', 'url'] });
    const both = await callTool(client, 'register_upstream_server', { name: 'half', command: MEMORY_CMD, url: 'http://127.0.0.1:1/mcp' });
    expect(both.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'url', rule: 'one_of' });
  });

  it('an HTTP upstream on a private address is refused', async () => {
    for (const url of ['http://10.0.0.5/mcp', 'http://169.254.169.254/latest', 'http://[::ffff:192.168.1.1]/mcp', 'http://0x7f000002/mcp']) {
      const r = await callTool(client, 'register_upstream_server', { name: 'internal', url });
      expect(r.isError, url).toBe(true);
      expect(r.structured.status, url).toBe(400);
      expect(r.structured.error_code, url).toBe('url_blocked');
    }
    const creds = await callTool(client, 'register_upstream_server', { name: 'internal', url: 'http://user:pw@example.com/mcp' });
    expect(creds.structured.field).toBe('url');
    expect(JSON.stringify(creds.raw)).not.toContain('pw@');
  });
});

describe('HTTP upstream: ctxgate itself on loopback (allow-listed), with a bearer header', () => {
  it('registers, lists and calls; the header value is never returned', async () => {
    const key = await server.createKey({ name: 'upstream-key' });
    const r = await callTool(client, 'register_upstream_server', { name: 'self', url: server.mcpUrl, headers: { Authorization: `Bearer ${key.keyString}` } });
    expect(r.isError).toBe(false);
    expect(r.structured.server.header_names).toEqual(['Authorization']);
    expect(JSON.stringify(r.raw)).not.toContain(key.keyString);
    const tools = await callTool(client, 'list_upstream_tools', { server: 'self', compressed: false });
    expect(tools.structured.tools.map((t: { name: string }) => t.name)).toContain('estimate_tokens');
    const call = await callTool(client, 'proxy_mcp_server', { server: 'self', tool: 'estimate_tokens', arguments: { text: 'hello world' } });
    expect(call.isError).toBe(false);
    expect(call.structured.structured_content.tokens).toBeGreaterThan(0);
    const listed = await rest(server, 'GET', '/v1/gateway/upstreams', { key: server.ownerKey });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(key.keyString);
    expect((await callTool(client, 'remove_upstream_server', { server: 'self' })).isError).toBe(false);
  });
});

describe('tenancy and deletion', () => {
  it("another tenant sees none of this project's upstreams and cannot call them", async () => {
    const other = await server.createKey({ newUser: true, name: 'other' });
    const c = await connectMcp(server, { key: other.keyString, profile: 'full' });
    try {
      expect((await callTool(c, 'list_upstream_servers')).structured.servers).toEqual([]);
      const r = await callTool(c, 'proxy_mcp_server', { server: 'memory', tool: 'read_graph' });
      expect(r.structured.status).toBe(404);
      const owned = await callTool(client, 'list_upstream_servers');
      const id = owned.structured.servers[0].id;
      expect((await callTool(c, 'remove_upstream_server', { server: id })).structured.status).toBe(404);
      expect((await callTool(c, 'call_tool', { name: 'memory__read_graph' })).structured.status).toBe(404);
    } finally {
      await c.close();
    }
  });

  it('remove_upstream_server deletes the row; deleting a project deletes its upstreams', async () => {
    const p = await callTool(client, 'create_project', { name: 'gw-delete' });
    const projectId = p.structured.id ?? p.structured.project?.id;
    const bound = await server.createKey({ projectId, name: 'bound' });
    const c = await connectMcp(server, { key: bound.keyString, profile: 'full' });
    try {
      expect((await callTool(c, 'register_upstream_server', { name: 'memory', command: MEMORY_CMD, env: { MEMORY_FILE_PATH: memoryFile } })).isError).toBe(false);
      expect((await callTool(c, 'list_upstream_tools', { server: 'memory' })).isError).toBe(false);
    } finally {
      await c.close();
    }
    expect((await query(server.deps, 'SELECT id FROM upstream_servers WHERE project_id = ?', projectId)).length).toBe(1);
    expect((await callTool(client, 'delete_project', { project_id: projectId })).isError).toBe(false);
    expect((await query(server.deps, 'SELECT id FROM upstream_servers WHERE project_id = ?', projectId)).length).toBe(0);

    expect((await callTool(client, 'remove_upstream_server', { server: 'memory' })).isError).toBe(false);
    expect((await callTool(client, 'list_upstream_servers')).structured.servers).toEqual([]);
  });
});

describe('connection pool', () => {
  it('an idle upstream process is closed after CTXGATE_UPSTREAM_IDLE_MS and restarted on the next call', async () => {
    const s = await startTestServer({ config: { upstreams: { commands: [MEMORY_CMD], idleMs: 400 } } });
    const c = await connectMcp(s, { key: s.ownerKey, profile: 'full' });
    // The memory server processes this worker started (ps: children of this process running its script).
    const running = () =>
      fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
            return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('server-memory');
          } catch {
            return false;
          }
        }).length;
    try {
      const before = running();
      expect((await callTool(c, 'register_upstream_server', { name: 'memory', command: MEMORY_CMD, env: { MEMORY_FILE_PATH: memoryFile } })).isError).toBe(false);
      expect((await callTool(c, 'proxy_mcp_server', { server: 'memory', tool: 'read_graph' })).isError).toBe(false);
      expect(running()).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(running()).toBe(before);
      expect((await callTool(c, 'proxy_mcp_server', { server: 'memory', tool: 'read_graph' })).isError).toBe(false);
    } finally {
      await c.close();
      await s.close();
    }
  });
});
