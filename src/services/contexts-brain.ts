// The project brain: the approved contexts of a project assembled into one Markdown document under a
// token budget. Tier 1 always goes in (compressed by the engine, and flagged, when tier 1 alone is
// over the budget); tier 2 is ranked by relevance to the query (the retrieval index: keyword + vector
// fused) and compressed to fit what is left; tier 3 only when asked; drafts and deprecated never.
// Sections appear in tree order. The version stamp is a hash of everything the document depends on.
import { createHash } from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { chunkTextAsync } from '../engine/chunking.js';
import { buildSkeletonAsync } from '../engine/compress.js';
import { countTokens } from '../engine/tokens.js';
import { contextSource, type ContextEntryRow, type ContextRow } from '../store/contexts.js';
import { RetrievalIndex } from '../store/retrieval.js';
import { contentText, readContent } from './contexts.js';
import { treeOrder } from './contexts-tree.js';

export type Inclusion = 'whole' | 'compressed' | 'omitted';

export interface BrainEntry {
  id: string;
  name: string;
  schema_key: string | null;
  tier: number;
  inclusion: Inclusion;
  /** Why it was compressed or left out: tier1_over_budget, budget, archive. */
  reason: string | null;
  original_tokens: number;
  tokens: number;
  /** Rank by relevance to the query among tier 2 (1 = most relevant); null without a query or for tier 1. */
  relevance_rank: number | null;
}

export interface Brain {
  project_id: string;
  version: string;
  document: string;
  tokens: number;
  budget_tokens: number;
  query: string | null;
  include_archive: boolean;
  tier1_compressed: boolean;
  contexts: BrainEntry[];
  counts: { whole: number; compressed: number; omitted: number };
}

/** Below this a section is kept or left out whole: a skeleton of a few sentences saves too little. */
const MIN_COMPRESSIBLE_TOKENS = 80;
/** Skeleton ratios are at least this (5%, the engine's "abstract"). */
const MIN_RATIO = 0.05;
/** Compressions tried per assembly: each costs chunking and embedding, and once the room is nearly gone more tries only fail. */
const MAX_SQUEEZES = 8;

interface Section {
  row: ContextRow;
  depth: number;
  body: string;
  tokens: number;
  out: BrainEntry;
  text: string | null;
}

function heading(row: ContextRow, depth: number, compressed: boolean): string {
  return `${'#'.repeat(Math.min(depth + 2, 6))} ${row.name}${compressed ? ' (compressed)' : ''}`;
}

function sectionText(s: Section, body: string, compressed: boolean): string {
  const desc = s.row.description ? `_${s.row.description}_\n\n` : '';
  return `${heading(s.row, s.depth, compressed)}\n\n${desc}${body}`.trimEnd();
}

export class BrainService {
  private readonly index: RetrievalIndex<null>;

  constructor(private readonly deps: AppDeps) {
    this.index = new RetrievalIndex(deps, contextSource);
  }

  /** The body of a context: its content and the journal entries not yet compacted into it. */
  private body(row: ContextRow, entries: ContextEntryRow[]): string {
    return [contentText(readContent(row.content)), ...entries.map((e) => e.text)].filter((b) => b.trim()).join('\n\n');
  }

  /** Compress `text` by the engine to at most `maxTokens` (null when it cannot get there). */
  private async squeeze(text: string, tokens: number, maxTokens: number, query: string | null): Promise<{ text: string; tokens: number } | null> {
    if (tokens < MIN_COMPRESSIBLE_TOKENS || maxTokens < 16) return null;
    const ratio = Math.max(MIN_RATIO, Math.min(1, maxTokens / tokens));
    const embedder = await this.deps.embedder();
    const chunks = await chunkTextAsync(text);
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    const queryVector = query ? (await embedder.embed([query]))[0]! : null;
    const sk = await buildSkeletonAsync({ chunks, vectors, ratio, query, queryVector, source: text, originalTokens: tokens });
    return sk.tokens <= maxTokens && !sk.passthrough ? { text: sk.text, tokens: sk.tokens } : null;
  }

  /** Tier-2 (and archive) candidates ordered by relevance to the query: index hits first, the rest in tree order. */
  private async rank(scope: Scope, candidates: Section[], query: string | null): Promise<Section[]> {
    if (!query || candidates.length === 0) return candidates;
    const allowed = new Set(candidates.map((c) => c.row.rowid));
    const { hits } = await this.index.search({ scopes: [scope], query, mode: 'hybrid', k: candidates.length, accept: (id) => allowed.has(id) });
    const byRowid = new Map(candidates.map((c) => [c.row.rowid, c]));
    const ranked: Section[] = [];
    for (const h of hits) {
      const s = byRowid.get(h.id);
      if (!s) continue;
      s.out.relevance_rank = ranked.length + 1;
      ranked.push(s);
      byRowid.delete(h.id);
    }
    return [...ranked, ...candidates.filter((c) => byRowid.has(c.row.rowid))];
  }

  async assemble(scope: Scope, o: { budgetTokens: number; query: string | null; includeArchive: boolean }): Promise<Brain> {
    const repo = this.deps.store.contexts(scope);
    const rows = await repo.all();
    const entries = await repo.liveEntries();
    const byContext = new Map<string, ContextEntryRow[]>();
    for (const e of entries) byContext.set(e.context_id, [...(byContext.get(e.context_id) ?? []), e]);

    // The stamp covers every live context (a draft approved, a tier moved, an entry added all change it) and the request.
    const hash = createHash('sha256').update(JSON.stringify({ b: o.budgetTokens, q: o.query, a: o.includeArchive }));
    for (const r of rows) hash.update(`${r.id}\u0000${r.updated_at}\u0000${r.version_number}\u0000${r.state}\u0000${r.tier}\u0000${r.parent_id ?? ''}\n`);
    const version = hash.digest('hex').slice(0, 16);

    // Reading order is the whole tree's, so an approved child keeps its place under a draft parent.
    const ordered = treeOrder(rows).filter(({ row }) => row.state === 'approved');
    const sections: Section[] = ordered.map(({ row, depth }) => {
      const body = this.body(row, byContext.get(row.id) ?? []);
      const own = byContext.get(row.id) ?? [];
      const s: Section = { row, depth, body, tokens: 0, text: null, out: { id: row.id, name: row.name, schema_key: row.schema_key, tier: row.tier, inclusion: 'omitted', reason: null, original_tokens: 0, tokens: 0, relevance_rank: null } };
      // Content and entries were counted when written: only the heading is counted here (the document is counted whole at the end).
      s.tokens = row.tokens + own.reduce((n, e) => n + e.tokens, 0) + countTokens(sectionText(s, '', false)) + 4;
      s.out.original_tokens = s.tokens;
      return s;
    });
    const title = `# Project brain\n\n`;
    let remaining = o.budgetTokens - countTokens(title);

    const placed: Section[] = [];
    const put = (s: Section, text: string, tokens: number, inclusion: Inclusion, reason: string | null) => {
      placed.push(s);
      s.text = text;
      s.out.inclusion = inclusion;
      s.out.reason = reason;
      s.out.tokens = tokens;
      remaining -= tokens;
    };
    let squeezes = 0;
    const tryCompressed = async (s: Section, room: number, reason: string): Promise<boolean> => {
      const headTokens = countTokens(sectionText(s, '', true)) + 4;
      // Tier 1 is always tried; tier 2 and 3 within the cap.
      const capped = s.row.tier !== 1;
      if (room - headTokens < MIN_COMPRESSIBLE_TOKENS / 4 || (capped && squeezes >= MAX_SQUEEZES)) return false;
      if (capped) squeezes++;
      const sk = await this.squeeze(s.body, Math.max(1, s.tokens - headTokens), room - headTokens, o.query);
      if (!sk) return false;
      const text = sectionText(s, sk.text, true);
      put(s, text, countTokens(text) + 2, 'compressed', reason);
      return true;
    };

    const tier1 = sections.filter((s) => s.row.tier === 1);
    const tier1Tokens = tier1.reduce((n, s) => n + s.tokens, 0);
    const tier1Compressed = tier1Tokens > remaining;
    if (!tier1Compressed) {
      for (const s of tier1) put(s, sectionText(s, s.body, false), s.tokens, 'whole', null);
    } else {
      // Each tier-1 section gets its share of the budget; what cannot shrink into its share is left out.
      const budget = remaining;
      for (const s of tier1) {
        const share = Math.floor((budget * s.tokens) / tier1Tokens);
        if (s.tokens <= share) put(s, sectionText(s, s.body, false), s.tokens, 'whole', null);
        else if (!(await tryCompressed(s, Math.min(share, remaining), 'tier1_over_budget'))) s.out.reason = 'tier1_over_budget';
      }
    }

    const archive = sections.filter((s) => s.row.tier === 3);
    // Tier 2 first, then (when asked) the archive, each in order of relevance.
    const candidates = [...(await this.rank(scope, sections.filter((s) => s.row.tier === 2), o.query)), ...(o.includeArchive ? await this.rank(scope, archive, o.query) : [])];
    for (const s of candidates) {
      if (s.tokens <= remaining) put(s, sectionText(s, s.body, false), s.tokens, 'whole', null);
      else if (!(remaining > 0 && (await tryCompressed(s, remaining, 'budget')))) s.out.reason = 'budget';
    }
    if (!o.includeArchive) for (const s of archive) s.out.reason = 'archive';

    let document = title + sections.filter((s) => s.text !== null).map((s) => s.text).join('\n\n') + '\n';
    let tokens = countTokens(document);
    // Section estimates are per section; the joined document is counted once more and trimmed from the least relevant end.
    const droppable = placed.filter((s) => s.row.tier !== 1).reverse();
    while (tokens > o.budgetTokens && droppable.length) {
      const s = droppable.shift()!;
      s.text = null;
      s.out.inclusion = 'omitted';
      s.out.reason = 'budget';
      s.out.tokens = 0;
      document = title + sections.filter((x) => x.text !== null).map((x) => x.text).join('\n\n') + '\n';
      tokens = countTokens(document);
    }
    const list = sections.map((s) => s.out);
    return {
      project_id: scope.projectId,
      version,
      document,
      tokens,
      budget_tokens: o.budgetTokens,
      query: o.query,
      include_archive: o.includeArchive,
      tier1_compressed: tier1Compressed,
      contexts: list,
      counts: {
        whole: list.filter((c) => c.inclusion === 'whole').length,
        compressed: list.filter((c) => c.inclusion === 'compressed').length,
        omitted: list.filter((c) => c.inclusion === 'omitted').length,
      },
    };
  }
}
