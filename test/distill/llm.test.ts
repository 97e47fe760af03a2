// The LLM path of distill against a real HTTP server started here that speaks the OpenAI
// chat-completions protocol (the stand-in for a local llama.cpp / Ollama or a hosted endpoint):
// success, postprocess_prompt, timeout → 504, failure → 502, each naming the provider; the call is
// recorded either way; a loopback provider is allowed because the operator configured it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';
import { THREADS } from './threads.js';

interface Seen {
  auth: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }>; stream?: boolean };
}
let mode: 'ok' | 'slow' | 'http500' | 'garbage' = 'ok';
const seen: Seen[] = [];
let provider: http.Server;
let server: TestServer;
let key: string;

beforeAll(async () => {
  provider = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      seen.push({ auth: req.headers.authorization, body: JSON.parse(raw) });
      if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 3000).unref();
      if (mode === 'http500') return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model crashed' } }));
      if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>gateway</html>');
      const user = JSON.parse(raw).messages.at(-1).content as string;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'local-model',
          choices: [{ index: 0, message: { role: 'assistant', content: `SUMMARY of ${user.length} chars: the fix was merged.` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', () => r()));
  const port = (provider.address() as AddressInfo).port;
  server = await startTestServer({ config: { llm: { url: `http://127.0.0.1:${port}/v1`, model: 'local-model', key: 'test-provider-key', timeoutMs: 800 } } });
  key = server.ownerKey;
  const c = await rest(server, 'POST', '/api/strategies', {
    key,
    body: { id: 'llm_brief', version: '1.2.0', description: 'A brief by the LLM.', expected_compression: '0.05-0.15', system_prompt: 'Write a brief of the conversation.', mode: 'llm' },
  });
  expect(c.status).toBe(201);
});
afterAll(async () => {
  await server?.close();
  provider?.closeAllConnections();
  await new Promise((r) => provider?.close(r));
});

const thread = () => THREADS.find((t) => t.id.includes('felixge'))!;

describe('LLM provider', () => {
  it('a prompt strategy goes to the provider: system prompt + inject after a separator, last user message verbatim', async () => {
    mode = 'ok';
    seen.length = 0;
    const t = thread();
    const r = await rest(server, 'POST', '/api/distill', { key, body: { messages: t.messages, strategy_id: 'llm_brief', inject: 'keep version numbers like 1.0.0-pre2' } });
    expect(r.status).toBe(200);
    expect(r.body.metadata).toMatchObject({ strategy_id: 'llm_brief', strategy_version: '1.2.0', provider: 'local-model', inject_used: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.auth).toBe('Bearer test-provider-key');
    expect(seen[0]!.body.model).toBe('local-model');
    const [system, user] = seen[0]!.body.messages;
    expect(system!.role).toBe('system');
    expect(system!.content).toMatch(/^Write a brief of the conversation\.\n\n--- Additional instruction .*---\nkeep version numbers like 1\.0\.0-pre2$/s);
    expect(user!.content).toContain('I have temporarily published the fixed version');
    expect(r.body.messages[0].content).toMatch(/^\[Distilled conversation so far\]\nSUMMARY of \d+ chars/);
    const lastUser = t.messages.map((m) => m.role).lastIndexOf('user');
    expect(r.body.messages.slice(1)).toEqual(t.messages.slice(lastUser));
  });

  it('postprocess_prompt runs after a rules strategy', async () => {
    mode = 'ok';
    seen.length = 0;
    const r = await rest(server, 'POST', '/v1/distill', { key, body: { messages: thread().messages, strategy_id: 'summarize', postprocess_prompt: 'Answer in one sentence.' } });
    expect(r.status).toBe(200);
    expect(r.body.metadata.provider).toBe('local-model');
    expect(seen[0]!.body.messages[0]!.content).toBe('Answer in one sentence.');
  });

  it('timeout → 504, failure → 502, each naming the provider; the call is recorded as failed', async () => {
    const body = { messages: thread().messages, strategy_id: 'llm_brief' };
    for (const [m, status] of [
      ['slow', 504],
      ['http500', 502],
      ['garbage', 502],
    ] as const) {
      mode = m;
      const r = await rest(server, 'POST', '/api/distill', { key, body });
      expect(r.status, m).toBe(status);
      expect(r.body.provider).toBe('local-model');
      expect(r.body.detail).toContain('LLM provider local-model');
    }
    mode = 'ok';
    // The provider failing did not cost the caller anything: the same request succeeds now.
    expect((await rest(server, 'POST', '/api/distill', { key, body })).status).toBe(200);
    const { sql } = await import('kysely');
    const rows = await sql<{ status: string; n: number }>`SELECT status, COUNT(*) AS n FROM distill_calls WHERE strategy_id = 'llm_brief' GROUP BY status ORDER BY status`.execute(server.deps.store.db);
    expect(rows.rows.map((r) => [r.status, Number(r.n)])).toEqual([
      ['failed', 3],
      ['ok', 2],
    ]);
  });
});
