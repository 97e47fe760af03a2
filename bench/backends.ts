// The store's benchmarks on both backends, side by side in one run: memory search at 10,000 items
// (bench/memory.ts), document search over 1,000 documents and ingest throughput (bench/documents.ts).
// Each runs in its own process, once on SQLite (a temp data dir) and once on PostgreSQL (a fresh
// database created here and dropped afterwards; CTXGATE_BENCH_PG_URL names the maintenance database,
// default the local server's `test`). Prints one JSON object with the figures beside the baseline
// measured on SQLite before the data layer (issue 12) and whether each is within 10% of it.
// `npx tsx bench/backends.ts [memory] [documents]` runs a subset.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { createDatabase, dropDatabase } from '../test/helpers/database.js';

const ADMIN_URL = process.env.CTXGATE_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** SQLite figures before the change (issue 12): the bar neither backend may miss by more than 10%. */
const BASELINE = { memory_hybrid_median_ms: 10.2, document_hybrid_median_ms: 14.8, ingest_tokens_per_s: 17_275 };
const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const benches = ['memory', 'documents'].filter((b) => wanted.length === 0 || wanted.includes(b));

function run(name: string, env: Record<string, string>): any {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.ts`)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const out = r.stdout.trim();
  const start = out.indexOf('{');
  try {
    if (r.status === 0 && start >= 0) return JSON.parse(out.slice(start));
  } catch {
    /* reported below */
  }
  return { error: `exit ${r.status}`, output: out.slice(-2000) };
}

async function onBackend(name: string, backend: 'sqlite' | 'postgres'): Promise<any> {
  process.stderr.write(`bench ${name} on ${backend} ...\n`);
  if (backend === 'sqlite') return run(name, { CTXGATE_DATABASE_URL: '' });
  const db = `ctxgate_bench_${crypto.randomBytes(6).toString('hex')}`;
  const url = await createDatabase(db, ADMIN_URL);
  try {
    return run(name, { CTXGATE_DATABASE_URL: url });
  } finally {
    await dropDatabase(db, ADMIN_URL);
  }
}

/** One figure on both backends beside the baseline, and whether each is within 10% of it. */
function compare(base: number, higherIsBetter: boolean, pick: (r: any) => number | undefined, sqlite: unknown, postgres: unknown) {
  const within = (v: number | undefined) => (v === undefined ? null : higherIsBetter ? v >= base * 0.9 : v <= base * 1.1);
  const s = pick(sqlite);
  const p = pick(postgres);
  return { baseline: base, sqlite: s, postgres: p, sqlite_within_10pct: within(s), postgres_within_10pct: within(p) };
}

/** One figure on both backends (no baseline to hold it to). */
function side(pick: (r: any) => number | undefined, sqlite: unknown, postgres: unknown) {
  return { sqlite: pick(sqlite), postgres: pick(postgres) };
}

const results: Record<string, unknown> = {};
const summary: Record<string, unknown> = {};
for (const name of benches) {
  const sqlite = await onBackend(name, 'sqlite');
  const postgres = await onBackend(name, 'postgres');
  results[name] = { sqlite, postgres };
  if (name === 'memory') {
    summary.memory_hybrid_median_ms = compare(BASELINE.memory_hybrid_median_ms, false, (r) => r?.search_ms?.hybrid?.median_ms, sqlite, postgres);
    summary.memory_hybrid_p95_ms = side((r) => r?.search_ms?.hybrid?.p95_ms, sqlite, postgres);
    summary.memory_hybrid_cpu_median_ms = side((r) => r?.search_ms?.hybrid?.cpu_median_ms, sqlite, postgres);
    // Both backends answer the same keyword query alike (issue 12): recall of the known answer.
    summary.memory_recall_at_5 = Object.fromEntries(
      ['hybrid', 'semantic', 'keyword'].map((m) => [m, side((r) => r?.search_ms?.[m]?.recall_at_5, sqlite, postgres)]),
    );
  } else {
    summary.document_hybrid_median_ms = compare(BASELINE.document_hybrid_median_ms, false, (r) => r?.search?.hybrid?.median_ms, sqlite, postgres);
    summary.document_hybrid_p95_ms = side((r) => r?.search?.hybrid?.p95_ms, sqlite, postgres);
    summary.document_hit_at_5 = Object.fromEntries(['hybrid', 'semantic', 'keyword'].map((m) => [m, side((r) => r?.search?.[m]?.hit_at_5, sqlite, postgres)]));
    summary.ingest_tokens_per_s = compare(BASELINE.ingest_tokens_per_s, true, (r) => r?.ingest?.tokens_per_s, sqlite, postgres);
  }
}
console.log(JSON.stringify({ bench: 'backends', summary, results }, null, 2));
