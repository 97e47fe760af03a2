// Per-scope vector tables kept between searches, bounded by the floats they hold in all (not by a
// count of scopes: one large project must not be able to take the process's memory), least recently
// used dropped first. Each entry carries the stamp it was loaded at: the store's change stamp for
// the scope (kept in the database, so writes by any process or replica move it) and the embedder
// id. A lookup with another stamp misses, so a table is never served after someone else wrote.

export interface Sized {
  readonly floats: number;
}

interface Entry<T> {
  stamp: string;
  table: T;
  floats: number;
}

export class VectorCache<T extends Sized> {
  private readonly entries = new Map<string, Entry<T>>();
  private held = 0;

  constructor(readonly maxFloats: number) {
    if (!(maxFloats >= 0)) throw new RangeError(`VectorCache: maxFloats must be >= 0, got ${maxFloats}`);
  }

  /** Floats held by every cached table. Never above maxFloats. */
  get floats(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** The table cached under `key` if it was loaded at `stamp`; a stale entry is dropped. */
  get(key: string, stamp: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.stamp !== stamp) {
      this.held -= e.floats;
      return undefined;
    }
    this.entries.set(key, e); // most recently used last
    return e.table;
  }

  /** Keeps `table` as `key`'s at `stamp` if it fits the bound; returns whether it was kept. */
  set(key: string, stamp: string, table: T): boolean {
    this.delete(key);
    if (table.floats > this.maxFloats) return false;
    this.entries.set(key, { stamp, table, floats: table.floats });
    this.held += table.floats;
    this.evict();
    return true;
  }

  /**
   * Applies a write this process just committed to the cached table, moving it from stamp `from` to
   * `to`. If the entry is missing or not at `from` (someone else wrote in between), it is dropped
   * instead and the next search reloads it.
   */
  update(key: string, from: string, to: string, apply: (table: T) => void): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (e.stamp !== from) {
      this.delete(key);
      return false;
    }
    apply(e.table);
    e.stamp = to;
    this.held += e.table.floats - e.floats;
    e.floats = e.table.floats;
    if (e.floats > this.maxFloats) {
      this.delete(key);
      return false;
    }
    this.evict(key);
    return true;
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.held -= e.floats;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  /** Drops least recently used entries (never `keep`) until the bound holds. */
  private evict(keep?: string): void {
    for (const [k, e] of this.entries) {
      if (this.held <= this.maxFloats) return;
      if (k === keep) continue;
      this.entries.delete(k);
      this.held -= e.floats;
    }
  }
}
