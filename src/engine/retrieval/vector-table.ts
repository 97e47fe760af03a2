// One scope's vectors in a single contiguous Float32Array (rows swap-deleted), keyed by the store's
// integer row id, each with a small metadata value the store filters on (a document id, tags ...).
// A scan touches only the query's non-zero coordinates when it is sparse (the offline embedder's
// hashed-word half is mostly zeros), which gives the exact dot product at a fraction of the cost;
// dense queries take the plain loop. Vectors are unit length, so the dot product is the cosine.
import os from 'node:os';
import { TopK, type Scored } from './topk.js';

// Stored vectors are little-endian float32; on a little-endian host their bytes are copied straight
// into the table, which makes loading a large scope a memcpy per row.
const LITTLE_ENDIAN = os.endianness() === 'LE';

export class VectorTable<M = undefined> {
  private data: Float32Array;
  private readonly ids: number[] = [];
  private readonly metas: M[] = [];
  private readonly rowOf = new Map<number, number>();

  constructor(
    readonly dim: number,
    capacity = 64,
  ) {
    if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`VectorTable: dim must be a positive integer, got ${dim}`);
    this.data = new Float32Array(dim * Math.max(1, capacity));
  }

  get size(): number {
    return this.ids.length;
  }

  /** Floats allocated (capacity, not rows): what the table costs in memory, 4 bytes each. */
  get floats(): number {
    return this.data.length;
  }

  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  /**
   * Adds or replaces a row. `vec` is a vector, or its stored little-endian float32 bytes; a vector
   * of another length than `dim` is refused (it was made by another embedder).
   */
  set(id: number, meta: M, vec: Float32Array | Uint8Array): void {
    const bytes = vec instanceof Float32Array ? vec.length * 4 : vec.byteLength;
    if (bytes !== this.dim * 4) throw new RangeError(`VectorTable: vector of ${bytes / 4} floats, table holds ${this.dim}`);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      if ((row + 1) * this.dim > this.data.length) {
        const bigger = new Float32Array(this.data.length * 2);
        bigger.set(this.data);
        this.data = bigger;
      }
      this.ids.push(id);
      this.metas.push(meta);
      this.rowOf.set(id, row);
    } else {
      this.metas[row] = meta;
    }
    const off = row * this.dim;
    if (vec instanceof Float32Array) this.data.set(vec, off);
    else if (LITTLE_ENDIAN) new Uint8Array(this.data.buffer, off * 4, bytes).set(vec);
    else {
      const view = new DataView(vec.buffer, vec.byteOffset, vec.byteLength);
      for (let d = 0; d < this.dim; d++) this.data[off + d] = view.getFloat32(d * 4, true);
    }
  }

  delete(id: number): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const last = this.ids.length - 1;
    if (row !== last) {
      this.data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.ids[row] = this.ids[last]!;
      this.metas[row] = this.metas[last]!;
      this.rowOf.set(this.ids[row]!, row);
    }
    this.ids.pop();
    this.metas.pop();
    this.rowOf.delete(id);
    return true;
  }

  meta(id: number): M | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.metas[row];
  }

  /** A copy of one row's vector. */
  vector(id: number): Float32Array | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.data.slice(row * this.dim, (row + 1) * this.dim);
  }

  /** Similarity of `q` and one row (undefined when the row is not here). */
  similarity(q: Float32Array, id: number): number | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    let s = 0;
    const base = row * this.dim;
    for (let d = 0; d < this.dim; d++) s += q[d]! * this.data[base + d]!;
    return s;
  }

  /** Calls `visit` with the similarity of `q` and every row `accept` lets through. */
  scan(q: Float32Array, visit: (id: number, sim: number, meta: M) => void, accept?: (id: number, meta: M) => boolean): void {
    if (q.length !== this.dim) throw new RangeError(`VectorTable: query of ${q.length} floats, table holds ${this.dim}`);
    const { dim, data, ids, metas } = this;
    const nz: number[] = [];
    for (let i = 0; i < dim; i++) if (q[i] !== 0) nz.push(i);
    const sparse = nz.length < dim * 0.5;
    const idx = Int32Array.from(nz);
    const qv = Float32Array.from(nz, (i) => q[i]!);
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r]!;
      const meta = metas[r]!;
      if (accept && !accept(id, meta)) continue;
      const base = r * dim;
      let s = 0;
      if (sparse) for (let k = 0; k < idx.length; k++) s += qv[k]! * data[base + idx[k]!]!;
      else for (let i = 0; i < dim; i++) s += q[i]! * data[base + i]!;
      visit(id, s, meta);
    }
  }

  /** The k most similar accepted rows at or above `minScore`, best first; `seen` counts rows compared. */
  nearest(q: Float32Array, k: number, opts: { accept?: (id: number, meta: M) => boolean; minScore?: number } = {}): { hits: Scored[]; seen: number } {
    const top = new TopK(k);
    let seen = 0;
    const floor = opts.minScore ?? -Infinity;
    this.scan(
      q,
      (id, sim) => {
        seen++;
        if (sim >= floor) top.push(id, sim);
      },
      opts.accept,
    );
    return { hits: top.result(), seen };
  }
}
