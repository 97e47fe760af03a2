// Incremental reader for the wink-embeddings JSON layout, so conversion streams the file in chunks
// and stops at the rank cut-off instead of parsing 307 MB into ~1 GB of objects.
//
// Layout: {"precision":..,"dimensions":D,"size":N,"words":[...],"vectors":{"w":[x1..xD, l2norm, rank],...},..}
// Words are in descending corpus frequency, so an entry's position is its frequency rank.

export interface SourceHeader {
  dim: number;
  size: number;
}

/** Called for each entry; return false to stop scanning. `values` is only parsed when `wanted` says so. */
export interface ScanHandlers {
  header(h: SourceHeader): void;
  wanted(word: string, rank: number): boolean;
  entry(word: string, rank: number, vector: Float32Array): void;
  /** Return false to stop (e.g. past the rank cut-off). */
  more(rank: number): boolean;
}

const ENTRY = /"((?:[^"\\]|\\.)*)":\[([^\]]*)\]/y;

export class WinkVectorScanner {
  private text = '';
  private pos = 0;
  private head: SourceHeader | null = null;
  private rank = 0;
  private stopped = false;

  constructor(private readonly on: ScanHandlers) {}

  get done(): boolean {
    return this.stopped;
  }

  /** Feeds the next chunk (decoded as latin1: only ASCII words are kept, so no UTF-8 boundary issues). */
  push(chunk: string): void {
    if (this.stopped) return;
    this.text = this.text.slice(this.pos) + chunk;
    this.pos = 0;
    if (!this.head) {
      const start = this.text.indexOf('"vectors":{');
      if (start < 0) {
        if (this.text.length > 64 * 1024 * 1024) throw new Error('wink source: no "vectors" object found');
        return;
      }
      const dim = /"dimensions":(\d+)/.exec(this.text);
      const size = /"size":(\d+)/.exec(this.text);
      if (!dim || !size) throw new Error('wink source: header lacks "dimensions" or "size"');
      this.head = { dim: Number(dim[1]), size: Number(size[1]) };
      this.on.header(this.head);
      this.pos = start + '"vectors":{'.length;
    }
    const dim = this.head.dim;
    for (;;) {
      while (this.text.charCodeAt(this.pos) === 44 /* , */) this.pos++;
      if (this.text.charCodeAt(this.pos) === 125 /* } */) {
        this.stopped = true;
        return;
      }
      ENTRY.lastIndex = this.pos;
      const m = ENTRY.exec(this.text);
      if (!m) return; // incomplete entry at the chunk's end: wait for more
      this.pos = ENTRY.lastIndex;
      const word = m[1]!.includes('\\') ? (JSON.parse(`"${m[1]}"`) as string) : m[1]!;
      const rank = this.rank++;
      if (this.on.wanted(word, rank)) {
        const parts = m[2]!.split(',');
        if (parts.length < dim) throw new Error(`wink source: "${word}" has ${parts.length} values, expected ${dim}`);
        const v = new Float32Array(dim);
        for (let i = 0; i < dim; i++) v[i] = Number(parts[i]);
        this.on.entry(word, rank, v);
      }
      if (!this.on.more(this.rank)) {
        this.stopped = true;
        return;
      }
    }
  }
}
