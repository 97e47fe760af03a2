// search_memory latency at 10,000 memories in one project, with the offline embedder.
// Memories are sentences of the CMake documentation Debian ships (/usr/share/cmake-*/Help, reST),
// written through MemoryService.add (embedding + near-duplicate check + FTS) on a temp data dir.
// Queries are five content words of a randomly chosen memory, shuffled, so each has a known answer.
// Prints one JSON object. Target: hybrid search median ≤ 20 ms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { AccountsService } from '../src/services/accounts.js';
import { MemoryService, type SearchMode } from '../src/services/memory.js';
import { settleAfterLoad } from './corpus/settle.js';
import { cmakeHelpDir, cmakeSentences, latencyStats, rng, round3, shuffle } from './corpus/sentences.js';

const TARGET = Number(process.env.BENCH_MEMORIES ?? 10_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);

const stats = latencyStats;
const round = round3;

async function main() {
  const corpusDir = cmakeHelpDir();
  const r = rng(42);
  const pool = shuffle(cmakeSentences(corpusDir), r);
  if (pool.length < TARGET) throw new Error(`corpus has ${pool.length} sentences, need ${TARGET}`);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-memory-'));
  const app = await createApp(loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline' }), createLogger('silent'));
  try {
    const { user, project } = await app.deps.service(AccountsService).createUser('bench');
    const scope = { ownerId: user.id, projectId: project.id };
    const mem = app.deps.service(MemoryService);
    await app.deps.embedder(); // load the word vectors outside the timings

    // Loading is not what is measured: skip the per-commit fsync while filling the store.
    app.deps.store.sqlite?.pragma('synchronous = OFF');
    const ids: string[] = [];
    const texts = new Map<string, string>();
    let merged = 0;
    let next = 0;
    const t0 = performance.now();
    while (texts.size < TARGET && next < pool.length) {
      const res = await mem.add(scope, { text: pool[next++]!, tags: [`t${next % 20}`] });
      if (res.merged) merged++;
      else ids.push(res.id);
      texts.set(res.id, res.memory.text);
    }
    const loadMs = performance.now() - t0;
    app.deps.store.sqlite?.pragma('synchronous = FULL');
    const settled = await settleAfterLoad(app.deps.store);
    const stored = (await mem.list(scope, { limit: 1, offset: 0, order: 'newest' })).total;

    // A query is five content words of one memory, shuffled: the memory is the known answer.
    const queries: Array<{ id: string; q: string }> = [];
    while (queries.length < QUERIES) {
      const id = ids[Math.floor(r() * ids.length)]!;
      const words = [...new Set((texts.get(id)!.toLowerCase().match(/[a-z][a-z_]{3,}/g) ?? []))];
      if (words.length < 5) continue;
      queries.push({ id, q: shuffle(words, r).slice(0, 5).join(' ') });
    }

    // First search after a restart pays for loading the scope's vectors: a new service instance
    // starts with no cached vectors, exactly as a restarted server does.
    const c0 = performance.now();
    await new MemoryService(app.deps).search(scope, { query: queries[0]!.q, topK: 5, mode: 'hybrid' });
    const coldMs = performance.now() - c0;

    // Wall time depends on what else the machine runs; CPU time of this process is reported beside
    // it (user + system), which is what a search costs when it has a core to itself.
    const run = async (mode: SearchMode, filter: object = {}) => {
      const times: number[] = [];
      const cpu: number[] = [];
      let hits = 0;
      for (const [i, { id, q }] of queries.entries()) {
        const c = process.cpuUsage();
        const s = performance.now();
        const res = await mem.search(scope, { query: q, topK: 5, mode, ...filter });
        const wall = performance.now() - s;
        const used = process.cpuUsage(c);
        if (i > 0) {
          // the first call warms statement caches
          times.push(wall);
          cpu.push((used.user + used.system) / 1000);
        }
        if (res.results.some((x) => x.id === id)) hits++;
      }
      const c = stats(cpu);
      return { ...stats(times), cpu_median_ms: c.median_ms, cpu_p95_ms: c.p95_ms, recall_at_5: round(hits / queries.length) };
    };
    const hybrid = await run('hybrid');
    const semantic = await run('semantic');
    const keyword = await run('keyword');
    const hybridTagged = await run('hybrid', { tags: ['t3', 't7'] });

    const result = {
      bench: 'memory',
      corpus: `${corpusDir} (${pool.length} prose sentences)`,
      embedder: (await app.deps.embedder()).id,
      memories: stored,
      near_duplicates_merged_while_loading: merged,
      load: { adds: next, seconds: round(loadMs / 1000), adds_per_sec: Math.round(next / (loadMs / 1000)), note: app.deps.store.backend === 'sqlite' ? 'synchronous=OFF while loading' : 'postgres: every add committed', after: settled },
      queries: QUERIES,
      top_k: 5,
      search_ms: { hybrid, semantic, keyword, hybrid_tag_filtered: { ...hybridTagged, note: 'recall counts only answers carrying t3/t7' } },
      cold_first_search_ms: round(coldMs),
      target: { hybrid_median_ms: 20, met_wall: hybrid.median_ms <= 20, met_cpu: hybrid.cpu_median_ms <= 20 },
      machine: { cpus: os.cpus().length, loadavg_1m: round(os.loadavg()[0]!), node: process.version },
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
