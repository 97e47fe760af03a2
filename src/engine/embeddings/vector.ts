// Small vector helpers shared by every provider and by the stores that persist vectors.

/** Cosine similarity; 0 when either vector is all zeros. Vectors must have the same length. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosine: length mismatch (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Dot product: equals cosine for the unit vectors every Embedder returns, at a third of the cost. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dot: length mismatch (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Scales `v` in place to unit length and returns it; a zero vector stays zero. */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n === 0) return v;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
  return v;
}

/** Little-endian float32 bytes, for a SQLite BLOB column. The Buffer owns a copy. */
export function vectorToBlob(v: Float32Array | number[]): Buffer {
  const f = v instanceof Float32Array ? v : Float32Array.from(v);
  const out = Buffer.allocUnsafe(f.length * 4);
  for (let i = 0; i < f.length; i++) out.writeFloatLE(f[i]!, i * 4);
  return out;
}

/** Inverse of vectorToBlob. Copies, so the result is aligned and independent of the driver's buffer. */
export function blobToVector(b: Uint8Array): Float32Array {
  if (b.byteLength % 4 !== 0) throw new RangeError(`blobToVector: ${b.byteLength} bytes is not a whole number of float32 values`);
  const n = b.byteLength / 4;
  const out = new Float32Array(n);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
