// The one top-k of the retrieval index: the k best (id, score) pairs of a stream, best first, in
// O(n log k) time and O(k) memory. Ties go to the lower id, so a ranking never depends on the order
// rows came out of a table or a cache.

export interface Scored {
  id: number;
  score: number;
}

/** a ranks before b: higher score, then lower id. */
export function ranksBefore(a: Scored, b: Scored): boolean {
  return a.score > b.score || (a.score === b.score && a.id < b.id);
}

/** Collects the k best of what is pushed. A min-heap on rank: its root is the worst one kept. */
export class TopK {
  private readonly heap: Scored[] = [];

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`TopK: k must be a non-negative integer, got ${k}`);
  }

  get size(): number {
    return this.heap.length;
  }

  /** True when a candidate with this score could still enter: lets a scan skip work early. */
  admits(score: number): boolean {
    if (this.heap.length < this.k) return this.k > 0;
    return score >= this.heap[0]!.score;
  }

  push(id: number, score: number): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push({ id, score });
      this.up(h.length - 1);
    } else if (this.k > 0) {
      const worst = h[0]!;
      // Most candidates of a long scan lose to the worst kept: reject them without allocating.
      if (score < worst.score || (score === worst.score && id > worst.id)) return;
      h[0] = { id, score };
      this.down(0);
    }
  }

  /** Everything kept, best first. */
  result(): Scored[] {
    return [...this.heap].sort((a, b) => (ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!ranksBefore(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && ranksBefore(h[worst]!, h[l]!)) worst = l;
      if (r < h.length && ranksBefore(h[worst]!, h[r]!)) worst = r;
      if (worst === i) return;
      [h[worst], h[i]] = [h[i]!, h[worst]!];
      i = worst;
    }
  }
}

/** The k best of `items`, best first (ties: lower id). */
export function topK(items: Iterable<Scored>, k: number): Scored[] {
  const t = new TopK(k);
  for (const s of items) t.push(s.id, s.score);
  return t.result();
}
