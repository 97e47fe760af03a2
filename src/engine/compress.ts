// Skeleton assembly: rank chunks on a similarity graph, keep the best units within the fidelity's
// token budget, in original order, and format them. Pure: no I/O (vectors come in as arguments).
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
//   Skeleton = { text (formatted), plain (prose form, for structural counts), tokens, budgetTokens,
//                originalTokens, keptChunks, sections, passthrough }
//   passthrough = true when the input came back unchanged (raw, or the skeleton would not be smaller).
//   rankChunks({ chunks, vectors, query?, queryVector? }) → per-chunk scores (exported for tests/benches).
//   compressionStats(originalTokens, compressedTokens, costModel?) → the response's `stats` object.
import { Bm25Index, tokenize } from './bm25.js';
import { countTokensSteps, runCooperative, runSync, splitUnits, type Chunk, type Unit } from './chunking.js';
import { DEFAULT_DAMPING, DEFAULT_EDGE_THRESHOLD, dot, GRAPHOLOGY_MAX_EDGES, pageRank, personalizedPageRankSteps, similarityAdjacencySteps } from './graph.js';
import { countTokens, DEFAULT_MODEL, findModel, inputCost, truncateToTokens, type EncodingName } from './tokens.js';

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

interface Candidate extends Unit {
  chunk: number;
  order: number;
  tokens: number;
  headingPath: string[];
}

/** Units of every chunk (deduplicated where chunks overlap), each with its section path. */
function* collectUnits(chunks: Chunk[]): Generator<void, Candidate[], void> {
  const seen = new Set<number>();
  const out: Candidate[] = [];
  for (let ci = 0; ci < chunks.length; ci++) {
    yield;
    const c = chunks[ci]!;
    const units = splitUnits(c);
    const charsPerToken = c.text.length / Math.max(1, c.tokens);
    let path = c.headingPath;
    units.forEach((u, k) => {
      if (u.kind === 'heading' && u.title !== undefined) {
        if (!(k === 0 && path[path.length - 1] === u.title)) {
          const depth = Math.max(0, Math.min(path.length, (u.level ?? path.length + 1) - 1));
          path = [...path.slice(0, depth), u.title];
        }
      }
      if (seen.has(u.start)) return;
      seen.add(u.start);
      // Proportional estimate: exact counts for every unit would tokenise the document twice more.
      const tokens = Math.max(1, Math.round(u.text.length / charsPerToken));
      out.push({ ...u, chunk: ci, order: k, tokens, headingPath: path });
    });
  }
  return out;
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

function* skeletonSteps(opts: SkeletonOptions): Generator<void, Skeleton, void> {
  const { chunks } = opts;
  const enc = opts.encoding ?? 'o200k_base';
  const style = opts.outputStyle ?? 'prose';
  const source = opts.source ?? rebuild(chunks);
  const originalTokens =
    opts.originalTokens ?? (opts.source !== undefined ? (enc === 'o200k_base' ? yield* countTokensSteps(source) : countTokens(source, enc)) : chunks.reduce((n, c) => n + c.tokens, 0));
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
  const ranking = yield* rankSteps(opts);
  const units = yield* collectUnits(chunks);
  const query = opts.query?.trim() || '';

  // Order in which units are offered to the budget.
  let offer: Candidate[];
  if (query) {
    const bm = new Bm25Index();
    for (let i = 0; i < units.length; i++) {
      bm.add(lexicalTerms(units[i]!.text));
      if ((i & 255) === 255) yield;
    }
    const lex = normalizeMax(bm.scores(queryTerms(query)));
    // Identifiers named in the query are must-keeps — unless the whole document is about them
    // (a page on find_package mentions find_package everywhere; then they tell units apart poorly).
    const lowers = units.map((u) => u.text.toLowerCase());
    const ids = identifierTerms(query).filter((id) => lowers.filter((t) => t.includes(id)).length <= Math.max(2, 0.1 * units.length));
    const score = units.map((u, i) => {
      const idHit = ids.some((id) => lowers[i]!.includes(id)) ? 0.3 : 0;
      return 0.45 * ranking.scores[u.chunk]! + 0.55 * lex[i]! + idHit;
    });
    offer = units.map((u, i) => ({ u, s: score[i]! })).sort((a, b) => b.s - a.s || a.u.start - b.u.start).map((x) => x.u);
  } else {
    // Whole chunks in rank order; within a chunk, in reading order (its lead comes first).
    const rank = [...ranking.scores.keys()].sort((a, b) => ranking.scores[b]! - ranking.scores[a]! || a - b);
    const pos = new Map(rank.map((c, r) => [c, r]));
    offer = [...units].sort((a, b) => pos.get(a.chunk)! - pos.get(b.chunk)! || a.start - b.start);
  }

  // Each unit's section heading within its chunk: kept together with the unit when both fit.
  const headingOf = new Map<Candidate, Candidate>();
  let lastHeading: Candidate | null = null;
  let lastChunk = -1;
  for (const u of units) {
    if (u.chunk !== lastChunk) [lastHeading, lastChunk] = [null, u.chunk];
    if (u.kind === 'heading') lastHeading = u;
    else if (lastHeading) headingOf.set(u, lastHeading);
  }
  const chosen = new Set<Candidate>();
  let used = 0;
  for (const u of offer) {
    if (budget - used < 2) break;
    // A heading alone says nothing; headings come in with the content under them.
    if (u.kind === 'heading') continue;
    if (u.tokens > budget - used) continue;
    chosen.add(u);
    used += u.tokens;
    const h = headingOf.get(u);
    if (h && !chosen.has(h) && h.tokens <= budget - used) {
      chosen.add(h);
      used += h.tokens;
    }
  }
  if (chosen.size === 0) {
    // Nothing fits whole (e.g. one huge code block): keep the best unit's opening lines.
    const top = offer[0];
    if (!top) return passthrough(budget);
    const cut = truncateToTokens(top.text, budget, enc);
    const nl = cut.lastIndexOf('\n');
    const text = nl > cut.length / 2 ? cut.slice(0, nl) : cut;
    chosen.add({ ...top, text, end: top.start + text.length });
  }

  const kept = [...chosen].sort((a, b) => a.start - b.start);
  const { text, plain, sections } = format(kept, source, style, opts.source !== undefined);
  yield;
  const tokens = enc === 'o200k_base' ? yield* countTokensSteps(text) : countTokens(text, enc);
  if (tokens >= originalTokens) return passthrough(budget);
  return {
    text,
    plain,
    tokens,
    budgetTokens: budget,
    originalTokens,
    ratio,
    keptChunks: [...new Set(kept.map((u) => u.chunk))].sort((a, b) => a - b),
    sections,
    passthrough: false,
  };
}

/** Runs of units that were contiguous in the source (only whitespace between them). */
function segments(kept: Candidate[], source: string, hasSource: boolean): Candidate[][] {
  const out: Candidate[][] = [];
  for (const u of kept) {
    const prev = out[out.length - 1]?.at(-1);
    const gap = prev && hasSource && u.start >= prev.end ? source.slice(prev.end, u.start) : null;
    if (prev && gap !== null && /^[ \t]*\n?[ \t]*$/.test(gap) && prev.kind === 'sentence' && u.kind === 'sentence') out[out.length - 1]!.push(u);
    else out.push([u]);
  }
  return out;
}

function joinSegment(seg: Candidate[], source: string, hasSource: boolean): string {
  if (!hasSource || seg.length === 1) return seg.map((u) => u.text).join(' ');
  return source.slice(seg[0]!.start, seg[seg.length - 1]!.end);
}

function format(kept: Candidate[], source: string, style: OutputStyle, hasSource: boolean): { text: string; plain: string; sections: Section[] } {
  const segs = segments(kept, source, hasSource);
  const texts = segs.map((s) => joinSegment(s, source, hasSource));
  const plain = texts.join('\n\n');
  const sections: Section[] = [];
  segs.forEach((s, i) => {
    const label = s[0]!.headingPath.join(' > ') || '(untitled)';
    const body = s[0]!.kind === 'heading' ? null : texts[i]!;
    const last = sections[sections.length - 1];
    if (last && last.label === label) {
      if (body) last.content = last.content ? `${last.content}\n\n${body}` : body;
    } else sections.push({ label, content: body ?? '' });
  });
  const nonEmpty = sections.filter((s) => s.content.length > 0);
  if (style === 'prose') return { text: plain, plain, sections: nonEmpty };
  if (style === 'structured') return { text: JSON.stringify({ sections: nonEmpty }), plain, sections: nonEmpty };
  const bullets = segs.map((s, i) => {
    const t = texts[i]!;
    // Headings and code stay as they are: a dash in front would break them.
    if (s[0]!.kind === 'heading' || s[0]!.kind === 'code' || s[0]!.kind === 'table') return t;
    return `- ${t.replace(/^\s*(?:[-*+•]|\d{1,9}[.)])\s+/, '').replace(/\s*\n\s*/g, ' ')}`;
  });
  return { text: bullets.join('\n'), plain, sections: nonEmpty };
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
}

export function compressionStats(originalTokens: number, compressedTokens: number, costModel?: string | null): CompressionStats {
  const saved = Math.max(0, originalTokens - compressedTokens);
  const named = costModel ? findModel(costModel) : undefined;
  const model = named ?? findModel(DEFAULT_MODEL)!;
  const usd = inputCost(saved, model);
  return {
    original_tokens: originalTokens,
    compressed_tokens: compressedTokens,
    tokens_saved: saved,
    savings_pct: originalTokens > 0 ? Math.round((saved / originalTokens) * 1000) / 10 : 0,
    compression_ratio: compressedTokens > 0 ? Math.round((originalTokens / compressedTokens) * 100) / 100 : 1,
    estimated_cost_saved: named ? `$${usd < 0.0001 && usd > 0 ? usd.toExponential(2) : usd.toFixed(4)}` : null,
    estimated_cost_saved_usd: Math.round(usd * 1e6) / 1e6,
    cost_model: model.id,
  };
}
