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

export interface SifOptions {
  /** SIF smoothing parameter a. */
  a?: number;
  /** Project out the pack's common component (default true). */
  removeCommon?: boolean;
  /** Override the pack's common component (bench experiments). */
  common?: Float32Array;
  /** Vectors for out-of-vocabulary tokens: deterministic hash vectors, or ignore them. */
  oov?: 'hash' | 'skip';
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

export class SifEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly a: number;
  private readonly uniform: boolean;
  private readonly common: Float32Array | null;
  private readonly oovNorm: number;
  private readonly oov: 'hash' | 'skip';
  private readonly oovWeight: number;

  constructor(private readonly pack: WordPack, opts: SifOptions = {}) {
    this.id = opts.id ?? 'offline-sif-100d';
    this.dim = pack.meta.dim;
    this.a = opts.a ?? pack.meta.sifA ?? DEFAULT_SIF_A;
    this.uniform = opts.uniformWeights ?? false;
    this.oov = opts.oov ?? 'hash';
    this.oovWeight = this.uniform ? 1 : sifWeight(pack.meta.sourceVocab, pack.meta.sourceVocab, this.a);
    const common = opts.common ?? pack.common;
    this.common = (opts.removeCommon ?? true) && common.some((x) => x !== 0) ? common : null;
    // Nothing proportional to the vocabulary happens here: start-up cost is the file read alone.
    this.oovNorm = pack.meta.oovNorm ?? typicalNorm(pack);
  }

  /** The words a text contributes, as vocabulary indices or (for unknown tokens) the token itself. */
  lookup(text: string): Array<number | string> {
    const out: Array<number | string> = [];
    for (const m of text.matchAll(RAW_TOKEN)) {
      const raw = m[0];
      const lower = raw.toLowerCase();
      const hit = packIndexOf(this.pack, lower);
      if (hit >= 0) {
        out.push(hit);
        continue;
      }
      const parts = raw.split(CAMEL_SPLIT);
      if (parts.length > 1) {
        // An identifier such as addExecutable: its parts carry the meaning, the whole keeps identity.
        for (const p of parts) {
          const ph = packIndexOf(this.pack, p.toLowerCase());
          if (ph >= 0) out.push(ph);
        }
      }
      out.push(lower);
    }
    return out;
  }

  embedOne(text: string): Float32Array {
    const { dim } = this;
    const acc = new Float32Array(dim);
    let n = 0;
    for (const t of this.lookup(text)) {
      if (typeof t === 'number') {
        const w = (this.uniform ? 1 : sifWeight(this.pack.ranks[t]!, this.pack.meta.sourceVocab, this.a)) * this.pack.scales[t]!;
        const off = t * dim;
        const rows = this.pack.rows;
        for (let d = 0; d < dim; d++) acc[d]! += w * rows[off + d]!;
        n++;
      } else if (this.oov === 'hash') {
        const v = hashVector(t, dim, this.oovNorm);
        for (let d = 0; d < dim; d++) acc[d]! += this.oovWeight * v[d]!;
        n++;
      }
    }
    if (n === 0) {
      // No words at all (empty or punctuation only): a stable vector of the text itself keeps the
      // contract (unit length, same text → same vector) without pretending to similarity.
      return normalizeInPlace(hashVector(`\u0000${text.trim()}`, dim, 1));
    }
    if (this.common) {
      let proj = 0;
      for (let d = 0; d < dim; d++) proj += acc[d]! * this.common[d]!;
      for (let d = 0; d < dim; d++) acc[d]! -= proj * this.common[d]!;
    }
    return normalizeInPlace(acc);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
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
