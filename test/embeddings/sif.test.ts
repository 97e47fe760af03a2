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

describe('offline embedder on the real word vectors', () => {
  let e: SifEmbedder;
  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-sifreal-'));
    e = (await loadOfflineEmbedder(packCandidates(projectRoot, dataDir))).embedder;
  }, 120_000);

  it('is deterministic and orthogonal to the common component', async () => {
    const text = 'The linker resolves undefined symbols against the listed libraries.';
    const [a, b] = await e.embed([text, text]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Math.abs(dot(a!, (e as unknown as { common: Float32Array }).common))).toBeLessThan(1e-5);
    expect(e.id).toBe('offline-sif-100d');
    expect(a!.length).toBe(100);
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
    expect(rel).toBeGreaterThan(0.5);
    expect(unrel).toBeLessThan(0.2);
  });
});
