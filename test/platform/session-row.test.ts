// The MCP session row between requests (issue 12): a replica or process that writes a session's row
// through its own connection (enable_toolset, DELETE) is seen by the next request here, while a
// single process skips re-reading a row nothing else can have changed (SQLite's data_version).
// "Another process" is a second store opened on the same database: its own connection, as a second
// server or the CLI would have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { openStore, type Store } from '../../src/store/store.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let other: Store;
beforeAll(async () => {
  srv = await startTestServer();
  other = await openStore(srv.deps.config);
});
afterAll(async () => {
  await other?.close();
  await srv?.close();
});

const sessionId = (client: Client) => (client.transport as unknown as { sessionId: string }).sessionId;
const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

describe('the session row between requests', () => {
  it('sees a toolset another connection enabled on the next request, after this one cached the row', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey, toolsets: ['system'] });
    // Two requests: the second may be served from the row the first read.
    expect(await toolNames(client)).not.toContain('estimate_tokens');
    expect(await toolNames(client)).not.toContain('estimate_tokens');
    await other.mcpSessions().addEnabled(sessionId(client), ['compress'], []);
    expect(await toolNames(client)).toContain('estimate_tokens');
    await client.close();
  });

  it('keeps what this server enabled and what another connection enabled after it', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey, toolsets: ['system'] });
    const r = await callTool(client, 'enable_toolset', { toolsets: ['compress'] });
    expect(r.isError).toBe(false);
    expect(await toolNames(client)).toContain('estimate_tokens');
    await other.mcpSessions().addEnabled(sessionId(client), ['documents'], []);
    const names = await toolNames(client);
    expect(names).toContain('estimate_tokens');
    expect(names).toContain('list_documents');
    await client.close();
  });

  it('answers 404 once another connection ended the session', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    await toolNames(client);
    await toolNames(client);
    const sid = sessionId(client);
    expect(await other.mcpSessions().delete(sid)).toBe(true);
    const r = await rest(srv, 'POST', '/mcp', {
      key: srv.ownerKey,
      headers: { 'Mcp-Session-Id': sid, Accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 9, method: 'tools/list' },
    });
    expect(r.status).toBe(404);
    await client.close().catch(() => undefined);
  });

  it('on SQLite reuses the row while no other connection commits; on PostgreSQL reads it every request', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey, toolsets: ['system'] });
    await toolNames(client);
    await toolNames(client);
    // A write through the server's own connection that bypasses the gateway (nothing in the server
    // does this: every write of a session row goes through the gateway, which drops its copy). It
    // shows which requests read the row: SQLite's data_version does not move for a connection's own
    // commits, so the kept row is served; PostgreSQL has no such counter and reads the row again.
    await srv.deps.store.mcpSessions().addEnabled(sessionId(client), ['compress'], []);
    const names = await toolNames(client);
    if (srv.deps.store.backend === 'sqlite') expect(names).not.toContain('estimate_tokens');
    else expect(names).toContain('estimate_tokens');
    // Any other connection's commit (here to an unrelated table) moves the counter: the row is read again.
    await other.users().create('someone else');
    expect(await toolNames(client)).toContain('estimate_tokens');
    await client.close();
  });
});
