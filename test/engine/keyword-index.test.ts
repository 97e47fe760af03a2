// The in-memory keyword index of the retrieval index (PostgreSQL's keyword leg): BM25 as the
// project's in-memory Bm25Index computes it, through inserts, replacements and deletes, over one or
// several scopes, with filters, `all` mode, phrases, and its size counted for the cache's bound.
import { describe, expect, it } from 'vitest';
import { Bm25Index, tokenize } from '../../src/engine/bm25.js';
import { KeywordIndex, parseTsvector, searchKeyword, topK, VectorCache } from '../../src/engine/retrieval/index.js';

const CORPUS = [
  'The deployment pipeline runs on Jenkins with nightly builds',
  'Emperor penguins huddle together on Antarctic sea ice',
  'Nightly builds publish artifacts to the package registry',
  'The registry keeps every artifact for ninety days',
  'Penguins and seals share the Antarctic coast',
  'Jenkins agents run builds in containers on the cluster',
  'A manual approval step gates the deployment to production',
  'the the the the the builds',
];

function counts(text: string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const t of tokenize(text)) m.set(t, (m.get(t) ?? 0) + 1);
  return [...m];
}

function build(docs: Array<[number, string]>): KeywordIndex {
  const ix = new KeywordIndex();
  for (const [id, text] of docs) ix.set(id, counts(text));
  return ix;
}

/** The reference: Bm25Index's scores, ranked with the one top-k. */
function reference(docs: string[], query: string[], k: number, ids = docs.map((_, i) => i)) {
  const bm = new Bm25Index();
  for (const d of docs) bm.add(d);
  const s = bm.scores(query);
  return topK(
    [...s].flatMap((score, i) => (score > 0 ? [{ id: ids[i]!, score }] : [])),
    k,
  );
}

const q = (...words: string[]) => words.map((w) => [w]);

describe('KeywordIndex + searchKeyword', () => {
  it('ranks as the in-memory Bm25Index (k1 1.2, b 0.75, same idf), best first', () => {
    const ix = build(CORPUS.map((t, i) => [i, t]));
    for (const query of [['builds', 'nightly'], ['penguins', 'antarctic', 'ice'], ['the'], ['jenkins', 'deployment', 'registry', 'absent']]) {
      const got = searchKeyword([ix], { terms: q(...query), mode: 'any', k: 5 });
      const want = reference(CORPUS, query, 5);
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 10));
    }
    expect(searchKeyword([ix], { terms: q('absent'), mode: 'any', k: 5 })).toEqual([]);
    expect(searchKeyword([ix], { terms: [], mode: 'any', k: 5 })).toEqual([]);
  });

  it('after deletes and replacements answers exactly as an index built fresh', () => {
    const ix = build(CORPUS.map((t, i) => [i, t]));
    ix.delete(1);
    ix.set(3, counts('Penguins eat krill near the ice shelf'));
    ix.set(20, counts('Builds of the registry run nightly'));
    ix.delete(99); // absent: no-op
    const fresh = build([...CORPUS.map((t, i): [number, string] => [i, i === 3 ? 'Penguins eat krill near the ice shelf' : t]).filter(([i]) => i !== 1), [20, 'Builds of the registry run nightly']]);
    expect(ix.size).toBe(fresh.size);
    expect(ix.length).toBe(fresh.length);
    expect(ix.floats).toBe(fresh.floats);
    for (const query of [['builds', 'nightly'], ['penguins', 'ice'], ['krill'], ['emperor']]) {
      expect(searchKeyword([ix], { terms: q(...query), mode: 'any', k: 10 })).toEqual(searchKeyword([fresh], { terms: q(...query), mode: 'any', k: 10 }));
    }
    expect(ix.df('emperor')).toBe(0);
  });

  it('treats several scopes as one collection (shared idf and average length)', () => {
    const a = build(CORPUS.slice(0, 4).map((t, i) => [i, t]));
    const b = build(CORPUS.slice(4).map((t, i) => [i + 4, t]));
    const one = build(CORPUS.map((t, i) => [i, t]));
    for (const query of [['builds'], ['penguins', 'antarctic'], ['the', 'registry']]) {
      const split = searchKeyword([a, b], { terms: q(...query), mode: 'any', k: 8 });
      const whole = searchKeyword([one], { terms: q(...query), mode: 'any', k: 8 });
      expect(split.map((h) => h.id)).toEqual(whole.map((h) => h.id));
      split.forEach((h, i) => expect(h.score).toBeCloseTo(whole[i]!.score, 10));
    }
  });

  it('`all` keeps only rows with every term; a phrase is the conjunction of its lexemes', () => {
    const ix = build(CORPUS.map((t, i) => [i, t]));
    expect(searchKeyword([ix], { terms: q('jenkins', 'builds'), mode: 'all', k: 10 }).map((h) => h.id).sort()).toEqual([0, 5]);
    expect(searchKeyword([ix], { terms: q('jenkins', 'absent'), mode: 'all', k: 10 })).toEqual([]);
    // A term that makes no lexeme can match nothing: `all` then has no answer, `any` ignores it.
    expect(searchKeyword([ix], { terms: [['jenkins'], []], mode: 'all', k: 10 })).toEqual([]);
    expect(searchKeyword([ix], { terms: [['jenkins'], []], mode: 'any', k: 10 }).length).toBe(2);
    const phrase = searchKeyword([ix], { terms: [['nightly', 'builds']], mode: 'any', k: 10 });
    expect(phrase.map((h) => h.id).sort()).toEqual([0, 2]);
    // Its frequency in a row is its rarest lexeme's.
    expect(ix.match(['the', 'builds']).tfs[ix.match(['the', 'builds']).slots.indexOf(7)]).toBe(1);
  });

  it('asks `accept` only about rows that could enter the top k, and fills k with accepted rows', () => {
    const docs: Array<[number, string]> = Array.from({ length: 200 }, (_, i) => [i, `common word ${i % 7 === 0 ? 'rare' : ''} filler ${'x '.repeat(i % 5)}`]);
    const ix = build(docs);
    const asked: number[] = [];
    const hits = searchKeyword([ix], {
      terms: q('common', 'rare'),
      mode: 'any',
      k: 5,
      accept: (id) => {
        asked.push(id);
        return id % 2 === 1;
      },
    });
    expect(hits).toHaveLength(5);
    expect(hits.every((h) => h.id % 2 === 1)).toBe(true);
    expect(asked.length).toBeLessThan(200);
    // The same as ranking everything and filtering afterwards.
    const all = searchKeyword([ix], { terms: q('common', 'rare'), mode: 'any', k: 200 }).filter((h) => h.id % 2 === 1).slice(0, 5);
    expect(hits).toEqual(all);
    // Ties go to the lower id.
    const tied = build([[9, 'same text'], [3, 'same text'], [5, 'same text']]);
    expect(searchKeyword([tied], { terms: q('same'), mode: 'any', k: 2 }).map((h) => h.id)).toEqual([3, 5]);
  });

  it('counts its size for the cache bound: grows with rows, back to nothing when emptied', () => {
    const ix = new KeywordIndex();
    expect(ix.floats).toBe(0);
    ix.set(1, counts(CORPUS[0]!));
    const one = ix.floats;
    expect(one).toBeGreaterThan(0);
    ix.set(2, counts(CORPUS[1]!));
    expect(ix.floats).toBeGreaterThan(one);
    ix.set(2, counts(CORPUS[1]!)); // a replacement costs nothing more
    const two = ix.floats;
    ix.delete(1);
    ix.delete(2);
    expect(ix.floats).toBe(0);
    expect(ix.size).toBe(0);
    // It takes its place in the one float-bounded cache beside vector tables.
    const cache = new VectorCache<KeywordIndex>(two);
    const big = build(CORPUS.map((t, i) => [i, t]));
    expect(cache.set('k', '1', big)).toBe(false);
    expect(cache.set('k', '1', build([[1, CORPUS[0]!], [2, CORPUS[1]!]]))).toBe(true);
    expect(cache.floats).toBe(two);
  });
});

describe('parseTsvector: the text form PostgreSQL gives a tsvector', () => {
  it('reads lexemes, their frequencies (positions) and the row length (distinct lexemes)', () => {
    expect(parseTsvector("'build':2,7 'jenkin':1 'nightli':3A,9B")).toEqual({
      terms: [
        ['build', 2],
        ['jenkin', 1],
        ['nightli', 2],
      ],
      length: 3, // distinct lexemes, as length(tsvector)
    });
    // Quotes are doubled and backslashes escaped; a stripped tsvector has no positions.
    expect(parseTsvector("'it''s' 'a\\\\b' 'plain'")).toEqual({
      terms: [
        ["it's", 1],
        ['a\\b', 1],
        ['plain', 1],
      ],
      length: 3,
    });
    expect(parseTsvector('')).toEqual({ terms: [], length: 0 });
  });
});
