// Okapi BM25 over an in-memory corpus. Used wherever lexical relevance is needed (compression's
// query blend, code search, blast radius); stored stores rank through src/store/retrieval (SQLite:
// FTS5's bm25; PostgreSQL: the in-memory keyword index over the rows' tsvectors, which scores with
// bm25Idf / bm25Term below), queried with the same word forms.

export interface Bm25Options { k1?: number; b?: number }

/** BM25 parameters (FTS5's defaults). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** A term's weight among `n` documents of which `df` contain it (never negative, unlike the classic form). */
export function bm25Idf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** One term's share of a document's score: its weight, saturated frequency and length normalisation. */
export function bm25Term(idf: number, tf: number, length: number, avgLength: number, k1 = BM25_K1, b = BM25_B): number {
  const norm = 1 - b + (b * length) / (avgLength || 1);
  return (idf * tf * (k1 + 1)) / (tf + k1 * norm);
}

/**
 * Words of a text, each with the forms it is indexed under: the lower-cased word first, then (for
 * identifiers) its camelCase and snake_case parts. The one word splitter of the project: in-memory
 * BM25 uses it flattened (tokenize), stored-index queries use it grouped (engine/retrieval/terms.ts).
 */
export function wordForms(text: string): string[][] {
  const out: string[][] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}_$]+/gu)) {
    const word = m[0];
    const forms = [word.toLowerCase()];
    const parts = word.split(/_+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/).filter(Boolean);
    if (parts.length > 1) for (const p of parts) forms.push(p.toLowerCase());
    out.push(forms);
  }
  return out;
}

/** Lower-cased word tokens; identifiers are also split on camelCase and snake_case boundaries. */
export function tokenize(text: string): string[] {
  return wordForms(text).flat();
}

export class Bm25Index {
  private readonly docs: Map<string, number>[] = [];
  private readonly lengths: number[] = [];
  private readonly df = new Map<string, number>();
  private totalLength = 0;
  private readonly k1: number;
  private readonly b: number;

  constructor(opts: Bm25Options = {}) {
    this.k1 = opts.k1 ?? BM25_K1;
    this.b = opts.b ?? BM25_B;
  }

  /** Adds a document and returns its index. */
  add(text: string | string[]): number {
    const terms = Array.isArray(text) ? text : tokenize(text);
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    this.docs.push(tf);
    this.lengths.push(terms.length);
    this.totalLength += terms.length;
    return this.docs.length - 1;
  }

  get size(): number {
    return this.docs.length;
  }

  idf(term: string): number {
    return bm25Idf(this.docs.length, this.df.get(term) ?? 0);
  }

  /** BM25 score of every document for the query (0 where no term matches). */
  scores(query: string | string[]): Float64Array {
    const terms = [...new Set(Array.isArray(query) ? query : tokenize(query))];
    const out = new Float64Array(this.docs.length);
    const avg = this.totalLength / Math.max(1, this.docs.length);
    for (const term of terms) {
      if (!this.df.has(term)) continue;
      const idf = this.idf(term);
      for (let i = 0; i < this.docs.length; i++) {
        const f = this.docs[i]!.get(term);
        if (!f) continue;
        out[i]! += bm25Term(idf, f, this.lengths[i]!, avg, this.k1, this.b);
      }
    }
    return out;
  }

  /** Indices of the best `k` documents with a positive score, best first. */
  top(query: string | string[], k: number): Array<{ index: number; score: number }> {
    const s = this.scores(query);
    const hits: Array<{ index: number; score: number }> = [];
    s.forEach((score, index) => {
      if (score > 0) hits.push({ index, score });
    });
    return hits.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
  }
}

/** Reciprocal Rank Fusion of several rankings (lists of ids, best first). k = 60 as in Cormack et al. */
export function reciprocalRankFusion<T>(rankings: T[][], k = 60): Array<{ id: T; score: number }> {
  const scores = new Map<T, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  }
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
