// Usage events (metering): one row per metered call, scoped by owner + project; the quota counts
// rows with counted = 1 of one key (or of the owner's keyless local calls) in a month.
import { sql } from 'kysely';
import type { OwnerScope, Scope } from '../domain/scope.js';
import type { RepoContext } from './store.js';

export interface UsageTotals {
  compressions: number;
  tokens_in: number;
  tokens_out: number;
  tokens_saved: number;
  exact_hits: number;
  semantic_hits: number;
  /** Counted compressions in `month` (when asked). */
  month_compressions: number;
}

export interface UsageRow {
  /** The tool name, or the UTC day (YYYY-MM-DD). */
  group: string;
  calls: number;
  tokens_in: number;
  tokens_out: number;
  tokens_saved: number;
  cache_hits: number;
}

export interface UsageEvent {
  keyId: string | null;
  tool: string;
  month: string;
  at: string;
  tokensIn: number;
  tokensOut: number;
  cache: 'exact' | 'semantic' | null;
  fidelity?: string | null;
}

function totals(ctx: RepoContext, month: string | null) {
  // Integer sums on both backends (SQLite's SUM of a boolean expression is an integer; PostgreSQL
  // needs the CASE). COALESCE makes an empty scope read zeros.
  return ctx.db.selectFrom('usage_events').select([
    sql<number>`COALESCE(SUM(counted), 0)`.as('compressions'),
    sql<number>`COALESCE(SUM(tokens_in), 0)`.as('tokens_in'),
    sql<number>`COALESCE(SUM(tokens_out), 0)`.as('tokens_out'),
    sql<number>`COALESCE(SUM(tokens_saved), 0)`.as('tokens_saved'),
    sql<number>`COALESCE(SUM(CASE WHEN cache = 'exact' THEN 1 ELSE 0 END), 0)`.as('exact_hits'),
    sql<number>`COALESCE(SUM(CASE WHEN cache = 'semantic' THEN 1 ELSE 0 END), 0)`.as('semantic_hits'),
    sql<number>`COALESCE(SUM(CASE WHEN month = ${month ?? ''} THEN counted ELSE 0 END), 0)`.as('month_compressions'),
  ]);
}

export class UsageRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  async record(e: UsageEvent): Promise<void> {
    await this.ctx.db
      .insertInto('usage_events')
      .values({
        owner_id: this.scope.ownerId,
        project_id: this.scope.projectId,
        key_id: e.keyId,
        tool: e.tool,
        month: e.month,
        at: e.at,
        tokens_in: e.tokensIn,
        tokens_out: e.tokensOut,
        tokens_saved: Math.max(0, e.tokensIn - e.tokensOut),
        cache: e.cache,
        fidelity: e.fidelity ?? null,
        counted: e.cache ? 0 : 1,
      })
      .execute();
  }

  /**
   * A metered call in progress: counted against the quota from now on (so concurrent calls on any
   * replica see it), its figures filled in by settle, removed by release if the call makes no use.
   */
  async reserve(e: { keyId: string | null; tool: string; month: string; at: string }): Promise<number> {
    const r = await this.ctx.db
      .insertInto('usage_events')
      .values({ owner_id: this.scope.ownerId, project_id: this.scope.projectId, key_id: e.keyId, tool: e.tool, month: e.month, at: e.at, tokens_in: 0, tokens_out: 0, tokens_saved: 0, cache: null, counted: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** The reserved call's figures (a cache hit stops counting against the quota). */
  async settle(id: number, e: UsageEvent): Promise<void> {
    await this.ctx.db
      .updateTable('usage_events')
      .set({ at: e.at, tokens_in: e.tokensIn, tokens_out: e.tokensOut, tokens_saved: Math.max(0, e.tokensIn - e.tokensOut), cache: e.cache, fidelity: e.fidelity ?? null, counted: e.cache ? 0 : 1 })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .execute();
  }

  async release(id: number): Promise<void> {
    await this.ctx.db.deleteFrom('usage_events').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).execute();
  }

  /** Totals of this project, all time (`month_compressions` for `month`), or of one month only. */
  async totals(opts: { month: string; onlyMonth?: boolean }): Promise<UsageTotals> {
    let q = totals(this.ctx, opts.month).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    if (opts.onlyMonth) q = q.where('month', '=', opts.month);
    return q.executeTakeFirstOrThrow();
  }
}

/** Owner-wide usage: quota counting per key and lifetime savings across projects. */
export class OwnerUsageRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: OwnerScope) {}

  /** Counted calls in `month` of one key, or (keyId null) of the owner's keyless local calls. */
  async countedInMonth(keyId: string | null, month: string): Promise<number> {
    let q = this.ctx.db
      .selectFrom('usage_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_id', '=', this.scope.ownerId)
      .where('month', '=', month)
      .where('counted', '=', 1);
    q = keyId ? q.where('key_id', '=', keyId) : q.where('key_id', 'is', null);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /** Counted calls in `month` of the whole account (all keys and keyless local calls): the quota is the account's. */
  async countedInMonthAll(month: string): Promise<number> {
    const q = this.ctx.db
      .selectFrom('usage_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_id', '=', this.scope.ownerId)
      .where('month', '=', month)
      .where('counted', '=', 1);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /** Lifetime totals across projects, or within one (for a project-bound key). */
  async lifetime(projectId?: string): Promise<UsageTotals> {
    let q = totals(this.ctx, null).where('owner_id', '=', this.scope.ownerId);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return q.executeTakeFirstOrThrow();
  }

  /** Recorded use since `sinceIso`, grouped by tool (most saved first) and by UTC day (newest first). */
  async breakdown(sinceIso: string): Promise<{ by_tool: UsageRow[]; by_day: UsageRow[] }> {
    const select = async (group: 'tool' | 'day') => {
      const key = group === 'tool' ? sql<string>`tool` : sql<string>`substr(at, 1, 10)`;
      const rows = await this.ctx.db
        .selectFrom('usage_events')
        .select([
          key.as('group'),
          sql<number>`COUNT(*)`.as('calls'),
          sql<number>`COALESCE(SUM(tokens_in), 0)`.as('tokens_in'),
          sql<number>`COALESCE(SUM(tokens_out), 0)`.as('tokens_out'),
          sql<number>`COALESCE(SUM(tokens_saved), 0)`.as('tokens_saved'),
          sql<number>`COALESCE(SUM(CASE WHEN cache IS NOT NULL THEN 1 ELSE 0 END), 0)`.as('cache_hits'),
        ])
        .where('owner_id', '=', this.scope.ownerId)
        .where('at', '>=', sinceIso)
        .groupBy(key)
        .orderBy(group === 'tool' ? sql`5 DESC, 1` : sql`1 DESC`)
        .execute();
      return rows.map((r) => ({ group: String(r.group), calls: Number(r.calls), tokens_in: Number(r.tokens_in), tokens_out: Number(r.tokens_out), tokens_saved: Number(r.tokens_saved), cache_hits: Number(r.cache_hits) }));
    };
    return { by_tool: await select('tool'), by_day: await select('day') };
  }
}
