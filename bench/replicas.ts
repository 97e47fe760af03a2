// Scale-out: compress_text throughput with 1, 2 and 3 replicas (real `ctxgate serve` processes over
// one PostgreSQL database, plus Redis when reachable), and the added latency of a call sent to a
// replica other than the one that opened the MCP session. Prints one JSON object.
//   npx tsx bench/replicas.ts        (PostgreSQL at 127.0.0.1:5432 required; Redis optional)
import os from 'node:os';
import { postgresReachable, redisReachable, startCluster, type Cluster } from '../test/replicas/cluster.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const LATENCY_CALLS = 200;

const PARAGRAPH =
  'A gateway that serves many agents keeps their sessions, limits and caches in shared services, so that any replica can answer any request and a replica that stops loses nothing that was acknowledged. ';
const textFor = (i: number) => Array.from({ length: 12 }, (_, p) => `Section ${i}.${p}: ${PARAGRAPH}`).join('\n\n');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.95)]!;
}
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** compress_text calls per second with `n` replicas taking turns, CONCURRENCY callers for SECONDS. */
async function throughput(c: Cluster, key: string, n: number): Promise<{ replicas: number; calls: number; calls_per_s: number; median_ms: number; errors: number }> {
  const bases = c.replicas.slice(0, n).map((r) => r.base);
  const end = performance.now() + SECONDS * 1000;
  let next = 0;
  let calls = 0;
  let errors = 0;
  const lat: number[] = [];
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(`${bases[i % n]}/v1/tools/compress_text`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: textFor(i), fidelity: 'balanced', use_cache: false }),
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        calls++;
        lat.push(performance.now() - t0);
      } else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const s = (performance.now() - t0) / 1000;
  return { replicas: n, calls, calls_per_s: round(calls / s, 1), median_ms: round(median(lat), 1), errors };
}

async function mcp(base: string, key: string, body: unknown, sid?: string): Promise<{ sid: string | null; ms: number; status: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/mcp?response=json`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': '2025-06-18',
      ...(sid && { 'Mcp-Session-Id': sid }),
    },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return { sid: res.headers.get('mcp-session-id'), ms: performance.now() - t0, status: res.status };
}

/** Median latency of a small tools/call on the session's own replica vs another one (after its first call there). */
async function crossReplicaLatency(c: Cluster, key: string) {
  const [a, b, third] = c.replicas.map((r) => r.base);
  const init = await mcp(a!, key, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  const sid = init.sid!;
  await mcp(a!, key, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
  const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'estimate_tokens', arguments: { text: 'How many tokens is this short sentence?' } } });
  // First request on a replica that has never seen the session: it rebuilds it from the store.
  const firstElsewhere = await mcp(third!, key, call(1), sid);
  const same: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < LATENCY_CALLS; i++) {
    const s = await mcp(a!, key, call(2 * i + 2), sid);
    const o = await mcp(b!, key, call(2 * i + 3), sid);
    if (s.status !== 200 || o.status !== 200) throw new Error(`call failed: ${s.status} ${o.status}`);
    same.push(s.ms);
    other.push(o.ms);
  }
  return {
    calls_each: LATENCY_CALLS,
    origin_median_ms: round(median(same)),
    other_replica_median_ms: round(median(other)),
    added_median_ms: round(median(other) - median(same)),
    origin_p95_ms: round(p95(same)),
    other_replica_p95_ms: round(p95(other)),
    first_call_on_a_new_replica_ms: round(firstElsewhere.ms),
  };
}

if (!(await postgresReachable())) {
  console.log(JSON.stringify({ skipped: 'PostgreSQL at 127.0.0.1:5432 is unreachable' }));
  process.exit(0);
}
const redis = await redisReachable();
const c = await startCluster({ redis, env: { CTXGATE_RPM_ENTERPRISE: '100000000', CTXGATE_QUOTA_ENTERPRISE: '100000000' } });
try {
  const key = await c.createKey('enterprise', 'bench');
  // Warm every replica (tokenizer, embedder) before measuring.
  await throughput(c, key, 3).then(() => undefined);
  const runs = [];
  for (const n of [1, 2, 3]) runs.push(await throughput(c, key, n));
  const latency = await crossReplicaLatency(c, key);
  console.log(
    JSON.stringify(
      {
        machine: { cpus: os.cpus().length, note: 'replicas, PostgreSQL, Redis and the load generator share these cores' },
        shared: { store: 'postgres', bus_and_limits: redis ? 'redis' : 'postgres' },
        compress_text: { seconds_each: SECONDS, concurrency: CONCURRENCY, runs },
        cross_replica_latency: latency,
      },
      null,
      2,
    ),
  );
} finally {
  await c.close();
}
