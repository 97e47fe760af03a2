// The platform through the official MCP SDK client over Streamable HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

const profile = (name: string) => JSON.parse(fs.readFileSync(path.join(process.cwd(), 'profiles', `${name}.json`), 'utf8')) as { tools: string[] | '*' };

describe('MCP over Streamable HTTP', () => {
  it('initializes with server info, instructions and the tools/logging capabilities', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    expect(client.getServerVersion()?.name).toBe('ctxgate');
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    expect(client.getServerCapabilities()?.logging).toBeDefined();
    expect(client.getInstructions()).toMatch(/compress/);
    await client.close();
  });

  it('lists every registered tool in the full profile, outputSchema only where a tool advertises it', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey, profile: 'full' });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([...srv.app.registry.tools.keys()].sort());
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(!!t.outputSchema).toBe(!!srv.app.registry.get(t.name)!.advertiseOutput);
      expect(t.description!.length).toBeGreaterThan(20);
    }
    await client.close();
  });

  it('core, free and default profiles list exactly the tools their profile files name', async () => {
    for (const p of ['core', 'free', 'default']) {
      const client = await connectMcp(srv, { key: srv.ownerKey, profile: p });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...(profile(p).tools as string[])].sort());
      await client.close();
    }
  });

  it('?toolsets= narrows the list to those toolsets', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey, toolsets: ['system'] });
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    for (const t of tools) expect(srv.app.registry.get(t.name)!.toolset).toBe('system');
    await client.close();
  });

  it('rejects an unknown profile or toolset with a 400 naming the valid ones', async () => {
    const r = await rest(srv, 'POST', '/mcp?profile=huge', {
      key: srv.ownerKey,
      headers: { Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/Unknown profile 'huge'.*core/);
    const r2 = await rest(srv, 'POST', '/mcp?toolsets=system,nope', {
      key: srv.ownerKey,
      headers: { Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
    });
    expect(r2.status).toBe(400);
    expect(r2.body.error.message).toMatch(/nope/);
  });

  it('calls a tool and returns structuredContent matching its output schema', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    const r = await callTool(client, 'estimate_tokens', { text: 'hello world', model: 'gpt-4o' });
    expect(r.isError).toBe(false);
    expect(r.structured.tokens).toBe(2);
    expect(r.structured.encoding).toBe('o200k_base');
    expect(r.structured.estimated_cost_usd).toBeCloseTo((2 * 2.5) / 1e6, 12);
    expect(JSON.parse(r.text)).toEqual(r.structured);
    await client.close();
  });

  it('returns bad arguments as an isError result naming the field', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    const r = await callTool(client, 'estimate_tokens', { text: 42 });
    expect(r.isError).toBe(true);
    expect(r.structured.status).toBe(422);
    expect(r.structured.field).toBe('text');
    expect(r.structured.detail).toMatch(/text/);
    const r2 = await callTool(client, 'estimate_tokens', { text: 'x', model: 'gpt-99' });
    expect(r2.isError).toBe(true);
    expect(r2.structured.status).toBe(400);
    expect(r2.structured.detail).toMatch(/Unknown model "gpt-99"/);
    await client.close();
  });

  it('answers an unknown tool with a JSON-RPC error that suggests a close name', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    const err = await client.callTool({ name: 'estimate_token', arguments: {} }).then(() => null, (e: Error & { code: number; data: any }) => e);
    expect(err?.message).toMatch(/Unknown tool 'estimate_token'.*estimate_tokens/);
    // The client adds "MCP error CODE:" once; the server's message must not carry it already.
    expect(err?.message).toMatch(/^MCP error -32602: Unknown tool/);
    expect(err?.data).toMatchObject({ error_code: 'not_found', field: 'name', suggestions: ['estimate_tokens'] });
    await client.close();
  });

  it('without a key, only the no-key tools work; others are refused with 401', async () => {
    const client = await connectMcp(srv, { key: null });
    const ok = await callTool(client, 'estimate_tokens', { text: 'abc' });
    expect(ok.isError).toBe(false);
    const env = await callTool(client, 'check_environment', {});
    expect(env.structured.authenticated).toBe(false);
    const refused = await callTool(client, 'list_documents', {});
    expect(refused.isError).toBe(true);
    expect(refused.structured.status).toBe(401);
    await client.close();
  });

  it('enable_toolset grows a session and sends tools/list_changed', async () => {
    let changed = 0;
    const client = await connectMcp(srv, { key: srv.ownerKey, toolsets: ['system'], onListChanged: () => changed++ });
    const before = (await client.listTools()).tools.map((t) => t.name);
    expect(before).not.toContain('estimate_tokens');
    const r = await callTool(client, 'enable_toolset', { toolsets: ['compress'] });
    expect(r.isError).toBe(false);
    expect(r.structured.added_tools).toContain('estimate_tokens');
    await new Promise((res) => setTimeout(res, 100));
    expect(changed).toBe(1);
    const after = (await client.listTools()).tools.map((t) => t.name);
    expect(after).toContain('estimate_tokens');
    const bad = await callTool(client, 'enable_toolset', { toolsets: ['nonsense'] });
    expect(bad.isError).toBe(true);
    expect(bad.structured.detail).toMatch(/nonsense/);
    await client.close();
  });

  it('ends a session on DELETE; the id is then unknown (404)', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    const transport = client.transport as unknown as { sessionId?: string; terminateSession(): Promise<void> };
    const sid = transport.sessionId!;
    expect(sid).toBeTruthy();
    await transport.terminateSession();
    const r = await rest(srv, 'POST', '/mcp', {
      key: srv.ownerKey,
      headers: { 'Mcp-Session-Id': sid, Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    });
    expect(r.status).toBe(404);
    await client.close();
  });

  it('refuses a session id used with a different key', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    const sid = (client.transport as unknown as { sessionId: string }).sessionId;
    const other = await srv.createKey({ name: 'other' });
    const r = await rest(srv, 'POST', '/mcp', {
      key: other.key,
      headers: { 'Mcp-Session-Id': sid, Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    });
    expect(r.status).toBe(403);
    await client.close();
  });

  it('rejects malformed JSON-RPC, non-initialize first messages and wrong Host headers', async () => {
    const bad = await rest(srv, 'POST', '/mcp', { key: srv.ownerKey, rawBody: '{"jsonrpc": "2.0", "id": 1, "method": ', headers: { Accept: 'application/json, text/event-stream' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe(-32700);
    const noInit = await rest(srv, 'POST', '/mcp', {
      key: srv.ownerKey,
      headers: { Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(noInit.status).toBe(400);
    // fetch does not let us forge Host, so use a raw request.
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(srv.mcpUrl, { method: 'POST', headers: { Host: 'evil.example:80', 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
    const origin = await rest(srv, 'POST', '/mcp', {
      key: srv.ownerKey,
      headers: { Origin: 'http://evil.example', Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
    });
    expect(origin.status).toBe(403);
  });

  it('JSON-response mode answers with application/json instead of SSE', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey, json: true });
    const r = await callTool(client, 'estimate_tokens', { text: 'json mode' });
    expect(r.isError).toBe(false);
    const raw = await fetch(srv.mcpUrl + '?response=json', {
      method: 'POST',
      headers: { Authorization: `Bearer ${srv.ownerKey}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(raw.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await raw.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('ctxgate');
    // As the README says: Accept must still name both types, even in JSON mode.
    const jsonOnly = await fetch(srv.mcpUrl + '?response=json', {
      method: 'POST',
      headers: { Authorization: `Bearer ${srv.ownerKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(jsonOnly.status).toBe(406);
    await client.close();
  });
});
