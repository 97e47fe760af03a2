// Exact token counts with js-tiktoken. Encoders are built lazily (o200k_base takes ~600 ms) and kept.
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';

export type EncodingName = 'o200k_base' | 'cl100k_base';

const RANKS: Record<EncodingName, TiktokenBPE> = { o200k_base, cl100k_base };
const encoders = new Map<EncodingName, Tiktoken>();

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

function encoder(name: EncodingName): Tiktoken {
  let enc = encoders.get(name);
  if (!enc) {
    enc = new Tiktoken(RANKS[name]);
    encoders.set(name, enc);
  }
  return enc;
}

export function encodingFor(model?: string | null): EncodingName {
  return findModel(model)?.encoding ?? 'o200k_base';
}

export function encode(text: string, enc: EncodingName = 'o200k_base'): number[] {
  return encoder(enc).encode(text, [], []);
}

export function decode(tokens: number[], enc: EncodingName = 'o200k_base'): string {
  return encoder(enc).decode(tokens);
}

/** Exact token count for the encoding (special-token text is counted as ordinary text). */
export function countTokens(text: string, enc: EncodingName = 'o200k_base'): number {
  if (text.length === 0) return 0;
  return encoder(enc).encode(text, [], []).length;
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
