// The pure parts of the retrieval index: query tokeniser, top-k, rank fusion, vector tables and the
// float-bounded, stamp-checked vector cache.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/engine/bm25.js';
import { dot } from '../../src/engine/embeddings/vector.js';
import { fts5Match, fuseRankings, MAX_QUERY_TERMS, queryTerms, topK, TopK, VectorCache, VectorTable } from '../../src/engine/retrieval/index.js';

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
}

describe('queryTerms: the one query tokeniser', () => {
  it('keeps words once, in order, with identifier parts for `any` only', () => {
    const q = queryTerms('parseHTTPResponse  max_retries Max_Retries, café!');
    expect(q.words).toEqual(['parsehttpresponse', 'max_retries', 'café']);
    expect(q.any).toEqual(['parsehttpresponse', 'parse', 'http', 'response', 'max_retries', 'max', 'retries', 'café']);
  });

  it('is the word splitter of bm25.tokenize (same forms, grouped)', () => {
    const text = 'getUserById user_id XMLParser plain';
    expect(new Set(queryTerms(text).any)).toEqual(new Set(tokenize(text)));
  });

  it('has no terms for punctuation-only input and caps long queries', () => {
    expect(queryTerms(' ?!-- "" ')).toEqual({ words: [], any: [] });
    const many = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const q = queryTerms(many);
    expect(q.words).toHaveLength(MAX_QUERY_TERMS);
    expect(q.any).toHaveLength(MAX_QUERY_TERMS);
  });

  it('renders FTS5 expressions that cannot inject operators and match like the indexed text', () => {
    expect(fts5Match(queryTerms('a OR b'), 'any')).toBe('"a" OR "or" OR "b"');
    expect(fts5Match(queryTerms('NEAR(x y) * ^col:'), 'all')).toBe('"near" AND "x" AND "y" AND "col"');
    expect(fts5Match(queryTerms('...'), 'any')).toBeNull();

    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')`);
    const rows = ['Retries the request with backoff', 'the cafe serves coffee', 'maxRetries is five', 'unrelated text'];
    rows.forEach((r, i) => db.prepare('INSERT INTO t (rowid, text) VALUES (?, ?)').run(i + 1, r));
    const match = (q: string, mode: 'any' | 'all') =>
      (db.prepare('SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid').all(fts5Match(queryTerms(q), mode)) as Array<{ rowid: number }>).map((r) => r.rowid);
    expect(match('retrying', 'any')).toEqual([1]); // stemmed like the text
    expect(match('Café', 'any')).toEqual([2]); // diacritics folded
    expect(match('maxRetries', 'any')).toEqual([1, 3]); // the identifier, and its part "retries"
    expect(match('maxRetries', 'all')).toEqual([3]); // every word as written
    expect(match('"; DROP TABLE t; --', 'any')).toEqual([]);
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(4);
  });
});

describe('top-k', () => {
  it('keeps the k best, best first, ties to the lower id, in any input order', () => {
    const items = [5, 1, 9, 3, 9, 7, 2, 8, 6, 4].map((score, i) => ({ id: 100 - i, score }));
    const want = [...items].sort((a, b) => b.score - a.score || a.id - b.id).slice(0, 4);
    expect(topK(items, 4)).toEqual(want);
    expect(topK([...items].reverse(), 4)).toEqual(want);
    expect(topK(items, 0)).toEqual([]);
    expect(topK(items, 50)).toHaveLength(10);
  });

  it('matches a full sort on a large random stream', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const items = Array.from({ length: 5000 }, (_, id) => ({ id, score: Math.round(rand() * 200) / 10 }));
    const want = [...items].sort((a, b) => b.score - a.score || a.id - b.id).slice(0, 37);
    expect(topK(items, 37)).toEqual(want);
    const t = new TopK(37);
    for (const s of items) t.push(s.id, s.score);
    expect(t.admits(want[36]!.score - 1)).toBe(false);
  });
});

describe('fusion', () => {
  it('fuses by reciprocal rank and reports each side’s rank', () => {
    const f = fuseRankings([1, 2, 3], [3, 4], 3);
    expect(f.map((h) => h.id)).toEqual([3, 1, 2]);
    expect(f[0]).toMatchObject({ id: 3, semanticRank: 3, keywordRank: 1 });
    expect(f[0]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(f[1]).toMatchObject({ id: 1, semanticRank: 1, keywordRank: null });
    expect(fuseRankings([], [9, 8], 5).map((h) => h.id)).toEqual([9, 8]);
  });
});

describe('VectorTable', () => {
  it('finds the nearest rows with filters, and survives deletes and replacements', () => {
    const t = new VectorTable<string>(3, 1);
    t.set(1, 'a', unit([1, 0, 0]));
    t.set(2, 'b', unit([0, 1, 0]));
    t.set(3, 'a', unit([1, 1, 0]));
    const bytes = Buffer.from(unit([0, 0, 1]).buffer);
    t.set(4, 'b', bytes); // stored little-endian bytes
    const q = unit([1, 0.2, 0]);
    expect(t.nearest(q, 2).hits.map((h) => h.id)).toEqual([1, 3]);
    expect(t.nearest(q, 5, { accept: (_id, m) => m === 'b' }).hits.map((h) => h.id)).toEqual([2, 4]);
    expect(t.nearest(q, 5, { minScore: 0.5 }).hits.map((h) => h.id)).toEqual([1, 3]);
    t.delete(1);
    t.set(3, 'c', unit([0, 1, 0]));
    expect(t.size).toBe(3);
    expect(t.meta(3)).toBe('c');
    expect(t.nearest(q, 1).hits[0]!.id).toBe(2); // ties 2 and 3: lower id
    expect(t.similarity(unit([0, 0, 1]), 4)).toBeCloseTo(1, 6);
    expect(() => t.set(5, 'x', new Float32Array(4))).toThrow(RangeError);
  });

  it('gives the same similarities on sparse and dense queries', () => {
    const dim = 64;
    const t = new VectorTable(dim, 8);
    const rows: Float32Array[] = [];
    for (let r = 0; r < 20; r++) {
      const v = unit(Array.from({ length: dim }, (_, d) => Math.sin(r * 7 + d * 3)));
      rows.push(v);
      t.set(r, undefined, v);
    }
    const sparse = new Float32Array(dim);
    sparse[3] = 0.6;
    sparse[40] = 0.8;
    const dense = unit(Array.from({ length: dim }, (_, d) => Math.cos(d)));
    for (const q of [sparse, dense]) {
      const got = new Map<number, number>();
      t.scan(q, (id, sim) => got.set(id, sim));
      rows.forEach((v, id) => expect(got.get(id)).toBeCloseTo(v.reduce((s, x, d) => s + x * q[d]!, 0), 5));
    }
  });
});

describe('VectorCache', () => {
  const table = (rows: number, dim = 10) => {
    const t = new VectorTable(dim, rows);
    for (let i = 0; i < rows; i++) t.set(i, undefined, unit(Array.from({ length: dim }, (_, d) => (d === i % dim ? 1 : 0.1))));
    return t;
  };

  it('serves a table only at the stamp it was loaded at', () => {
    const c = new VectorCache<VectorTable>(1000);
    const t = table(5);
    c.set('s1', '7:emb', t);
    expect(c.get('s1', '7:emb')).toBe(t);
    expect(c.get('s1', '8:emb')).toBeUndefined(); // another process wrote: reload
    expect(c.get('s1', '7:emb')).toBeUndefined(); // and the stale one is gone
    expect(c.floats).toBe(0);
  });

  it('stays within its float bound, dropping the least recently used', () => {
    const c = new VectorCache<VectorTable>(300);
    c.set('a', '1', table(10)); // 100 floats
    c.set('b', '1', table(10));
    c.set('c', '1', table(10));
    expect(c.floats).toBe(300);
    c.get('a', '1'); // a is now the most recently used
    c.set('d', '1', table(10));
    expect(c.keys()).toEqual(['c', 'a', 'd']);
    expect(c.floats).toBeLessThanOrEqual(300);
    expect(c.set('huge', '1', table(31))).toBe(false); // larger than the whole bound: not kept
    expect(c.keys()).toEqual(['c', 'a', 'd']);
    for (let i = 0; i < 50; i++) {
      c.set(`k${i}`, '1', table(1 + (i % 25)));
      expect(c.floats).toBeLessThanOrEqual(300);
    }
  });

  it('applies this process’s own write only on top of the stamp it was made against', () => {
    const c = new VectorCache<VectorTable>(10_000);
    const t = table(3);
    c.set('s', '1', t);
    expect(c.update('s', '1', '2', (x) => x.set(99, undefined, unit([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])))).toBe(true);
    expect(c.get('s', '2')?.has(99)).toBe(true);
    expect(c.update('s', '1', '3', () => undefined)).toBe(false); // someone else moved it from 1
    expect(c.get('s', '3')).toBeUndefined();
    // Growth by updates counts against the bound too.
    const small = new VectorCache<VectorTable>(40);
    small.set('s', '1', table(3)); // 30 floats
    expect(small.update('s', '1', '2', (x) => x.set(50, undefined, unit([0, 1, 0, 0, 0, 0, 0, 0, 0, 0])))).toBe(false); // grew to 60
    expect(small.floats).toBe(0);
  });
});

describe('VectorTable (memory-shaped rows)', () => {
  it('scans with exactly the dot product, sparse or dense, through inserts, replacements and swap-deletes', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const dim = 40;
    const vec = (density: number) => Float32Array.from({ length: dim }, () => (Math.abs(rand()) < density ? rand() : 0));
    const table = new VectorTable<{ tags: string[] }>(dim, 1); // capacity 1: forces growth
    const truth = new Map<number, Float32Array>();
    for (let seq = 0; seq < 50; seq++) {
      const v = vec(0.7);
      truth.set(seq, v);
      // Every other row goes in as its stored little-endian bytes, as loaded from SQLite.
      table.set(seq, { tags: [] }, seq % 2 ? new Uint8Array(v.buffer.slice(0)) : v);
    }
    for (const seq of [0, 17, 49, 3]) {
      table.delete(seq);
      truth.delete(seq);
    }
    const replaced = vec(0.7);
    table.set(10, { tags: ['x'] }, replaced);
    truth.set(10, replaced);
    expect(table.size).toBe(truth.size);
    for (const density of [0.1, 0.9]) {
      const q = vec(density);
      const seen = new Map<number, number>();
      table.scan(q, (seq, sim) => seen.set(seq, sim));
      expect([...seen.keys()].sort((a, b) => a - b)).toEqual([...truth.keys()].sort((a, b) => a - b));
      for (const [seq, v] of truth) expect(seen.get(seq)).toBeCloseTo(dot(q, v), 5);
      expect(table.vector(10)).toEqual(replaced);
    }
    const tagged: number[] = [];
    table.scan(vec(0.5), (seq) => tagged.push(seq), (_seq, m) => m.tags.includes('x'));
    expect(tagged).toEqual([10]);
  });
});
