// Agent memory: short facts an agent keeps across sessions, per project. Writes embed the text and
// merge near-duplicates (by cosine similarity) instead of storing them twice; search is the one
// retrieval index's hybrid search (vectors held in process memory per scope, keyword bm25, RRF).
// Every statement is scoped by owner and project.
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../registry/define.js';
import { vectorToBlob } from '../engine/embeddings/vector.js';
import { queryTerms } from '../engine/retrieval/index.js';
import { Conflict, InvalidInput, NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import { memorySource, type MemoryMeta } from '../store/memory.js';
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

export interface MemoryRecord {
  id: string;
  text: string;
  tags: string[];
  source: string | null;
  merge_count: number;
  created_at: string;
  updated_at: string;
}

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

interface MemoryRow {
  seq: number;
  id: string;
  text: string;
  tags: string;
  source: string | null;
  merge_count: number;
  created_at: string;
  updated_at: string;
}

/** How often a write re-decides (duplicate check) after another process wrote the scope meanwhile. */
const WRITE_ATTEMPTS = 5;

const ROW_COLUMNS = 'm.seq, m.id, m.text, m.tags, m.source, m.merge_count, m.created_at, m.updated_at';

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
    tags: JSON.parse(r.tags) as string[],
    source: r.source,
    merge_count: r.merge_count,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export class MemoryService {
  // Write transactions are IMMEDIATE: they read before writing, and a deferred one would fail with
  // SQLITE_BUSY_SNAPSHOT (not retried) if another process committed in between.
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
    const db = this.deps.db;

    for (let attempt = 1; ; attempt++) {
      const { table, stamp } = await this.index.table(scope, embedder);
      // From here on everything is synchronous, so no other request of this process interleaves; the
      // transaction goes ahead only if nobody (another process, a replica) wrote the scope since the
      // vectors the duplicate check used were current, else the check runs again on fresh vectors.
      const best = { seq: -1, sim: -Infinity };
      if (input.dedupe !== false) {
        table.scan(vec, (seq, sim) => {
          if (sim > best.sim) {
            best.seq = seq;
            best.sim = sim;
          }
        });
      }
      const out = db.transaction(() => {
        if (this.index.stamp(scope) !== stamp) return null;
        const now = nowIso();
        // Float rounding puts identical texts a hair under 1.0.
        if (best.seq >= 0 && best.sim >= threshold - 1e-6) {
          const old = this.rowBySeq(scope, best.seq)!;
          const mergedTags = normalizeTags([...(JSON.parse(old.tags) as string[]), ...tags]);
          const source = input.source ?? old.source;
          db.prepare(
            `UPDATE memories SET text = ?, tags = ?, source = ?, embedding = ?, embedder_id = ?, merge_count = merge_count + 1, updated_at = ?
             WHERE seq = ? AND owner_id = ? AND project_id = ?`,
          ).run(text, JSON.stringify(mergedTags), source, vectorToBlob(vec), embedder.id, now, best.seq, scope.ownerId, scope.projectId);
          this.writeTags(scope, best.seq, mergedTags);
          const row = this.rowBySeq(scope, best.seq)!;
          const result: AddMemoryResult = { id: row.id, merged: true, similarity: round(best.sim), previous_text: old.text, memory: toRecord(row) };
          return { result, seq: row.seq, meta: { createdAt: row.created_at, tags: mergedTags, source }, after: this.index.stamp(scope) };
        }
        const id = newId('mem');
        const source = input.source ?? null;
        const r = db.prepare(
          `INSERT INTO memories (id, owner_id, project_id, text, tags, source, embedding, embedder_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, scope.ownerId, scope.projectId, text, JSON.stringify(tags), source, vectorToBlob(vec), embedder.id, now, now);
        const seq = Number(r.lastInsertRowid);
        this.writeTags(scope, seq, tags);
        const row = this.rowBySeq(scope, seq)!;
        const result: AddMemoryResult = { id, merged: false, similarity: best.seq >= 0 ? round(best.sim) : null, previous_text: null, memory: toRecord(row) };
        return { result, seq, meta: { createdAt: now, tags, source }, after: this.index.stamp(scope) };
      }).immediate();
      if (out) {
        this.index.applyOwnWrite(scope, stamp, out.after, (t) => t.set(out.seq, out.meta, vec));
        return out.result;
      }
      if (attempt >= WRITE_ATTEMPTS) throw new Conflict('this project\'s memories are being changed by another writer; retry add_memory', { field: 'text' });
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
    const db = this.deps.db;
    const { record, seq, meta, before, after } = db.transaction(() => {
      const before = this.index.stamp(scope);
      const old = this.rowById(scope, id);
      const tags = patch.tags !== undefined ? normalizeTags(patch.tags) : (JSON.parse(old.tags) as string[]);
      const source = patch.source !== undefined ? patch.source : old.source;
      const now = nowIso();
      if (vec && text !== undefined) {
        db.prepare(
          'UPDATE memories SET text = ?, tags = ?, source = ?, embedding = ?, embedder_id = ?, updated_at = ? WHERE seq = ? AND owner_id = ? AND project_id = ?',
        ).run(text, JSON.stringify(tags), source, vectorToBlob(vec), embedder.id, now, old.seq, scope.ownerId, scope.projectId);
      } else {
        db.prepare('UPDATE memories SET tags = ?, source = ?, updated_at = ? WHERE seq = ? AND owner_id = ? AND project_id = ?')
          .run(JSON.stringify(tags), source, now, old.seq, scope.ownerId, scope.projectId);
      }
      this.writeTags(scope, old.seq, tags);
      const row = this.rowBySeq(scope, old.seq)!;
      const meta: MemoryMeta = { createdAt: row.created_at, tags, source };
      return { record: toRecord(row), seq: old.seq, meta, before, after: this.index.stamp(scope) };
    }).immediate();
    this.index.applyOwnWrite(scope, before, after, (t) => {
      // Without a new vector the cached one stays (a row the table lacks was stored by another embedder).
      const v = vec ?? t.vector(seq);
      if (v) t.set(seq, meta, v);
    });
    return record;
  }

  delete(scope: Scope, id: string): { id: string; deleted: true } {
    const db = this.deps.db;
    const { before, after, seq } = db.transaction(() => {
      const before = this.index.stamp(scope);
      const row = this.rowById(scope, id);
      db.prepare('DELETE FROM memories WHERE seq = ? AND owner_id = ? AND project_id = ?').run(row.seq, scope.ownerId, scope.projectId);
      return { before, after: this.index.stamp(scope), seq: row.seq };
    }).immediate();
    this.index.applyOwnWrite(scope, before, after, (t) => t.delete(seq));
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
    let matches: Array<{ seq: number; similarity: number | null }>;
    if (query) {
      const embedder = await this.deps.embedder();
      const [qv] = await embedder.embed([query]);
      const { table } = await this.index.table(scope, embedder);
      const floor = input.minSimilarity ?? similarityDefaults(embedder.id).forget;
      const sims = new Map<number, number>();
      const accept = (_seq: number, m: MemoryMeta) => matchesFilter(m, filter);
      table.scan(qv!, (seq, sim) => sims.set(seq, sim), accept);
      const allWords = new Set(
        this.index
          .keyword([scope], queryTerms(query), 'all', Number.MAX_SAFE_INTEGER, { accept: (seq) => table.has(seq) && accept(seq, table.meta(seq)!), inTables: true })
          .map((h) => h.id),
      );
      matches = [...sims.entries()]
        .filter(([seq, sim]) => sim >= floor || allWords.has(seq))
        .map(([seq, sim]) => ({ seq, similarity: round(sim) }))
        .sort((a, b) => b.similarity! - a.similarity!);
    } else {
      const { sql, params } = filterSql(scope, filter);
      const rows = this.deps.db
        .prepare(`SELECT m.seq FROM memories m WHERE m.owner_id = ? AND m.project_id = ? ${sql} ORDER BY m.created_at DESC, m.seq DESC`)
        .all(scope.ownerId, scope.projectId, ...params) as Array<{ seq: number }>;
      matches = rows.map((r) => ({ seq: r.seq, similarity: null }));
    }
    if (input.ids?.length) {
      const wanted = new Set(input.ids);
      const seqs = new Set(this.rowsByIds(scope, [...wanted]).map((r) => r.seq));
      matches = matches.filter((m) => seqs.has(m.seq));
      if (!query && !hasFilter) matches = [...seqs].map((seq) => ({ seq, similarity: null }));
    }
    const chosen = matches.slice(0, input.limit);
    const db = this.deps.db;
    const { rows, before, after } = db.transaction(() => {
      const before = this.index.stamp(scope);
      const rows = this.rowsBySeqs(scope, chosen.map((c) => c.seq));
      if (!input.dryRun) {
        const del = db.prepare('DELETE FROM memories WHERE seq = ? AND owner_id = ? AND project_id = ?');
        for (const r of rows) del.run(r.seq, scope.ownerId, scope.projectId);
      }
      return { rows, before, after: this.index.stamp(scope) };
    }).immediate();
    if (!input.dryRun) this.index.applyOwnWrite(scope, before, after, (t) => rows.forEach((r) => t.delete(r.seq)));
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

  get(scope: Scope, id: string): MemoryRecord {
    return toRecord(this.rowById(scope, id));
  }

  list(scope: Scope, opts: MemoryFilter & { limit: number; offset: number; order: 'newest' | 'oldest' }): {
    memories: MemoryRecord[];
    total: number;
    limit: number;
    offset: number;
    next_offset: number | null;
  } {
    const filter = this.normalizeFilter(opts);
    const { sql, params } = filterSql(scope, filter);
    const dir = opts.order === 'oldest' ? 'ASC' : 'DESC';
    const db = this.deps.db;
    const rows = db
      .prepare(`SELECT ${ROW_COLUMNS} FROM memories m WHERE m.owner_id = ? AND m.project_id = ? ${sql} ORDER BY m.created_at ${dir}, m.seq ${dir} LIMIT ? OFFSET ?`)
      .all(scope.ownerId, scope.projectId, ...params, opts.limit, opts.offset) as MemoryRow[];
    const { n } = db
      .prepare(`SELECT count(*) AS n FROM memories m WHERE m.owner_id = ? AND m.project_id = ? ${sql}`)
      .get(scope.ownerId, scope.projectId, ...params) as { n: number };
    const next = opts.offset + rows.length;
    return { memories: rows.map(toRecord), total: n, limit: opts.limit, offset: opts.offset, next_offset: next < n ? next : null };
  }

  async search(scope: Scope, input: SearchInput): Promise<{ results: SearchHit[]; mode: SearchMode; embedder: string; candidates: number }> {
    const query = input.query.trim();
    if (!query) throw new InvalidInput('query must not be empty', { field: 'query' });
    const filter = this.normalizeFilter(input);
    const { hits, embedder, candidates } = await this.index.search({
      scopes: [scope],
      query,
      mode: input.mode,
      k: input.topK,
      accept: (_seq, m) => matchesFilter(m, filter),
      minSimilarity: input.minSimilarity,
      withSimilarity: true,
    });
    const rows = new Map(this.rowsBySeqs(scope, hits.map((h) => h.id)).map((r) => [r.seq, r]));
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

  private writeTags(scope: Scope, seq: number, tags: string[]): void {
    const db = this.deps.db;
    db.prepare('DELETE FROM memory_tags WHERE memory_seq = ? AND owner_id = ? AND project_id = ?').run(seq, scope.ownerId, scope.projectId);
    const ins = db.prepare('INSERT INTO memory_tags (owner_id, project_id, memory_seq, tag) VALUES (?, ?, ?, ?)');
    for (const t of tags) ins.run(scope.ownerId, scope.projectId, seq, t);
  }

  private rowById(scope: Scope, id: string): MemoryRow {
    const row = this.deps.db
      .prepare(`SELECT ${ROW_COLUMNS} FROM memories m WHERE m.id = ? AND m.owner_id = ? AND m.project_id = ?`)
      .get(id, scope.ownerId, scope.projectId) as MemoryRow | undefined;
    if (!row) throw new NotFound(`Memory '${id}' not found in this project`, { field: 'id', id });
    return row;
  }

  private rowBySeq(scope: Scope, seq: number): MemoryRow | undefined {
    return this.deps.db
      .prepare(`SELECT ${ROW_COLUMNS} FROM memories m WHERE m.seq = ? AND m.owner_id = ? AND m.project_id = ?`)
      .get(seq, scope.ownerId, scope.projectId) as MemoryRow | undefined;
  }

  private rowsBySeqs(scope: Scope, seqs: number[]): MemoryRow[] {
    if (seqs.length === 0) return [];
    return this.deps.db
      .prepare(`SELECT ${ROW_COLUMNS} FROM memories m WHERE m.owner_id = ? AND m.project_id = ? AND m.seq IN (SELECT value FROM json_each(?))`)
      .all(scope.ownerId, scope.projectId, JSON.stringify(seqs)) as MemoryRow[];
  }

  private rowsByIds(scope: Scope, ids: string[]): MemoryRow[] {
    if (ids.length === 0) return [];
    return this.deps.db
      .prepare(`SELECT ${ROW_COLUMNS} FROM memories m WHERE m.owner_id = ? AND m.project_id = ? AND m.id IN (SELECT value FROM json_each(?))`)
      .all(scope.ownerId, scope.projectId, JSON.stringify(ids)) as MemoryRow[];
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function matchesFilter(item: MemoryMeta, f: MemoryFilter): boolean {
  if (f.since && item.createdAt < f.since) return false;
  if (f.until && item.createdAt > f.until) return false;
  if (f.source !== undefined && item.source !== f.source) return false;
  if (f.tags && f.tags.length > 0) {
    return f.matchAllTags ? f.tags.every((t) => item.tags.includes(t)) : f.tags.some((t) => item.tags.includes(t));
  }
  return true;
}

/** The same filter as matchesFilter, as SQL over `memories m`. */
function filterSql(scope: Scope, f: MemoryFilter): { sql: string; params: unknown[] } {
  let sql = '';
  const params: unknown[] = [];
  if (f.since) {
    sql += ' AND m.created_at >= ?';
    params.push(f.since);
  }
  if (f.until) {
    sql += ' AND m.created_at <= ?';
    params.push(f.until);
  }
  if (f.source !== undefined) {
    sql += ' AND m.source = ?';
    params.push(f.source);
  }
  if (f.tags && f.tags.length > 0) {
    sql += ` AND m.seq IN (SELECT memory_seq FROM memory_tags WHERE owner_id = ? AND project_id = ? AND tag IN (SELECT value FROM json_each(?))
             GROUP BY memory_seq HAVING count(*) >= ?)`;
    params.push(scope.ownerId, scope.projectId, JSON.stringify(f.tags), f.matchAllTags ? f.tags.length : 1);
  }
  return { sql, params };
}
