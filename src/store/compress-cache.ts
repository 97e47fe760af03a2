// The compression cache of one project: entries (exact key + document vector + result), hit
// counters by source, and the project's semantic-threshold setting.
import { sql } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { nowIso } from './db.js';
import type { RepoContext } from './store.js';

export type CacheOutcome = 'exact' | 'semantic' | 'miss';

export interface CacheCounters {
  exact_hits: number;
  semantic_hits: number;
  misses: number;
  tokens_saved_by_hits: number;
}

export interface NewCacheEntry {
  keyHash: string;
  paramsHash: string;
  embedderId: string | null;
  originalTokens: number;
  vector: Buffer | null;
  result: string;
}

const COUNTER: Record<CacheOutcome, 'exact_hits' | 'semantic_hits' | 'misses'> = { exact: 'exact_hits', semantic: 'semantic_hits', miss: 'misses' };

export class CompressCacheRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private entries() {
    return this.ctx.db.selectFrom('compress_cache').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async threshold(): Promise<number | null> {
    const row = await this.ctx.db
      .selectFrom('compress_settings')
      .select('semantic_threshold')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .executeTakeFirst();
    return row?.semantic_threshold ?? null;
  }

  async setThreshold(threshold: number | null): Promise<void> {
    const now = nowIso();
    await this.ctx.db
      .insertInto('compress_settings')
      .values({ owner_id: this.scope.ownerId, project_id: this.scope.projectId, semantic_threshold: threshold, updated_at: now })
      .onConflict((oc) => oc.columns(['owner_id', 'project_id']).doUpdateSet({ semantic_threshold: threshold, updated_at: now }))
      .execute();
  }

  async byKey(keyHash: string): Promise<{ id: number; result: string } | undefined> {
    return this.entries().select(['id', 'result']).where('key_hash', '=', keyHash).executeTakeFirst();
  }

  async result(id: number): Promise<string | undefined> {
    return (await this.entries().select('result').where('id', '=', id).executeTakeFirst())?.result;
  }

  /** The newest entries with these parameters and embedder that have a vector (semantic candidates). */
  async recent(paramsHash: string, embedderId: string, limit: number): Promise<Array<{ id: number; vector: Buffer; original_tokens: number }>> {
    const rows = await this.entries()
      .select(['id', 'vector', 'original_tokens'])
      .where('params_hash', '=', paramsHash)
      .where('embedder_id', '=', embedderId)
      .where('vector', 'is not', null)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows as Array<{ id: number; vector: Buffer; original_tokens: number }>;
  }

  /**
   * Stores (or replaces) an entry, prunes the project to its newest `keep` entries and, when asked,
   * counts the miss that produced it — one transaction.
   */
  async put(e: NewCacheEntry, keep: number, countMiss: boolean): Promise<void> {
    const { ownerId, projectId } = this.scope;
    await this.ctx.tx(async (t) => {
      const created = nowIso();
      await t.db
        .insertInto('compress_cache')
        .values({
          owner_id: ownerId,
          project_id: projectId,
          key_hash: e.keyHash,
          params_hash: e.paramsHash,
          embedder_id: e.embedderId,
          original_tokens: e.originalTokens,
          vector: e.vector,
          result: e.result,
          created_at: created,
        })
        .onConflict((oc) =>
          oc.columns(['owner_id', 'project_id', 'key_hash']).doUpdateSet({ result: e.result, vector: e.vector, embedder_id: e.embedderId, created_at: created }),
        )
        .execute();
      const cutoff = await t.db
        .selectFrom('compress_cache')
        .select('id')
        .where('owner_id', '=', ownerId)
        .where('project_id', '=', projectId)
        .orderBy('id', 'desc')
        .limit(1)
        .offset(keep)
        .executeTakeFirst();
      if (cutoff) await t.db.deleteFrom('compress_cache').where('owner_id', '=', ownerId).where('project_id', '=', projectId).where('id', '<=', cutoff.id).execute();
      if (countMiss) await t.compressCache(this.scope).count('miss', 0);
    });
  }

  /** Counts one lookup outcome in the project's counters. */
  async count(outcome: CacheOutcome, tokensSaved: number): Promise<void> {
    const col = COUNTER[outcome];
    const saved = outcome === 'miss' ? 0 : tokensSaved;
    await this.ctx.db
      .insertInto('compress_cache_stats')
      .values({ owner_id: this.scope.ownerId, project_id: this.scope.projectId, [col]: 1, tokens_saved_by_hits: saved })
      .onConflict((oc) =>
        oc.columns(['owner_id', 'project_id']).doUpdateSet({
          [col]: sql<number>`compress_cache_stats.${sql.ref(col)} + 1`,
          tokens_saved_by_hits: sql<number>`compress_cache_stats.tokens_saved_by_hits + ${saved}`,
        }),
      )
      .execute();
  }

  /** A hit: on the entry and in the counters, one transaction. */
  async hit(id: number, source: 'exact' | 'semantic', tokensSaved: number): Promise<void> {
    await this.ctx.tx(async (t) => {
      await t.db
        .updateTable('compress_cache')
        .set({ hits: sql<number>`hits + 1`, last_hit_at: nowIso() })
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', this.scope.projectId)
        .where('id', '=', id)
        .execute();
      await t.compressCache(this.scope).count(source, tokensSaved);
    });
  }

  async counters(): Promise<CacheCounters | undefined> {
    return this.ctx.db
      .selectFrom('compress_cache_stats')
      .select(['exact_hits', 'semantic_hits', 'misses', 'tokens_saved_by_hits'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .executeTakeFirst();
  }

  async size(): Promise<number> {
    return Number((await this.entries().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  }

  /** Removes the entries (and, when asked, the counters); returns how many entries went. */
  async clear(resetCounters: boolean): Promise<number> {
    return this.ctx.tx(async (t) => {
      const r = await t.db.deleteFrom('compress_cache').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).executeTakeFirst();
      if (resetCounters) await t.db.deleteFrom('compress_cache_stats').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).execute();
      return Number(r.numDeletedRows);
    });
  }
}
