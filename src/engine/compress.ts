// Skeleton assembly: rank chunks on a similarity graph, keep the best units (headings, sentences,
// list items, table rows, code blocks; src/engine/units.ts) within the fidelity's token budget, in
// original order, with every gap marked, and format them. Pure: no I/O (vectors come in as arguments).
//   Without a query the skeleton is an outline: every top-level section's heading and most
//   informative unit first, then the first code example of each section that has one, then the rest
//   by information density (rare names, numbers, identifiers, definitions) and centrality.
//   With a query, units are ranked by BM25 over their text and full heading path, their section's
//   best score and their chunk's rank, and kept with their own heading; the best one comes with the
//   rest of the passage (table rows, list items of one paragraph) that holds every word of the query.
//   Either way: no text twice, a dependent sentence ("Defaults to …") only with what it depends on
//   (with a query, that context may be its twin, the same sentence kept in another section),
//   and the formatted output never exceeds the budget (counted exactly, trimmed if need be).
//
// CONTRACT (compress_text and the documents toolset's read_skeleton both call this, so stored
// documents are ranked exactly like inline text):
//   buildSkeleton({ chunks, vectors, fidelity?, ratio?, query?, queryVector?, outputStyle?,
//                   source?, originalTokens?, threshold?, damping? }) → Skeleton
//     chunks:   from chunkText() (stored chunks work as long as text/start/headingPath are kept).
//     vectors:  one unit-length vector per chunk, same order.
//     fidelity: abstract 5% · outline 10% · balanced 20% (default) · detailed 40% · raw (unchanged) of
//               the document's tokens; `ratio` (0..1] overrides the fidelity's share (profiles).
//     query / queryVector: query-guided mode — personalised PageRank teleporting to chunks similar to
//               the query, blended with BM25 so exact identifiers in the query are not missed.
//     source:   the original text when available (compress_text); else the text is rebuilt from chunks.
//   Skeleton = { text (formatted, with gap markers "[…]" / "[… 3 paragraphs on X]"), plain (the kept
//                source pieces only, joined by blank lines), tokens (≤ budgetTokens), budgetTokens,
//                originalTokens, keptChunks, sections, passthrough }
//   passthrough = true when the input came back unchanged (raw, or the skeleton would not be smaller).
//   rankChunks({ chunks, vectors, query?, queryVector? }) → per-chunk scores (exported for tests/benches).
//   compressionStats(originalTokens, compressedTokens, costModel?) → the response's `stats` object.
import { Bm25Index, tokenize } from './bm25.js';
import { countTokensSteps, runCooperative, runSync, type Chunk } from './chunking.js';
import { density, documentUnitsSteps, infoFrequencies, isLinkOnly, isMarkupLine, type DocUnit, type DocUnits } from './units.js';
import { DEFAULT_DAMPING, DEFAULT_EDGE_THRESHOLD, dot, GRAPHOLOGY_MAX_EDGES, pageRank, personalizedPageRankSteps, similarityAdjacencySteps } from './graph.js';
import { countTokens, DEFAULT_MODEL, findModel, inputCost, truncateToTokens, type EncodingName } from './tokens.js';
import { plural } from './plural.js';

export const FIDELITIES = ['abstract', 'outline', 'balanced', 'detailed', 'raw'] as const;
export type Fidelity = (typeof FIDELITIES)[number];
export const FIDELITY_RATIO: Record<Fidelity, number> = { abstract: 0.05, outline: 0.1, balanced: 0.2, detailed: 0.4, raw: 1 };
export const FIDELITY_DESCRIPTIONS: Record<Fidelity, string> = {
  abstract: 'Keeps ~5% of tokens: only the highest-ranked backbone. Fast fact retrieval.',
  outline: 'Keeps ~10% of tokens: top-level structure and key claims.',
  balanced: 'Keeps ~20% of tokens: the recommended default for most documents.',
  detailed: 'Keeps ~40% of tokens: for legal, medical or compliance text where a lost clause is costly.',
  raw: 'Returns the text unchanged: token counts and cost analytics only.',
};

export const OUTPUT_STYLES = ['prose', 'bullets', 'structured'] as const;
export type OutputStyle = (typeof OUTPUT_STYLES)[number];

export const VERBOSITY_STYLES = ['terse', 'normal', 'verbose'] as const;
export type VerbosityStyle = (typeof VERBOSITY_STYLES)[number];
/** Versioned constant so clients can cache the system prompt that carries it. */
export const TERSE_SUFFIX = {
  version: 'v1',
  text: 'Be concise. No filler, no hedging. State conclusions first. Omit sycophancy and preambles. Fragments are fine for prose; keep code blocks normal.',
} as const;

/** Below this many tokens a budget cannot hold a useful sentence; small documents get at least this. */
const MIN_BUDGET_TOKENS = 24;

export interface RankInput {
  chunks: Chunk[];
  vectors: Float32Array[];
  query?: string | null;
  queryVector?: Float32Array | null;
  threshold?: number;
  damping?: number;
}

export interface Ranking {
  /** Final per-chunk score in [0, 1] (1 = best). */
  scores: Float64Array;
  /** Graph centrality (PageRank, or personalised PageRank in query mode). */
  graph: Float64Array;
  /** BM25 of the query per chunk (query mode only). */
  lexical: Float64Array | null;
  /** Cosine to the query per chunk (query mode with a vector only). */
  semantic: Float64Array | null;
}

function normalizeMax(xs: ArrayLike<number>): Float64Array {
  let max = 0;
  for (let i = 0; i < xs.length; i++) max = Math.max(max, xs[i]!);
  const out = new Float64Array(xs.length);
  if (max > 0) for (let i = 0; i < xs.length; i++) out[i] = Math.max(0, xs[i]!) / max;
  return out;
}

/** Rank chunks: PageRank on the similarity graph; with a query, personalised PageRank + BM25 + cosine. */
export function rankChunks(input: RankInput): Ranking {
  return runSync(rankSteps(input));
}

function* rankSteps(input: RankInput): Generator<void, Ranking, void> {
  const { chunks, vectors } = input;
  if (vectors.length !== chunks.length) throw new Error(`rankChunks: ${chunks.length} chunks but ${vectors.length} vectors`);
  const adj = yield* similarityAdjacencySteps(vectors, input.threshold ?? DEFAULT_EDGE_THRESHOLD);
  const damping = input.damping ?? DEFAULT_DAMPING;
  const query = input.query?.trim() ? input.query.trim() : null;
  if (!query && !input.queryVector) {
    // Same result either way (tested); the generator yields between iterations on large graphs.
    const graph = adj.cols.length / 2 > GRAPHOLOGY_MAX_EDGES ? yield* personalizedPageRankSteps(adj, null, { damping }) : pageRank(adj, { damping });
    return { scores: normalizeMax(graph), graph, lexical: null, semantic: null };
  }
  let lexical: Float64Array | null = null;
  if (query) {
    const bm = new Bm25Index();
    for (const c of chunks) bm.add(lexicalTerms(c.text));
    lexical = Float64Array.from(bm.scores(queryTerms(query)));
  }
  let semantic: Float64Array | null = null;
  if (input.queryVector) semantic = Float64Array.from(vectors.map((v) => Math.max(0, dot(v, input.queryVector!))));
  const lexN = lexical ? normalizeMax(lexical) : null;
  // Sharpen cosine so the walk restarts mostly at the few chunks that really match.
  const semN = semantic ? normalizeMax(semantic.map((s) => s * s * s)) : null;
  const teleport = new Float64Array(chunks.length);
  for (let i = 0; i < chunks.length; i++) teleport[i] = (lexN ? lexN[i]! : 0) + (semN ? semN[i]! : 0);
  const graph = yield* personalizedPageRankSteps(adj, teleport, { damping });
  const graphN = normalizeMax(graph);
  const scores = new Float64Array(chunks.length);
  const wLex = lexN ? (semN ? 0.4 : 0.6) : 0;
  const wSem = semN ? (lexN ? 0.25 : 0.6) : 0;
  const wGraph = 1 - wLex - wSem;
  for (let i = 0; i < chunks.length; i++) scores[i] = wGraph * graphN[i]! + wLex * (lexN?.[i] ?? 0) + wSem * (semN?.[i] ?? 0);
  return { scores: normalizeMax(scores), graph, lexical, semantic };
}

export interface SkeletonOptions extends RankInput {
  fidelity?: Fidelity;
  /** Share of tokens to keep (0, 1]; overrides the fidelity's ratio (fidelity profiles). */
  ratio?: number;
  outputStyle?: OutputStyle;
  /** The original text, when the caller has it. */
  source?: string;
  /** Token count of the original document; default: counted from `source`, else summed over chunks. */
  originalTokens?: number;
  encoding?: EncodingName;
}

export interface Section {
  label: string;
  content: string;
}

export interface Skeleton {
  text: string;
  plain: string;
  tokens: number;
  budgetTokens: number;
  originalTokens: number;
  ratio: number;
  keptChunks: number[];
  sections: Section[];
  passthrough: boolean;
}

// Words a question is phrased with rather than about: rare in documentation, so BM25's IDF would
// otherwise reward any sentence that happens to contain "which" or "must".
const QUESTION_WORDS = new Set(
  'a an the what which who whom whose when where why how does do did is are was were be can could should would must may might will shall of to in on at for with by from as it its this that these those there i you we they my your our their me us them and or not no if then than so into about'.split(' '),
);

/** Light suffix stripping so "brackets"/"bracket", "nested"/"nest" meet (applied to both sides). */
function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** BM25 terms of a text: the shared tokenizer's terms, stemmed. */
export function lexicalTerms(text: string): string[] {
  return tokenize(text).map(stem);
}

/** BM25 terms of a query: without question words, stemmed. */
export function queryTerms(query: string): string[] {
  const terms = tokenize(query).filter((t) => !QUESTION_WORDS.has(t));
  return (terms.length ? terms : tokenize(query)).map(stem);
}

/** Tokens of the query that look like code identifiers (must-keep when present). */
function identifierTerms(query: string): string[] {
  const ids = query.match(/`[^`]+`|[A-Za-z_$][\w$]*(?:[._:][\w$]+)+|\b[a-z]+[A-Z]\w*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\w+\(\)/g) ?? [];
  return [...new Set(ids.map((s) => s.replace(/`/g, '').replace(/\(\)$/, '').toLowerCase()))];
}

function rebuild(chunks: Chunk[]): string {
  const parts: string[] = [];
  let end = -1;
  for (const c of [...chunks].sort((a, b) => a.start - b.start)) {
    if (c.end <= end) continue;
    parts.push(c.start < end ? c.text.slice(end - c.start) : (parts.length ? '\n\n' : '') + c.text);
    end = c.end;
  }
  return parts.join('');
}

/** Pick and format the skeleton (see the contract at the top of this file). */
export function buildSkeleton(opts: SkeletonOptions): Skeleton {
  return runSync(skeletonSteps(opts));
}

/** buildSkeleton that yields to the event loop every few milliseconds (large documents). */
export function buildSkeletonAsync(opts: SkeletonOptions): Promise<Skeleton> {
  return runCooperative(skeletonSteps(opts));
}

/** Separator and marker overhead charged per kept unit while selecting (exact counts come last). */
const UNIT_OVERHEAD = 2;
/**
 * A code example is offered to a query-less skeleton only when it takes at most this share of the
 * budget (a synopsis or example larger than that would crowd out the prose that says what it does).
 */
const CODE_SHARE = 0.15;
/** All the examples kept that way together take at most this share (prose says what the examples show). */
const CODE_TOTAL_SHARE = 0.2;
/** A query-less skeleton that fills less of its budget than this after trimming looks for a fuller fit… */
const FILL_TARGET = 0.97;
/** …with at most this many more selections (a binary search over the selection budget). */
const FILL_STEPS = 4;
/** Score added to the first unit under a heading or a definition term in a query-less outline. */
const OPENING_BONUS = 0.12;

/** Selection under a budget: groups of units kept together (a unit with its heading and what it depends on). */
class Picker {
  readonly chosen = new Set<number>();
  readonly groups: number[][] = [];
  private readonly seen = new Set<string>();
  used = 0;
  constructor(
    private readonly units: DocUnit[],
    readonly budget: number,
    /**
     * Query mode: a dependency chain that reaches text already kept (the same sentence said in another
     * section) stops there, the reader has it; else the unit is refused with it.
     */
    private readonly contextMayRepeat = false,
  ) {}

  cost(i: number): number {
    return this.units[i]!.tokens + UNIT_OVERHEAD;
  }

  /** The units that must come with unit i (its dependency chain, its heading), not yet kept. */
  closure(i: number, withHeading: boolean): number[] | null {
    const need: number[] = [];
    for (let k = i, guard = 0; k >= 0 && guard < 8; k = this.units[k]!.dep, guard++) {
      if (this.chosen.has(k)) break;
      if (this.seen.has(this.units[k]!.norm) && k !== i) {
        if (this.contextMayRepeat) break;
        return null; // its context was dropped as a duplicate
      }
      need.push(k);
    }
    if (withHeading) {
      // Its heading, and the definition term it explains ("``STRIDE <n>``" above "Specify the stride …").
      const { heading: h, term: t } = this.units[i]!;
      if (t >= 0 && !this.chosen.has(t) && !need.includes(t)) {
        if (this.seen.has(this.units[t]!.norm)) return null;
        need.push(t);
      }
      if (h >= 0 && !this.chosen.has(h) && !need.includes(h)) need.push(h);
    }
    return need;
  }

  /** Keep unit i with what it needs, if all of it fits and none of it repeats kept text. */
  take(i: number, withHeading = true): boolean {
    const u = this.units[i]!;
    if (this.chosen.has(i) || (u.kind !== 'heading' && this.seen.has(u.norm))) return false;
    const need = this.closure(i, withHeading);
    return !!need && this.keep(need);
  }

  /** Keep units `ids` together (one group, each with what it needs), or none of them. */
  takeAll(ids: number[]): boolean {
    const need: number[] = [];
    const norms = new Set<string>();
    for (const i of ids) {
      const u = this.units[i]!;
      // A unit that repeats kept text (or text of this group) is left out; the rest still reads.
      if (this.chosen.has(i) || need.includes(i) || (u.kind !== 'heading' && (this.seen.has(u.norm) || norms.has(u.norm)))) continue;
      const c = this.closure(i, true);
      if (!c) return false;
      for (const k of c) {
        if (need.includes(k)) continue;
        need.push(k);
        if (this.units[k]!.kind !== 'heading') norms.add(this.units[k]!.norm);
      }
    }
    return this.keep(need);
  }

  /** Keep `need` as one group, if it fits. */
  private keep(need: number[]): boolean {
    let cost = 0;
    for (const k of need) cost += this.cost(k);
    if (!need.length || this.used + cost > this.budget) return false;
    for (const k of need) {
      this.chosen.add(k);
      if (this.units[k]!.kind !== 'heading') this.seen.add(this.units[k]!.norm);
    }
    this.groups.push(need);
    this.used += cost;
    return true;
  }

  /** Undo the last kept group (the budget was exceeded once counted exactly). */
  dropLast(): number {
    const g = this.groups.pop();
    if (!g) return 0;
    let freed = 0;
    for (const k of g) {
      this.chosen.delete(k);
      this.seen.delete(this.units[k]!.norm);
      freed += this.cost(k);
    }
    this.used -= freed;
    return freed;
  }
}

function* skeletonSteps(opts: SkeletonOptions): Generator<void, Skeleton, void> {
  const { chunks } = opts;
  const enc = opts.encoding ?? 'o200k_base';
  const style = opts.outputStyle ?? 'prose';
  const source = opts.source ?? rebuild(chunks);
  const count = function* (t: string): Generator<void, number, void> {
    return enc === 'o200k_base' ? yield* countTokensSteps(t) : countTokens(t, enc);
  };
  const originalTokens = opts.originalTokens ?? (opts.source !== undefined ? yield* count(source) : chunks.reduce((n, c) => n + c.tokens, 0));
  const fidelity = opts.fidelity ?? 'balanced';
  const ratio = opts.ratio ?? FIDELITY_RATIO[fidelity];
  const passthrough = (budgetTokens: number): Skeleton => ({
    text: source,
    plain: source,
    tokens: originalTokens,
    budgetTokens,
    originalTokens,
    ratio: 1,
    keptChunks: chunks.map((_, i) => i),
    sections: [],
    passthrough: true,
  });
  if (ratio >= 1 || fidelity === 'raw' && opts.ratio === undefined || chunks.length === 0) return passthrough(originalTokens);

  const budget = Math.min(originalTokens, Math.max(Math.ceil(ratio * originalTokens), MIN_BUDGET_TOKENS));
  // A budget as large as the text (tiny inputs): nothing to leave out.
  if (budget >= originalTokens) return passthrough(budget);
  const ranking = yield* rankSteps(opts);
  const doc = yield* documentUnitsSteps(source, chunks);
  const { units } = doc;
  if (!units.length) return passthrough(budget);
  const query = opts.query?.trim() || '';
  const select = function* (b: number): Generator<void, Picker, void> {
    const p = new Picker(units, b, !!query);
    if (query) yield* selectForQuery(p, units, ranking, query, source);
    else yield* selectOutline(p, doc, ranking);
    return p;
  };
  let picker = yield* select(budget);
  let out = format(units, picker.chosen, source, style);
  let tokens = yield* count(out.text);
  if (tokens < 0.95 * budget && picker.used > 0) {
    // Estimates run high (separators, markers, chars per token): select again against a budget
    // scaled by what the first selection really cost, then trim to the true budget below.
    const again = yield* select(Math.min(Math.floor(budget * 1.3), Math.floor((budget * budget) / Math.max(1, tokens))));
    const o2 = format(units, again.chosen, source, style);
    const t2 = yield* count(o2.text);
    if (t2 > tokens) [picker, out, tokens] = [again, o2, t2];
  }
  // Exact count last: drop the latest picks until the formatted text is within the budget.

  while (tokens > budget && picker.groups.length > 1) {
    let excess = tokens - budget;
    while (excess > 0 && picker.groups.length > 1) excess -= picker.dropLast();
    out = format(units, picker.chosen, source, style);
    tokens = yield* count(out.text);
  }
  if (!query && tokens <= budget && tokens < FILL_TARGET * budget && picker.used > 0) {
    // Trimming drops whole groups, and one large group can leave much of the budget unused: look for
    // the largest selection budget whose outline still fits (a few exact counts, outline only).
    let lo = picker.used;
    let hi = Math.ceil((picker.used * budget) / Math.max(1, tokens) * 1.2);
    for (let step = 0; step < FILL_STEPS && hi - lo > 2; step++) {
      const b = Math.floor((lo + hi) / 2);
      const p2 = yield* select(b);
      const o2 = format(units, p2.chosen, source, style);
      const t2 = yield* count(o2.text);
      if (t2 > budget) hi = b;
      else {
        lo = b;
        if (t2 > tokens) [picker, out, tokens] = [p2, o2, t2];
      }
    }
  }
  if (picker.chosen.size === 0 || tokens > budget) {
    // Nothing fits whole (e.g. one huge code block): the best unit's opening lines.
    const best = picker.groups[0]?.[0] ?? units.find((u) => u.kind !== 'heading')?.idx ?? 0;
    const cut = truncateToTokens(units[best]!.text, Math.max(1, budget - 8), enc);
    const nl = cut.lastIndexOf('\n');
    const text = (nl > cut.length / 2 ? cut.slice(0, nl) : cut) + '\n[…]';
    tokens = yield* count(text);
    if (tokens >= originalTokens) return passthrough(budget);
    return { text, plain: text, tokens, budgetTokens: budget, originalTokens, ratio, keptChunks: [units[best]!.chunk], sections: [], passthrough: false };
  }
  if (tokens >= originalTokens) return passthrough(budget);
  return {
    text: out.text,
    plain: out.plain,
    tokens,
    budgetTokens: budget,
    originalTokens,
    ratio,
    keptChunks: [...new Set([...picker.chosen].map((i) => units[i]!.chunk))].sort((a, b) => a - b),
    sections: out.sections,
    passthrough: false,
  };
}

/**
 * Query mode: every unit scored by BM25 over its own text plus its full heading path (a question that
 * names a section or an API finds it), the best score in its section, and its chunk's rank (graph,
 * BM25 and cosine to the query); identifiers named in the query are must-keeps. Units are kept best
 * first, each with its own heading — the best one with the rest of its passage when the query's words
 * are all in it (a question asked in the document's own words, whose sentence runs over several table
 * rows or list items).
 */
function* selectForQuery(picker: Picker, units: DocUnit[], ranking: Ranking, query: string, source: string): Generator<void, void, void> {
  const unitTerms: string[][] = [];
  for (let i = 0; i < units.length; i++) {
    unitTerms.push(lexicalTerms(units[i]!.text));
    if ((i & 255) === 255) yield;
  }
  const score = yield* queryScoreSteps(units, unitTerms, ranking, query, picker.budget);
  const order = units.map((u) => u.idx).filter((i) => score[i]! >= 0).sort((a, b) => score[b]! - score[a]! || a - b);
  // The best unit comes with the rest of its passage when that passage holds every word of the query.
  if (order.length) {
    const passages = matchingPassages(order[0]!, units, unitTerms, source, queryTerms(query), picker.budget * MATCH_SHARE);
    for (const p of passages.slice(0, 3)) if (picker.takeAll(p)) break;
  }
  for (let k = 0; k < order.length; k++) {
    if ((k & 255) === 255) yield;
    if (picker.budget - picker.used < 3) break;
    picker.take(order[k]!);
  }
}

/** The share of a query skeleton's budget the passage matching every query word may take. */
const MATCH_SHARE = 0.5;
/**
 * Fewer words than this prove little by meeting in one passage (a section's name and a word said
 * under it): BM25 ranking alone decides.
 */
const MATCH_MIN_WORDS = 3;
/** Units a passage may span before it is widened to whole sentences, and the widening each way. */
const MATCH_MAX_UNITS = 16;
const MATCH_WIDEN_UNITS = 8;
/** A unit that ends a sentence (a table row's text before its closing bar counts). */
const SENTENCE_END = /[.!?:;]["'`)\]*_]*$/;

/**
 * Passages around unit `best` (runs of units in one paragraph: sentences, list items or table rows
 * with no blank line between them) that hold every word of the query, tightest first, each widened
 * to whole sentences (a table cell or a list of short items says one sentence over several units).
 * At most `maxTokens` each; none for a query of fewer than MATCH_MIN_WORDS words.
 */
function matchingPassages(best: number, units: DocUnit[], unitTerms: string[][], source: string, terms: string[], maxTokens: number): number[][] {
  const want = [...new Set(terms)];
  if (want.length < MATCH_MIN_WORDS) return [];
  const reach = MATCH_MAX_UNITS + MATCH_WIDEN_UNITS;
  const lo = Math.max(0, best - reach);
  const hi = Math.min(units.length - 1, best + reach);
  const sets = new Map<number, Set<string>>();
  const has = (k: number, t: string): boolean => {
    let set = sets.get(k);
    if (!set) sets.set(k, (set = new Set(unitTerms[k])));
    return set.has(t);
  };
  const joined = (k: number): boolean => {
    const a = units[k]!;
    const b = units[k + 1];
    return !!b && a.kind !== 'heading' && b.kind !== 'heading' && a.kind !== 'code' && b.kind !== 'code' && !/\n[ \t]*\n/.test(source.slice(a.end, b.start));
  };
  const endsSentence = (k: number): boolean => SENTENCE_END.test(units[k]!.text.replace(/[\s|+]+$/, ''));
  const found: Array<{ ids: number[]; tight: number }> = [];
  for (let i = lo; i <= hi; i++) {
    if (units[i]!.kind === 'heading' || !want.some((t) => has(i, t))) continue;
    // The shortest run from i that holds every word, kept only if it needs unit i (minimal).
    const missing = new Set(want);
    let tokens = 0;
    let j = i;
    for (; ; j++) {
      tokens += units[j]!.tokens;
      for (const t of missing) if (has(j, t)) missing.delete(t);
      if (!missing.size || tokens > maxTokens || j - i + 1 >= MATCH_MAX_UNITS || !joined(j)) break;
    }
    if (missing.size || tokens > maxTokens) continue;
    const tight = tokens;
    if (want.every((t) => !has(i, t) || Array.from({ length: j - i }, (_, d) => i + 1 + d).some((k) => has(k, t)))) continue;
    // Widened to the sentences it starts and ends in.
    let from = i;
    let to = j;
    while (from > i - MATCH_WIDEN_UNITS && from > 0 && joined(from - 1) && !endsSentence(from - 1) && tokens + units[from - 1]!.tokens <= maxTokens) tokens += units[--from]!.tokens;
    while (to < j + MATCH_WIDEN_UNITS && joined(to) && !endsSentence(to) && tokens + units[to + 1]!.tokens <= maxTokens) tokens += units[++to]!.tokens;
    if (best >= from && best <= to) found.push({ ids: Array.from({ length: to - from + 1 }, (_, d) => from + d), tight });
  }
  return found.sort((a, b) => a.tight - b.tight || a.ids[0]! - b.ids[0]!).map((f) => f.ids);
}

/** Each unit's score for the query (-1: never kept on its own: headings, definition terms). */
function* queryScoreSteps(units: DocUnit[], unitTerms: string[][], ranking: Ranking, query: string, budget: number): Generator<void, number[], void> {
  const bm = new Bm25Index();
  // Where a unit is: its heading path and the definition term it explains.
  const place = placesOf(units);
  for (let i = 0; i < units.length; i++) {
    bm.add([...unitTerms[i]!, ...lexicalTerms(place[i]!)]);
    if ((i & 255) === 255) yield;
  }
  const terms = queryTerms(query);
  const lex = normalizeMax(bm.scores(terms));
  // Best lexical score within each section (by full path): a well-ranked section lifts its units.
  const sectionBest = new Map<string, number>();
  const key = (i: number) => place[i]!;
  for (const u of units) sectionBest.set(key(u.idx), Math.max(sectionBest.get(key(u.idx)) ?? 0, lex[u.idx]!));
  // A question that names a section (or a term) asks what it opens with: the first units of a place
  // whose name holds most of the query's words get a bonus, fading with their position in it.
  const ordinal = placeOrdinals(units, place);
  const wanted = new Set(terms);
  const coverage = new Map<string, number>();
  const placeCoverage = (i: number): number => {
    let c = coverage.get(place[i]!);
    if (c === undefined) {
      const at = new Set(lexicalTerms(place[i]!));
      c = wanted.size ? [...wanted].filter((t) => at.has(t)).length / wanted.size : 0;
      coverage.set(place[i]!, c);
    }
    return c;
  };
  const lowers = units.map((u) => u.norm);
  // Identifiers named in the query are must-keeps — unless the whole document is about them.
  const ids = identifierTerms(query).filter((id) => lowers.filter((t) => t.includes(id)).length <= Math.max(2, 0.1 * units.length));
  const isTerm = termUnits(units);
  const score = units.map((u, i) => {
    if (u.kind === 'heading' || isTerm[i]) return -1;
    const idHit = ids.some((id) => lowers[i]!.includes(id)) ? 0.3 : 0;
    const c = placeCoverage(i);
    const lead = ordinal[i]! >= 0 ? (0.25 * c * c) / (1 + ordinal[i]!) : 0;
    const s = 0.6 * lex[i]! + 0.15 * sectionBest.get(key(i))! + 0.25 * ranking.scores[u.chunk]! + idHit + lead;
    // A unit that would take a large share of the budget (a long synopsis) must earn it — unless it is
    // the prose BM25 ranks first and every word of the query is in it (the question is asked in its words).
    if (u.kind !== 'code' && lex[i]! >= 1 && wanted.size >= MATCH_MIN_WORDS && [...wanted].every((t) => unitTerms[i]!.includes(t))) return s;
    const share = (u.tokens + UNIT_OVERHEAD) / budget;
    return share > 0.3 ? (s * 0.3) / share : s;
  });
  return score;
}

/** Units that are the definition term of another unit (they are kept with it, not on their own). */
function termUnits(units: DocUnit[]): Uint8Array {
  const out = new Uint8Array(units.length);
  // A term line alone ("``QUIET``"); a man page's "--all  Show all …" says something itself.
  for (const u of units) if (u.term >= 0 && !units[u.term]!.text.trim().includes('\n')) out[u.term] = 1;
  return out;
}

/** Each unit's position among the non-heading units of its place (heading path + term), from 0. */
function placeOrdinals(units: DocUnit[], place: string[]): Int32Array {
  const ordinal = new Int32Array(units.length).fill(-1);
  const seen = new Map<string, number>();
  for (const u of units) {
    if (u.kind === 'heading' || isMarkupLine(u.text)) continue;
    const n = seen.get(place[u.idx]!) ?? 0;
    ordinal[u.idx] = n;
    seen.set(place[u.idx]!, n + 1);
  }
  return ordinal;
}

/** Where each unit is: its heading path and the definition term it explains. */
function placesOf(units: DocUnit[]): string[] {
  return units.map((u) => [...u.headingPath, u.term >= 0 ? units[u.term]!.text : ''].join(' '));
}

/**
 * No query: an outline. Every top-level section first gets its heading and its most informative
 * unit; then the first code example of each section that has one; then the rest by information
 * density and centrality, each section's share of the rest following its share of the document.
 */
function* selectOutline(picker: Picker, doc: DocUnits, ranking: Ranking): Generator<void, void, void> {
  const { units } = doc;
  const freq = infoFrequencies(units);
  // Information per token: a unit that names and defines nothing is worth nothing here.
  const dens = normalizeMax(units.map((u) => density(u, freq, 0)));
  // Lead sentences say what follows: a block's first sentence, and more so the opening of a section
  // or of a definition (the sentence under "``NAME``"), which is what an outline is made of.
  const ordinal = placeOrdinals(units, placesOf(units));
  const isTerm = termUnits(units);
  const score = units.map((u, i) => {
    if (u.kind === 'heading') return -1;
    const lead = i > 0 && units[i - 1]!.block !== u.block ? 0.35 : 0;
    if (isTerm[i]) return -1; // a term comes with its definition, never alone
    if (ordinal[i]! < 0) return -1; // a directive line alone (".. seealso::") says nothing: never kept for itself
    if (u.kind !== 'code' && isLinkOnly(u.text)) return -1; // nor does a row of badges or a list of link targets
    const opening = ordinal[i] === 0 ? OPENING_BONUS : 0;
    return 0.55 * dens[i]! + 0.3 * ranking.scores[u.chunk]! + lead + opening;
  });
  const bySection: number[][] = Array.from({ length: doc.sections }, () => []);
  for (const u of units) if (score[u.idx]! >= 0 && u.kind !== 'code') bySection[u.section]!.push(u.idx);
  for (const list of bySection) list.sort((a, b) => score[b]! - score[a]! || a - b);
  const topHeading = new Map<number, number>();
  for (const u of units) if (u.kind === 'heading' && !topHeading.has(u.section) && u.section > 0) topHeading.set(u.section, u.idx);
  const cursor = new Int32Array(doc.sections);

  // 1. Coverage: each section's heading and best unit, before any section gets a second one.
  for (let s = 0; s < doc.sections; s++) {
    yield;
    const list = bySection[s]!;
    const h = topHeading.get(s);
    let took = false;
    for (let k = 0; k < Math.min(list.length, 4) && !took; k++) {
      const i = list[k]!;
      if (h !== undefined && !picker.chosen.has(h) && units[i]!.heading !== h) {
        // Its own heading is a subsection: keep the section's heading too.
        if (picker.used + picker.cost(h) + picker.cost(i) > picker.budget) continue;
        if (!picker.take(h, false)) continue;
      }
      took = picker.take(i);
    }
    if (!took && h !== undefined) picker.take(h, false);
  }
  // 2. The first code example of each section that has examples.
  const firstCode = new Map<number, number>();
  for (const u of units) if (u.kind === 'code' && !firstCode.has(u.section)) firstCode.set(u.section, u.idx);
  let codeUsed = 0;
  for (const i of firstCode.values()) {
    const t = units[i]!.tokens;
    if (t <= CODE_SHARE * picker.budget && codeUsed + t <= CODE_TOTAL_SHARE * picker.budget && picker.take(i)) codeUsed += t;
  }
  // 3. The rest: the best remaining unit of the section whose next unit scores highest once what it
  // already has is weighed against its size. After coverage a section's share of the skeleton
  // follows its share of the document (a long reference section is not cut to the size of a short
  // note beside it), and a section past its share must offer ever better units to get more.
  const size = new Float64Array(doc.sections);
  for (const u of units) size[u.section]! += u.tokens;
  const had = new Float64Array(doc.sections);
  for (const i of picker.chosen) had[units[i]!.section]! += units[i]!.tokens;
  const share = picker.budget / Math.max(1, units.reduce((n, u) => n + u.tokens, 0));
  for (let guard = 0; guard < units.length; guard++) {
    if ((guard & 63) === 63) yield;
    if (picker.budget - picker.used < 3) break;
    let best = -1;
    let bestScore = -Infinity;
    for (let s = 0; s < doc.sections; s++) {
      const list = bySection[s]!;
      while (cursor[s]! < list.length && picker.chosen.has(list[cursor[s]!]!)) cursor[s]!++;
      if (cursor[s]! >= list.length) continue;
      const sc = score[list[cursor[s]!]!]! / Math.sqrt(1 + had[s]! / Math.max(1e-9, share * size[s]!));
      if (sc > bestScore) {
        bestScore = sc;
        best = s;
      }
    }
    if (best < 0) break;
    const i = bySection[best]![cursor[best]!]!;
    cursor[best]!++;
    if (picker.take(i)) for (const k of picker.groups[picker.groups.length - 1]!) had[units[k]!.section]! += units[k]!.tokens;
  }
}

/**
 * A skipped heading as a gap marker names it: enough to ask for it, no more (the marker is paid for
 * out of the budget). An API signature loses its arguments, a long title is cut. Exported for its test.
 */
export function markerTitle(title: string): string {
  // An API object's arguments are cut ("connect(host, port, *, timeout=None)" → "connect()"); a
  // heading's parenthesis after a space is part of its words ("Distill (`distill`)") and stays.
  const t = title.replace(/\s+/g, ' ').replace(/(?<=[\w$\]>])\(.*$/, '()');
  return t.length > MARKER_TITLE_CHARS ? `${t.slice(0, MARKER_TITLE_CHARS - 1).trimEnd()}…` : t;
}
const MARKER_TITLE_CHARS = 40;
/** A gap marker names at most this many of the headings it skips, then counts the rest. */
const MARKER_TITLES = 1;

/** Gap marker for the units between two kept ones (or before the first / after the last). */
function gapMarker(units: DocUnit[], from: number, to: number): string | null {
  if (to <= from) return null;
  const blocks = new Set<number>();
  const titles: string[] = [];
  for (let k = from; k < to; k++) {
    const u = units[k]!;
    if (u.kind === 'heading') titles.push(markerTitle(u.title || u.text.split('\n')[0]!.trim()));
    else blocks.add(u.block);
  }
  // Within a section the reader only needs to know that something was left out; the marker's size
  // comes out of the same budget as the kept text, so it says more only where sections were skipped.
  if (!titles.length) return '[…]';
  const n = blocks.size;
  const what = plural(n, 'paragraph');
  const named = titles.slice(0, MARKER_TITLES).join('; ') + (titles.length > MARKER_TITLES ? `; +${titles.length - MARKER_TITLES} more` : '');
  return `[… ${what} on ${named}]`;
}

/** Text between two units that are adjacent in order and that a slice over both must not carry. */
function hiddenGap(between: string): boolean {
  const t = between.trim();
  return t.length > HIDDEN_GAP_CHARS && !t.split('\n').every((l) => /^\s*[|+]?[\s:=|+-]*$/.test(l));
}
/** Text left out of the units and no longer than this is kept inside a slice rather than marked. */
const HIDDEN_GAP_CHARS = 80;

function format(units: DocUnit[], chosen: Set<number>, source: string, style: OutputStyle): { text: string; plain: string; sections: Section[] } {
  const kept = [...chosen].sort((a, b) => a - b);
  // Segments: runs of consecutive units, written as the source slice that spans them (byte-exact).
  const segs: Array<{ first: DocUnit; last: DocUnit; text: string }> = [];
  for (const i of kept) {
    const cur = segs[segs.length - 1];
    // Units next to each other in order but not in the source (text the parser keeps out of the units
    // between them, e.g. rst substitution definitions) are two segments with a gap, unless what lies
    // between is short or only table rules: then the one slice is cheaper than a marker.
    if (cur && cur.last.idx === i - 1 && !hiddenGap(source.slice(cur.last.end, units[i]!.start))) {
      cur.last = units[i]!;
      cur.text = source.slice(cur.first.start, cur.last.end);
    } else segs.push({ first: units[i]!, last: units[i]!, text: units[i]!.text });
  }
  const plain = segs.map((s) => s.text).join('\n\n');
  const sections: Section[] = [];
  for (const s of segs) {
    const label = s.first.headingPath.join(' > ') || '(untitled)';
    const body = s.first.kind === 'heading' && s.first === s.last ? null : s.text;
    const last = sections[sections.length - 1];
    if (last && last.label === label) {
      if (body) last.content = last.content ? `${last.content}\n\n${body}` : body;
    } else sections.push({ label, content: body ?? '' });
  }
  const nonEmpty = sections.filter((s) => s.content.length > 0);
  if (style === 'structured') return { text: JSON.stringify({ sections: nonEmpty }), plain, sections: nonEmpty };
  const render = (s: (typeof segs)[number]): string => {
    if (style === 'prose') return s.text;
    // Bullets: headings and code stay as they are (a dash in front would break them); each run of
    // prose units in one block becomes one bullet.
    const out: string[] = [];
    let run: DocUnit[] = [];
    const flush = () => {
      if (!run.length) return;
      const t = source.slice(run[0]!.start, run[run.length - 1]!.end).trim();
      // A numbered item keeps its number (the order is often the point); other list marks become "-".
      const item = /^(?:[-*+•]|(\d{1,9}[.)]))\s+/.exec(t);
      const mark = item?.[1] ?? '-';
      const body = item ? t.slice(item[0].length) : t;
      // Prose is joined onto one line; an item with a blank line in it (a second paragraph, or a
      // literal or code block inside the item) keeps its lines as the source has them.
      out.push(`${mark} ${/\n[ \t]*\n/.test(body) ? body : body.replace(/\s*\n\s*/g, ' ')}`);
      run = [];
    };
    for (let i = s.first.idx; i <= s.last.idx; i++) {
      const u = units[i]!;
      if (u.kind === 'heading' || u.kind === 'code' || u.kind === 'table') {
        flush();
        out.push(u.text);
      } else {
        if (run.length && run[run.length - 1]!.block !== u.block) flush();
        run.push(u);
      }
    }
    flush();
    return out.join('\n');
  };
  const parts: string[] = [];
  let prevEnd = 0;
  let prev: (typeof segs)[number] | null = null;
  for (const s of segs) {
    const marker = gapMarker(units, prevEnd, s.first.idx) ?? (source.slice(prev ? prev.last.end : 0, s.first.start).trim() ? '[…]' : null);
    if (marker === '[…]' && prev && prev.last.block === s.first.block && style === 'prose' && prev.last.kind === 'sentence') {
      // A sentence or two left out inside one paragraph: marked inline.
      parts[parts.length - 1] += ` […] ${render(s)}`;
    } else {
      if (marker) parts.push(marker);
      parts.push(render(s));
    }
    prevEnd = s.last.idx + 1;
    prev = s;
  }
  const tail = gapMarker(units, prevEnd, units.length) ?? (prev && source.slice(prev.last.end).trim() ? '[…]' : null);
  if (tail) parts.push(tail);
  return { text: parts.join(style === 'bullets' ? '\n' : '\n\n'), plain, sections: nonEmpty };
}

export interface CompressionStats {
  original_tokens: number;
  compressed_tokens: number;
  tokens_saved: number;
  savings_pct: number;
  compression_ratio: number;
  /** "$0.0421"-style, only when a cost model was named. */
  estimated_cost_saved: string | null;
  /** At the named model's input price, else the default model's. */
  estimated_cost_saved_usd: number;
  cost_model: string;
  /** Set when the named cost model is not in the price table: it was priced at the default model's rate. */
  cost_note?: string;
}

export function compressionStats(originalTokens: number, compressedTokens: number, costModel?: string | null): CompressionStats {
  const saved = Math.max(0, originalTokens - compressedTokens);
  const named = costModel ? findModel(costModel) : undefined;
  const model = named ?? findModel(DEFAULT_MODEL)!;
  const usd = inputCost(saved, model);
  // An unknown name (an older or newer model than the table knows) is priced at the default rate, not
  // refused: the seed's clients send whatever model they target, and the estimate is advisory.
  const unknown = !!costModel && !named;
  return {
    ...(unknown ? { cost_note: `the named model is not in the price table; priced at ${model.id} input rates` } : {}),
    original_tokens: originalTokens,
    compressed_tokens: compressedTokens,
    tokens_saved: saved,
    savings_pct: originalTokens > 0 ? Math.round((saved / originalTokens) * 1000) / 10 : 0,
    compression_ratio: compressedTokens > 0 ? Math.round((originalTokens / compressedTokens) * 100) / 100 : 1,
    estimated_cost_saved: costModel ? `$${usd < 0.0001 && usd > 0 ? usd.toExponential(2) : usd.toFixed(4)}` : null,
    estimated_cost_saved_usd: Math.round(usd * 1e6) / 1e6,
    cost_model: model.id,
  };
}
