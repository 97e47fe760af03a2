// Limits across replicas: a free key allowed N requests a minute gets N in total over three replicas,
// not N per replica — through Redis (rate-limiter-flexible) and, without Redis, through the store's
// rate windows on PostgreSQL; the monthly quota stays exact under concurrent calls on every replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../helpers/database.js';
import { until } from '../helpers/server.js';
import { postgresReachable, redisReachable, startCluster, type Cluster } from './cluster.js';

const pgOk = await postgresReachable();
const redisOk = pgOk && (await redisReachable());
if (!pgOk) console.warn('test/replicas/limits: PostgreSQL at 127.0.0.1:5432 is unreachable; skipping the replica tests');

const RPM_FREE = 10;
const QUOTA_PRO = 12;
const ENV = { CTXGATE_RPM_FREE: String(RPM_FREE), CTXGATE_RPM_PRO: '100000', CTXGATE_QUOTA_PRO: String(QUOTA_PRO) };

async function burst(c: Cluster, key: string, n: number, path: string, body: unknown): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const r = c.replicas[i % c.replicas.length]!;
      const res = await fetch(r.base + path, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await res.text();
      return res.status;
    }),
  );
}

const count = (xs: number[], v: number) => xs.filter((x) => x === v).length;

async function limitedInTotal(c: Cluster): Promise<void> {
  const key = await c.createKey('free', 'limited');
  const statuses = await burst(c, key, 3 * RPM_FREE, '/v1/tools/estimate_tokens', { text: 'one request' });
  expect(count(statuses, 200)).toBe(RPM_FREE);
  expect(count(statuses, 429)).toBe(2 * RPM_FREE);
}

describe.skipIf(!redisOk)('replicas: limits through Redis', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ redis: true, env: ENV });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('a free key gets its rate in total across three replicas', async () => {
    await limitedInTotal(c);
    const ready = (await (await fetch(`${c.replicas[0]!.base}/ready`)).json()) as { status: string; limiter: string };
    expect(ready).toMatchObject({ status: 'ready', limiter: 'redis' });
  });

  it('the monthly quota is exact under concurrent calls on every replica', async () => {
    const key = await c.createKey('pro', 'quota');
    // Distinct texts: cache hits do not count against the quota.
    const statuses = await Promise.all(
      Array.from({ length: 3 * QUOTA_PRO }, async (_, i) => {
        const r = c.replicas[i % 3]!;
        const res = await fetch(`${r.base}/v1/tools/compress_text`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: `Request ${i}. ` + 'The quota belongs to the account and holds across replicas. '.repeat(20), use_cache: false }),
        });
        await res.text();
        return res.status;
      }),
    );
    expect(count(statuses, 200)).toBe(QUOTA_PRO);
    expect(count(statuses, 429)).toBe(2 * QUOTA_PRO);
    const counted = await queryOne<{ n: number }>(c.app.deps, "SELECT count(*) AS n FROM usage_events WHERE tool = 'compress_text' AND counted = 1");
    expect(Number(counted!.n)).toBe(QUOTA_PRO);
  });
});

describe.skipIf(!pgOk)('replicas: limits and messages through PostgreSQL alone (no Redis)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ redis: false, replicas: 2, env: ENV });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('a free key gets its rate in total (store windows); list_changed travels by LISTEN/NOTIFY', async () => {
    await limitedInTotal(c);
    const ready = (await (await fetch(`${c.replicas[1]!.base}/ready`)).json()) as { limiter: string };
    expect(ready.limiter).toBe('store');

    let changed = 0;
    const client = await c.connect(await c.createKey(), { onListChanged: () => changed++ });
    await client.listTools();
    await new Promise((r) => setTimeout(r, 300));
    await client.callTool({ name: 'enable_toolset', arguments: { toolsets: ['jobs'] } });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('list_batch_jobs');
    await until(() => changed > 0, { ms: 10_000, what: 'tools/list_changed over NOTIFY' });
    await client.close();
  });
});
