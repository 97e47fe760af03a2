// The compression cache. Exact: sha256 of the text + every parameter that shapes the skeleton.
// Semantic: cosine between document vectors over the project's most recent entries with the same
// parameters, at a per-project threshold in [0.80, 0.99] (default 0.95). Hit counters split by source.
import crypto from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { InvalidInput } from '../errors.js';
import type { Scope } from '../registry/define.js';
import { nowIso } from '../store/db.js';
import { blobToVector, dot, vectorToBlob } from '../engine/embeddings/vector.js';

export const DEFAULT_SEMANTIC_THRESHOLD = 0.95;
export const THRESHOLD_MIN = 0.8;
export const THRESHOLD_MAX = 0.99;
/** How many recent entries a semantic lookup compares against (the seed's "last 100 calls"). */
export const SEMANTIC_WINDOW = 100;
/** Entries kept per project; older ones are pruned on insert. */
export const CACHE_ENTRIES_PER_PROJECT = 500;
/** Near-duplicates must be of similar length: mean vectors of long texts on one topic look alike. */
const LENGTH_TOLERANCE = 0.1;

export type CacheSource = 'exact' | 'semantic';

export interface CachedResult<T> {
  result: T;
  source: CacheSource;
  similarity: number;
  /** Row id, for recordHit. */
  id: number;
}

export interface CacheStats {
  entries: number;
  exact_hits: number;
  semantic_hits: number;
  hits: number;
  misses: number;
  hit_rate: number;
  tokens_saved_by_hits: number;
  threshold: number;
  threshold_source: 'user' | 'global';
}

export function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

export class CompressCacheService {
  constructor(private readonly deps: AppDeps) {}

  threshold(scope: Scope): { threshold: number; source: 'user' | 'global' } {
    const row = this.deps.db
      .prepare('SELECT semantic_threshold AS t FROM compress_settings WHERE owner_id = ? AND project_id = ?')
      .get(scope.ownerId, scope.projectId) as { t: number | null } | undefined;
    return row?.t != null ? { threshold: row.t, source: 'user' } : { threshold: DEFAULT_SEMANTIC_THRESHOLD, source: 'global' };
  }

  setThreshold(scope: Scope, threshold: number | null): { threshold: number; source: 'user' | 'global' } {
    if (threshold !== null && !(threshold >= THRESHOLD_MIN && threshold <= THRESHOLD_MAX)) {
      throw new InvalidInput(`threshold out of range: must be in [${THRESHOLD_MIN}, ${THRESHOLD_MAX}] or null (server default ${DEFAULT_SEMANTIC_THRESHOLD})`, {
        field: 'threshold',
      });
    }
    this.deps.db
      .prepare(
        `INSERT INTO compress_settings (owner_id, project_id, semantic_threshold, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (owner_id, project_id) DO UPDATE SET semantic_threshold = excluded.semantic_threshold, updated_at = excluded.updated_at`,
      )
      .run(scope.ownerId, scope.projectId, threshold, nowIso());
    return this.threshold(scope);
  }

  exact<T>(scope: Scope, keyHash: string): CachedResult<T> | null {
    const row = this.deps.db
      .prepare('SELECT id, result FROM compress_cache WHERE owner_id = ? AND project_id = ? AND key_hash = ?')
      .get(scope.ownerId, scope.projectId, keyHash) as { id: number; result: string } | undefined;
    if (!row) return null;
    return { result: JSON.parse(row.result) as T, source: 'exact', similarity: 1, id: row.id };
  }

  /** Best recent entry with the same parameters and embedder whose vector is within the threshold. */
  semantic<T>(scope: Scope, paramsHash: string, embedderId: string, vector: Float32Array, originalTokens: number): CachedResult<T> | null {
    const { threshold } = this.threshold(scope);
    const rows = this.deps.db
      .prepare(
        `SELECT id, vector, original_tokens FROM compress_cache
         WHERE owner_id = ? AND project_id = ? AND params_hash = ? AND embedder_id = ? AND vector IS NOT NULL
         ORDER BY id DESC LIMIT ?`,
      )
      .all(scope.ownerId, scope.projectId, paramsHash, embedderId, SEMANTIC_WINDOW) as Array<{ id: number; vector: Buffer; original_tokens: number }>;
    let best: { id: number; sim: number } | null = null;
    for (const r of rows) {
      if (Math.abs(r.original_tokens - originalTokens) > LENGTH_TOLERANCE * Math.max(r.original_tokens, originalTokens)) continue;
      const v = blobToVector(r.vector);
      if (v.length !== vector.length) continue;
      const sim = dot(v, vector);
      if (sim >= threshold && (!best || sim > best.sim)) best = { id: r.id, sim };
    }
    if (!best) return null;
    const row = this.deps.db
      .prepare('SELECT result FROM compress_cache WHERE owner_id = ? AND project_id = ? AND id = ?')
      .get(scope.ownerId, scope.projectId, best.id) as { result: string };
    return { result: JSON.parse(row.result) as T, source: 'semantic', similarity: Math.min(1, best.sim), id: best.id };
  }

  store(scope: Scope, e: { keyHash: string; paramsHash: string; embedderId: string | null; originalTokens: number; vector: Float32Array | null; result: unknown }): void {
    const db = this.deps.db;
    db.transaction(() => {
      db.prepare(
        `INSERT INTO compress_cache (owner_id, project_id, key_hash, params_hash, embedder_id, original_tokens, vector, result, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (owner_id, project_id, key_hash) DO UPDATE SET result = excluded.result, vector = excluded.vector,
           embedder_id = excluded.embedder_id, created_at = excluded.created_at`,
      ).run(scope.ownerId, scope.projectId, e.keyHash, e.paramsHash, e.embedderId, e.originalTokens, e.vector ? vectorToBlob(e.vector) : null, JSON.stringify(e.result), nowIso());
      db.prepare(
        `DELETE FROM compress_cache WHERE owner_id = ? AND project_id = ? AND id <= (
           SELECT id FROM compress_cache WHERE owner_id = ? AND project_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      ).run(scope.ownerId, scope.projectId, scope.ownerId, scope.projectId, CACHE_ENTRIES_PER_PROJECT);
    })();
  }

  /** Count a lookup outcome (hits by source, misses) for cache_stats. */
  record(scope: Scope, outcome: CacheSource | 'miss', tokensSaved = 0): void {
    const col = outcome === 'exact' ? 'exact_hits' : outcome === 'semantic' ? 'semantic_hits' : 'misses';
    this.deps.db
      .prepare(
        `INSERT INTO compress_cache_stats (owner_id, project_id, ${col}, tokens_saved_by_hits) VALUES (?, ?, 1, ?)
         ON CONFLICT (owner_id, project_id) DO UPDATE SET ${col} = ${col} + 1, tokens_saved_by_hits = tokens_saved_by_hits + excluded.tokens_saved_by_hits`,
      )
      .run(scope.ownerId, scope.projectId, outcome === 'miss' ? 0 : tokensSaved);
  }

  stats(scope: Scope): CacheStats {
    const s = (this.deps.db
      .prepare('SELECT exact_hits, semantic_hits, misses, tokens_saved_by_hits FROM compress_cache_stats WHERE owner_id = ? AND project_id = ?')
      .get(scope.ownerId, scope.projectId) as { exact_hits: number; semantic_hits: number; misses: number; tokens_saved_by_hits: number } | undefined) ?? {
      exact_hits: 0,
      semantic_hits: 0,
      misses: 0,
      tokens_saved_by_hits: 0,
    };
    const entries = (this.deps.db.prepare('SELECT COUNT(*) AS n FROM compress_cache WHERE owner_id = ? AND project_id = ?').get(scope.ownerId, scope.projectId) as { n: number }).n;
    const hits = s.exact_hits + s.semantic_hits;
    const t = this.threshold(scope);
    return {
      entries,
      exact_hits: s.exact_hits,
      semantic_hits: s.semantic_hits,
      hits,
      misses: s.misses,
      hit_rate: hits + s.misses > 0 ? Math.round((hits / (hits + s.misses)) * 1000) / 1000 : 0,
      tokens_saved_by_hits: s.tokens_saved_by_hits,
      threshold: t.threshold,
      threshold_source: t.source,
    };
  }

  /** Remove cached entries (and, on request, the hit counters) of this project. */
  clear(scope: Scope, resetStats: boolean): { deleted_entries: number; stats_reset: boolean } {
    const db = this.deps.db;
    return db.transaction(() => {
      const n = db.prepare('DELETE FROM compress_cache WHERE owner_id = ? AND project_id = ?').run(scope.ownerId, scope.projectId).changes;
      if (resetStats) db.prepare('DELETE FROM compress_cache_stats WHERE owner_id = ? AND project_id = ?').run(scope.ownerId, scope.projectId);
      return { deleted_entries: n, stats_reset: resetStats };
    })();
  }

  /** Count a hit on the entry and in the project's counters: one transaction, one fsync. */
  recordHit(scope: Scope, hit: CachedResult<unknown>, tokensSaved: number): void {
    this.deps.db.transaction(() => {
      this.deps.db
        .prepare('UPDATE compress_cache SET hits = hits + 1, last_hit_at = ? WHERE owner_id = ? AND project_id = ? AND id = ?')
        .run(nowIso(), scope.ownerId, scope.projectId, hit.id);
      this.record(scope, hit.source, tokensSaved);
    })();
  }
}
