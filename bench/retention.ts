// Retention evaluation: how many exact-span answers survive compression, on four corpora of
// documentation none of us wrote, with two question sets over the same documents and halves:
//   first  bench/corpus/corpora.ts — keyword questions taken from the answer's own sentence (BM25 over
//          paragraphs finds those easily);
//   hard   bench/corpus/hard.ts — questions that name where the answer is (heading path, API object,
//          option, definition term) and expect the value said there.
// Documents are split into a `tuning` half and a `heldback` half (corpora.ts); the engine may be tuned
// on the tuning half only; the held-back half is the figure that counts.
//
// Arms, per question and fidelity (an answer is kept when it occurs verbatim in the output):
//   ours_query          compress with the question as `query`; its output size N is the budget below
//   first_n             the document's first N tokens
//   bm25_paragraphs     BM25 (same term processing as ours) over the document's paragraphs (blank-line
//                       blocks), best first up to N tokens, the last one cut to fit, in document order
// and without a query (budget M = the size of our query-less skeleton of the document):
//   ours_no_query       compress without a query
//   first_n_no_query    the first M tokens
//   even_spread         as many paragraphs as fit in M, evenly spread over the document
// The hard set also reports ours against BM25 by kind of question (`by_kind`, outline and balanced).
// A corpus that is not installed is skipped with a message saying what to install.
// Env: RETENTION_HALF=tuning|heldback (default both), RETENTION_CORPORA=cmake,man (default all),
// RETENTION_SETS=first,hard (default both; `dev` and `dev-hard` are the same methods over documents in
// neither half, bench/corpus/dev.ts — all "tuning", for tuning beyond the tuning half), RETENTION_NO_QUERY=1 (only the three query-less arms: ours,
// first-N and even spread at the skeleton's size; the query arms print 0 — seconds instead of minutes).
// The whole run takes a few minutes (`npm run bench:retention`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bm25Index } from '../src/engine/bm25.js';
import { chunkText } from '../src/engine/chunking.js';
import { buildSkeleton, FIDELITY_RATIO, lexicalTerms, queryTerms, type Fidelity } from '../src/engine/compress.js';
import { countTokens, truncateToTokens } from '../src/engine/tokens.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { createEmbedder } from '../src/services/embedder.js';
import { CORPORA, corpusInfo, questionsFile, readDoc, type CorpusName, type Question } from './corpus/corpora.js';
import { hardQuestionsFile } from './corpus/hard.js';
import { devHardQuestionsFile, devQuestionsFile } from './corpus/dev.js';

const FIDELITIES: Fidelity[] = ['outline', 'balanced', 'detailed'];
const HALVES = (process.env.RETENTION_HALF ? [process.env.RETENTION_HALF] : ['tuning', 'heldback']) as Array<'tuning' | 'heldback'>;
const WANTED = (process.env.RETENTION_CORPORA?.split(',') ?? CORPORA) as CorpusName[];
const ARMS = ['ours_query', 'bm25_paragraphs', 'first_n', 'ours_no_query', 'even_spread', 'first_n_no_query'] as const;
const NO_QUERY_ONLY = process.env.RETENTION_NO_QUERY === '1';
type Arm = (typeof ARMS)[number];

function paragraphs(text: string): string[] {
  return text.split(/\n[ \t]*\n/).filter((p) => p.trim() !== '');
}

/** Take paragraphs (given by index, in priority order) up to `budget` tokens; output in document order. */
function takeParagraphs(paras: string[], tokens: number[], order: number[], budget: number): string {
  const kept: Array<{ i: number; text: string }> = [];
  let used = 0;
  for (const i of order) {
    const left = budget - used;
    if (left <= 0) break;
    if (tokens[i]! <= left) {
      kept.push({ i, text: paras[i]! });
      used += tokens[i]!;
    } else {
      kept.push({ i, text: truncateToTokens(paras[i]!, left) });
      used = budget;
    }
  }
  return kept.sort((a, b) => a.i - b.i).map((k) => k.text).join('\n\n');
}

function bm25Paragraphs(paras: string[], tokens: number[], question: string, budget: number): string {
  const bm = new Bm25Index();
  for (const p of paras) bm.add(lexicalTerms(p));
  const scores = bm.scores(queryTerms(question));
  const order = [...paras.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b);
  return takeParagraphs(paras, tokens, order, budget);
}

/** The largest k such that k evenly spread paragraphs fit in the budget (whole paragraphs). */
function evenSpread(paras: string[], tokens: number[], budget: number): string {
  let best: number[] = [];
  for (let k = 1; k <= paras.length; k++) {
    const idx = [...new Set(Array.from({ length: k }, (_, j) => Math.floor(((j + 0.5) * paras.length) / k)))];
    const sum = idx.reduce((s, i) => s + tokens[i]!, 0);
    if (sum > budget) break;
    best = idx;
  }
  if (!best.length) return truncateToTokens(paras[Math.floor(paras.length / 2)] ?? '', budget);
  return best.map((i) => paras[i]!).join('\n\n');
}

const { embedder, info } = await createEmbedder(loadConfig({ dataDir: process.env.CTXGATE_DATA_DIR ?? path.join(os.tmpdir(), 'ctxgate-bench-data') }));

type Counts = Record<Arm, number>;
type KindTally = { questions: number; kept: Record<string, number> };
type Tally = { byKind: Map<string, KindTally>; questions: number; documents: Set<string>; kept: Record<Fidelity, Counts>; ratios: Record<Fidelity, number[]>; ratiosNoQuery: Record<Fidelity, number[]> };
const emptyTally = (): Tally => ({
  byKind: new Map(),
  questions: 0,
  documents: new Set(),
  kept: Object.fromEntries(FIDELITIES.map((f) => [f, Object.fromEntries(ARMS.map((a) => [a, 0])) as Counts])) as Record<Fidelity, Counts>,
  ratios: Object.fromEntries(FIDELITIES.map((f) => [f, []])) as unknown as Record<Fidelity, number[]>,
  ratiosNoQuery: Object.fromEntries(FIDELITIES.map((f) => [f, []])) as unknown as Record<Fidelity, number[]>,
});

async function evaluateDoc(corpus: CorpusName, doc: string, qs: Array<Question & { kind?: string }>, tally: Tally): Promise<void> {
  const text = readDoc(corpus, doc);
  const original = countTokens(text);
  const chunks = chunkText(text);
  const vectors = await embedder.embed(chunks.map((c) => c.text));
  const qvecs = NO_QUERY_ONLY ? [] : await embedder.embed(qs.map((q) => q.question));
  const paras = paragraphs(text);
  const ptokens = paras.map((p) => countTokens(p));
  tally.documents.add(doc);
  tally.questions += qs.length;
  for (const f of FIDELITIES) {
    const k = tally.kept[f];
    const plain = buildSkeleton({ chunks, vectors, fidelity: f, source: text, originalTokens: original });
    const m = plain.tokens;
    tally.ratiosNoQuery[f].push(m / original);
    const firstM = truncateToTokens(text, m);
    const spread = evenSpread(paras, ptokens, m);
    qs.forEach((q, i) => {
      if (NO_QUERY_ONLY) {
        if (plain.text.includes(q.answer)) k.ours_no_query++;
        if (firstM.includes(q.answer)) k.first_n_no_query++;
        if (spread.includes(q.answer)) k.even_spread++;
        return;
      }
      const guided = buildSkeleton({ chunks, vectors, fidelity: f, source: text, originalTokens: original, query: q.question, queryVector: qvecs[i] });
      const n = guided.tokens;
      tally.ratios[f].push(n / original);
      const oursHit = guided.text.includes(q.answer);
      const bm25Hit = bm25Paragraphs(paras, ptokens, q.question, n).includes(q.answer);
      if (oursHit) k.ours_query++;
      if (truncateToTokens(text, n).includes(q.answer)) k.first_n++;
      if (bm25Hit) k.bm25_paragraphs++;
      if (plain.text.includes(q.answer)) k.ours_no_query++;
      if (firstM.includes(q.answer)) k.first_n_no_query++;
      if (spread.includes(q.answer)) k.even_spread++;
      if (q.kind && f !== 'detailed') {
        // The harder set, by kind of question: ours against BM25 at outline and balanced.
        const kt = tally.byKind.get(q.kind) ?? { questions: 0, kept: {} };
        if (f === 'outline') kt.questions++;
        const add = (arm: string, hit: boolean) => (kt.kept[`${f}_${arm}`] = (kt.kept[`${f}_${arm}`] ?? 0) + (hit ? 1 : 0));
        add('ours_query', oursHit);
        add('bm25_paragraphs', bm25Hit);
        tally.byKind.set(q.kind, kt);
      }
    });
  }
}

const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : 0);
const mean = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000 : 0);

function report(t: Tally): Record<string, unknown> {
  const out: Record<string, unknown> = { documents: t.documents.size, questions: t.questions };
  if (t.byKind.size) out.by_kind = Object.fromEntries([...t.byKind].map(([kind, c]) => [kind, { questions: c.questions, ...Object.fromEntries(Object.entries(c.kept).map(([k, v]) => [k, pct(v, c.questions)])) }]));
  for (const f of FIDELITIES) {
    out[f] = {
      target_ratio: FIDELITY_RATIO[f],
      mean_output_ratio_query: mean(t.ratios[f]),
      mean_output_ratio_no_query: mean(t.ratiosNoQuery[f]),
      kept_pct: Object.fromEntries(ARMS.map((a) => [a, pct(t.kept[f][a], t.questions)])),
    };
  }
  return out;
}

const t0 = performance.now();

/** One question set over every corpus: per-corpus halves, totals, the targets on the held-back half. */
async function evaluateSet(fileOf: (c: CorpusName) => string): Promise<Record<string, unknown>> {
  const corpora: Record<string, unknown> = {};
  const totals: Record<string, Tally> = Object.fromEntries(HALVES.map((h) => [h, emptyTally()]));
  const perCorpus: Record<string, Record<string, Tally>> = {};
  for (const name of WANTED) {
    const ci = corpusInfo(name);
    const file = fileOf(name);
    if (!ci.root || !fs.existsSync(file)) {
      const why = !ci.root ? `corpus not installed: ${ci.missing}` : `no questions file ${path.relative(projectRoot, file)} (run npx tsx bench/corpus/generate.ts ${name})`;
      process.stderr.write(`retention: skipping ${name}: ${why}\n`);
      corpora[name] = { skipped: why };
      continue;
    }
    const all = (JSON.parse(fs.readFileSync(file, 'utf8')) as { questions: Question[] }).questions;
    perCorpus[name] = {};
    for (const half of HALVES) {
      const tally = emptyTally();
      const byDoc = new Map<string, Question[]>();
      for (const q of all.filter((x) => x.half === half)) byDoc.set(q.doc, [...(byDoc.get(q.doc) ?? []), q]);
      let missing = 0;
      for (const [doc, qs] of byDoc) {
        let present: Question[];
        try {
          const text = readDoc(name, doc);
          present = qs.filter((q) => text.includes(q.answer));
        } catch {
          present = [];
        }
        missing += qs.length - present.length;
        if (present.length) await evaluateDoc(name, doc, present, tally);
      }
      perCorpus[name][half] = tally;
      const tot = totals[half]!;
      tot.questions += tally.questions;
      for (const d of tally.documents) tot.documents.add(`${name}:${d}`);
      for (const f of FIDELITIES) {
        for (const a of ARMS) tot.kept[f][a] += tally.kept[f][a];
        tot.ratios[f].push(...tally.ratios[f]);
        tot.ratiosNoQuery[f].push(...tally.ratiosNoQuery[f]);
      }
      for (const [kind, c] of tally.byKind) {
        const t = tot.byKind.get(kind) ?? { questions: 0, kept: {} };
        t.questions += c.questions;
        for (const [k, v] of Object.entries(c.kept)) t.kept[k] = (t.kept[k] ?? 0) + v;
        tot.byKind.set(kind, t);
      }
      if (missing) process.stderr.write(`retention: ${name}/${half}: ${missing} questions skipped (installed document differs)\n`);
    }
    corpora[name] = { kind: ci.kind, package: ci.package, root: ci.root, questions_file: path.relative(projectRoot, file), ...Object.fromEntries(HALVES.map((h) => [h, report(perCorpus[name]![h]!)])) };
  }

  // The targets, checked on the held-back half.
  const checks: Record<string, boolean | string> = {};
  const hb = totals.heldback;
  if (hb && hb.questions) {
    const k = (f: Fidelity, a: Arm) => pct(hb.kept[f][a], hb.questions);
    if (!NO_QUERY_ONLY) {
      checks.heldback_outline_query_ge_90 = k('outline', 'ours_query') >= 90;
      checks.heldback_balanced_query_ge_95 = k('balanced', 'ours_query') >= 95;
      const beats = (fs: Fidelity[]) =>
        Object.values(perCorpus).every((h) => {
          const t = h.heldback;
          return !t || fs.every((f) => t.kept[f].ours_query > t.kept[f].bm25_paragraphs);
        });
      checks.heldback_query_beats_bm25_every_corpus_outline_balanced = beats(['outline', 'balanced']);
      checks.heldback_query_beats_bm25_every_corpus_every_fidelity = beats(FIDELITIES);
    }
    checks.heldback_balanced_no_query_ge_1_5x_first_n = k('balanced', 'ours_no_query') >= 1.5 * k('balanced', 'first_n_no_query');
  }
  return { corpora, all_corpora: Object.fromEntries(HALVES.map((h) => [h, report(totals[h]!)])), targets_on_heldback: checks };
}

const SET_FILES = { first: questionsFile, hard: hardQuestionsFile, dev: devQuestionsFile, 'dev-hard': devHardQuestionsFile };
const SETS = (process.env.RETENTION_SETS?.split(',') ?? ['first', 'hard']) as Array<keyof typeof SET_FILES>;
const sets: Record<string, unknown> = {};
for (const set of SETS) sets[set] = await evaluateSet(SET_FILES[set]);
console.log(
  JSON.stringify({
    embedder: info.id,
    method:
      'first: bench/corpus/corpora.ts (keyword questions from the answer sentence); hard: bench/corpus/hard.ts (questions name the heading path / API / option / term, answers are the value said there). Same documents and halves in both; figures are % of answers kept verbatim',
    heldback_is_the_figure_that_counts: true,
    ...(NO_QUERY_ONLY ? { only_no_query_arms: true } : {}),
    sets,
    elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
  }),
);
