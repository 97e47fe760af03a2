// Error bodies: strict arguments (an unknown one is a 422 naming it and the closest real one), one
// vocabulary across REST, MCP tool errors and /mcp transport errors (detail, error_code, field, rule,
// limit, unit), no echo of bad input beyond a short redacted excerpt (issue 11.9), and bounded
// free-form arguments (issue 11.10).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LIMITS } from '../../src/config.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let client: Client;
beforeAll(async () => {
  srv = await startTestServer();
  client = await connectMcp(srv, { key: srv.ownerKey });
});
afterAll(async () => {
  await client?.close();
  await srv?.close();
});

const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

/** A JSON text nested `depth` levels deep (built as text: JSON.stringify of such a value is what breaks). */
function deepJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function rawRequest(method: string, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('strict arguments', () => {
  it('an unknown argument is a 422 naming it and the closest real one, over REST and MCP', async () => {
    const r = await rest(srv, 'POST', '/v1/tools/compress_text', { key: srv.ownerKey, body: { text: 'Some text to compress.', fidelty: 'outline' } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error_code: 'invalid_input', field: 'fidelty', rule: 'unknown_argument', suggestion: 'fidelity' });
    expect(r.body.detail).toMatch(/Unknown argument 'fidelty'. Did you mean 'fidelity'\?/);
    const m = await callTool(client, 'compress_text', { text: 'Some text to compress.', fidelty: 'outline' });
    expect(m.isError).toBe(true);
    expect(m.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'fidelty', rule: 'unknown_argument', suggestion: 'fidelity' });
  });

  it('an unknown argument with no close name still reads as two sentences', async () => {
    const r = await rest(srv, 'POST', '/v1/tools/add_memory', { key: srv.ownerKey, body: { content: 'x' } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ field: 'content', rule: 'unknown_argument' });
    expect(r.body.detail).toMatch(/^Unknown argument 'content'\. Valid arguments: text, /);
  });

  it('REST aliases are strict too; their path parameters and query strings are arguments', async () => {
    const typo = await rest(srv, 'GET', '/v1/documents/doc_nope/skeleton?fidelty=outline', { key: srv.ownerKey });
    expect(typo.status).toBe(422);
    expect(typo.body).toMatchObject({ field: 'fidelty', suggestion: 'fidelity' });
    const ok = await rest(srv, 'GET', '/v1/documents/doc_nope/skeleton?fidelity=outline', { key: srv.ownerKey });
    expect(ok.status).toBe(404);
  });
});

describe('no echo of bad input (issue 11.9)', () => {
  it('an invalid enum value that is a secret does not come back; the field and the valid values do', async () => {
    for (const bad of [AWS_KEY, srv.ownerKey]) {
      const r = await rest(srv, 'POST', '/v1/tools/compress_text', { key: srv.ownerKey, body: { text: 'Some text to compress.', fidelity: bad } });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).not.toContain(bad.slice(4, 16));
      expect(r.body).toMatchObject({ field: 'fidelity', rule: 'enum' });
      expect(r.body.valid).toContain('balanced');
      const m = await callTool(client, 'compress_text', { text: 'Some text to compress.', fidelity: bad });
      expect(m.text).not.toContain(bad.slice(4, 16));
      expect(m.structured).toMatchObject({ status: 400, field: 'fidelity' });
    }
    const plain = await rest(srv, 'POST', '/v1/tools/compress_text', { key: srv.ownerKey, body: { text: 'x', fidelity: 'medium-ish-and-then-a-very-long-tail' } });
    expect(plain.body.detail).toContain('"medium-ish-and-t…"');
    expect(plain.body.detail).not.toContain('very-long-tail');
  });

  it('other fixed-choice fields (model, cost_model, command_hint, language) do not echo a secret either', async () => {
    const calls: Array<[string, Record<string, unknown>, string]> = [
      ['estimate_tokens', { text: 'a', model: AWS_KEY }, 'model'],
      ['compress_text', { text: 'Some text to compress.', cost_model: AWS_KEY }, 'cost_model'],
      ['check_budget', { text: 'a', model: AWS_KEY }, 'model'],
      ['filter_cli_output', { output: 'x\ny\n', command_hint: AWS_KEY }, 'command_hint'],
      ['compress_code', { code: 'x = 1\n', language: AWS_KEY }, 'language'],
    ];
    for (const [tool, args, field] of calls) {
      const r = await rest(srv, 'POST', `/v1/tools/${tool}`, { key: srv.ownerKey, body: args });
      expect(r.status, tool).toBe(400);
      expect(r.body.field, tool).toBe(field);
      expect(JSON.stringify(r.body), tool).not.toContain('IOSFODNN7');
    }
  });

  it('malformed JSON is reported by position, never by quoting the body (REST and /mcp)', async () => {
    const body = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123 is not json';
    const r = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, rawBody: body });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error_code: 'malformed_json', field: '(body)' });
    expect(JSON.stringify(r.body)).not.toContain('sk-proj');
    const m = await rest(srv, 'POST', '/mcp', { key: srv.ownerKey, rawBody: body, headers: { Accept: 'application/json, text/event-stream' } });
    expect(m.status).toBe(400);
    expect(m.body.error.code).toBe(-32700);
    expect(JSON.stringify(m.body)).not.toContain('sk-proj');
  });

  it('a non-JSON body sent as another type is told that bodies are JSON; JSON under any type still works', async () => {
    const plain = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, rawBody: 'hello world', headers: { 'Content-Type': 'text/plain' } });
    expect(plain.status).toBe(400);
    expect(plain.body.error_code).toBe('malformed_json');
    expect(plain.body.detail).toContain('sent as text/plain');
    expect(plain.body.detail).toContain('application/json');
    // curl -d sends a form type: a JSON body is read all the same.
    const curl = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, rawBody: '{"text":"hello world"}', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(curl.status).toBe(200);
  });
});

describe('bounded free-form arguments (issue 11.10)', () => {
  it('metadata nested 10,000 levels deep in ingest_context is a 422 naming the limit, not a 500', async () => {
    const body = `{"file_id":"deep","content":"A short document.","metadata":${deepJson(10_000)}}`;
    const r = await rest(srv, 'POST', '/v1/tools/ingest_context', { key: srv.ownerKey, rawBody: body });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ field: 'metadata', rule: 'max_depth', limit: LIMITS.args.maxDepth });
    expect(r.body.detail).toMatch(new RegExp(`${LIMITS.args.maxDepth} levels`));
    // The SDK client itself cannot serialise 10,000 levels; 1,000 is past the limit all the same.
    const m = await callTool(client, 'ingest_context', { file_id: 'deep', content: 'A short document.', metadata: JSON.parse(deepJson(1_000)) });
    expect(m.structured).toMatchObject({ status: 422, field: 'metadata', rule: 'max_depth' });
    // Nothing was stored.
    const list = await rest(srv, 'POST', '/v1/tools/list_documents', { key: srv.ownerKey, body: {} });
    expect(JSON.stringify(list.body)).not.toContain('"deep"');
  });

  it('a free-form object larger than the cap is a 422 naming field and limit; a normal one is fine', async () => {
    const big = { notes: 'x'.repeat(LIMITS.args.freeformBytes) };
    const r = await rest(srv, 'POST', '/v1/tools/ingest_context', { key: srv.ownerKey, body: { file_id: 'big-meta', content: 'A short document.', metadata: big } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ field: 'metadata', rule: 'max_bytes', limit: LIMITS.args.freeformBytes });
    const ok = await rest(srv, 'POST', '/v1/tools/ingest_context', { key: srv.ownerKey, body: { file_id: 'meta-ok', content: 'A short document.', metadata: { a: { b: { c: [1, 2, 3] } } } } });
    expect(ok.status).toBeLessThan(300);
  });
});

describe('one error vocabulary', () => {
  it('both 413s state the cap the same way: field, rule, limit, unit', async () => {
    const body = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, rawBody: JSON.stringify({ text: 'x'.repeat(srv.app.deps.config.maxBodyBytes + 10) }) });
    expect(body.status).toBe(413);
    expect(body.body).toMatchObject({ error_code: 'payload_too_large', field: '(body)', rule: 'max_size', limit: srv.app.deps.config.maxBodyBytes, unit: 'bytes' });
    const free = (await srv.createKey({ name: 'free413', plan: 'free' }));
    const cap = srv.app.deps.config.plans.free.maxTextBytes;
    const text = await rest(srv, 'POST', '/v1/tools/compress_text', { key: free.key, body: { text: 'word '.repeat(Math.ceil(cap / 5) + 10) } });
    expect(text.status).toBe(413);
    expect(text.body).toMatchObject({ error_code: 'payload_too_large', field: 'text', rule: 'max_size', limit: cap, unit: 'bytes' });
    expect(Object.keys(text.body).filter((k) => /bytes|max_/.test(k))).toEqual([]);
  });

  it('a wrong Host header gets a REST body on REST routes and a JSON-RPC error (same body as data) on /mcp', async () => {
    const url = new URL(srv.baseUrl);
    const onRest = await rawRequest('POST', `${srv.baseUrl}/v1/tools/estimate_tokens`, { Host: `evil.example:${url.port}`, 'Content-Type': 'application/json' }, '{"text":"a"}');
    expect(onRest.status).toBe(403);
    const restBody = JSON.parse(onRest.text);
    expect(restBody).toMatchObject({ error_code: 'forbidden', field: 'Host', rule: 'allowed_hosts' });
    expect(restBody.jsonrpc).toBeUndefined();
    const onMcp = await rawRequest('POST', srv.mcpUrl, { Host: `evil.example:${url.port}`, 'Content-Type': 'application/json' }, '{}');
    expect(onMcp.status).toBe(403);
    const rpc = JSON.parse(onMcp.text);
    expect(rpc.jsonrpc).toBe('2.0');
    expect(rpc.error.data).toMatchObject({ error_code: 'forbidden', field: 'Host' });
  });

  it('validation errors name the field and the rule everywhere', async () => {
    const missing = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, body: {} });
    expect(missing.body).toMatchObject({ error_code: 'invalid_input', field: 'text', rule: 'required' });
    const wrongType = await callTool(client, 'estimate_tokens', { text: 42 });
    expect(wrongType.structured).toMatchObject({ status: 422, field: 'text', rule: 'invalid_type' });
  });

  it('a missing fixed-choice field is a 422 "required", not "Invalid kind undefined"', async () => {
    const r = await callTool(client, 'add_lookup_source', {});
    expect(r.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'kind', rule: 'required' });
    expect(r.structured.detail).toBe("Field 'kind' is required");
    const bad = await callTool(client, 'add_lookup_source', { kind: 'pypi', name: 'x' });
    expect(bad.structured).toMatchObject({ status: 400, field: 'kind', rule: 'enum', valid: ['npm', 'folder'] });
  });

  it('an id the caller sent (a UUID, or one of ours) comes back in a not-found message; a key-shaped value does not', async () => {
    const uuid = '550e8400-e29b-41d4-a716-446655440000';
    const r = await callTool(client, 'restore_context', { id: uuid });
    expect(r.structured).toMatchObject({ status: 404, field: 'id' });
    expect(r.structured.detail).toContain(uuid);
    const ours = await callTool(client, 'get_context', { id: 'mem_4pKq0bX9s2LmA1cD' });
    expect(ours.structured.detail).toContain('mem_4pKq0bX9s2LmA1cD');
    const k = await callTool(client, 'get_context', { id: 'Zp1x9c2WcQm0aB7eZp1x9c2WcQm0aB7e' });
    expect(k.structured.detail).toContain('[redacted]');
  });
});
