// Document ingest throughput and search_semantic latency with 1,000 stored documents (offline embedder).
// Documents are the CMake reference pages Debian ships (/usr/share/cmake-*/Help, reST), ingested through
// DocumentsService.ingest (chunking, embedding, balanced skeleton for tokens_after, SQLite + FTS5) into a
// temp data dir. Queries are five content words of a random sentence of a random stored document, shuffled,
// so each has a known source document: hit@5 is reported beside the latencies.
// Prints one JSON object. Env: BENCH_DOCS (default 1000), BENCH_QUERIES (default 200).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { AccountsService } from '../src/services/accounts.js';
import { DocumentsService, type SearchMode } from '../src/services/documents.js';
import { cmakeHelpDir, rng, rstFiles } from './corpus/sentences.js';
import { settleAfterLoad } from './corpus/settle.js';

const TARGET = Number(process.env.BENCH_DOCS ?? 1000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const TOP_K = 5;

const STOP = new Set(
  'the a an and or of to in is are be for on with as by this that it its if from at not can when which will may are was all any these those use used using set sets value values variable'.split(' '),
);

/** Five content words of one prose sentence of the document, shuffled; null if it has none. */
function queryFor(text: string, rand: () => number): string | null {
  const sentences = text
    .split(/\n\s*\n/)
    .filter((p) => !/^\s/.test(p) && !/^\.\. /.test(p) && !/^[=\-^~*#]{3,}/m.test(p))
    .map((p) => p.replace(/:[a-z:]+:`([^`<]*)(<[^>]*>)?`/g, '$1').replace(/[`*]/g, '').replace(/\s+/g, ' '))
    .flatMap((p) => p.split(/(?<=[.!?])\s+(?=[A-Z])/))
    .filter((s) => s.split(' ').length >= 8);
  if (sentences.length === 0) return null;
  const s = sentences[Math.floor(rand() * sentences.length)]!;
  const words = [...new Set(s.toLowerCase().match(/[a-z_][a-z0-9_]{2,}/g) ?? [])].filter((w) => !STOP.has(w));
  if (words.length < 5) return null;
  for (let i = words.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [words[i], words[j]] = [words[j]!, words[i]!];
  }
  return words.slice(0, 5).join(' ');
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
}

async function main(): Promise<void> {
  const corpus = cmakeHelpDir();
  const files = rstFiles(corpus).filter((f) => fs.statSync(f).size >= 300);
  const rand = rng(42);
  // A deterministic sample spread over every section of the reference.
  const picked = files.map((f) => ({ f, r: rand() })).sort((a, b) => a.r - b.r).slice(0, TARGET).map((x) => x.f).sort();
  if (picked.length < TARGET) throw new Error(`only ${picked.length} CMake pages of ≥ 300 bytes in ${corpus}; need ${TARGET}`);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-docs-'));
  const app = await createApp(loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline' }), createLogger('silent'));
  try {
    const { user, project } = await app.deps.service(AccountsService).createUser('bench');
    const scope = { ownerId: user.id, projectId: project.id };
    const docs = app.deps.service(DocumentsService);
    const embedder = await app.deps.embedder();
    await docs.ingest(scope, { fileId: '__warmup__', text: 'Warm-up document.\n\nIt loads the tokenizer and the embedder.' });
    await docs.delete(scope, { fileId: '__warmup__' });

    const texts = picked.map((f) => fs.readFileSync(f, 'utf8'));
    let tokens = 0;
    let skeletonTokens = 0;
    let chunks = 0;
    const perDoc: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < picked.length; i++) {
      const s = performance.now();
      const r = await docs.ingest(scope, { fileId: path.relative(corpus, picked[i]!), text: texts[i]!, sourceType: 'rst' });
      perDoc.push(performance.now() - s);
      tokens += r.tokens_before;
      skeletonTokens += r.tokens_after;
      chunks += r.chunks;
    }
    const ingestSec = (performance.now() - t0) / 1000;
    const ingestCpu = process.cpuUsage(cpu0);
    const ingestCpuSec = (ingestCpu.user + ingestCpu.system) / 1e6;
    const settled = await settleAfterLoad(app.deps.store);

    const qrand = rng(7);
    const queries: Array<{ q: string; fileId: string }> = [];
    while (queries.length < QUERIES) {
      const i = Math.floor(qrand() * picked.length);
      const q = queryFor(texts[i]!, qrand);
      if (q) queries.push({ q, fileId: path.relative(corpus, picked[i]!) });
    }
    const search: Record<string, unknown> = {};
    for (const mode of ['semantic', 'keyword', 'hybrid'] as SearchMode[]) {
      const times: number[] = [];
      const cpu: number[] = [];
      let hits = 0;
      for (const { q, fileId } of queries.slice(0, 10)) await docs.search(scope, { query: q, mode, topK: TOP_K }); // warm caches
      for (const { q, fileId } of queries) {
        const c = process.cpuUsage();
        const s = performance.now();
        const r = await docs.search(scope, { query: q, mode, topK: TOP_K });
        times.push(performance.now() - s);
        const used = process.cpuUsage(c);
        cpu.push((used.user + used.system) / 1000);
        if (r.results.some((h) => h.file_id === fileId)) hits++;
      }
      search[mode] = { median_ms: pct(times, 50), p95_ms: pct(times, 95), cpu_median_ms: pct(cpu, 50), hit_at_5: Math.round((1000 * hits) / queries.length) / 1000 };
    }

    console.log(
      JSON.stringify(
        {
          corpus,
          documents: picked.length,
          chunks,
          total_tokens: tokens,
          embedder: embedder.id,
          ingest: {
            seconds: Math.round(ingestSec * 100) / 100,
            tokens_per_s: Math.round(tokens / ingestSec),
            cpu_seconds: Math.round(ingestCpuSec * 100) / 100,
            tokens_per_cpu_s: Math.round(tokens / ingestCpuSec),
            docs_per_s: Math.round((picked.length / ingestSec) * 10) / 10,
            per_doc_median_ms: pct(perDoc, 50),
            per_doc_p95_ms: pct(perDoc, 95),
            balanced_skeleton_savings_pct: Math.round((1000 * (tokens - skeletonTokens)) / tokens) / 10,
            after: settled,
          },
          search: { queries: queries.length, top_k: TOP_K, ...search },
          machine: { cpus: os.cpus().length, loadavg_1m: Math.round(os.loadavg()[0]! * 100) / 100, node: process.version },
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
