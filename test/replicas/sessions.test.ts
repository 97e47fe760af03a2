// Three replicas over one PostgreSQL database and Redis: an MCP session opened on one continues on
// the others (its calls alternate replicas), enable_toolset on one is seen on the next call through
// another (and tools/list_changed reaches the client's stream wherever it is), DELETE ends the
// session on every replica, and the caches stay right when another replica writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, until } from '../helpers/server.js';
import { haproxyBinary, startHaproxy } from './haproxy.js';
import { logged, postgresReachable, redisReachable, startCluster, type Cluster } from './cluster.js';

const pgOk = await postgresReachable();
const redisOk = pgOk && (await redisReachable());
if (!pgOk) console.warn('test/replicas/sessions: PostgreSQL at 127.0.0.1:5432 is unreachable; skipping the replica tests');
const haproxy = haproxyBinary();

const TEXT = Array.from(
  { length: 30 },
  (_, i) => `Paragraph ${i}: the gateway keeps sessions in the shared store so that replica ${i % 3} can answer any request, and caches stay correct across processes.`,
).join('\n\n');

async function rawMcp(base: string, key: string, sid: string, body: unknown, method = 'POST'): Promise<number> {
  const res = await fetch(`${base}/mcp`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-06-18' },
    ...(method === 'POST' && { body: JSON.stringify(body) }),
  });
  await res.text();
  return res.status;
}

describe.skipIf(!pgOk)(`replicas: sessions and caches (${redisOk ? 'Redis' : 'PostgreSQL'} bus)`, () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ redis: redisOk, env: { CTXGATE_DRAIN_DELAY_MS: '600' } });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('a session opened on one replica is served by all three, in turn', async () => {
    const key = await c.createKey();
    const rr = c.roundRobin();
    const client = await c.connect(key, { rr });
    const from = rr.served.length;
    for (let i = 0; i < 6; i++) {
      const r = await callTool(client, 'estimate_tokens', { text: `call ${i} of one session` });
      expect(r.isError, r.text).toBe(false);
    }
    const used = new Set(rr.served.slice(from));
    expect(used).toEqual(new Set([0, 1, 2]));
    // The replicas that did not open it rebuilt it from the store.
    const sid = (client.transport as { sessionId?: string }).sessionId!;
    const continued = c.replicas.filter((r) => logged(r, 'mcp session continued on this replica').some((l) => l.session === sid));
    expect(continued.length).toBeGreaterThanOrEqual(2);
    await client.close();
  });

  it('enable_toolset on one replica is listed through the next; tools/list_changed reaches the client stream', async () => {
    const key = await c.createKey();
    let changed = 0;
    const client = await c.connect(key, { onListChanged: () => changed++ });
    const before = (await client.listTools()).tools.map((t) => t.name);
    expect(before).not.toContain('get_batch_job');
    // Let the client open its GET stream (on whichever replica) before the change.
    await new Promise((r) => setTimeout(r, 300));
    const r = await callTool(client, 'enable_toolset', { toolsets: ['jobs'] });
    expect(r.isError, r.text).toBe(false);
    // The next requests go to the other replicas, each of which reads the session from the store.
    for (let i = 0; i < 3; i++) expect((await client.listTools()).tools.map((t) => t.name)).toContain('get_batch_job');
    await until(() => changed > 0, { ms: 10_000, what: 'tools/list_changed' });
    await client.close();
  });

  it('DELETE on one replica ends the session on every replica', async () => {
    const key = await c.createKey();
    const client = await c.connect(key);
    await callTool(client, 'estimate_tokens', { text: 'warm every replica' });
    await client.listTools();
    await client.listTools();
    const sid = (client.transport as { sessionId?: string }).sessionId!;
    for (const r of c.replicas) expect(await rawMcp(r.base, key, sid, { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} })).toBe(200);
    expect(await rawMcp(c.replicas[1]!.base, key, sid, null, 'DELETE')).toBe(200);
    for (const r of c.replicas) expect(await rawMcp(r.base, key, sid, { jsonrpc: '2.0', id: 8, method: 'tools/list', params: {} })).toBe(404);
    // Another key cannot use a live session on any replica either.
    const other = await c.createKey();
    const live = await c.connect(key);
    const sid2 = (live.transport as { sessionId?: string }).sessionId!;
    for (const r of c.replicas) expect(await rawMcp(r.base, other, sid2, { jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} })).toBe(403);
    await live.close();
  });

  it('the compress cache answers on other replicas (exact and semantic); a memory written on one replica is found by search on another with a warm vector cache', async () => {
    const key = await c.createKey('pro');
    const [a, b] = c.replicas;
    const post = async (base: string, p: string, body: unknown) => {
      const res = await fetch(base + p, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any };
    };
    const first = await post(a!.base, '/v1/tools/compress_text', { text: TEXT, fidelity: 'outline' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const again = await post(b!.base, '/v1/tools/compress_text', { text: TEXT, fidelity: 'outline' });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-cache-hit')).toBe('true');
    expect(again.headers.get('x-cache-source')).toBe('exact');
    expect(again.body.compressed).toBe(first.body.compressed);
    // A near-duplicate on the third replica: the semantic cache (vectors in the store) answers.
    const near = await post(c.replicas[2]!.base, '/v1/tools/compress_text', { text: TEXT.replace('Paragraph 7:', 'Paragraph seven:'), fidelity: 'outline' });
    expect(near.status).toBe(200);
    expect(near.headers.get('x-cache-source')).toBe('semantic');

    // B searches first (its vector table for the scope is now in memory), then A writes, then B searches again.
    expect((await post(a!.base, '/v1/memories', { text: 'The staging database lives in the Frankfurt region.', dedupe: false })).status).toBe(200);
    const warm = await post(b!.base, '/v1/memories/search', { query: 'where is the staging database', top_k: 5, mode: 'semantic' });
    expect(warm.status).toBe(200);
    const added = await post(a!.base, '/v1/memories', { text: 'Invoices are archived to cold storage every Sunday night.', dedupe: false });
    expect(added.status).toBe(200);
    const found = await post(b!.base, '/v1/memories/search', { query: 'when are invoices archived to cold storage', top_k: 5, mode: 'semantic' });
    expect(found.body.results.map((r: { id: string }) => r.id)).toContain(added.body.id);
  });

  it.skipIf(!haproxy)('through a real HAProxy (round-robin, /ready health checks): one session is served by several replicas', async () => {
    const lb = await startHaproxy(haproxy!, c.replicas.map((r) => new URL(r.base).host));
    try {
      const key = await c.createKey();
      const client = await c.connect(key, { url: `${lb.url}/mcp` });
      for (let i = 0; i < 6; i++) expect((await callTool(client, 'estimate_tokens', { text: `through the balancer ${i}` })).isError).toBe(false);
      const sid = (client.transport as { sessionId?: string }).sessionId!;
      const serving = c.replicas.filter((r) => logged(r, 'mcp session opened').some((l) => l.session === sid) || logged(r, 'mcp session continued on this replica').some((l) => l.session === sid));
      expect(serving.length).toBeGreaterThanOrEqual(2);
      await client.close();
    } finally {
      await lb.stop();
    }
  });

  it('SIGTERM: the replica stops taking new work (/ready 503), finishes the call in flight, and the session carries on elsewhere', async () => {
    const key = await c.createKey();
    const client = await c.connect(key);
    await client.listTools();
    const victim = c.replicas[2]!;
    // A call in flight on the victim when SIGTERM arrives.
    const inflight = fetch(`${victim.base}/v1/tools/compress_text`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: TEXT.repeat(20), fidelity: 'abstract', use_cache: false }),
    });
    await new Promise((r) => setTimeout(r, 30));
    victim.proc.child.kill('SIGTERM');
    const readiness: number[] = [];
    for (let i = 0; i < 5 && victim.alive; i++) {
      try {
        readiness.push((await fetch(`${victim.base}/ready`)).status);
      } catch {
        break; // already closed its listener
      }
    }
    expect(readiness.length).toBeGreaterThan(0);
    expect(readiness.every((s) => s === 503)).toBe(true);
    expect((await inflight).status).toBe(200);
    await new Promise<void>((r) => (victim.proc.child.exitCode !== null ? r() : victim.proc.child.once('exit', () => r())));
    expect(victim.proc.child.exitCode).toBe(0);
    victim.alive = false;
    for (let i = 0; i < 4; i++) expect((await callTool(client, 'estimate_tokens', { text: `after the drain ${i}` })).isError).toBe(false);
    await client.close();
  });
});
