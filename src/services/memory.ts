// Agent memory: short facts an agent keeps across sessions, per project. Writes embed the text and
// merge near-duplicates (by cosine similarity) instead of storing them twice; search fuses a
// semantic ranking (vectors held in process memory per scope) with a keyword ranking (SQLite FTS5
// bm25) by Reciprocal Rank Fusion. Every statement is scoped by owner and project.
import os from 'node:os';
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../registry/define.js';
import type { Embedder } from '../engine/embeddings/types.js';
import { dot, vectorToBlob, blobToVector } from '../engine/embeddings/vector.js';
import { reciprocalRankFusion } from '../engine/bm25.js';
import { InvalidInput, NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
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

/** What search filters need of a memory without touching the store. */
interface MemoryMeta {
  seq: number;
  createdAt: string;
  tags: string[];
  source: string | null;
}

interface ScopeCache {
  version: number;
  embedderId: string;
  table: VectorTable;
}

/** A change to apply to a scope's cached vectors once its transaction has committed. */
type CacheChange = { upsert?: { meta: MemoryMeta; vec: Float32Array }; remove?: number[] };

// Stored vectors are little-endian float32 (vectorToBlob); on a little-endian host their bytes can be
// copied straight into a Float32Array, which makes loading a large scope a memcpy per row.
const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * One scope's vectors in a single contiguous Float32Array (rows are swap-deleted), with the metadata
 * filters need. A scan touches only the query's non-zero coordinates when it is sparse (the offline
 * embedder's hashed-word part is mostly zeros), which gives the exact dot product at a fraction of
 * the cost; dense queries take the plain loop.
 */
export class VectorTable {
  private data: Float32Array;
  private readonly metas: MemoryMeta[] = [];
  private readonly rowOf = new Map<number, number>();

  constructor(readonly dim: number, capacity = 64) {
    this.data = new Float32Array(dim * Math.max(1, capacity));
  }

  get size(): number {
    return this.metas.length;
  }

  /** Adds or replaces a row; `vec` is a vector or its stored little-endian bytes. */
  set(meta: MemoryMeta, vec: Float32Array | Uint8Array): void {
    let row = this.rowOf.get(meta.seq);
    if (row === undefined) {
      row = this.metas.length;
      if ((row + 1) * this.dim > this.data.length) {
        const bigger = new Float32Array(this.data.length * 2);
        bigger.set(this.data);
        this.data = bigger;
      }
      this.metas.push(meta);
      this.rowOf.set(meta.seq, row);
    } else {
      this.metas[row] = meta;
    }
    if (vec instanceof Float32Array) this.data.set(vec, row * this.dim);
    else new Uint8Array(this.data.buffer, row * this.dim * 4, this.dim * 4).set(vec);
  }

  delete(seq: number): void {
    const row = this.rowOf.get(seq);
    if (row === undefined) return;
    const last = this.metas.length - 1;
    if (row !== last) {
      this.data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.metas[row] = this.metas[last]!;
      this.rowOf.set(this.metas[row]!.seq, row);
    }
    this.metas.pop();
    this.rowOf.delete(seq);
  }

  meta(seq: number): MemoryMeta | undefined {
    const row = this.rowOf.get(seq);
    return row === undefined ? undefined : this.metas[row];
  }

  vector(seq: number): Float32Array | undefined {
    const row = this.rowOf.get(seq);
    return row === undefined ? undefined : this.data.slice(row * this.dim, (row + 1) * this.dim);
  }

  /** Calls `visit` with the dot product (= cosine, unit vectors) of `q` and every accepted row. */
  scan(q: Float32Array, visit: (meta: MemoryMeta, sim: number) => void, accept?: (meta: MemoryMeta) => boolean): void {
    const { dim, data, metas } = this;
    const nz: number[] = [];
    for (let i = 0; i < dim; i++) if (q[i] !== 0) nz.push(i);
    const sparse = nz.length < dim * 0.5;
    const idx = Int32Array.from(nz);
    const qv = Float32Array.from(nz, (i) => q[i]!);
    for (let r = 0; r < metas.length; r++) {
      const meta = metas[r]!;
      if (accept && !accept(meta)) continue;
      const base = r * dim;
      let s = 0;
      if (sparse) for (let k = 0; k < idx.length; k++) s += qv[k]! * data[base + idx[k]!]!;
      else for (let i = 0; i < dim; i++) s += q[i]! * data[base + i]!;
      visit(meta, s);
    }
  }
}

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

/** Words of a free-text query as an FTS5 expression of quoted terms (no operator can leak in). */
export function ftsQuery(text: string, join: 'OR' | 'AND'): string | null {
  const words = [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []))].slice(0, 32);
  if (words.length === 0) return null;
  return words.map((w) => `"${w}"`).join(` ${join} `);
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
  private readonly caches = new Map<string, ScopeCache>();

  /** A deleted project's vectors and tags leave process memory with it (called by ProjectsService.delete). */
  forgetScope(scope: Scope): void {
    this.caches.delete(scopeKey(scope));
  }

  constructor(private readonly deps: AppDeps) {}

  // ---- writes ---------------------------------------------------------------------------------

  async add(scope: Scope, input: AddMemoryInput): Promise<AddMemoryResult> {
    const text = input.text.trim();
    if (!text) throw new InvalidInput('text must not be empty', { field: 'text' });
    const tags = normalizeTags(input.tags);
    const embedder = await this.deps.embedder();
    const [vec] = await embedder.embed([text]);
    if (!vec) throw new Error('embedder returned no vector');
    await this.reembedStale(scope, embedder);
    const threshold = input.dedupeThreshold ?? similarityDefaults(embedder.id).dedupe;
    const db = this.deps.db;

    // From here on everything is synchronous: the duplicate check and the write cannot interleave
    // with another request's write in this process, and the transaction excludes other processes.
    const { result, change, before, after } = db.transaction(() => {
      const before = this.scopeVersion(scope);
      const cache = this.syncCache(scope, embedder);
      const best = { seq: -1, sim: -Infinity };
      if (input.dedupe !== false) {
        cache.table.scan(vec, (m, sim) => {
          if (sim > best.sim) {
            best.seq = m.seq;
            best.sim = sim;
          }
        });
      }
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
        const result: AddMemoryResult = {
          id: row.id,
          merged: true,
          similarity: round(best.sim),
          previous_text: old.text,
          memory: toRecord(row),
        };
        const change: CacheChange = { upsert: { meta: { seq: row.seq, createdAt: row.created_at, tags: mergedTags, source }, vec } };
        return { result, change, before, after: this.scopeVersion(scope) };
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
      return { result, change: { upsert: { meta: { seq, createdAt: now, tags, source }, vec } }, before, after: this.scopeVersion(scope) };
    }).immediate();
    this.applyChange(scope, before, after, change);
    return result;
  }

  async update(scope: Scope, id: string, patch: { text?: string; tags?: string[]; source?: string | null }): Promise<MemoryRecord> {
    if (patch.text === undefined && patch.tags === undefined && patch.source === undefined) {
      throw new InvalidInput('give at least one of text, tags or source to change', { field: 'text' });
    }
    const text = patch.text?.trim();
    if (text === '') throw new InvalidInput('text must not be empty', { field: 'text' });
    let vec: Float32Array | undefined;
    let embedderId: string | undefined;
    if (text !== undefined) {
      const embedder = await this.deps.embedder();
      vec = (await embedder.embed([text]))[0];
      embedderId = embedder.id;
    }
    const db = this.deps.db;
    const { record, change, before, after } = db.transaction(() => {
      const before = this.scopeVersion(scope);
      const old = this.rowById(scope, id);
      const tags = patch.tags !== undefined ? normalizeTags(patch.tags) : (JSON.parse(old.tags) as string[]);
      const source = patch.source !== undefined ? patch.source : old.source;
      const now = nowIso();
      if (vec && text !== undefined) {
        db.prepare(
          'UPDATE memories SET text = ?, tags = ?, source = ?, embedding = ?, embedder_id = ?, updated_at = ? WHERE seq = ? AND owner_id = ? AND project_id = ?',
        ).run(text, JSON.stringify(tags), source, vectorToBlob(vec), embedderId, now, old.seq, scope.ownerId, scope.projectId);
      } else {
        db.prepare('UPDATE memories SET tags = ?, source = ?, updated_at = ? WHERE seq = ? AND owner_id = ? AND project_id = ?')
          .run(JSON.stringify(tags), source, now, old.seq, scope.ownerId, scope.projectId);
      }
      this.writeTags(scope, old.seq, tags);
      const row = this.rowBySeq(scope, old.seq)!;
      const v = vec ?? this.caches.get(scopeKey(scope))?.table.vector(old.seq);
      // Without a vector in hand (text unchanged, scope not cached) the cache is simply rebuilt later.
      const change: CacheChange = v ? { upsert: { meta: { seq: old.seq, createdAt: row.created_at, tags, source }, vec: v } } : {};
      return { record: toRecord(row), change, before, after: this.scopeVersion(scope) };
    }).immediate();
    this.applyChange(scope, before, after, change);
    return record;
  }

  delete(scope: Scope, id: string): { id: string; deleted: true } {
    const db = this.deps.db;
    const { before, after, seq } = db.transaction(() => {
      const before = this.scopeVersion(scope);
      const row = this.rowById(scope, id);
      db.prepare('DELETE FROM memories WHERE seq = ? AND owner_id = ? AND project_id = ?').run(row.seq, scope.ownerId, scope.projectId);
      return { before, after: this.scopeVersion(scope), seq: row.seq };
    }).immediate();
    this.applyChange(scope, before, after, { remove: [seq] });
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
      await this.reembedStale(scope, embedder);
      const cache = this.syncCache(scope, embedder);
      const floor = input.minSimilarity ?? similarityDefaults(embedder.id).forget;
      const sims = new Map<number, number>();
      cache.table.scan(qv!, (m, sim) => sims.set(m.seq, sim), (m) => matchesFilter(m, filter));
      const allWords = new Set(this.keywordSeqs(cache, ftsQuery(query, 'AND'), filter, Number.MAX_SAFE_INTEGER));
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
      const before = this.scopeVersion(scope);
      const rows = this.rowsBySeqs(scope, chosen.map((c) => c.seq));
      if (!input.dryRun) {
        const del = db.prepare('DELETE FROM memories WHERE seq = ? AND owner_id = ? AND project_id = ?');
        for (const r of rows) del.run(r.seq, scope.ownerId, scope.projectId);
      }
      return { rows, before, after: this.scopeVersion(scope) };
    }).immediate();
    if (!input.dryRun) this.applyChange(scope, before, after, { remove: rows.map((r) => r.seq) });
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
    const embedder = await this.deps.embedder();
    const [qv] = await embedder.embed([query]);
    await this.reembedStale(scope, embedder);
    const cache = this.syncCache(scope, embedder);
    // Each side contributes a deeper list than asked for, so fusion can promote an item that only
    // one side ranks highly.
    const depth = Math.max(50, input.topK * 4);

    // Similarity of one memory, for keyword hits the semantic list did not reach.
    const sims = new Map<number, number>();
    const simOf = (seq: number): number => {
      let sim = sims.get(seq);
      if (sim === undefined) {
        const v = cache.table.vector(seq);
        sim = v ? dot(qv!, v) : 0;
        sims.set(seq, sim);
      }
      return sim;
    };
    let candidates = 0;
    const semantic: Array<{ seq: number; sim: number }> = [];
    const accept = (m: MemoryMeta) => matchesFilter(m, filter);
    if (input.mode !== 'keyword') {
      cache.table.scan(qv!, (m, sim) => {
        candidates++;
        if (input.minSimilarity !== undefined && sim < input.minSimilarity) return;
        pushTop(semantic, { seq: m.seq, sim }, depth);
      }, accept);
      for (const s of semantic) sims.set(s.seq, s.sim);
    } else {
      cache.table.scan(new Float32Array(cache.table.dim), () => void candidates++, accept);
    }
    const semanticSeqs = semantic.map((s) => s.seq);
    let keywordSeqs = input.mode === 'semantic' ? [] : this.keywordSeqs(cache, ftsQuery(query, 'OR'), filter, depth);
    if (input.minSimilarity !== undefined) keywordSeqs = keywordSeqs.filter((s) => simOf(s) >= input.minSimilarity!);

    const fused = reciprocalRankFusion([semanticSeqs, keywordSeqs].filter((r) => r.length > 0)).slice(0, input.topK);
    const rows = new Map(this.rowsBySeqs(scope, fused.map((f) => f.id)).map((r) => [r.seq, r]));
    const semRank = new Map(semanticSeqs.map((s, i) => [s, i + 1]));
    const kwRank = new Map(keywordSeqs.map((s, i) => [s, i + 1]));
    const results: SearchHit[] = [];
    for (const f of fused) {
      const row = rows.get(f.id);
      if (!row) continue;
      results.push({
        ...toRecord(row),
        score: round(f.score),
        similarity: round(simOf(f.id)),
        keyword_rank: kwRank.get(f.id) ?? null,
        semantic_rank: semRank.get(f.id) ?? null,
      });
    }
    return { results, mode: input.mode, embedder: embedder.id, candidates };
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

  /**
   * The keyword ranking (FTS5 bm25, best first) restricted to the scope and filter. Scope and filter
   * are applied to the cached metadata rather than by joining `memories`: memory rows carry their
   * vectors, so a join reads a page per match and cost four times as much at 10,000 memories.
   */
  private keywordSeqs(cache: ScopeCache, match: string | null, filter: MemoryFilter, limit: number): number[] {
    if (!match) return [];
    const stmt = this.deps.db.prepare('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank').raw(true);
    const out: number[] = [];
    for (const [seq] of stmt.iterate(match) as Iterable<[number]>) {
      const meta = cache.table.meta(seq);
      if (!meta || !matchesFilter(meta, filter)) continue;
      out.push(seq);
      if (out.length >= limit) break;
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

  private scopeVersion(scope: Scope): number {
    const row = this.deps.db
      .prepare('SELECT version FROM memory_scope_versions WHERE owner_id = ? AND project_id = ?')
      .get(scope.ownerId, scope.projectId) as { version: number } | undefined;
    return row?.version ?? 0;
  }

  /**
   * Makes sure no row of the scope still carries another embedder's vector. Only needed when the
   * cached vectors are missing or out of date: a current cache was loaded after this check, and any
   * later write by someone else moves the scope's version.
   */
  private async reembedStale(scope: Scope, embedder: Embedder): Promise<void> {
    const hit = this.caches.get(scopeKey(scope));
    if (hit && hit.embedderId === embedder.id && hit.version === this.scopeVersion(scope)) return;
    const db = this.deps.db;
    const select = db.prepare(
      'SELECT seq, text FROM memories WHERE owner_id = ? AND project_id = ? AND embedder_id <> ? ORDER BY seq LIMIT ?',
    );
    for (;;) {
      const rows = select.all(scope.ownerId, scope.projectId, embedder.id, MEMORY_LIMITS.reembedBatch) as Array<{ seq: number; text: string }>;
      if (rows.length === 0) return;
      const vecs = await embedder.embed(rows.map((r) => r.text));
      // The text guard skips a row edited meanwhile; that edit embedded it already.
      const upd = db.prepare(
        'UPDATE memories SET embedding = ?, embedder_id = ? WHERE seq = ? AND owner_id = ? AND project_id = ? AND text = ?',
      );
      db.transaction(() => {
        rows.forEach((r, i) => upd.run(vectorToBlob(vecs[i]!), embedder.id, r.seq, scope.ownerId, scope.projectId, r.text));
      }).immediate();
    }
  }

  /** The scope's vectors, reloaded from the store when its version moved under us. */
  private syncCache(scope: Scope, embedder: Embedder): ScopeCache {
    const key = scopeKey(scope);
    const version = this.scopeVersion(scope);
    const hit = this.caches.get(key);
    if (hit && hit.version === version && hit.embedderId === embedder.id) {
      this.caches.delete(key); // re-insert: most recently used last
      this.caches.set(key, hit);
      return hit;
    }
    const rows = this.deps.db
      .prepare('SELECT seq, tags, source, created_at, embedding FROM memories WHERE owner_id = ? AND project_id = ? AND embedder_id = ?')
      .all(scope.ownerId, scope.projectId, embedder.id) as Array<{ seq: number; tags: string; source: string | null; created_at: string; embedding: Buffer }>;
    const table = new VectorTable(embedder.dim, rows.length);
    for (const r of rows) {
      if (r.embedding.byteLength !== embedder.dim * 4) continue;
      const meta: MemoryMeta = { seq: r.seq, createdAt: r.created_at, tags: JSON.parse(r.tags) as string[], source: r.source };
      table.set(meta, LITTLE_ENDIAN ? r.embedding : blobToVector(r.embedding));
    }
    const cache: ScopeCache = { version, embedderId: embedder.id, table };
    this.caches.delete(key);
    this.caches.set(key, cache);
    while (this.caches.size > MEMORY_LIMITS.cachedScopes) this.caches.delete(this.caches.keys().next().value!);
    return cache;
  }

  /** Applies our own committed write to the cached vectors, or drops them if anyone else wrote too. */
  private applyChange(scope: Scope, before: number, after: number, change: CacheChange): void {
    const key = scopeKey(scope);
    const cache = this.caches.get(key);
    if (!cache) return;
    if (cache.version !== before || (change.upsert === undefined && change.remove === undefined && before !== after)) {
      this.caches.delete(key);
      return;
    }
    if (change.upsert) cache.table.set(change.upsert.meta, change.upsert.vec);
    for (const seq of change.remove ?? []) cache.table.delete(seq);
    cache.version = after;
  }
}

function scopeKey(scope: Scope): string {
  return `${scope.ownerId}\u0000${scope.projectId}`;
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

/** Keeps `list` as the best `cap` entries by similarity, best first (insertion into a short list). */
function pushTop(list: Array<{ seq: number; sim: number }>, entry: { seq: number; sim: number }, cap: number): void {
  if (list.length === cap && entry.sim <= list[cap - 1]!.sim) return;
  let i = list.length;
  while (i > 0 && list[i - 1]!.sim < entry.sim) i--;
  list.splice(i, 0, entry);
  if (list.length > cap) list.pop();
}
