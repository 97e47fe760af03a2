import { describe, expect, it } from 'vitest';
import { blobToVector, cosine, dot, normalizeInPlace, vectorToBlob } from '../../src/engine/embeddings/vector.js';

describe('vector helpers', () => {
  it('cosine matches a hand computation and ignores magnitude', () => {
    // (1,2,2)·(2,0,1) = 4; |a| = 3, |b| = √5
    expect(cosine([1, 2, 2], [2, 0, 1])).toBeCloseTo(4 / (3 * Math.sqrt(5)), 12);
    expect(cosine([1, 2, 2], [10, 20, 20])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [-1, 0])).toBeCloseTo(-1, 12);
    expect(cosine([0, 0, 0], [1, 2, 3])).toBe(0);
  });

  it('rejects vectors of different lengths', () => {
    expect(() => cosine([1, 2], [1, 2, 3])).toThrow(/length mismatch/);
    expect(() => dot([1], [1, 2])).toThrow(/length mismatch/);
  });

  it('normalises to unit length and leaves zero vectors alone', () => {
    const v = normalizeInPlace(Float32Array.from([3, 4]));
    expect(v[0]).toBeCloseTo(0.6, 6);
    expect(v[1]).toBeCloseTo(0.8, 6);
    expect(Array.from(normalizeInPlace(new Float32Array(3)))).toEqual([0, 0, 0]);
  });

  it('round-trips vectors through little-endian float32 blobs exactly', () => {
    const v = Float32Array.from([0.1, -2.5, 3.4028234663852886e38, -0, 1e-30]);
    const blob = vectorToBlob(v);
    expect(blob.length).toBe(20);
    expect(blob.readFloatLE(4)).toBe(-2.5);
    expect(Array.from(blobToVector(blob))).toEqual(Array.from(v));
    expect(Array.from(blobToVector(vectorToBlob([1, 2])))).toEqual([1, 2]);
  });

  it('decodes blobs that sit at an unaligned offset of a larger buffer', () => {
    const big = Buffer.alloc(13);
    vectorToBlob([7.5, -1]).copy(big, 5);
    expect(Array.from(blobToVector(big.subarray(5)))).toEqual([7.5, -1]);
    expect(() => blobToVector(Buffer.alloc(6))).toThrow(/float32/);
  });
});
