// Usage analytics over usage_events for one owner: per project, per day and project, cache hits.
// Every query names the owner; an optional project narrows it (project-bound keys).
import { sql } from 'kysely';
import type { OwnerScope } from '../domain/scope.js';
import type { RepoContext } from './store.js';

export interface ProjectUsage {
  project_id: string;
  compressions: number;
  tokens_in: number;
  tokens_saved: number;
}

export interface DayProjectUsage extends ProjectUsage {
  day: string;
}

/** One metered call as the recent-compressions list shows it. */
export interface RecentUse {
  at: string;
  tool: string;
  project_id: string;
  fidelity: string | null;
  tokens_in: number;
  tokens_out: number;
  tokens_saved: number;
  cache: 'exact' | 'semantic' | null;
}

export interface CacheWindow {
  exact_hits: number;
  semantic_hits: number;
  misses: number;
  /** Tokens saved by compressions that ran (no cache hit). */
  compression_saved: number;
  /** Tokens saved by calls answered from the cache. */
  cache_saved: number;
}

const num = (v: unknown) => Number(v ?? 0);

export class AnalyticsRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: OwnerScope) {}

  private base(fromIso: string, toIso: string, projectId?: string) {
    let q = this.ctx.db.selectFrom('usage_events').where('owner_id', '=', this.scope.ownerId).where('at', '>=', fromIso).where('at', '<', toIso);
    if (projectId) q = q.where('project_id', '=', projectId);
    return q;
  }

  private sums() {
    return [
      sql<number>`COALESCE(SUM(counted), 0)`.as('compressions'),
      sql<number>`COALESCE(SUM(tokens_in), 0)`.as('tokens_in'),
      sql<number>`COALESCE(SUM(tokens_saved), 0)`.as('tokens_saved'),
    ] as const;
  }

  async byProject(fromIso: string, toIso: string, projectId?: string): Promise<ProjectUsage[]> {
    const rows = await this.base(fromIso, toIso, projectId).select(['project_id', ...this.sums()]).groupBy('project_id').execute();
    return rows.map((r) => ({ project_id: r.project_id, compressions: num(r.compressions), tokens_in: num(r.tokens_in), tokens_saved: num(r.tokens_saved) }));
  }

  /** By UTC day and project, oldest day first. */
  async byDay(fromIso: string, toIso: string, projectId?: string): Promise<DayProjectUsage[]> {
    const day = sql<string>`substr(at, 1, 10)`;
    const rows = await this.base(fromIso, toIso, projectId).select([day.as('day'), 'project_id', ...this.sums()]).groupBy([day, 'project_id']).orderBy(sql`1`).orderBy('project_id').execute();
    return rows.map((r) => ({ day: String(r.day), project_id: r.project_id, compressions: num(r.compressions), tokens_in: num(r.tokens_in), tokens_saved: num(r.tokens_saved) }));
  }

  /** The newest settled metered calls (a call still in progress has no figures yet and is left out). */
  async recent(limit: number, projectId?: string): Promise<RecentUse[]> {
    let q = this.ctx.db
      .selectFrom('usage_events')
      .select(['at', 'tool', 'project_id', 'fidelity', 'tokens_in', 'tokens_out', 'tokens_saved', 'cache'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('tokens_in', '>', 0);
    if (projectId) q = q.where('project_id', '=', projectId);
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, tokens_in: num(r.tokens_in), tokens_out: num(r.tokens_out), tokens_saved: num(r.tokens_saved) }));
  }

  async cache(fromIso: string, toIso: string, projectId?: string): Promise<CacheWindow> {
    const r = await this.base(fromIso, toIso, projectId)
      .select([
        sql<number>`COALESCE(SUM(CASE WHEN cache = 'exact' THEN 1 ELSE 0 END), 0)`.as('exact_hits'),
        sql<number>`COALESCE(SUM(CASE WHEN cache = 'semantic' THEN 1 ELSE 0 END), 0)`.as('semantic_hits'),
        sql<number>`COALESCE(SUM(CASE WHEN cache IS NULL THEN 1 ELSE 0 END), 0)`.as('misses'),
        sql<number>`COALESCE(SUM(CASE WHEN cache IS NULL THEN tokens_saved ELSE 0 END), 0)`.as('compression_saved'),
        sql<number>`COALESCE(SUM(CASE WHEN cache IS NOT NULL THEN tokens_saved ELSE 0 END), 0)`.as('cache_saved'),
      ])
      .executeTakeFirstOrThrow();
    return { exact_hits: num(r.exact_hits), semantic_hits: num(r.semantic_hits), misses: num(r.misses), compression_saved: num(r.compression_saved), cache_saved: num(r.cache_saved) };
  }
}
