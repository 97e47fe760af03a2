// One scope's keyword index held in memory: an inverted index (term -> rows with their term
// frequency), each row's length, and Okapi BM25 (bm25.ts, FTS5's parameters) over one or more such
// indexes. The store builds it from terms the database already produced (PostgreSQL's tsvector:
// the indexed text went through the database's one text processing, so no second tokeniser lives
// here) and keeps it beside the scope's vector table, under the same change stamp. Searching it costs
// a pass over the postings of the query's terms, not a ranking of every matching row in SQL.
import { bm25Idf, bm25Term } from '../bm25.js';
import { TopK, type Scored } from './topk.js';
import type { TermMode } from './terms.js';

interface Postings {
  slots: number[];
  tfs: number[];
}

/**
 * What a row costs in the cache's 4-byte units, beyond its postings: its id, length, term list and
 * map entry. Estimates of V8's layout (8-byte array elements, ~64-byte map entries), kept on the
 * safe side so the bound over-counts rather than under-counts.
 */
const ROW_UNITS = 24;
/** Per posting (row, frequency): two 8-byte array elements, plus the row's reference to the term. */
const POSTING_UNITS = 6;
/** Per distinct term: its map entry, string header and two arrays (its characters counted apart). */
const TERM_UNITS = 40;

export class KeywordIndex {
  private readonly ids: number[] = [];
  private readonly lens: number[] = [];
  /** The terms of each slot's row (to unindex it); empty for a free slot. */
  private readonly rowTerms: string[][] = [];
  private readonly slotOf = new Map<number, number>();
  private readonly free: number[] = [];
  private readonly postings = new Map<string, Postings>();
  private totalLength = 0;
  private units = 0;

  /** Rows indexed. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Total length of the rows (tokens): with size, the average row length of BM25. */
  get length(): number {
    return this.totalLength;
  }

  /** Estimated memory in 4-byte units, the unit of the vector cache's bound. */
  get floats(): number {
    return this.units;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  /** Rows containing `term`. */
  df(term: string): number {
    return this.postings.get(term)?.slots.length ?? 0;
  }

  /**
   * Adds or replaces a row: its distinct terms with their frequencies, and its length in tokens
   * (the sum of the frequencies when not given).
   */
  set(id: number, terms: Iterable<readonly [string, number]>, length?: number): void {
    this.delete(id);
    const slot = this.free.pop() ?? this.ids.length;
    const list: string[] = [];
    let sum = 0;
    for (const [term, tf] of terms) {
      if (!(tf > 0)) continue;
      let p = this.postings.get(term);
      if (!p) {
        p = { slots: [], tfs: [] };
        this.postings.set(term, p);
        this.units += TERM_UNITS + Math.ceil(term.length / 2);
      }
      p.slots.push(slot);
      p.tfs.push(tf);
      list.push(term);
      sum += tf;
    }
    const len = length ?? sum;
    this.ids[slot] = id;
    this.lens[slot] = len;
    this.rowTerms[slot] = list;
    this.slotOf.set(id, slot);
    this.totalLength += len;
    this.units += ROW_UNITS + POSTING_UNITS * list.length;
  }

  delete(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const list = this.rowTerms[slot]!;
    for (const term of list) {
      const p = this.postings.get(term)!;
      const at = p.slots.lastIndexOf(slot);
      // Order within a posting list does not matter: move the last entry into the hole.
      const last = p.slots.length - 1;
      p.slots[at] = p.slots[last]!;
      p.tfs[at] = p.tfs[last]!;
      p.slots.pop();
      p.tfs.pop();
      if (p.slots.length === 0) {
        this.postings.delete(term);
        this.units -= TERM_UNITS + Math.ceil(term.length / 2);
      }
    }
    this.units -= ROW_UNITS + POSTING_UNITS * list.length;
    this.totalLength -= this.lens[slot]!;
    this.rowTerms[slot] = [];
    this.slotOf.delete(id);
    this.free.push(slot);
    return true;
  }

  /** Slots capacity (free ones included): the size of a per-slot scratch array. */
  get slots(): number {
    return this.ids.length;
  }

  /** The rows matching one query term (its lexemes all present; a phrase is read as their conjunction), with its frequency. */
  match(lexemes: readonly string[]): { slots: number[]; tfs: number[] } {
    if (lexemes.length === 0) return { slots: [], tfs: [] };
    if (lexemes.length === 1) return this.postings.get(lexemes[0]!) ?? { slots: [], tfs: [] };
    const lists = lexemes.map((l) => this.postings.get(l));
    if (lists.some((p) => !p)) return { slots: [], tfs: [] };
    const sorted = (lists as Postings[]).sort((a, b) => a.slots.length - b.slots.length);
    // A phrase matches as often as its rarest word occurs in the row.
    let tf = new Map(sorted[0]!.slots.map((s, i) => [s, sorted[0]!.tfs[i]!]));
    for (const p of sorted.slice(1)) {
      const next = new Map<number, number>();
      p.slots.forEach((s, i) => {
        const f = tf.get(s);
        if (f !== undefined) next.set(s, Math.min(f, p.tfs[i]!));
      });
      tf = next;
    }
    return { slots: [...tf.keys()], tfs: [...tf.values()] };
  }

  id(slot: number): number {
    return this.ids[slot]!;
  }

  rowLength(slot: number): number {
    return this.lens[slot]!;
  }
}

export interface KeywordSearch {
  /** The query's terms, each as the lexemes the indexed text holds for it (one, or a phrase's several). */
  terms: ReadonlyArray<readonly string[]>;
  /** `any`: a row matching any term; `all`: only rows matching every term. */
  mode: TermMode;
  k: number;
  /** Rows the result may hold; asked only of rows good enough to enter the top k. */
  accept?: (id: number) => boolean;
}

/**
 * BM25 over the rows of several indexes taken as one collection (a search over several scopes):
 * a term's weight is its inverse document frequency among all of them, a row's length is weighed
 * against their average. Best first; ties to the lower id (TopK). Scores are positive.
 */
export function searchKeyword(indexes: readonly KeywordIndex[], q: KeywordSearch): Scored[] {
  const terms = q.terms.filter((t) => t.length > 0);
  if (q.k <= 0 || terms.length === 0 || (q.mode === 'all' && terms.length < q.terms.length)) return [];
  let n = 0;
  let total = 0;
  for (const ix of indexes) {
    n += ix.size;
    total += ix.length;
  }
  if (n === 0) return [];
  const avgdl = Math.max(total / n, 1);
  const matches = indexes.map((ix) => terms.map((t) => ix.match(t)));
  const idf = terms.map((_, j) => {
    let df = 0;
    for (const m of matches) df += m[j]!.slots.length;
    return bm25Idf(n, df);
  });
  const top = new TopK(q.k);
  indexes.forEach((ix, i) => {
    const score = new Float64Array(ix.slots);
    const hits = q.mode === 'all' ? new Uint16Array(ix.slots) : null;
    const touched: number[] = [];
    matches[i]!.forEach((m, j) => {
      const w = idf[j]!;
      for (let p = 0; p < m.slots.length; p++) {
        const slot = m.slots[p]!;
        if (score[slot] === 0) touched.push(slot);
        score[slot]! += bm25Term(w, m.tfs[p]!, ix.rowLength(slot), avgdl);
        if (hits) hits[slot]!++;
      }
    });
    for (const slot of touched) {
      if (hits && hits[slot] !== terms.length) continue;
      const s = score[slot]!;
      if (!top.admits(s)) continue;
      const id = ix.id(slot);
      if (q.accept && !q.accept(id)) continue;
      top.push(id, s);
    }
  });
  return top.result();
}

/**
 * The terms of PostgreSQL's text form of a tsvector (`'word':1,4 'other':2A`): each lexeme with how
 * often it occurs (its positions; 1 when stored without them), and the row's length for BM25: its
 * distinct lexemes, as length(tsvector) counts them (what the SQL ranking used; on the document
 * benchmark it ranked as well as counting every position or better: hybrid hit@5 0.88 vs 0.865).
 * A reader of the database's output format, not a tokeniser: the words were made by the database.
 */
export function parseTsvector(text: string): { terms: Array<[string, number]>; length: number } {
  const terms: Array<[string, number]> = [];
  const re = /'((?:[^'\\]|''|\\.)*)'(?::([0-9A-D,]+))?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[1]!;
    const lexeme = raw.includes("'") || raw.includes('\\') ? raw.replace(/''/g, "'").replace(/\\(.)/g, '$1') : raw;
    let tf = 1;
    const pos = m[2];
    if (pos) for (let i = 0; i < pos.length; i++) if (pos.charCodeAt(i) === 44) tf++;
    terms.push([lexeme, tf]);
  }
  return { terms, length: terms.length };
}
