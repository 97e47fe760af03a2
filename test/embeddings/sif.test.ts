import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePack, type WordPack } from '../../src/engine/embeddings/word-pack.js';
import { convertWink, loadOfflineEmbedder, packCandidates } from '../../src/engine/embeddings/offline.js';
import { SifEmbedder } from '../../src/engine/embeddings/sif.js';
import { cosine, dot } from '../../src/engine/embeddings/vector.js';
import { projectRoot } from '../../src/paths.js';
import { writeWinkSource } from './synthetic-wink.js';

// Components are multiples of 0.01 with a max |x| of 1.27, so int8 quantisation is exact.
const WORDS = [
  { word: 'the', vector: [1.27, 0.5, 0.1] },
  { word: 'cat', vector: [0.2, 1.27, -0.3] },
  { word: 'sat', vector: [-0.4, 0.3, 1.27] },
  { word: 'mat', vector: [1.27, -1.0, 0.6] },
];

describe('SIF embedding on a hand-checkable vocabulary', () => {
  let dir: string;
  let pack: WordPack;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-sif-'));
    pack = decodePack(convertWink(writeWinkSource(dir, WORDS, 3), 100, 0.05));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const V = WORDS.length;
  const p = (rank: number) => 1 / ((rank + 1) * (Math.log(V) + 0.5772156649)); // Zipf estimate
  const w = (rank: number, a: number) => a / (a + p(rank));
  const sub = (x: number[], y: number[], k: number) => x.map((xi, i) => xi - k * y[i]!);
  const unit = (x: number[]) => x.map((xi) => xi / Math.hypot(...x));

  it('stores the fixed common component: the direction of the expected weighted word vector', () => {
    const expected = unit([0, 1, 2].map((d) => WORDS.reduce((s, wd, r) => s + p(r) * w(r, 0.05) * wd.vector[d]!, 0)));
    Array.from(pack.common).forEach((x, d) => expect(x).toBeCloseTo(expected[d]!, 5));
  });

  it('embeds as the weighted sum minus its projection on the common component, normalised', () => {
    const e = new SifEmbedder(pack);
    const text = 'The cat sat on the mat.'; // "on" is unknown: skipped here, hashed by default
    const sum = [0, 1, 2].map((d) => [0, 1, 2, 0, 3].reduce((s, r) => s + w(r, 0.05) * WORDS[r]!.vector[d]!, 0));
    const u = Array.from(pack.common);
    const proj = sum.reduce((s, x, d) => s + x * u[d]!, 0);
    const expected = unit(sub(sum, u, proj));
    const got = new SifEmbedder(pack, { oov: 'skip' }).embedOne(text);
    Array.from(got).forEach((x, d) => expect(x).toBeCloseTo(expected[d]!, 5));
    // Word order, case and punctuation do not matter; the unknown word does when hashed.
    const shuffled = new SifEmbedder(pack, { oov: 'skip' }).embedOne('mat THE sat, cat the');
    Array.from(shuffled).forEach((x, d) => expect(x).toBeCloseTo(got[d]!, 6));
    expect(cosine(e.embedOne(text), got)).toBeLessThan(0.9999);
  });

  it('splits identifiers into known parts and keeps the whole identifier as a token', () => {
    const skip = new SifEmbedder(pack, { oov: 'skip' });
    expect(Array.from(skip.embedOne('catSat'))).toEqual(Array.from(skip.embedOne('cat sat')));
    const hashed = new SifEmbedder(pack);
    // With identity kept, two texts sharing an unknown identifier are closer than ones that do not.
    const a = hashed.embedOne('the cat frobnicateWidget');
    expect(cosine(a, hashed.embedOne('the mat frobnicateWidget'))).toBeGreaterThan(cosine(a, hashed.embedOne('the mat quuxify')));
  });

  it('returns unit vectors for every input, including empty and punctuation-only text', () => {
    const e = new SifEmbedder(pack);
    for (const t of ['', '   ', '?!', 'the', 'unknownword']) {
      const v = e.embedOne(t);
      expect(v.length).toBe(3);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    expect(Array.from(e.embedOne('?!'))).toEqual(Array.from(e.embedOne('?!')));
  });
});

describe('lexical (feature-hashed) part', () => {
  let dir: string;
  let pack: WordPack;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-lex-'));
    pack = decodePack(convertWink(writeWinkSource(dir, WORDS, 3), 100, 0.05));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('mixes the two cosines in the configured shares', () => {
    const texts = ['the cat sat on the mat', 'a cat and a mat', 'sat sat sat', 'zebra crossings'];
    const at = (share: number) => new SifEmbedder(pack, { lexicalDims: 64, lexicalShare: share, oov: 'skip' });
    const sem = at(0);
    const lex = at(1);
    const mix = at(0.3);
    expect(mix.dim).toBe(3 + 64);
    for (const x of texts) {
      for (const y of texts) {
        const want = 0.7 * cosine(sem.embedOne(x), sem.embedOne(y)) + 0.3 * cosine(lex.embedOne(x), lex.embedOne(y));
        // Texts without any known word have no semantic part; the mix is then the lexical cosine.
        const semEmpty = (t: string) => sem.embedOne(t).subarray(0, 3).every((v) => v === 0);
        if (semEmpty(x) || semEmpty(y)) continue;
        expect(cosine(mix.embedOne(x), mix.embedOne(y))).toBeCloseTo(want, 5);
      }
    }
  });

  it('counts a snake_case identifier whole as well as by its words', () => {
    const lex = new SifEmbedder(pack, { lexicalDims: 4096, lexicalShare: 1, oov: 'skip' });
    const parts = new SifEmbedder(pack, { lexicalDims: 4096, lexicalShare: 1, oov: 'skip', wholeIdentifiers: false });
    // Same words, different identifiers: only the whole-identifier term tells them apart.
    expect(cosine(parts.embedOne('set FOO_BAR_BAZ'), parts.embedOne('set BAZ_BAR_FOO'))).toBeCloseTo(1, 6);
    // All five terms are unknown, so equally weighted: 4 shared of 5 → cosine 4/5.
    expect(cosine(lex.embedOne('set FOO_BAR_BAZ'), lex.embedOne('set BAZ_BAR_FOO'))).toBeCloseTo(0.8, 5);
    expect(cosine(lex.embedOne('set FOO_BAR_BAZ'), lex.embedOne('FOO_BAR_BAZ set'))).toBeCloseTo(1, 6);
    // The semantic part ignores the whole identifier (it has no word vector).
    const sem = new SifEmbedder(pack, { lexicalDims: 16, lexicalShare: 0, oov: 'skip' });
    expect(Array.from(sem.embedOne('the_cat').subarray(0, 3))).toEqual(Array.from(sem.embedOne('the cat').subarray(0, 3)));
  });

  it('sees word overlap only: same bag of words → 1, inflections fold together', () => {
    const lex = new SifEmbedder(pack, { lexicalDims: 4096, lexicalShare: 1, oov: 'skip' });
    expect(cosine(lex.embedOne('alpha beta gamma'), lex.embedOne('Gamma, BETA alpha.'))).toBeCloseTo(1, 6);
    expect(cosine(lex.embedOne('adds targets'), lex.embedOne('add target'))).toBeCloseTo(1, 6);
    expect(Math.abs(cosine(lex.embedOne('alpha beta'), lex.embedOne('delta epsilon')))).toBeLessThan(1e-6);
    const noFold = new SifEmbedder(pack, { lexicalDims: 4096, lexicalShare: 1, lexicalFold: false, oov: 'skip' });
    expect(cosine(noFold.embedOne('adds targets'), noFold.embedOne('add target'))).toBeLessThan(0.5);
  });
});

describe('offline embedder on the real word vectors', () => {
  let e: SifEmbedder;
  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-sifreal-'));
    e = (await loadOfflineEmbedder(packCandidates(projectRoot, dataDir))).embedder;
  }, 120_000);

  it('is deterministic, unit length, and its semantic part is orthogonal to the common component', async () => {
    const text = 'The linker resolves undefined symbols against the listed libraries.';
    const [a, b] = await e.embed([text, text]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(e.id).toBe('offline-sif100-lex512');
    expect(a!.length).toBe(612);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    const common = (e as unknown as { common: Float32Array }).common;
    expect(Math.abs(dot(a!.subarray(0, 100), common))).toBeLessThan(1e-5);
  });

  it('yields to the event loop during large batches and keeps input order', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `chunk ${i}: the linker resolves symbol number ${i * 7}`);
    const events: string[] = [];
    setImmediate(() => events.push('other work'));
    const vectors = await e.embed(texts).then((v) => (events.push('embedded'), v));
    expect(events).toEqual(['other work', 'embedded']);
    expect(vectors).toHaveLength(200);
    for (const i of [0, 57, 199]) expect(Array.from(vectors[i]!)).toEqual(Array.from(e.embedOne(texts[i]!)));
  });

  it('matches exact identifiers through the lexical part', async () => {
    const [q, hit, miss] = await e.embed([
      'What does CMAKE_EXPORT_COMPILE_COMMANDS do?',
      'CMAKE_EXPORT_COMPILE_COMMANDS enables output of compile commands during generation.',
      'CMAKE_VERBOSE_MAKEFILE enables verbose output from Makefile builds.',
    ]);
    expect(cosine(q!, hit!)).toBeGreaterThan(cosine(q!, miss!) + 0.1);
  });

  it('scores paraphrases far above unrelated text', async () => {
    const [q, answer, para, other1, other2] = await e.embed([
      'How do I set the compiler flags for C++ files?',
      'This variable holds the flags passed to the C++ compiler when building sources.',
      'Which options does the compiler receive for C++ code?',
      'The orchestra performed the symphony to a sold-out audience.',
      'Heavy rain is expected across the coast on Tuesday.',
    ]);
    const rel = Math.min(cosine(q!, answer!), cosine(q!, para!));
    const unrel = Math.max(cosine(q!, other1!), cosine(q!, other2!), cosine(answer!, other1!));
    // Related pairs share few words, so this is the semantic half at work.
    expect(rel).toBeGreaterThan(0.35);
    expect(unrel).toBeLessThan(0.1);
  });
});
