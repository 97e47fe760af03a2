// The compression cache. Exact: sha256 of the text + every parameter that shapes the skeleton.
// Semantic: cosine between document vectors over the project's most recent entries with the same
// parameters, at a per-project threshold in [0.80, 0.99] (default 0.95). Hit counters split by source.
import crypto from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { InvalidInput } from '../errors.js';
import type { Scope } from '../domain/scope.js';
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

  private repo(scope: Scope) {
    return this.deps.store.compressCache(scope);
  }

  async threshold(scope: Scope): Promise<{ threshold: number; source: 'user' | 'global' }> {
    const t = await this.repo(scope).threshold();
    return t != null ? { threshold: t, source: 'user' } : { threshold: DEFAULT_SEMANTIC_THRESHOLD, source: 'global' };
  }

  async setThreshold(scope: Scope, threshold: number | null): Promise<{ threshold: number; source: 'user' | 'global' }> {
    if (threshold !== null && !(threshold >= THRESHOLD_MIN && threshold <= THRESHOLD_MAX)) {
      throw new InvalidInput(`threshold out of range: must be in [${THRESHOLD_MIN}, ${THRESHOLD_MAX}] or null (server default ${DEFAULT_SEMANTIC_THRESHOLD})`, {
        field: 'threshold',
      });
    }
    await this.repo(scope).setThreshold(threshold);
    return this.threshold(scope);
  }

  async exact<T>(scope: Scope, keyHash: string): Promise<CachedResult<T> | null> {
    const row = await this.repo(scope).byKey(keyHash);
    if (!row) return null;
    return { result: JSON.parse(row.result) as T, source: 'exact', similarity: 1, id: row.id };
  }

  /** Best recent entry with the same parameters and embedder whose vector is within the threshold. */
  async semantic<T>(scope: Scope, paramsHash: string, embedderId: string, vector: Float32Array, originalTokens: number): Promise<CachedResult<T> | null> {
    const { threshold } = await this.threshold(scope);
    const rows = await this.repo(scope).recent(paramsHash, embedderId, SEMANTIC_WINDOW);
    let best: { id: number; sim: number } | null = null;
    for (const r of rows) {
      if (Math.abs(r.original_tokens - originalTokens) > LENGTH_TOLERANCE * Math.max(r.original_tokens, originalTokens)) continue;
      const v = blobToVector(r.vector);
      if (v.length !== vector.length) continue;
      const sim = dot(v, vector);
      if (sim >= threshold && (!best || sim > best.sim)) best = { id: r.id, sim };
    }
    if (!best) return null;
    const result = await this.repo(scope).result(best.id);
    if (result === undefined) return null; // pruned or cleared since the candidates were read
    return { result: JSON.parse(result) as T, source: 'semantic', similarity: Math.min(1, best.sim), id: best.id };
  }

  /** Stores a computed result (and counts the miss that produced it, when the cache was consulted): one transaction. */
  async store(
    scope: Scope,
    e: { keyHash: string; paramsHash: string; embedderId: string | null; originalTokens: number; vector: Float32Array | null; result: unknown },
    opts: { countMiss: boolean },
  ): Promise<void> {
    await this.repo(scope).put(
      { keyHash: e.keyHash, paramsHash: e.paramsHash, embedderId: e.embedderId, originalTokens: e.originalTokens, vector: e.vector ? vectorToBlob(e.vector) : null, result: JSON.stringify(e.result) },
      CACHE_ENTRIES_PER_PROJECT,
      opts.countMiss,
    );
  }

  /** Count a lookup outcome (hits by source, misses) for cache_stats. */
  async record(scope: Scope, outcome: CacheSource | 'miss', tokensSaved = 0): Promise<void> {
    await this.repo(scope).count(outcome, tokensSaved);
  }

  async stats(scope: Scope): Promise<CacheStats> {
    const repo = this.repo(scope);
    const s = (await repo.counters()) ?? { exact_hits: 0, semantic_hits: 0, misses: 0, tokens_saved_by_hits: 0 };
    const entries = await repo.size();
    const hits = s.exact_hits + s.semantic_hits;
    const t = await this.threshold(scope);
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
  async clear(scope: Scope, resetStats: boolean): Promise<{ deleted_entries: number; stats_reset: boolean }> {
    return { deleted_entries: await this.repo(scope).clear(resetStats), stats_reset: resetStats };
  }

  /** Count a hit on the entry and in the project's counters: one transaction, one fsync. */
  async recordHit(scope: Scope, hit: CachedResult<unknown>, tokensSaved: number): Promise<void> {
    await this.repo(scope).hit(hit.id, hit.source, tokensSaved);
  }
}
