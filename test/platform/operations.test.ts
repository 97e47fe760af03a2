// Operational bounds and leaks: MCP sessions are limited per caller and in total (an initialize flood
// gets 429 and the session count stays bounded), never-used sessions expire early, /health says
// ok/degraded without paths, and /metrics needs its token or lives on the admin port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } };

async function initialize(s: TestServer, key?: string): Promise<{ status: number; sid: string | null; body: any; retryAfter: string | null }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const r = await fetch(`${s.mcpUrl}?response=json`, { method: 'POST', headers, body: JSON.stringify(INIT) });
  const text = await r.text();
  return { status: r.status, sid: r.headers.get('mcp-session-id'), body: text ? JSON.parse(text) : null, retryAfter: r.headers.get('retry-after') };
}

async function listTools(s: TestServer, key: string, sid: string): Promise<Response> {
  return fetch(`${s.mcpUrl}?response=json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${key}`, 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
  });
}

describe('MCP session limits', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ config: { sessions: { total: 12, perCaller: 5, createPerMinute: 8, unusedIdleMs: 60_000 } } });
  });
  afterAll(() => s.close());

  it('a burst of keyless initializes is refused past the per-address cap with 429; sessions stay bounded', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => initialize(s)));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(35);
    expect(refused[0]!.retryAfter).toMatch(/^\d+$/);
    expect(refused.map((r) => r.body.error.message).join('\n')).toMatch(/CTXGATE_SESSIONS_PER_CALLER|per minute/);
    expect(s.http.mcp.size).toBe(5);
    expect((await rest(s, 'GET', '/health')).body.mcp_sessions).toBe(5);
  });

  it('new sessions are rate-limited per key, and the total cap holds across keys', async () => {
    const a = (await s.createKey({ name: 'a' })).keyString;
    const statuses: number[] = [];
    // Sequential, closing each one, so only the per-minute creation limit can refuse.
    for (let i = 0; i < 9; i++) {
      const r = await initialize(s, a);
      statuses.push(r.status);
      if (r.sid) await fetch(s.mcpUrl, { method: 'DELETE', headers: { Authorization: `Bearer ${a}`, 'Mcp-Session-Id': r.sid } });
    }
    expect(statuses.slice(0, 8).every((x) => x === 200)).toBe(true);
    expect(statuses[8]).toBe(429);
    // 5 never-used keyless sessions are open. At the total cap those are closed first; once every open
    // session has made a request, the server is full and says so.
    const keys = await Promise.all(Array.from({ length: 6 }, async (_, i) => (await s.createKey({ name: `k${i}` })).keyString));
    const opened: number[] = [];
    for (const k of keys) {
      for (let i = 0; i < 2; i++) {
        const r = await initialize(s, k);
        opened.push(r.status);
        if (r.sid) expect((await listTools(s, k, r.sid)).status).toBe(200);
      }
    }
    expect(opened.every((x) => x === 200)).toBe(true);
    expect(s.http.mcp.size).toBe(12);
    const last = await initialize(s, (await s.createKey({ name: 'late' })).keyString);
    expect(last.status).toBe(429);
    expect(last.body.error.message).toMatch(/maximum of 12 open MCP sessions/);
    expect(s.http.mcp.size).toBe(12);
  });

  it('sessions that never made a request expire on the short lifetime; used ones stay', async () => {
    const t = await startTestServer({ config: { sessions: { total: 50, perCaller: 50, createPerMinute: 50, unusedIdleMs: 60_000 } } });
    try {
      const client = await connectMcp(t, { key: t.ownerKey });
      await client.listTools();
      for (let i = 0; i < 3; i++) expect((await initialize(t)).status).toBe(200);
      expect(t.http.mcp.size).toBe(4);
      // Two minutes on: past the unused lifetime (60 s), well inside the idle lifetime (30 min).
      t.http.mcp.reap(Date.now() + 120_000);
      expect(t.http.mcp.size).toBe(1);
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      // Codex lists resources on connect: lists (the caller's project brain), not -32601.
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual([expect.stringMatching(/^ctxgate:\/\/brain\/prj_/)]);
      expect((await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toEqual(['ctxgate://brain/{project}']);
      await client.close();
    } finally {
      await t.close();
    }
  });
});

describe('/health and /metrics', () => {
  it('/health says ok with its checks and no paths; /metrics is off without a token or admin port', async () => {
    const s = await startTestServer();
    try {
      const h = await rest(s, 'GET', '/health');
      expect(h.status).toBe(200);
      expect(h.body).toMatchObject({ status: 'ok', failed: [], checks: { store: { ok: true }, embedder: { ok: true } } });
      expect(JSON.stringify(h.body)).not.toContain(s.dataDir);
      expect(JSON.stringify(h.body)).not.toMatch(/"\/(tmp|home|work|var)\//);
      const m = await rest(s, 'GET', '/metrics');
      expect(m.status).toBe(403);
      expect(m.body.detail).toMatch(/CTXGATE_METRICS_TOKEN/);
      // An owner API key is not a metrics token.
      expect((await rest(s, 'GET', '/metrics', { key: s.ownerKey })).status).toBe(403);
    } finally {
      await s.close();
    }
  });

  it('/health is degraded and names the embedder when minilm cannot load', async () => {
    const s = await startTestServer({ config: { embedder: 'minilm', modelDir: undefined, allowDownload: false } });
    try {
      const h = await rest(s, 'GET', '/health');
      expect(h.body.status).toBe('degraded');
      expect(h.body.failed).toEqual(['embedder']);
      expect(JSON.stringify(h.body)).not.toContain(s.dataDir);
    } finally {
      await s.close();
    }
  });

  it('with CTXGATE_METRICS_TOKEN: 401 without it or with a wrong one, 200 with it', async () => {
    const token = 'a-metrics-token-0123456789';
    const s = await startTestServer({ config: { metrics: { token, port: undefined, host: '127.0.0.1' } } });
    try {
      expect((await rest(s, 'GET', '/metrics')).status).toBe(401);
      expect((await rest(s, 'GET', '/metrics', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await rest(s, 'GET', '/metrics', { headers: { Authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatch(/ctxgate_mcp_sessions/);
    } finally {
      await s.close();
    }
  });

  it('with CTXGATE_METRICS_PORT: served on the admin port only', async () => {
    const s = await startTestServer({ config: { metrics: { token: undefined, port: 0, host: '127.0.0.1' } } });
    try {
      expect(s.http.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(s.http.metricsUrl).not.toBe(s.baseUrl);
      const admin = await fetch(`${s.http.metricsUrl}/metrics`);
      expect(admin.status).toBe(200);
      expect(await admin.text()).toMatch(/ctxgate_http_requests_total|ctxgate_mcp_sessions/);
      expect((await rest(s, 'GET', '/metrics')).status).toBe(404);
      expect((await fetch(`${s.http.metricsUrl}/health`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
