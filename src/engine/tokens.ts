// Exact token counts with js-tiktoken. Encoders are built lazily (o200k_base takes ~600 ms) and kept.
import type { TiktokenBPE } from 'js-tiktoken/lite';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';

export type EncodingName = 'o200k_base' | 'cl100k_base';

const RANKS: Record<EncodingName, TiktokenBPE> = { o200k_base, cl100k_base };

export interface ModelInfo {
  /** Canonical model id. */
  id: string;
  provider: 'openai' | 'anthropic' | 'google' | 'meta' | 'mistral' | 'other';
  encoding: EncodingName;
  /** Published input price, USD per million tokens. */
  inputPerMTok: number;
  contextWindow: number;
  /** True when the provider's own tokenizer is not public and tiktoken is an approximation. */
  approximate: boolean;
}

// One table for encodings, prices and windows. Prices are the providers' list input prices.
export const MODELS: ModelInfo[] = [
  { id: 'gpt-4o', provider: 'openai', encoding: 'o200k_base', inputPerMTok: 2.5, contextWindow: 128_000, approximate: false },
  { id: 'gpt-4o-mini', provider: 'openai', encoding: 'o200k_base', inputPerMTok: 0.15, contextWindow: 128_000, approximate: false },
  { id: 'gpt-4.1', provider: 'openai', encoding: 'o200k_base', inputPerMTok: 2.0, contextWindow: 1_047_576, approximate: false },
  { id: 'gpt-4.1-mini', provider: 'openai', encoding: 'o200k_base', inputPerMTok: 0.4, contextWindow: 1_047_576, approximate: false },
  { id: 'gpt-5', provider: 'openai', encoding: 'o200k_base', inputPerMTok: 1.25, contextWindow: 400_000, approximate: false },
  { id: 'o3', provider: 'openai', encoding: 'o200k_base', inputPerMTok: 2.0, contextWindow: 200_000, approximate: false },
  { id: 'gpt-4', provider: 'openai', encoding: 'cl100k_base', inputPerMTok: 30, contextWindow: 8_192, approximate: false },
  { id: 'gpt-4-turbo', provider: 'openai', encoding: 'cl100k_base', inputPerMTok: 10, contextWindow: 128_000, approximate: false },
  { id: 'gpt-3.5-turbo', provider: 'openai', encoding: 'cl100k_base', inputPerMTok: 0.5, contextWindow: 16_385, approximate: false },
  { id: 'claude-opus-4', provider: 'anthropic', encoding: 'o200k_base', inputPerMTok: 15, contextWindow: 200_000, approximate: true },
  { id: 'claude-opus-4-7', provider: 'anthropic', encoding: 'o200k_base', inputPerMTok: 5, contextWindow: 200_000, approximate: true },
  { id: 'claude-sonnet-4', provider: 'anthropic', encoding: 'o200k_base', inputPerMTok: 3, contextWindow: 200_000, approximate: true },
  { id: 'claude-sonnet-4-6', provider: 'anthropic', encoding: 'o200k_base', inputPerMTok: 3, contextWindow: 200_000, approximate: true },
  { id: 'claude-haiku-4-5', provider: 'anthropic', encoding: 'o200k_base', inputPerMTok: 1, contextWindow: 200_000, approximate: true },
  { id: 'claude-3-5-haiku', provider: 'anthropic', encoding: 'o200k_base', inputPerMTok: 0.8, contextWindow: 200_000, approximate: true },
  { id: 'gemini-2.5-pro', provider: 'google', encoding: 'o200k_base', inputPerMTok: 1.25, contextWindow: 1_048_576, approximate: true },
  { id: 'gemini-2.5-flash', provider: 'google', encoding: 'o200k_base', inputPerMTok: 0.3, contextWindow: 1_048_576, approximate: true },
  { id: 'llama-3.1-70b', provider: 'meta', encoding: 'o200k_base', inputPerMTok: 0.88, contextWindow: 128_000, approximate: true },
  { id: 'mistral-large', provider: 'mistral', encoding: 'o200k_base', inputPerMTok: 2, contextWindow: 128_000, approximate: true },
];

/** Default model for cost estimates when none is named. */
export const DEFAULT_MODEL = 'claude-opus-4-7';

/** Resolve a model name: exact id, then the longest table id that prefixes it (dated snapshots). */
export function findModel(name: string | null | undefined): ModelInfo | undefined {
  if (!name) return undefined;
  const n = name.trim().toLowerCase();
  const exact = MODELS.find((m) => m.id === n);
  if (exact) return exact;
  return MODELS.filter((m) => n.startsWith(m.id)).sort((a, b) => b.id.length - a.id.length)[0];
}

export function modelIds(): string[] {
  return MODELS.map((m) => m.id);
}

/**
 * js-tiktoken's rank tables, built our way: tokens keyed by their bytes as a latin1 string (one atob
 * call each) instead of comma-joined byte lists. Building o200k_base takes a fraction of the
 * 1.3 s that js-tiktoken's constructor needs, and lookups during merging are cheaper too.
 */
interface Tables {
  ranks: Map<string, number>;
  /** Token bytes (latin1 string) by rank, for decoding. */
  byRank: string[];
  pattern: string;
  /** Merges of recent long-piece windows: a long run of one character is the same window over and over. */
  windows: Map<string, number[]>;
}

const tables = new Map<EncodingName, Tables>();

function encoder(name: EncodingName): Tables {
  let t = tables.get(name);
  if (!t) {
    const src = RANKS[name];
    const ranks = new Map<string, number>();
    const byRank: string[] = [];
    for (const line of src.bpe_ranks.split('\n')) {
      if (!line) continue;
      const parts = line.split(' ');
      const offset = Number.parseInt(parts[1]!, 10);
      for (let i = 2; i < parts.length; i++) {
        // atob gives the bytes as a latin1 string directly: half the time of Buffer.from(…).toString('latin1').
        const bytes = atob(parts[i]!);
        ranks.set(bytes, offset + i - 2);
        byRank[offset + i - 2] = bytes;
      }
    }
    t = { ranks, byRank, pattern: src.pat_str, windows: new Map() };
    tables.set(name, t);
  }
  return t;
}

/**
 * Byte-pair merge with a min-heap: the same merges as tiktoken (lowest rank first, leftmost on ties),
 * in O(n log n) instead of js-tiktoken's O(n^2) per piece. A 5,000-character run of "=" took ~5 s
 * there, which let any caller stall the server; here it takes milliseconds, with identical output.
 */
function bpe(piece: Buffer, ranks: Map<string, number>, out: number[]): void {
  const n = piece.length;
  // One native conversion, then cheap JS substrings (a Buffer.toString per lookup cost ~10x more).
  const bytes = piece.toString('latin1');
  const key = (a: number, b: number) => bytes.slice(a, b);
  if (n === 1) {
    out.push(ranks.get(bytes)!);
    return;
  }
  if (n <= SMALL_PIECE) {
    smallBpe(bytes, ranks, out);
    return;
  }
  // Parts are a linked list over byte offsets: part i covers [i, end[i]).
  const end = new Int32Array(n);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const stamp = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    end[i] = i + 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // Heap entries in parallel typed arrays (tuples cost an allocation per push): rank, left part,
  // stamp of left, stamp of right part. Each merge pushes at most two entries: capacity 3n.
  const cap = 3 * n + 4;
  const hr = new Int32Array(cap);
  const hl = new Int32Array(cap);
  const hsl = new Int32Array(cap);
  const hsr = new Int32Array(cap);
  let size = 0;
  const less = (x: number, y: number) => hr[x]! < hr[y]! || (hr[x] === hr[y] && hl[x]! < hl[y]!);
  const swap = (x: number, y: number) => {
    let t = hr[x]!; hr[x] = hr[y]!; hr[y] = t;
    t = hl[x]!; hl[x] = hl[y]!; hl[y] = t;
    t = hsl[x]!; hsl[x] = hsl[y]!; hsl[y] = t;
    t = hsr[x]!; hsr[x] = hsr[y]!; hsr[y] = t;
  };
  const push = (rank: number, left: number, sl: number, sr: number) => {
    let i = size++;
    hr[i] = rank;
    hl[i] = left;
    hsl[i] = sl;
    hsr[i] = sr;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  /** Removes the top entry (read it first from index 0). */
  const pop = () => {
    size--;
    if (size === 0) return;
    hr[0] = hr[size]!;
    hl[0] = hl[size]!;
    hsl[0] = hsl[size]!;
    hsr[0] = hsr[size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && less(l, m)) m = l;
      if (r < size && less(r, m)) m = r;
      if (m === i) break;
      swap(i, m);
      i = m;
    }
  };
  const consider = (left: number) => {
    const right = next[left]!;
    if (left < 0 || right < 0) return;
    const rank = ranks.get(key(left, end[right]!));
    if (rank !== undefined) push(rank, left, stamp[left]!, stamp[right]!);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (size) {
    const left = hl[0]!;
    const sl = hsl[0]!;
    const sr = hsr[0]!;
    pop();
    const right = next[left]!;
    // Stale entry: one side was merged (stamp -1 marks a part absorbed into its left neighbour).
    if (stamp[left] !== sl || right < 0 || stamp[right] !== sr) continue;
    end[left] = end[right]!;
    next[left] = next[right]!;
    if (next[right]! >= 0) prev[next[right]!] = left;
    stamp[right] = -1;
    stamp[left]!++;
    consider(prev[left]!);
    consider(left);
  }
  for (let i = 0; i >= 0; i = next[i]!) out.push(ranks.get(key(i, end[i]!))!);
}

/** Pieces up to this many bytes (nearly all of real text) merge by plain scanning, without a heap. */
const SMALL_PIECE = 24;

/** The same merges as bpe() (lowest rank first, leftmost on ties) by rescanning: fast for short pieces. */
function smallBpe(bytes: string, ranks: Map<string, number>, out: number[]): void {
  // bounds[k] is the start of part k; the last entry is the end of the piece.
  const bounds: number[] = [];
  for (let i = 0; i <= bytes.length; i++) bounds.push(i);
  const pairRank = (k: number) => (k + 2 < bounds.length ? ranks.get(bytes.slice(bounds[k]!, bounds[k + 2]!)) ?? Infinity : Infinity);
  const rankOf: number[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) rankOf.push(pairRank(k));
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let k = 0; k + 2 < bounds.length; k++) {
      if (rankOf[k]! < best) {
        best = rankOf[k]!;
        at = k;
      }
    }
    if (at < 0) break;
    bounds.splice(at + 1, 1);
    rankOf.splice(at + 1, 1);
    rankOf[at] = pairRank(at);
    if (at > 0) rankOf[at - 1] = pairRank(at - 1);
  }
  for (let k = 0; k + 1 < bounds.length; k++) out.push(ranks.get(bytes.slice(bounds[k]!, bounds[k + 1]!))!);
}

/** Build the encoder tables now (~0.6-1 s of CPU for o200k_base) rather than inside the first request. */
export function warmTokenizer(enc: EncodingName = 'o200k_base'): void {
  encoder(enc);
}

/** Token ids of `text`, special-token text encoded as ordinary text (what a model sees in a prompt). */
export function encode(text: string, enc: EncodingName = 'o200k_base'): number[] {
  const t = encoder(enc);
  const out: number[] = [];
  for (const m of text.matchAll(new RegExp(t.pattern, 'gu'))) {
    const piece = Buffer.from(m[0], 'utf8');
    const whole = piece.length <= MAX_TOKEN_BYTES ? t.ranks.get(piece.toString('latin1')) : undefined;
    if (whole !== undefined) out.push(whole);
    else if (piece.length <= MEMO_PIECE) bpe(piece, t.ranks, out);
    else {
      // A long piece (a run of one character, a line of base64 or hex): merged window by window so
      // the cost stays linear (counts may then differ from tiktoken by at most one token per window
      // boundary; no real word is this long), and recent windows are remembered, because such
      // pieces repeat (a chunker counting slices of the same run).
      for (let s = 0; s < piece.length; ) {
        let e = Math.min(piece.length, s + BPE_WINDOW);
        while (e < piece.length && (piece[e]! & 0xc0) === 0x80) e--; // never cut inside a UTF-8 character
        const win = piece.toString('latin1', s, e);
        let ids = t.windows.get(win);
        if (!ids) {
          ids = [];
          bpe(piece.subarray(s, e), t.ranks, ids);
          if (t.windows.size >= 256) t.windows.clear();
          t.windows.set(win, ids);
        }
        for (const id of ids) out.push(id);
        s = e;
      }
    }
  }
  return out;
}

/** No token of either encoding is longer than this many bytes (o200k_base's longest is 128). */
const MAX_TOKEN_BYTES = 256;
/** Pieces longer than this are memoised (see encode). */
const MEMO_PIECE = 64;
/** Pieces longer than this are merged in windows of this size (see encode). */
const BPE_WINDOW = 4096;


export function decode(tokens: number[], enc: EncodingName = 'o200k_base'): string {
  const t = encoder(enc);
  return Buffer.from(tokens.map((r) => t.byRank[r] ?? '').join(''), 'latin1').toString('utf8');
}

/** Exact token count for the encoding (special-token text is counted as ordinary text). */
export function countTokens(text: string, enc: EncodingName = 'o200k_base'): number {
  if (text.length === 0) return 0;
  return encode(text, enc).length;
}

/** Cost in USD of `tokens` input tokens at the model's list price. */
export function inputCost(tokens: number, model: ModelInfo): number {
  return (tokens * model.inputPerMTok) / 1_000_000;
}

/** Truncate to at most `max` tokens, on a token boundary. */
export function truncateToTokens(text: string, max: number, enc: EncodingName = 'o200k_base'): string {
  const toks = encode(text, enc);
  return toks.length <= max ? text : decode(toks.slice(0, max), enc);
}
