// Retention evaluation: how many answers survive compression, on real documents none of us wrote —
// the CMake reference pages Debian ships (/usr/share/cmake-*/Help: command/, manual/, cpack_gen/,
// generator/ pages of 1.5k–10k tokens).
//
// Questions (bench/corpus/retention/questions.json, generated once by this script with a fixed seed
// and reused): for a sentence that contains a ``literal`` occurring exactly once in its page, the
// answer is that literal (an exact span) and the question is up to six content words of the sentence
// other than the answer, in order — a keyword question whose answer is not in it.
//
// For each fidelity we report the share of answers present verbatim in the output of:
//   ours_no_query  compress (PageRank skeleton), no question given
//   ours_query     compress with the question as `query`
//   first_n        the first N tokens of the page, N = ours_query's output size for that question
//   bm25_chunks    BM25 (question; the same term processing as ours) over the same 200–400-token
//                  chunks, best chunks to the same N, the last one truncated to fit
// plus a hand-written set of natural-language questions (bench/corpus/retention/natural.json).
// Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bm25Index } from '../src/engine/bm25.js';
import { chunkText, parseBlocks, sentenceRanges } from '../src/engine/chunking.js';
import { buildSkeleton, FIDELITY_RATIO, lexicalTerms, queryTerms } from '../src/engine/compress.js';
import { countTokens, truncateToTokens } from '../src/engine/tokens.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { createEmbedder } from '../src/services/embedder.js';

const QUESTIONS_FILE = path.join(projectRoot, 'bench', 'corpus', 'retention', 'questions.json');
const PER_DOC = 4;
const FIDELITIES = ['abstract', 'outline', 'balanced', 'detailed'] as const;
const STOP = new Set(
  'the a an and or of to in on at by for with from as is are was were be been this that these those it its can may must will not no if then than into which who when where what how does do also only any all each other such use used using see set sets specified specify following given default value values option options command commands variable variables property properties'.split(' '),
);

interface Question {
  doc: string;
  question: string;
  answer: string;
}

function corpusRoot(): string {
  const share = fs.readdirSync('/usr/share').filter((d) => /^cmake-[\d.]+$/.test(d)).sort().pop();
  if (!share) throw new Error('bench/retention.ts needs the CMake docs (Debian package cmake-data): /usr/share/cmake-*/Help not found');
  return path.join('/usr/share', share, 'Help');
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function count(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}

function generate(root: string): Question[] {
  const rand = rng(20261123);
  const out: Question[] = [];
  for (const sub of ['command', 'manual', 'cpack_gen', 'generator']) {
    const dir = path.join(root, sub);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.rst')).sort()) {
      const rel = `${sub}/${f}`;
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const tokens = countTokens(text);
      if (tokens < 1500 || tokens > 10_000) continue;
      const cands: Question[] = [];
      for (const b of parseBlocks(text)) {
        if (b.kind !== 'paragraph' && b.kind !== 'list') continue;
        for (const [s, e] of sentenceRanges(text, b.start, b.end)) {
          const sent = text.slice(s, e);
          const words = sent.split(/\s+/);
          if (words.length < 12) continue;
          const lits = [...sent.matchAll(/``[^`\n]{3,40}``/g)].map((m) => m[0]).filter((l) => count(text, l) === 1);
          if (!lits.length) continue;
          const answer = lits[Math.floor(rand() * lits.length)]!;
          const rest = sent.replace(answer, ' ');
          // No word of the answer may appear in the question.
          const answerWords = new Set(answer.toLowerCase().match(/[a-z0-9_]+/g) ?? []);
          const content = [...new Set((rest.toLowerCase().match(/[a-z][a-z0-9_]+/g) ?? []).filter((w) => w.length > 2 && !STOP.has(w) && !answerWords.has(w)))];
          if (content.length < 4) continue;
          // Six words at random, kept in sentence order.
          const pick = new Set<number>();
          while (pick.size < Math.min(6, content.length)) pick.add(Math.floor(rand() * content.length));
          cands.push({ doc: rel, question: [...pick].sort((a, b) => a - b).map((i) => content[i]).join(' '), answer });
        }
      }
      // Spread the questions over the page.
      for (let k = 0; k < Math.min(PER_DOC, cands.length); k++) out.push(cands[Math.floor(((k + 0.5) * cands.length) / Math.min(PER_DOC, cands.length))]!);
    }
  }
  return out;
}

function bm25Chunks(text: string, question: string, budget: number): string {
  const chunks = chunkText(text);
  const bm = new Bm25Index();
  // Same query processing as ours (question words dropped, light stemming): only the selection differs.
  for (const c of chunks) bm.add(lexicalTerms(c.text));
  const scores = bm.scores(queryTerms(question));
  const order = [...chunks.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: Array<{ i: number; text: string }> = [];
  let used = 0;
  for (const i of order) {
    const left = budget - used;
    if (left <= 0) break;
    const c = chunks[i]!;
    if (c.tokens <= left) {
      kept.push({ i, text: c.text });
      used += c.tokens;
    } else {
      kept.push({ i, text: truncateToTokens(c.text, left) });
      used = budget;
    }
  }
  return kept.sort((a, b) => a.i - b.i).map((k) => k.text).join('\n\n');
}

const root = corpusRoot();
let questions: Question[];
let generated = false;
if (fs.existsSync(QUESTIONS_FILE)) {
  questions = (JSON.parse(fs.readFileSync(QUESTIONS_FILE, 'utf8')) as { questions: Question[] }).questions.filter((q) => fs.existsSync(path.join(root, q.doc)));
} else {
  questions = generate(root);
  fs.mkdirSync(path.dirname(QUESTIONS_FILE), { recursive: true });
  fs.writeFileSync(QUESTIONS_FILE, JSON.stringify({ source: root, generated_by: 'bench/retention.ts', seed: 20261123, questions }, null, 1) + '\n');
  generated = true;
}

const { embedder, info } = await createEmbedder(loadConfig({ dataDir: process.env.CTXGATE_DATA_DIR ?? path.join(os.tmpdir(), 'ctxgate-bench-data') }));
type Arm = 'ours_no_query' | 'ours_query' | 'first_n' | 'bm25_chunks';

async function evaluate(set: Question[]): Promise<Record<string, unknown>> {
  const kept: Record<string, Record<Arm, number>> = {};
  const budgets: Record<string, number[]> = {};
  for (const f of FIDELITIES) {
    kept[f] = { ours_no_query: 0, ours_query: 0, first_n: 0, bm25_chunks: 0 };
    budgets[f] = [];
  }
  const byDoc = new Map<string, Question[]>();
  for (const q of set) byDoc.set(q.doc, [...(byDoc.get(q.doc) ?? []), q]);
  for (const [doc, qs] of byDoc) {
    const text = fs.readFileSync(path.join(root, doc), 'utf8');
    const original = countTokens(text);
    const chunks = chunkText(text);
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    const qvecs = await embedder.embed(qs.map((q) => q.question));
    for (const f of FIDELITIES) {
      const plain = buildSkeleton({ chunks, vectors, fidelity: f, source: text, originalTokens: original });
      qs.forEach((q, k) => {
        const guided = buildSkeleton({ chunks, vectors, fidelity: f, source: text, originalTokens: original, query: q.question, queryVector: qvecs[k] });
        const budget = guided.tokens;
        budgets[f]!.push(budget / original);
        if (plain.text.includes(q.answer)) kept[f]!.ours_no_query++;
        if (guided.text.includes(q.answer)) kept[f]!.ours_query++;
        if (truncateToTokens(text, budget).includes(q.answer)) kept[f]!.first_n++;
        if (bm25Chunks(text, q.question, budget).includes(q.answer)) kept[f]!.bm25_chunks++;
      });
    }
  }
  const pct = (n: number) => Math.round((1000 * n) / set.length) / 10;
  const results: Record<string, unknown> = { documents: byDoc.size, questions: set.length };
  for (const f of FIDELITIES) {
    const b = budgets[f]!;
    results[f] = {
      target_ratio: FIDELITY_RATIO[f],
      mean_output_ratio: Math.round((b.reduce((a, x) => a + x, 0) / b.length) * 1000) / 1000,
      kept_pct: Object.fromEntries(Object.entries(kept[f]!).map(([k, v]) => [k, pct(v)])),
    };
  }
  return results;
}

const NATURAL_FILE = path.join(projectRoot, 'bench', 'corpus', 'retention', 'natural.json');
const natural = (JSON.parse(fs.readFileSync(NATURAL_FILE, 'utf8')) as { questions: Question[] }).questions.filter((q) => {
  const p = path.join(root, q.doc);
  return fs.existsSync(p) && fs.readFileSync(p, 'utf8').includes(q.answer);
});
const t0 = performance.now();
const keywordResults = await evaluate(questions);
const naturalResults = await evaluate(natural);
console.log(
  JSON.stringify({
    corpus: root,
    questions_file: path.relative(projectRoot, QUESTIONS_FILE),
    questions_generated_this_run: generated,
    embedder: info.id,
    keyword_questions: keywordResults,
    natural_questions: { file: path.relative(projectRoot, NATURAL_FILE), ...naturalResults },
    target: 'ours_query at outline >= 90% and above first_n and bm25_chunks',
    elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
  }),
);
