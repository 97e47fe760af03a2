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
 * js-tiktoken's rank tables, built our way: tokens keyed by their bytes as a latin1 string (one native
 * Buffer call each) instead of comma-joined byte lists. Building o200k_base takes a fraction of the
 * 1.3 s that js-tiktoken's constructor needs, and lookups during merging are cheaper too.
 */
interface Tables {
  ranks: Map<string, number>;
  /** Token bytes (latin1 string) by rank, for decoding. */
  byRank: string[];
  pattern: string;
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
        const bytes = Buffer.from(parts[i]!, 'base64').toString('latin1');
        ranks.set(bytes, offset + i - 2);
        byRank[offset + i - 2] = bytes;
      }
    }
    t = { ranks, byRank, pattern: src.pat_str };
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
  const key = (a: number, b: number) => piece.toString('latin1', a, b);
  if (n === 1) {
    out.push(ranks.get(key(0, 1))!);
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
  // Heap entries: [rank, left part, stamp of left, stamp of right part].
  const heap: Array<[number, number, number, number]> = [];
  const less = (x: [number, number, number, number], y: [number, number, number, number]) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
  const push = (e: [number, number, number, number]) => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const consider = (left: number) => {
    const right = next[left]!;
    if (left < 0 || right < 0) return;
    const rank = ranks.get(key(left, end[right]!));
    if (rank !== undefined) push([rank, left, stamp[left]!, stamp[right]!]);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (heap.length) {
    const [, left, sl, sr] = pop();
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
    const whole = t.ranks.get(piece.toString('latin1'));
    if (whole !== undefined) out.push(whole);
    else bpe(piece, t.ranks, out);
  }
  return out;
}

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
