// Agent memory: short facts an agent keeps across sessions, per project. Writes embed the text and
// merge near-duplicates (by cosine similarity) instead of storing them twice; search is the one
// retrieval index's hybrid search (vectors held in process memory per scope, keyword bm25, RRF).
// Every statement is scoped by owner and project.
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { vectorToBlob } from '../engine/embeddings/vector.js';
import { queryTerms } from '../engine/retrieval/index.js';
import { Conflict, InvalidInput, NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import { memorySource, type MemoryMeta, type MemoryRow } from '../store/memory.js';
import { RetrievalIndex } from '../store/retrieval.js';
import { LIMITS } from '../config.js';

/** Sizes the memory tools enforce (defined with every other limit in src/config.ts). */
export const MEMORY_LIMITS = LIMITS.memory;

/**
 * Similarity at or above which a new memory is merged into an existing one, and the default floor
 * for forgetting by query. Per provider, because their score scales differ: averaged word vectors
 * put unrelated sentences far higher than a sentence transformer does.
 */
export function similarityDefaults(embedderId: string): { dedupe: number; forget: number } {
  if (embedderId.startsWith('minilm')) return { dedupe: 0.9, forget: 0.5 };
  // Offline vectors (SIF + hashed words), measured: a restatement with punctuation or an article
  // changed 0.99–1.0, the same sentence with another port number 0.93, a paraphrase in other words
  // 0.88, unrelated sentences below 0.3; a short query against a memory it describes 0.58–0.81.
  // Merging only near-verbatim restatements keeps two different facts from collapsing into one.
  return { dedupe: 0.95, forget: 0.5 };
}

/** A memory as tools return it: the row without its internal sequence number. */
export type MemoryRecord = Omit<MemoryRow, 'seq'>;

export interface MemoryFilter {
  /** Memories carrying any of these tags (all of them with matchAllTags). */
  tags?: string[];
  matchAllTags?: boolean;
  /** Inclusive bounds on created_at, ISO 8601. */
  since?: string;
  until?: string;
  source?: string;
}

export interface AddMemoryInput {
  text: string;
  tags?: string[];
  source?: string | null;
  dedupe?: boolean;
  dedupeThreshold?: number;
}

export interface AddMemoryResult {
  id: string;
  merged: boolean;
  similarity: number | null;
  previous_text: string | null;
  memory: MemoryRecord;
}

export type SearchMode = 'hybrid' | 'semantic' | 'keyword';

export interface SearchInput extends MemoryFilter {
  query: string;
  topK: number;
  mode: SearchMode;
  minSimilarity?: number;
}

export interface SearchHit extends MemoryRecord {
  score: number;
  similarity: number;
  keyword_rank: number | null;
  semantic_rank: number | null;
}

export interface ForgetInput extends MemoryFilter {
  query?: string;
  ids?: string[];
  minSimilarity?: number;
  limit: number;
  dryRun: boolean;
}

/** How often a write re-decides (duplicate check) after another process wrote the scope meanwhile. */
const WRITE_ATTEMPTS = 5;

/** Trimmed, lower-cased, de-duplicated tags, so filters do not depend on spelling of case. */
export function normalizeTags(tags: readonly string[] | undefined): string[] {
  if (!tags) return [];
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

/** Canonical UTC ISO form of a time bound, so it compares correctly with stored timestamps. */
export function normalizeTime(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidInput(`${field} must be an ISO 8601 date or date-time, got '${value}'`, { field });
  return new Date(ms).toISOString();
}

function toRecord(r: MemoryRow): MemoryRecord {
  return {
    id: r.id,
    text: r.text,
    tags: r.tags,
    source: r.source,
    merge_count: r.merge_count,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export class MemoryService {
  // Writes run in the store's read-then-write transaction (BEGIN IMMEDIATE on SQLite, SERIALIZABLE
  // with retries on PostgreSQL) and read the scope's change stamp inside it.
  /** Vector, keyword and hybrid search over memories (the one retrieval index). */
  private readonly index: RetrievalIndex<MemoryMeta>;

  constructor(private readonly deps: AppDeps) {
    this.index = new RetrievalIndex(deps, memorySource);
  }

  // ---- writes ---------------------------------------------------------------------------------

  async add(scope: Scope, input: AddMemoryInput): Promise<AddMemoryResult> {
    const text = input.text.trim();
    if (!text) throw new InvalidInput('text must not be empty', { field: 'text' });
    const tags = normalizeTags(input.tags);
    const embedder = await this.deps.embedder();
    const [vec] = await embedder.embed([text]);
    if (!vec) throw new Error('embedder returned no vector');
    const threshold = input.dedupeThreshold ?? similarityDefaults(embedder.id).dedupe;

    for (let attempt = 1; ; attempt++) {
      const { table, stamp } = await this.index.table(scope, embedder);
      // The duplicate check uses the vectors as of `stamp`; the write goes ahead only if nobody (this
      // process, another one, a replica) changed the scope since, else the check runs again.
      const best = { seq: -1, sim: -Infinity };
      if (input.dedupe !== false) {
        table.scan(vec, (seq, sim) => {
          if (sim > best.sim) {
            best.seq = seq;
            best.sim = sim;
          }
        });
      }
      const out = await this.deps.store.tx(async (t) => {
        // Only the duplicate check depends on the vectors as of `stamp`: without it (dedupe off) a
        // concurrent writer is no reason to start over (on PostgreSQL several really run at once).
        if (input.dedupe !== false && (await this.index.stamp(scope, t)) !== stamp) return null;
        const repo = t.memories(scope);
        const now = nowIso();
        // Float rounding puts identical texts a hair under 1.0.
        if (best.seq >= 0 && best.sim >= threshold - 1e-6) {
          const old = (await repo.bySeq(best.seq))!;
          const mergedTags = normalizeTags([...old.tags, ...tags]);
          const source = input.source ?? old.source;
          await repo.update(best.seq, { text, tags: mergedTags, source, embedding: vectorToBlob(vec), embedderId: embedder.id, merged: true, now });
          const row = (await repo.bySeq(best.seq))!;
          const result: AddMemoryResult = { id: row.id, merged: true, similarity: round(best.sim), previous_text: old.text, memory: toRecord(row) };
          return { result, seq: row.seq, meta: { createdAt: row.created_at, tags: mergedTags, source }, after: await this.index.stamp(scope, t) };
        }
        const id = newId('mem');
        const source = input.source ?? null;
        const seq = await repo.insert({ id, text, tags, source, embedding: vectorToBlob(vec), embedderId: embedder.id, now });
        const row = (await repo.bySeq(seq))!;
        const result: AddMemoryResult = { id, merged: false, similarity: best.seq >= 0 ? round(best.sim) : null, previous_text: null, memory: toRecord(row) };
        return { result, seq, meta: { createdAt: now, tags, source }, after: await this.index.stamp(scope, t) };
      });
      if (out) {
        this.index.applyOwnWrite(scope, stamp, out.after, (t) => t.set(out.seq, out.meta, vec), [out.seq]);
        return out.result;
      }
      if (attempt >= WRITE_ATTEMPTS) throw new Conflict("this project's memories are being changed by another writer; retry add_memory", { field: 'text' });
    }
  }

  async update(scope: Scope, id: string, patch: { text?: string; tags?: string[]; source?: string | null }): Promise<MemoryRecord> {
    if (patch.text === undefined && patch.tags === undefined && patch.source === undefined) {
      throw new InvalidInput('give at least one of text, tags or source to change', { field: 'text' });
    }
    const text = patch.text?.trim();
    if (text === '') throw new InvalidInput('text must not be empty', { field: 'text' });
    const embedder = await this.deps.embedder();
    const vec = text !== undefined ? (await embedder.embed([text]))[0] : undefined;
    const { record, seq, meta, before, after } = await this.deps.store.tx(async (t) => {
      const before = await this.index.stamp(scope, t);
      const repo = t.memories(scope);
      const old = await this.mustGet(repo.byId(id), id);
      const tags = patch.tags !== undefined ? normalizeTags(patch.tags) : old.tags;
      const source = patch.source !== undefined ? patch.source : old.source;
      await repo.update(old.seq, { text, tags, source, embedding: vec ? vectorToBlob(vec) : undefined, embedderId: embedder.id, now: nowIso() });
      const row = (await repo.bySeq(old.seq))!;
      const meta: MemoryMeta = { createdAt: row.created_at, tags, source };
      return { record: toRecord(row), seq: old.seq, meta, before, after: await this.index.stamp(scope, t) };
    });
    this.index.applyOwnWrite(scope, before, after, (t) => {
      // Without a new vector the cached one stays (a row the table lacks was stored by another embedder).
      const v = vec ?? t.vector(seq);
      if (v) t.set(seq, meta, v);
    }, [seq]);
    return record;
  }

  async delete(scope: Scope, id: string): Promise<{ id: string; deleted: true }> {
    const { before, after, seq } = await this.deps.store.tx(async (t) => {
      const before = await this.index.stamp(scope, t);
      const repo = t.memories(scope);
      const row = await this.mustGet(repo.byId(id), id);
      await repo.delete([row.seq]);
      return { before, after: await this.index.stamp(scope, t), seq: row.seq };
    });
    this.index.applyOwnWrite(scope, before, after, (t) => t.delete(seq), [seq]);
    return { id, deleted: true };
  }

  /**
   * Deletes (or with dryRun only lists) the memories matching a query and/or filters. A query
   * matches a memory whose similarity reaches minSimilarity or that contains every query word.
   */
  async forget(scope: Scope, input: ForgetInput): Promise<{
    dry_run: boolean;
    matched: number;
    deleted: number;
    truncated: boolean;
    memories: Array<MemoryRecord & { similarity: number | null }>;
  }> {
    const filter = this.normalizeFilter(input);
    const hasFilter = Boolean(filter.tags?.length || filter.since || filter.until || filter.source !== undefined);
    const query = input.query?.trim() || undefined;
    if (!query && !hasFilter && !input.ids?.length) {
      throw new InvalidInput('forget_memories needs a query, ids, or a filter (tags, since, until, source)', { field: 'query' });
    }
    const repo = this.deps.store.memories(scope);
    let matches: Array<{ seq: number; similarity: number | null }>;
    if (query) {
      const embedder = await this.deps.embedder();
      const [qv] = await embedder.embed([query]);
      const { table } = await this.index.table(scope, embedder);
      const floor = input.minSimilarity ?? similarityDefaults(embedder.id).forget;
      const sims = new Map<number, number>();
      const keep = filterPredicate(filter);
      const accept = (_seq: number, m: MemoryMeta) => keep(m);
      table.scan(qv!, (seq, sim) => sims.set(seq, sim), accept);
      const allWords = new Set(
        (
          await this.index.keyword([scope], queryTerms(query), 'all', Number.MAX_SAFE_INTEGER, {
            accept: (seq) => table.has(seq) && accept(seq, table.meta(seq)!),
            inTables: true,
          })
        ).map((h) => h.id),
      );
      matches = [...sims.entries()]
        .filter(([seq, sim]) => sim >= floor || allWords.has(seq))
        .map(([seq, sim]) => ({ seq, similarity: round(sim) }))
        .sort((a, b) => b.similarity! - a.similarity!);
    } else {
      const rows = await repo.list(filter, { limit: Number.MAX_SAFE_INTEGER, offset: 0, order: 'newest' });
      matches = rows.map((r) => ({ seq: r.seq, similarity: null }));
    }
    if (input.ids?.length) {
      const seqs = new Set((await repo.byIds([...new Set(input.ids)])).map((r) => r.seq));
      matches = matches.filter((m) => seqs.has(m.seq));
      if (!query && !hasFilter) matches = [...seqs].map((seq) => ({ seq, similarity: null }));
    }
    const chosen = matches.slice(0, input.limit);
    const { rows, before, after } = await this.deps.store.tx(async (t) => {
      const before = await this.index.stamp(scope, t);
      const r = t.memories(scope);
      const rows = await r.bySeqs(chosen.map((c) => c.seq));
      if (!input.dryRun) await r.delete(rows.map((x) => x.seq));
      return { rows, before, after: await this.index.stamp(scope, t) };
    });
    if (!input.dryRun) {
      const seqs = rows.map((r) => r.seq);
      this.index.applyOwnWrite(scope, before, after, (t) => seqs.forEach((seq) => t.delete(seq)), seqs);
    }
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    const memories = chosen
      .filter((c) => bySeq.has(c.seq))
      .map((c) => ({ ...toRecord(bySeq.get(c.seq)!), similarity: c.similarity }));
    return {
      dry_run: input.dryRun,
      matched: matches.length,
      deleted: input.dryRun ? 0 : memories.length,
      truncated: matches.length > chosen.length,
      memories,
    };
  }

  // ---- reads ----------------------------------------------------------------------------------

  async get(scope: Scope, id: string): Promise<MemoryRecord> {
    return toRecord(await this.mustGet(this.deps.store.memories(scope).byId(id), id));
  }

  async list(scope: Scope, opts: MemoryFilter & { limit: number; offset: number; order: 'newest' | 'oldest' }): Promise<{
    memories: MemoryRecord[];
    total: number;
    limit: number;
    offset: number;
    next_offset: number | null;
  }> {
    const filter = this.normalizeFilter(opts);
    const repo = this.deps.store.memories(scope);
    const rows = await repo.list(filter, opts);
    const n = await repo.count(filter);
    const next = opts.offset + rows.length;
    return { memories: rows.map(toRecord), total: n, limit: opts.limit, offset: opts.offset, next_offset: next < n ? next : null };
  }

  async search(scope: Scope, input: SearchInput): Promise<{ results: SearchHit[]; mode: SearchMode; embedder: string; candidates: number }> {
    const query = input.query.trim();
    if (!query) throw new InvalidInput('query must not be empty', { field: 'query' });
    const matches = filterPredicate(this.normalizeFilter(input));
    const { hits, embedder, candidates } = await this.index.search({
      scopes: [scope],
      query,
      mode: input.mode,
      k: input.topK,
      accept: (_seq, m) => matches(m),
      minSimilarity: input.minSimilarity,
      withSimilarity: true,
    });
    const rows = new Map((await this.deps.store.memories(scope).bySeqs(hits.map((h) => h.id))).map((r) => [r.seq, r]));
    const results: SearchHit[] = [];
    for (const h of hits) {
      const row = rows.get(h.id);
      if (!row) continue;
      results.push({
        ...toRecord(row),
        score: round(h.fused),
        similarity: round(h.similarity ?? 0),
        keyword_rank: h.keywordRank,
        semantic_rank: h.semanticRank,
      });
    }
    return { results, mode: input.mode, embedder: embedder!, candidates: candidates ?? 0 };
  }

  // ---- internals ------------------------------------------------------------------------------

  private normalizeFilter(f: MemoryFilter): MemoryFilter {
    const out: MemoryFilter = {
      tags: normalizeTags(f.tags),
      matchAllTags: f.matchAllTags ?? false,
      since: normalizeTime(f.since, 'since'),
      until: normalizeTime(f.until, 'until'),
      source: f.source,
    };
    if (out.since && out.until && out.since > out.until) {
      throw new InvalidInput(`since (${out.since}) is after until (${out.until})`, { field: 'since' });
    }
    return out;
  }

  private async mustGet(row: Promise<MemoryRow | undefined>, id: string): Promise<MemoryRow> {
    const r = await row;
    if (!r) throw new NotFound(`Memory '${id}' not found in this project`, { field: 'id', id });
    return r;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The filter as a predicate on cached metadata, built once per call: a search asks it of every row
 * of the scope (10,000 memories), so it allocates nothing per row (a tag Set, plain loops).
 */
function filterPredicate(f: MemoryFilter): (item: MemoryMeta) => boolean {
  const wanted = f.tags && f.tags.length > 0 ? f.tags : null;
  const anyOf = wanted && !f.matchAllTags ? new Set(wanted) : null;
  return (item) => {
    if (f.since && item.createdAt < f.since) return false;
    if (f.until && item.createdAt > f.until) return false;
    if (f.source !== undefined && item.source !== f.source) return false;
    if (!wanted) return true;
    if (anyOf) {
      for (let i = 0; i < item.tags.length; i++) if (anyOf.has(item.tags[i]!)) return true;
      return false;
    }
    for (let i = 0; i < wanted.length; i++) if (!item.tags.includes(wanted[i]!)) return false;
    return true;
  };
}

