// The REST face: auth, plans, rate limits, size limits, validation, discovery, health and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCard } from '@a2a-js/sdk';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';

const METRICS_TOKEN = 'metrics-token-for-tests';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ config: { maxBodyBytes: 64 * 1024, metrics: { token: METRICS_TOKEN, port: undefined, host: '127.0.0.1' } } });
});
afterAll(async () => {
  await srv?.close();
});

describe('REST', () => {
  it('serves every tool at POST /v1/tools/{name}', async () => {
    const r = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, body: { text: 'hello world' } });
    expect(r.status).toBe(200);
    expect(r.body.tokens).toBe(2);
  });

  it('401 for a keyed tool without a key, for a wrong key, and for a malformed header', async () => {
    const none = await rest(srv, 'POST', '/v1/tools/list_documents', { body: {} });
    expect(none.status).toBe(401);
    expect(none.body.detail).toMatch(/API key/);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const wrong = await rest(srv, 'POST', '/v1/tools/list_documents', { key: 'gc_' + 'x'.repeat(43), body: {} });
    expect(wrong.status).toBe(401);
    const malformed = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { headers: { Authorization: 'Basic abc' }, body: { text: 'a' } });
    expect(malformed.status).toBe(401);
  });

  it('no-key tools work without a key', async () => {
    const r = await rest(srv, 'POST', '/v1/tools/tool_help', { body: { tool_name: 'estimate_tokens' } });
    expect(r.status).toBe(200);
    expect(r.body.input_schema.properties.text.type).toBe('string');
    expect(r.body.examples.length).toBeGreaterThan(0);
  });

  it('a revoked key is refused on its next request', async () => {
    const k = await srv.createKey({ name: 'to-revoke' });
    expect((await rest(srv, 'POST', '/v1/tools/list_toolsets', { key: k.key, body: {} })).status).toBe(200);
    const { KeysService } = await import('../../src/services/keys.js');
    await srv.deps.service(KeysService).revoke(k.key_id);
    const after = await rest(srv, 'POST', '/v1/tools/list_toolsets', { key: k.key, body: {} });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
  });

  it('403 naming the plan when a free key calls a tool outside the free profile', async () => {
    const k = await srv.createKey({ name: 'free', plan: 'free' });
    const r = await rest(srv, 'POST', '/v1/tools/list_documents', { key: k.key, body: {} });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/requires the pro plan/);
    expect(r.body.required_plan).toBe('pro');
    const ok = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: k.key, body: { text: 'fine' } });
    expect(ok.status).toBe(200);
  });

  it('429 with Retry-After and X-RateLimit headers past the plan limit', async () => {
    const k = await srv.createKey({ name: 'rl', plan: 'free' });
    let last: Awaited<ReturnType<typeof rest>> | undefined;
    for (let i = 0; i < 10; i++) {
      last = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: k.key, body: { text: 'x' } });
      expect(last.status).toBe(200);
      expect(last.headers.get('x-ratelimit-limit')).toBe('10');
      expect(last.headers.get('x-ratelimit-remaining')).toBe(String(9 - i));
    }
    const over = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: k.key, body: { text: 'x' } });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(over.body.error_code).toBe('rate_limited');
  });

  it('callers without a key are limited per client address at the free rate', async () => {
    const other = await startTestServer();
    try {
      for (let i = 0; i < 10; i++) expect((await rest(other, 'POST', '/v1/tools/estimate_tokens', { body: { text: 'x' } })).status).toBe(200);
      const over = await rest(other, 'POST', '/v1/tools/estimate_tokens', { body: { text: 'x' } });
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBeTruthy();
      // A key has its own budget.
      expect((await rest(other, 'POST', '/v1/tools/estimate_tokens', { key: other.ownerKey, body: { text: 'x' } })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('413 for a body over the request limit, 400 for malformed JSON, 422 for a non-object body', async () => {
    const big = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, body: { text: 'a'.repeat(70 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.detail).toMatch(/65536/);
    const bad = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, rawBody: '{"text": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('malformed_json');
    const arr = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, body: ['a'] });
    expect(arr.status).toBe(422);
  });

  it('validation errors name the field; unknown tools are 404 with suggestions', async () => {
    const missing = await rest(srv, 'POST', '/v1/tools/estimate_tokens', { key: srv.ownerKey, body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toBe("Field 'text' is required");
    const wrongType = await rest(srv, 'POST', '/v1/tools/enable_toolset', { key: srv.ownerKey, body: { toolsets: 'kb' } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.field).toBe('toolsets');
    const unknown = await rest(srv, 'POST', '/v1/tools/estimate_tokenz', { key: srv.ownerKey, body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.suggestions).toContain('estimate_tokens');
    const route = await rest(srv, 'GET', '/v2/nothing', {});
    expect(route.status).toBe(404);
    expect(route.body.detail).toMatch(/openapi/);
  });

  it('enable_toolset over REST is a clear 400, not a crash', async () => {
    const r = await rest(srv, 'POST', '/v1/tools/enable_toolset', { key: srv.ownerKey, body: { toolsets: ['system'] } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('not_in_session');
  });

  it('health reports store and embedder; metrics count tool calls', async () => {
    const h = await rest(srv, 'GET', '/health', {});
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    expect(h.body.checks.store.ok).toBe(true);
    expect(['offline', 'minilm']).toContain(h.body.checks.embedder.provider);
    const m = await rest(srv, 'GET', '/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/ctxgate_tool_calls_total\{tool="estimate_tokens",transport="rest",outcome="ok"\} \d+/);
    expect(m.body).toMatch(/ctxgate_tool_duration_seconds_bucket/);
  });

  it('the agent card lists the full profile as skills and reads cleanly with the A2A SDK codec', async () => {
    for (const p of ['/.well-known/agent.json', '/.well-known/agent-card.json']) {
      const r = await rest(srv, 'GET', p, {});
      expect(r.status).toBe(200);
      const card = AgentCard.fromJSON(r.body);
      expect(card.name).toBe('ctxgate');
      expect(card.supportedInterfaces[0]!.url).toBe(`${srv.baseUrl}/mcp`);
      expect(card.skills.map((s) => s.id).sort()).toEqual([...srv.app.registry.tools.keys()].sort());
      for (const s of card.skills) {
        expect(s.description.length).toBeGreaterThan(10);
        expect(s.tags.length).toBeGreaterThan(0);
      }
      expect(card.securitySchemes.bearer?.scheme?.$case).toBe('httpAuthSecurityScheme');
      expect(card.capabilities?.streaming).toBe(true);
      // Everything we serve survives the SDK's own JSON codec (no misspelt or mistyped field).
      const round = AgentCard.toJSON(card) as Record<string, unknown>;
      for (const k of ['name', 'description', 'version', 'documentationUrl', 'defaultInputModes', 'provider']) expect(round[k]).toEqual(r.body[k]);
      expect((round.skills as unknown[]).length).toBe(r.body.skills.length);
    }
  });

  it('OpenAPI has every tool route and its aliases', async () => {
    const r = await rest(srv, 'GET', '/openapi.json', {});
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const t of srv.app.registry.tools.values()) {
      expect(r.body.paths[`/v1/tools/${t.name}`]?.post?.operationId).toBe(t.name);
      for (const a of t.rest ?? []) expect(r.body.paths[a.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[a.method.toLowerCase()]).toBeDefined();
    }
  });
});
