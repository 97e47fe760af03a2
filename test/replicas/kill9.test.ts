// kill -9 of one replica during a stream of writes from several MCP clients: every acknowledged write
// is in the store, and each client's session carries on through the other replicas (same session id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { postgresReachable, redisReachable, startCluster, type Cluster } from './cluster.js';

const pgOk = await postgresReachable();
const redisOk = pgOk && (await redisReachable());
if (!pgOk) console.warn('test/replicas/kill9: PostgreSQL at 127.0.0.1:5432 is unreachable; skipping the replica tests');

const WORKERS = 4;
const ACK_BEFORE_KILL = 40;
const AFTER_KILL_PER_WORKER = 6;

describe.skipIf(!pgOk)('replicas: kill -9 of one replica', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ redis: redisOk, env: { CTXGATE_RPM_ENTERPRISE: '1000000' } });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('loses no acknowledged write, and the clients\' sessions continue on the other replicas', async () => {
    const key = await c.createKey('enterprise', 'writers');
    const clients: Client[] = [];
    for (let w = 0; w < WORKERS; w++) clients.push(await c.connect(key));
    const sessionIds = clients.map((cl) => (cl.transport as { sessionId?: string }).sessionId);
    const acked = new Map<string, string>();
    let sent = 0;
    let killed = false;
    let killing: Promise<void> | null = null;
    const afterKill = new Array<number>(WORKERS).fill(0);

    const worker = async (w: number) => {
      for (let i = 0; afterKill[w]! < AFTER_KILL_PER_WORKER; i++) {
        const text = `Replica durability ${w}-${i}: token ${Math.random().toString(36).slice(2)}.`;
        const wasKilled = killed;
        sent++;
        try {
          // A response stream cut off by the kill never ends: give up on it after a while (unacknowledged).
          const r = (await clients[w]!.callTool({ name: 'add_memory', arguments: { text, dedupe: false } }, undefined, { timeout: 3000 })) as { isError?: boolean; structuredContent?: { id: string } };
          if (r.isError) throw new Error(`add_memory failed: ${JSON.stringify(r)}`);
          acked.set(r.structuredContent!.id, text);
          if (wasKilled) afterKill[w]!++;
          if (acked.size >= ACK_BEFORE_KILL && !killed) {
            killed = true;
            killing = c.kill(1); // the next instant after an acknowledgement, writes still in flight
          }
        } catch (err) {
          if (!killed) throw err; // only requests cut off by the kill may fail
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await killing;
    expect(killed).toBe(true);
    expect(c.replicas[1]!.alive).toBe(false);
    // Same sessions, still answering (through the surviving replicas).
    expect(clients.map((cl) => (cl.transport as { sessionId?: string }).sessionId)).toEqual(sessionIds);
    for (const cl of clients) expect((await cl.listTools()).tools.length).toBeGreaterThan(0);

    const stored = new Map<string, string>();
    const base = c.replicas[0]!.base;
    for (let offset: number | null = 0; offset !== null; ) {
      const res = await fetch(`${base}/v1/memories?limit=100&offset=${offset}&order=oldest`, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { memories: Array<{ id: string; text: string }>; next_offset: number | null };
      for (const m of page.memories) stored.set(m.id, m.text);
      offset = page.next_offset;
    }
    const lost = [...acked.keys()].filter((id) => stored.get(id) !== acked.get(id));
    expect(lost).toEqual([]);
    // Nothing beyond what was sent: at most the writes in flight at the kill landed unacknowledged.
    expect(stored.size).toBeLessThanOrEqual(acked.size + WORKERS);
    expect(sent).toBeGreaterThanOrEqual(acked.size);
    for (const cl of clients) await cl.close().catch(() => undefined);
  });
});
