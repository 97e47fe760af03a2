// Offline embedder: load time, throughput and retrieval quality on text none of us wrote.
//
// Quality tasks (passages are the real documents Debian ships; queries are their own one-line summaries):
//   cmake: the summary sentence of each CMake reference page (/usr/share/cmake-*/Help) → that page's body
//   man:   the NAME line of each section-1 man page ("list directory contents") → its DESCRIPTION
// For each task: recall@1/5/10 and MRR of the right passage among all passages, and separation of
// related (summary, own body) vs unrelated (summary, another page's body) pairs: mean cosines and AUC.
// Variants are compared in the same run: the shipped SIF + lexical hybrid and its ablations (plain
// average, SIF without common-component removal, other `a`, lexical share/size/weighting), TF-IDF
// fitted on the task itself (a lexical ceiling), and LSA fitted on the other task (what a shipped
// LSA model would do) and on the task itself. With a MiniLM model configured, it is measured too.
//
// Run: npx tsx bench/embeddings.ts [--convert]   (--convert also times a full conversion of the source)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { createEmbedder, planEmbedder } from '../src/services/embedder.js';
import { convertWink, loadOfflineEmbedder, locateWinkSource, packCandidates, SHIPPED_SIF_OPTIONS } from '../src/engine/embeddings/offline.js';
import { decodePack, packIndexOf, type WordPack } from '../src/engine/embeddings/word-pack.js';
import { computeCommonComponent, SifEmbedder, type SifOptions } from '../src/engine/embeddings/sif.js';
import { dot } from '../src/engine/embeddings/vector.js';
import { tokenize } from '../src/engine/bm25.js';
import { countTokens, encode, decode } from '../src/engine/tokens.js';

interface Item {
  id: string;
  query: string;
  passage: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const words = (s: string) => s.split(/\s+/).filter(Boolean);

// ---------- corpora ----------

function findCmakeHelp(): string | null {
  const dirs = fs.existsSync('/usr/share') ? fs.readdirSync('/usr/share').filter((d) => /^cmake-\d/.test(d)).sort() : [];
  const d = dirs.at(-1);
  return d ? path.join('/usr/share', d, 'Help') : null;
}

/** Plain text of an rst fragment: directives, roles and markup stripped, words kept. */
function rstText(s: string): string {
  return s
    .replace(/^\.\. [\w-]+::.*$/gm, '')
    .replace(/:[\w:-]+:`([^`<]*?)(?:\s*<[^>]*>)?`/g, '$1')
    .replace(/``([^`]*)``/g, '$1')
    .replace(/[`*|]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function cmakeItems(help: string): Item[] {
  const items: Item[] = [];
  for (const sub of ['command', 'variable', 'prop_tgt', 'prop_sf', 'prop_dir', 'prop_gbl', 'prop_test', 'envvar', 'policy']) {
    const dir = path.join(help, sub);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      if (!f.endsWith('.rst')) continue;
      const raw = fs.readFileSync(path.join(dir, f), 'utf8');
      if (/^\.\. include::/m.test(raw.split('\n').slice(0, 6).join('\n'))) continue;
      const lines = raw.split('\n');
      const title = lines[0]!.trim();
      // Paragraphs after the title underline, skipping directive blocks (indented continuation lines).
      const paras = lines.slice(2).join('\n').split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p && !p.startsWith('..') && !/^[\^=~-]+$/m.test(p));
      if (paras.length < 2) continue;
      const query = rstText(paras[0]!);
      const passage = rstText(paras.slice(1).join('\n\n')).split(' ').slice(0, 250).join(' ');
      if (words(query).length < 3 || words(passage).length < 25) continue;
      // The page's own name would make this a lookup, not a semantic match: keep it out of the query.
      if (query.toLowerCase().includes(title.toLowerCase())) continue;
      items.push({ id: `${sub}/${title}`, query, passage });
    }
  }
  return items;
}

/** Plain text of roff source: requests dropped, escapes resolved to their characters. */
function roffText(s: string): string {
  return s
    .split('\n')
    .filter((l) => !/^\.(\\"|[A-Za-z]{1,2}\s*$|TH|SH|SS|PP|TP|IP|LP|P|br|sp|in|ti|nf|fi|ft|RS|RE|ad|na|hy|nh|ne|ds|de|if|ie|el)\b/.test(l))
    .map((l) => l.replace(/^\.(B|I|BR|RB|IR|RI|BI|IB|SM|SB)\s+/, ''))
    .join(' ')
    .replace(/\\f[BIRP1-4]|\\f\(..|\\f\[[^\]]*\]/g, '')
    .replace(/\\\(..|\\\[[^\]]*\]/g, ' ')
    .replace(/\\[-e]/g, (m) => (m === '\\-' ? '-' : '\\'))
    .replace(/\\[&,/|^~0 ]/g, '')
    .replace(/"/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function manItems(limit: number): Item[] {
  const dir = '/usr/share/man/man1';
  if (!fs.existsSync(dir)) return [];
  const items: Item[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (items.length >= limit) break;
    const full = path.join(dir, f);
    if (!f.endsWith('.gz') || fs.lstatSync(full).isSymbolicLink()) continue;
    let src: string;
    try {
      src = zlib.gunzipSync(fs.readFileSync(full)).toString('utf8');
    } catch {
      continue;
    }
    const name = /^\.SH "?NAME"?\s*\n([\s\S]*?)^\.SH/m.exec(src);
    const desc = /^\.SH "?DESCRIPTION"?\s*\n([\s\S]*?)(?=^\.SH|$(?![\s\S]))/m.exec(src);
    if (!name || !desc) continue;
    const nameLine = roffText(name[1]!);
    const dash = nameLine.indexOf(' - ');
    if (dash < 0) continue;
    const cmd = nameLine.slice(0, dash).split(/[ ,]/)[0]!.toLowerCase();
    const query = nameLine.slice(dash + 3).trim();
    const passage = roffText(desc[1]!).split(' ').slice(0, 200).join(' ');
    if (words(query).length < 3 || words(passage).length < 25 || query.toLowerCase().includes(cmd)) continue;
    items.push({ id: f.replace(/\.1\.gz$/, ''), query, passage });
  }
  return items;
}

// ---------- scoring ----------

type Scorer = (queries: string[], passages: string[]) => Promise<Float64Array[]>; // [q][p] similarity

function denseScorer(embed: (t: string[]) => Promise<Float32Array[]>): Scorer {
  return async (queries, passages) => {
    const q = await embed(queries);
    const p = await embed(passages);
    return q.map((qv) => Float64Array.from(p, (pv) => dot(qv, pv)));
  };
}

/** TF-IDF cosine, IDF fitted on the task's own passages: the lexical reference point. */
const tfidfScorer: Scorer = async (queries, passages) => {
  const df = new Map<string, number>();
  const docs = passages.map((p) => tokenize(p));
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string) => Math.log((passages.length + 1) / ((df.get(t) ?? 0) + 1)) + 1;
  const vec = (toks: string[]) => {
    const tf = new Map<string, number>();
    for (const t of toks) tf.set(t, (tf.get(t) ?? 0) + 1);
    const v = new Map<string, number>();
    let n = 0;
    for (const [t, c] of tf) {
      const w = (1 + Math.log(c)) * idf(t);
      v.set(t, w);
      n += w * w;
    }
    n = Math.sqrt(n) || 1;
    for (const [t, w] of v) v.set(t, w / n);
    return v;
  };
  const pv = docs.map(vec);
  const postings = new Map<string, Array<[number, number]>>();
  pv.forEach((v, i) => v.forEach((w, t) => (postings.get(t) ?? postings.set(t, []).get(t)!).push([i, w])));
  return queries.map((q) => {
    const s = new Float64Array(passages.length);
    for (const [t, w] of vec(tokenize(q))) for (const [i, pw] of postings.get(t) ?? []) s[i]! += w * pw;
    return s;
  });
};

/**
 * LSA: TF-IDF term space reduced to `k` dimensions by randomized subspace iteration on the training
 * corpus; texts are folded in by projecting their TF-IDF vector onto that subspace. Trained on the
 * *other* task's passages to see how a fixed, shipped model would fare, and on the task itself as a ceiling.
 */
function lsaScorer(train: string[], k = 100, iterations = 8): Scorer {
  const terms = (t: string) => t.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const df = new Map<string, number>();
  for (const d of train) for (const t of new Set(terms(d))) df.set(t, (df.get(t) ?? 0) + 1);
  const vocab = new Map<string, number>();
  for (const [t, c] of df) if (c >= 2 && c < train.length * 0.5) vocab.set(t, vocab.size);
  const idf = new Float64Array(vocab.size);
  for (const [t, i] of vocab) idf[i] = Math.log(train.length / df.get(t)!);
  const sparse = (text: string): Array<[number, number]> => {
    const tf = new Map<number, number>();
    for (const t of terms(text)) {
      const i = vocab.get(t);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
    }
    const v = [...tf].map(([i, c]): [number, number] => [i, (1 + Math.log(c)) * idf[i]!]);
    const n = Math.hypot(...v.map((x) => x[1])) || 1;
    return v.map(([i, w]) => [i, w / n]);
  };
  const rows = train.map(sparse);
  const V = vocab.size;
  let rnd = 12345;
  const rand = () => ((rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  let Q = Array.from({ length: k }, () => Float64Array.from({ length: V }, rand)); // k columns over terms
  const orthonormalize = (cols: Float64Array[]) => {
    for (let a = 0; a < cols.length; a++) {
      for (let b = 0; b < a; b++) {
        let d = 0;
        for (let i = 0; i < V; i++) d += cols[a]![i]! * cols[b]![i]!;
        for (let i = 0; i < V; i++) cols[a]![i]! -= d * cols[b]![i]!;
      }
      let n = 0;
      for (let i = 0; i < V; i++) n += cols[a]![i]! ** 2;
      n = Math.sqrt(n) || 1;
      for (let i = 0; i < V; i++) cols[a]![i]! /= n;
    }
  };
  orthonormalize(Q);
  for (let it = 0; it < iterations; it++) {
    // Q ← orth(Aᵀ A Q): power iteration towards the top right singular vectors.
    const Z = rows.map((r) => Float64Array.from({ length: k }, (_, c) => r.reduce((s, [i, w]) => s + w * Q[c]![i]!, 0)));
    const next = Array.from({ length: k }, () => new Float64Array(V));
    rows.forEach((r, d) => {
      for (const [i, w] of r) for (let c = 0; c < k; c++) next[c]![i]! += w * Z[d]![c]!;
    });
    orthonormalize(next);
    Q = next;
  }
  const embed = (text: string) => {
    const v = new Float32Array(k);
    for (const [i, w] of sparse(text)) for (let c = 0; c < k; c++) v[c]! += w * Q[c]![i]!;
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  };
  return denseScorer(async (t) => t.map(embed));
}

async function evaluate(items: Item[], scorer: Scorer) {
  const sims = await scorer(items.map((i) => i.query), items.map((i) => i.passage));
  const n = items.length;
  let r1 = 0, r5 = 0, r10 = 0, mrr = 0;
  const rel: number[] = [];
  const unrel: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = sims[i]!;
    const own = row[i]!;
    let better = 0;
    for (let j = 0; j < n; j++) if (j !== i && row[j]! > own) better++;
    const rank = better + 1;
    if (rank <= 1) r1++;
    if (rank <= 5) r5++;
    if (rank <= 10) r10++;
    mrr += 1 / rank;
    rel.push(own);
    unrel.push(row[(i * 7919 + 13) % n === i ? (i + 1) % n : (i * 7919 + 13) % n]!); // a fixed other page
  }
  // AUC: probability that a related pair outscores an unrelated one.
  const sortedUnrel = [...unrel].sort((a, b) => a - b);
  let auc = 0;
  for (const r of rel) {
    let lo = 0, hi = sortedUnrel.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedUnrel[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    auc += lo;
  }
  auc /= rel.length * unrel.length;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    recall_at_1: round(r1 / n),
    recall_at_5: round(r5 / n),
    recall_at_10: round(r10 / n),
    mrr: round(mrr / n),
    related_mean_cos: round(mean(rel)),
    unrelated_mean_cos: round(mean(unrel)),
    auc: round(auc),
  };
}

/** Share of word tokens found in the vocabulary, overall and if the pack were cut at smaller ranks. */
function coverage(pack: WordPack, texts: string[]) {
  const cuts = [10_000, 25_000, pack.meta.maxRank];
  const hits = new Array(cuts.length).fill(0) as number[];
  let total = 0;
  for (const t of texts) {
    for (const m of t.matchAll(/[\p{L}\p{N}]+/gu)) {
      total++;
      const i = packIndexOf(pack, m[0].toLowerCase());
      if (i < 0) continue;
      cuts.forEach((c, k) => {
        if (pack.ranks[i]! < c) hits[k]!++;
      });
    }
  }
  return Object.fromEntries(cuts.map((c, k) => [`rank_lt_${c}`, round(hits[k]! / total)]));
}

/** Loads the offline embedder in a new process (module import excluded) and times load and first embed. */
function coldLoad(dataDir: string): { load_ms: number; first_embed_ms: number } {
  const mod = pathToFileURL(path.join(projectRoot, 'src', 'engine', 'embeddings', 'offline.ts')).href;
  const code = `
    const m = await import(${JSON.stringify(mod)});
    const t0 = performance.now();
    const r = await m.loadOfflineEmbedder(m.packCandidates(${JSON.stringify(projectRoot)}, ${JSON.stringify(dataDir)}));
    const t1 = performance.now();
    await r.embedder.embed(['How do I add an executable target to the build?']);
    process.stdout.write(JSON.stringify({ load_ms: t1 - t0, first_embed_ms: performance.now() - t1 }));`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: projectRoot, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`cold load failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as { load_ms: number; first_embed_ms: number };
}

async function main() {
  const out: Record<string, unknown> = { bench: 'embeddings', node: process.version, cpus: os.cpus().length, load_average_at_start: os.loadavg().map((x) => round(x, 2)) };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-emb-'));

  // Make sure the cache exists (building it if needed), then time loads from it.
  const first = await loadOfflineEmbedder(packCandidates(projectRoot, dataDir));
  out.pack = { file: path.relative(projectRoot, first.file), bytes: fs.statSync(first.file).size, built_now: first.built, built_ms: first.built ? round(first.loadMs, 1) : null };
  const loads: number[] = [];
  let pack!: WordPack;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now(); // bypasses the per-process pack cache on purpose
    pack = decodePack(fs.readFileSync(first.file));
    new SifEmbedder(pack, SHIPPED_SIF_OPTIONS);
    loads.push(performance.now() - t0);
  }
  const svc = await createEmbedder(loadConfig({ dataDir, embedder: 'offline' }));
  // Cold start as a server sees it: a fresh process loading the pack and embedding once.
  const colds = [0, 1, 2].map(() => coldLoad(dataDir));
  out.load_ms = {
    fresh_process_load_median: round(median(colds.map((c) => c.load_ms)), 2),
    fresh_process_first_embed_median: round(median(colds.map((c) => c.first_embed_ms)), 2),
    in_process_read_decode_median: round(median(loads), 2),
    in_process_read_decode_min: round(Math.min(...loads), 2),
    in_process_read_decode_max: round(Math.max(...loads), 2),
  };
  out.vocabulary = { words: pack.meta.count, source_rank_cutoff: pack.meta.maxRank, source: pack.meta.source };

  if (process.argv.includes('--convert')) {
    const c0 = performance.now();
    const buf = convertWink(locateWinkSource());
    out.convert_ms = round(performance.now() - c0, 0);
    out.convert_bytes = buf.length;
  }

  // Throughput: a 5,000-token document cut into 20 chunks of 250 tokens, the compressor's workload.
  const help = findCmakeHelp();
  const docSource = help ? path.join(help, 'manual', 'cmake-buildsystem.7.rst') : null;
  if (docSource && fs.existsSync(docSource)) {
    const ids = encode(fs.readFileSync(docSource, 'utf8')).slice(0, 5000);
    const chunks = Array.from({ length: 20 }, (_, i) => decode(ids.slice(i * 250, (i + 1) * 250)));
    const e = svc.embedder;
    await e.embed(chunks); // warm-up (JIT)
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await e.embed(chunks);
      times.push(performance.now() - s);
    }
    const tokens = chunks.reduce((a, c) => a + countTokens(c), 0);
    out.throughput = {
      document: docSource,
      tokens,
      chunks: chunks.length,
      embed_20_chunks_median_ms: round(median(times), 2),
      embed_20_chunks_max_ms: round(Math.max(...times), 2),
      tokens_per_s: Math.round(tokens / (median(times) / 1000)),
    };
  }

  // Quality.
  const tasks: Record<string, Item[]> = {};
  if (help) tasks.cmake = cmakeItems(help);
  const man = manItems(1000);
  if (man.length) tasks.man = man;
  const sif = (opts: SifOptions) => {
    const e = new SifEmbedder(pack, opts);
    return denseScorer((t) => e.embed(t));
  };
  const shipped = SHIPPED_SIF_OPTIONS;
  const variants: Record<string, Scorer> = {
    [`shipped: ${svc.embedder.id}`]: denseScorer((t) => svc.embedder.embed(t)),
    'vocabulary cut at rank 25k': sif({ ...shipped, maxRank: 25_000 }),
    'without whole snake_case identifiers': sif({ ...shipped, wholeIdentifiers: false }),
    'lexical share 0.6': sif({ ...shipped, lexicalShare: 0.6 }),
    'lexical 256 dims': sif({ ...shipped, lexicalDims: 256 }),
    'lexical idf weights': sif({ ...shipped, lexicalWeighting: 'idf' }),
    'lexical no suffix folding': sif({ ...shipped, lexicalFold: false }),
    'with oov hash vectors': sif({ ...shipped, oov: 'hash' }),
    'lexical only': sif({ ...shipped, lexicalShare: 1 }),
    'sif+cc only (no lexical)': sif({ a: 1e-3, oov: 'skip' }),
    'sif+cc only, oov hashed': sif({ a: 1e-3, oov: 'hash' }),
    'sif+cc only, a=1e-4': sif({ a: 1e-4, common: computeCommonComponent(pack, 1e-4), oov: 'skip' }),
    'sif only, no common-component removal': sif({ removeCommon: false, oov: 'skip' }),
    'plain average of word vectors': sif({ uniformWeights: true, removeCommon: false, oov: 'skip' }),
    'tf-idf fitted on the task (reference)': tfidfScorer,
  };
  // When a MiniLM model is configured (CTXGATE_MODEL_DIR or the data-dir cache), measure it alongside.
  const envConfig = loadConfig();
  if (planEmbedder(envConfig).provider === 'minilm') {
    const m = await createEmbedder(envConfig);
    variants[`minilm: ${m.info.reason}`] = denseScorer((t) => m.embedder.embed(t));
  }
  const quality: Record<string, unknown> = {};
  for (const [name, items] of Object.entries(tasks)) {
    const others = Object.entries(tasks).filter(([n]) => n !== name).flatMap(([, its]) => its.map((i) => i.passage));
    const lsa: Record<string, Scorer> = { 'lsa-100 fitted on the task (ceiling)': lsaScorer(items.map((i) => i.passage)) };
    if (others.length) lsa['lsa-100 fitted on the other task (as shipped)'] = lsaScorer(others);
    const res: Record<string, unknown> = {
      source: name === 'cmake' ? help : '/usr/share/man/man1',
      items: items.length,
      vocabulary_coverage: coverage(pack, items.flatMap((i) => [i.query, i.passage])),
      example: { query: items[0]!.query, passage_start: items[0]!.passage.slice(0, 80) },
    };
    for (const [v, scorer] of Object.entries({ ...variants, ...lsa })) res[v] = await evaluate(items, scorer);
    quality[name] = res;
  }
  out.quality = quality;
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
