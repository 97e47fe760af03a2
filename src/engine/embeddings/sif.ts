// The offline embedder: smooth-inverse-frequency (SIF) weighted word vectors with the common
// component removed (Arora, Liang & Ma 2017). Plain averages of word vectors are dominated by frequent
// words and score every pair alike (unrelated ≈ 0.5); SIF down-weights frequent words by a/(a + p(w))
// and projects out the direction all sentences share, which is what makes scores discriminate.
//
// Word frequencies are not shipped with the vectors, only their order, so p(w) is the Zipf estimate
// for the word's rank. Words missing from the vocabulary (identifiers, product names) get a
// deterministic pseudo-random vector: unrelated to everything else, but identical wherever the same
// token occurs, so exact identifier overlap still counts.
import type { Embedder } from './types.js';
import { packIndexOf, type WordPack } from './word-pack.js';
import { normalizeInPlace } from './vector.js';

export const DEFAULT_SIF_A = 1e-3;
/** Texts embedded between event-loop yields (≈ 5 ms of work for typical 250-token chunks). */
const YIELD_EVERY = 50;

export interface SifOptions {
  /** SIF smoothing parameter a. */
  a?: number;
  /** Project out the pack's common component (default true). */
  removeCommon?: boolean;
  /** Override the pack's common component (bench experiments). */
  common?: Float32Array;
  /** Vectors for out-of-vocabulary tokens: deterministic hash vectors, or ignore them. */
  oov?: 'hash' | 'skip';
  /** Extra feature-hashed bag-of-words dimensions (0 = none): exact word overlap beside meaning. */
  lexicalDims?: number;
  /** Share of the cosine carried by the lexical part, in [0, 1] (default 0.5). */
  lexicalShare?: number;
  /** Lexical term weights: SIF's a/(a+p) (default) or IDF log(1/p) (measured slightly worse). */
  lexicalWeighting?: 'sif' | 'idf';
  /** Fold common English suffixes in the lexical part (default true). */
  lexicalFold?: boolean;
  /** Also count whole snake_case identifiers in the lexical part (default true). */
  wholeIdentifiers?: boolean;
  /** Treat words of this source rank or rarer as unknown (bench: what a smaller pack would give). */
  maxRank?: number;
  /** Use raw weights of 1 for every word (plain averaging; bench baseline only). */
  uniformWeights?: boolean;
  id?: string;
}

const EULER_GAMMA = 0.5772156649;

/** Zipf estimate of a word's unigram probability from its frequency rank (0-based). */
export function zipfProbability(rank: number, vocab: number): number {
  return 1 / ((rank + 1) * (Math.log(vocab) + EULER_GAMMA));
}

export function sifWeight(rank: number, vocab: number, a: number): number {
  return a / (a + zipfProbability(rank, vocab));
}

/** Lower-case word tokens, with camelCase / letter-digit boundaries kept as candidate split points. */
const RAW_TOKEN = /[\p{L}\p{N}]+/gu;
/** snake_case / SCREAMING_CASE identifiers, matched whole before being split into words. */
// Anchored at a word start: unanchored, a long word without "_" is rescanned from every one of its
// characters (quadratic; 1 MB of one letter took seconds). Matches are the same: leftmost is a word start.
const SNAKE_IDENT = /(?<![\p{L}\p{N}])[\p{L}\p{N}]+(?:_+[\p{L}\p{N}]+)+/gu;
const CAMEL_SPLIT = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u;

/** FNV-1a over UTF-16 code units: cheap and stable across processes. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic Gaussian-ish vector of the given norm, seeded by the token. */
export function hashVector(token: string, dim: number, norm: number): Float32Array {
  let state = hash32(token) || 1;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i += 2) {
    const u1 = Math.max(next(), 1e-12);
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    v[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < dim) v[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  normalizeInPlace(v);
  for (let i = 0; i < dim; i++) v[i] = v[i]! * norm;
  return v;
}

/**
 * The fixed common component for a pack: the direction of the expected SIF-weighted word vector under
 * the unigram distribution, i.e. what every sentence's embedding leans towards. Computed once from
 * the vocabulary alone, so it is identical on every machine and every call.
 */
export function computeCommonComponent(pack: Pick<WordPack, 'meta' | 'ranks' | 'scales' | 'rows'>, a = DEFAULT_SIF_A): Float32Array {
  const { dim, count, sourceVocab } = pack.meta;
  const acc = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    const rank = pack.ranks[i]!;
    const coef = zipfProbability(rank, sourceVocab) * sifWeight(rank, sourceVocab, a) * pack.scales[i]!;
    const off = i * dim;
    for (let d = 0; d < dim; d++) acc[d]! += coef * pack.rows[off + d]!;
  }
  return normalizeInPlace(Float32Array.from(acc));
}

interface Token {
  /** Vocabulary index, or -1 for an unknown word. */
  index: number;
  /** Lower-cased surface form. */
  word: string;
  /** Counts only in the lexical part (a whole snake_case identifier beside its words). */
  lexicalOnly?: boolean;
}

/** Crude suffix folding for the lexical part only, so "adds"/"added"/"adding" share a bucket with "add". */
function fold(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith('es')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export class SifEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly semDim: number;
  private readonly a: number;
  private readonly uniform: boolean;
  private readonly common: Float32Array | null;
  private readonly oovNorm: number;
  private readonly oov: 'hash' | 'skip';
  private readonly oovWeight: number;
  private readonly lexDims: number;
  private readonly lexShare: number;
  private readonly lexFold: boolean;
  private readonly lexIdf: boolean;
  private readonly maxRank: number;
  private readonly wholeIdentifiers: boolean;

  constructor(private readonly pack: WordPack, opts: SifOptions = {}) {
    this.id = opts.id ?? `offline-sif${pack.meta.dim}`;
    this.semDim = pack.meta.dim;
    this.lexDims = opts.lexicalDims ?? 0;
    this.lexShare = this.lexDims > 0 ? (opts.lexicalShare ?? 0.5) : 0;
    this.lexFold = opts.lexicalFold ?? true;
    this.lexIdf = opts.lexicalWeighting === 'idf';
    this.maxRank = opts.maxRank ?? Infinity;
    this.wholeIdentifiers = opts.wholeIdentifiers ?? true;
    this.dim = this.semDim + this.lexDims;
    this.a = opts.a ?? pack.meta.sifA ?? DEFAULT_SIF_A;
    this.uniform = opts.uniformWeights ?? false;
    this.oov = opts.oov ?? 'hash';
    this.oovWeight = this.uniform ? 1 : sifWeight(pack.meta.sourceVocab, pack.meta.sourceVocab, this.a);
    const common = opts.common ?? pack.common;
    this.common = (opts.removeCommon ?? true) && common.some((x) => x !== 0) ? common : null;
    // Nothing proportional to the vocabulary happens here: start-up cost is the file read alone.
    this.oovNorm = pack.meta.oovNorm ?? typicalNorm(pack);
  }

  /**
   * The words of a text. Identifiers not in the vocabulary also contribute their known parts
   * (addExecutable → add, executable); with the lexical part on, a snake_case identifier also counts
   * whole, so CMAKE_CXX_FLAGS and CMAKE_C_FLAGS stay distinct.
   */
  lookup(text: string): Token[] {
    const out: Token[] = [];
    const find = (w: string) => {
      const i = packIndexOf(this.pack, w);
      return i >= 0 && this.pack.ranks[i]! < this.maxRank ? i : -1;
    };
    const words = (chunk: string) => {
      for (const m of chunk.matchAll(RAW_TOKEN)) {
        const raw = m[0];
        const word = raw.toLowerCase();
        const index = find(word);
        if (index < 0) {
          const parts = raw.split(CAMEL_SPLIT);
          if (parts.length > 1) {
            for (const p of parts) {
              const pw = p.toLowerCase();
              const pi = find(pw);
              if (pi >= 0) out.push({ index: pi, word: pw });
            }
          }
        }
        out.push({ index, word });
      }
    };
    if (this.lexDims > 0 && this.wholeIdentifiers) {
      let last = 0;
      for (const m of text.matchAll(SNAKE_IDENT)) {
        words(text.slice(last, m.index));
        out.push({ index: -1, word: m[0].toLowerCase(), lexicalOnly: true });
        words(m[0]);
        last = m.index + m[0].length;
      }
      words(text.slice(last));
    } else {
      words(text);
    }
    return out;
  }

  private weightOf(t: Token): number {
    if (this.uniform) return 1;
    return t.index >= 0 ? sifWeight(this.pack.ranks[t.index]!, this.pack.meta.sourceVocab, this.a) : this.oovWeight;
  }

  embedOne(text: string): Float32Array {
    const { semDim, dim } = this;
    const out = new Float32Array(dim);
    const sem = out.subarray(0, semDim);
    const lex = out.subarray(semDim);
    const rows = this.pack.rows;
    let n = 0;
    const terms = this.lexDims > 0 ? new Map<string, number>() : null;
    const counts = new Map<string, number>();
    for (const t of this.lookup(text)) {
      const w = this.weightOf(t);
      if (t.lexicalOnly) {
        // no semantic contribution
      } else if (t.index >= 0) {
        const ws = w * this.pack.scales[t.index]!;
        const off = t.index * semDim;
        for (let d = 0; d < semDim; d++) sem[d]! += ws * rows[off + d]!;
        n++;
      } else if (this.oov === 'hash') {
        const v = hashVector(t.word, semDim, this.oovNorm);
        for (let d = 0; d < semDim; d++) sem[d]! += w * v[d]!;
        n++;
      }
      if (terms) {
        const key = this.lexFold ? fold(t.word) : t.word;
        const rank = t.index >= 0 ? this.pack.ranks[t.index]! : this.pack.meta.sourceVocab;
        const lw = this.lexIdf ? -Math.log(zipfProbability(rank, this.pack.meta.sourceVocab)) : w;
        if (!terms.has(key)) terms.set(key, lw); // folded variants share the first form's weight
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    if (terms) {
      // Feature hashing with sublinear term frequency: exact word overlap shows up in the cosine.
      for (const [key, lw] of terms) {
        const h = hash32(key);
        const v = (1 + Math.log(counts.get(key)!)) * lw;
        lex[h % this.lexDims]! += h & 0x80000000 ? -v : v;
      }
    }
    if (n === 0 && lex.every((x) => x === 0)) {
      // No words at all (empty or punctuation only): a stable vector of the text itself keeps the
      // contract (unit length, same text → same vector) without pretending to similarity.
      return normalizeInPlace(hashVector(`\u0000${text.trim()}`, dim, 1));
    }
    if (this.common) {
      let proj = 0;
      for (let d = 0; d < semDim; d++) proj += sem[d]! * this.common[d]!;
      for (let d = 0; d < semDim; d++) sem[d]! -= proj * this.common[d]!;
    }
    if (this.lexDims === 0) return normalizeInPlace(out);
    // Each part unit length, then mixed so cosine = (1 - share)·semantic + share·lexical.
    normalizeInPlace(sem);
    normalizeInPlace(lex);
    const ks = Math.sqrt(1 - this.lexShare);
    const kl = Math.sqrt(this.lexShare);
    for (let d = 0; d < semDim; d++) sem[d]! *= ks;
    for (let d = 0; d < lex.length; d++) lex[d]! *= kl;
    return normalizeInPlace(out);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      // Large batches (bulk ingest) yield now and then so other requests are not starved.
      if (i > 0 && i % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      out.push(this.embedOne(texts[i]!));
    }
    return out;
  }
}

/** Median norm of a sample of mid-frequency words: the scale given to out-of-vocabulary vectors. */
export function typicalNorm(pack: Pick<WordPack, 'meta' | 'scales' | 'rows'>): number {
  const { dim, count } = pack.meta;
  const norms: number[] = [];
  const step = Math.max(1, Math.floor(count / 2000));
  for (let i = Math.floor(count / 10); i < count; i += step) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += pack.rows[i * dim + d]! ** 2;
    norms.push(Math.sqrt(s) * pack.scales[i]!);
  }
  if (norms.length === 0) return 1;
  norms.sort((x, y) => x - y);
  return norms[norms.length >> 1]!;
}
