// Shrinking an upstream tool's result (proxy_mcp_server): JSON without nulls and with repeated
// records folded into tables, shell-like text through the CLI filters, prose through the compressor —
// then cut to a token budget. Whatever was shortened or cut is kept whole for a while (in memory,
// bound to its owner and project, bounded in size) and read back page by page with a handle.
// Images, audio and other non-text blocks pass through untouched.
import crypto from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AppDeps } from '../../app-deps.js';
import type { Plan } from '../../config.js';
import type { Scope } from '../../domain/scope.js';
import { cleanLines, filterCliOutput, scoreDetectors } from '../../engine/cli/index.js';
import { redactSecrets } from '../../engine/secrets.js';
import { countTokens, truncateToTokens } from '../../engine/tokens.js';
import { NotFound } from '../../errors.js';
import { CompressionService } from '../compression.js';

export const SHRINK_MODES = ['auto', 'json', 'cli', 'text'] as const;
export type ShrinkMode = (typeof SHRINK_MODES)[number];

const KEEP_MS = 30 * 60_000;
/** Bound of all kept results together, in characters (oldest go first). */
const KEEP_CHARS = 32 * 1024 * 1024;
export const PAGE_TOKENS = 2000;

type Block = CallToolResult['content'][number];

export interface ShrunkBlock {
  index: number;
  kind: 'json' | 'cli' | 'text' | 'passthrough';
  detected: string | null;
  original_tokens: number;
  tokens: number;
}

export interface Shrunk {
  content: Block[];
  blocks: ShrunkBlock[];
  original_tokens: number;
  tokens: number;
  truncated: boolean;
  continuation: { handle: string; pages: number; page_tokens: number; expires_at: string } | null;
  secrets_redacted: string[];
}

interface Kept {
  scope: Scope;
  pages: string[];
  expires: number;
  chars: number;
}

/** A JSON value without null members, arrays of three or more records folded into {columns, rows}. */
export function compactJson(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(compactJson);
    const records = items.length >= 3 && items.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
    if (!records) return items;
    const columns: string[] = [];
    for (const r of items as Record<string, unknown>[]) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    // A table only pays when rows share their keys; scattered keys would become a grid of nulls.
    const filled = (items as Record<string, unknown>[]).reduce((a, r) => a + Object.keys(r).length, 0);
    if (filled < 0.6 * columns.length * items.length) return items;
    return { columns, rows: (items as Record<string, unknown>[]).map((r) => columns.map((c) => (c in r ? r[c] : null))) };
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = compactJson(x);
    return out;
  }
  return v;
}

function parseJson(text: string): unknown {
  const t = text.trim();
  if (!/^[[{]/.test(t)) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** Pages of at most `pageTokens` tokens, cut at line ends where possible; joined with '' they are the text again. */
export function paginate(text: string, pageTokens: number): string[] {
  const pages: string[] = [];
  let cur = '';
  let curTokens = 0;
  const flush = () => {
    if (cur) pages.push(cur);
    cur = '';
    curTokens = 0;
  };
  for (let line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    let t = countTokens(line);
    while (t > pageTokens) {
      flush();
      const head = truncateToTokens(line, pageTokens);
      pages.push(head);
      line = line.slice(head.length);
      t = countTokens(line);
    }
    if (curTokens + t > pageTokens) flush();
    cur += line;
    curTokens += t;
  }
  flush();
  return pages.length ? pages : [''];
}

export class GatewayResultsService {
  private readonly kept = new Map<string, Kept>();
  private keptChars = 0;

  constructor(private readonly deps: AppDeps) {}

  async shrink(scope: Scope, plan: Plan, result: CallToolResult, opts: { maxTokens: number; mode: ShrinkMode; signal?: AbortSignal }): Promise<Shrunk> {
    const content: Block[] = [];
    const blocks: ShrunkBlock[] = [];
    const raw: string[] = [];
    const classes = new Set<string>();
    for (const [index, b] of result.content.entries()) {
      if (b.type !== 'text') {
        content.push(b);
        blocks.push({ index, kind: 'passthrough', detected: b.type, original_tokens: 0, tokens: 0 });
        continue;
      }
      const red = redactSecrets(b.text);
      red.classes.forEach((c) => classes.add(c));
      const text = red.text;
      raw.push(text);
      const before = countTokens(text);
      const { kind, out, detected } = await this.shrinkText(scope, plan, text, before, opts);
      content.push({ ...b, text: out });
      blocks.push({ index, kind, detected, original_tokens: before, tokens: countTokens(out) });
    }
    const textBlocks = () => content.filter((b): b is Extract<Block, { type: 'text' }> => b.type === 'text');
    let tokens = textBlocks().reduce((a, b) => a + countTokens(b.text), 0);
    const original = blocks.reduce((a, b) => a + b.original_tokens, 0);
    let truncated = false;
    if (tokens > opts.maxTokens) {
      // Cut in block order: earlier blocks keep their share first.
      let left = opts.maxTokens;
      for (const b of textBlocks()) {
        const t = countTokens(b.text);
        if (t <= left) left -= t;
        else {
          b.text = left > 0 ? truncateToTokens(b.text, left) : '';
          left = 0;
        }
      }
      truncated = true;
      tokens = textBlocks().reduce((a, b) => a + countTokens(b.text), 0);
    }
    const changed = truncated || blocks.some((b) => b.kind !== 'passthrough' && b.tokens !== b.original_tokens);
    const continuation = changed ? this.keep(scope, raw.join('\n\n')) : null;
    return { content, blocks, original_tokens: original, tokens, truncated, continuation, secrets_redacted: [...classes] };
  }

  /** One page of a kept result; NotFound when the handle is unknown, expired or another project's. */
  page(scope: Scope, handle: string, page: number): { text: string; page: number; pages: number } {
    this.expire();
    const k = this.kept.get(handle);
    if (!k || k.scope.ownerId !== scope.ownerId || k.scope.projectId !== scope.projectId) {
      throw new NotFound('continuation: no kept result with this handle in this project (results are kept 30 minutes)', { field: 'continuation', rule: 'not_found' });
    }
    if (page < 1 || page > k.pages.length) throw new NotFound(`page: the result has ${k.pages.length} page(s)`, { field: 'page', rule: 'range', limit: k.pages.length });
    return { text: k.pages[page - 1]!, page, pages: k.pages.length };
  }

  forgetScope(scope: Scope): void {
    for (const [h, k] of this.kept) if (k.scope.ownerId === scope.ownerId && k.scope.projectId === scope.projectId) this.drop(h);
  }

  private async shrinkText(scope: Scope, plan: Plan, text: string, tokens: number, opts: { maxTokens: number; mode: ShrinkMode; signal?: AbortSignal }) {
    const json = opts.mode === 'auto' || opts.mode === 'json' ? parseJson(text) : undefined;
    if (json !== undefined) return { kind: 'json' as const, out: JSON.stringify(compactJson(json)), detected: 'json' };
    if (opts.mode === 'auto' || opts.mode === 'cli') {
      const [best] = scoreDetectors(cleanLines(text));
      if (opts.mode === 'cli' || (best && best.score >= 0.5 && best.id !== 'generic')) {
        const f = filterCliOutput(text);
        return { kind: 'cli' as const, out: f.filtered, detected: f.detected_type };
      }
    }
    // Prose is only worth the compressor when it does not fit.
    if ((opts.mode === 'auto' || opts.mode === 'text') && tokens > opts.maxTokens) {
      const r = await this.deps.service(CompressionService).compress(scope, plan, { text, fidelity: 'detailed' }, opts.signal);
      return { kind: 'text' as const, out: r.compressed, detected: 'prose' };
    }
    return { kind: 'text' as const, out: text, detected: null };
  }

  private keep(scope: Scope, text: string): Shrunk['continuation'] {
    this.expire();
    const handle = `res_${crypto.randomBytes(12).toString('base64url')}`;
    const pages = paginate(text, PAGE_TOKENS);
    const expires = Date.now() + KEEP_MS;
    this.kept.set(handle, { scope: { ...scope }, pages, expires, chars: text.length });
    this.keptChars += text.length;
    // Oldest first (Map keeps insertion order) until the bound holds again.
    for (const h of this.kept.keys()) {
      if (this.keptChars <= KEEP_CHARS || h === handle) break;
      this.drop(h);
    }
    return { handle, pages: pages.length, page_tokens: PAGE_TOKENS, expires_at: new Date(expires).toISOString() };
  }

  private expire(): void {
    const now = Date.now();
    for (const [h, k] of this.kept) if (k.expires <= now) this.drop(h);
  }

  private drop(handle: string): void {
    const k = this.kept.get(handle);
    if (!k) return;
    this.kept.delete(handle);
    this.keptChars -= k.chars;
  }
}
