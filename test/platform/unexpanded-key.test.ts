// A client whose config placeholder was never substituted (CTXGATE_KEY not exported where it started)
// sends "${CTXGATE_KEY}", "${env:CTXGATE_KEY}", "$CTXGATE_KEY" or nothing after "Bearer". The 401 says
// that, over HTTP and stdio; it used to say "Invalid or revoked API key" / "Malformed Authorization header".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BUILT_ARGS, ROOT, cliEnv } from '../helpers/cli.js';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'qa', version: '1' } } };
const mcpHeaders = (authorization: string) => ({ Authorization: authorization, Accept: 'application/json, text/event-stream' });

describe('an unexpanded key placeholder', () => {
  it('over HTTP, /mcp and REST name the placeholder and say to export the variable', async () => {
    for (const placeholder of ['${CTXGATE_KEY}', '${env:CTXGATE_KEY}', '$CTXGATE_KEY', '{env:CTXGATE_KEY}']) {
      const m = await rest(srv, 'POST', '/mcp', { body: initialize, headers: mcpHeaders(`Bearer ${placeholder}`) });
      expect(m.status, placeholder).toBe(401);
      expect(m.body.error.message).toBe(`The API key arrived as the unexpanded placeholder ${placeholder}: the client did not substitute it. Export the variable it names (export CTXGATE_KEY=gc_...) in the shell that starts the client, then restart the client`);
      const r = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { body: { text: 'x' }, headers: { Authorization: `Bearer ${placeholder}` } });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ error_code: 'unauthorized' });
      expect(r.body.detail).toMatch(/unexpanded placeholder/);
    }
    const empty = await rest(srv, 'POST', '/mcp', { body: initialize, headers: mcpHeaders('Bearer ') });
    expect(empty.status).toBe(401);
    expect(empty.body.error.message).toMatch(/says "Bearer" with no key after it: the variable the client config reads \(CTXGATE_KEY\) is empty or unset/);
    // A mistyped real key still gets the usual answer.
    const wrong = await rest(srv, 'POST', '/mcp', { body: initialize, headers: mcpHeaders('Bearer gc_not_a_real_key_123') });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).not.toMatch(/placeholder/);
  });

  it('over stdio, every call names the placeholder', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...BUILT_ARGS, 'stdio'],
      cwd: ROOT,
      env: cliEnv(srv.dataDir, { CTXGATE_KEY: '$CTXGATE_KEY', CTXGATE_LOG_LEVEL: 'warn' }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'qa', version: '1' });
    try {
      await client.connect(transport);
      await expect(client.listTools()).rejects.toThrow(/CTXGATE_KEY: The API key arrived as the unexpanded placeholder \$CTXGATE_KEY: the client did not substitute it/);
    } finally {
      await client.close();
    }
  }, 60_000);
});
