// Metering: one row per metered call; the monthly quota counts rows with counted = 1 (cache hits are
// recorded with counted = 0). Months are UTC, resetting at midnight on the 1st.
import type { AppDeps } from '../app-deps.js';
import { QuotaExceeded } from '../errors.js';
import type { Caller, Metering } from '../registry/define.js';

export function monthOf(d = new Date()): string {
  return d.toISOString().slice(0, 7);
}

function nextMonthStart(d = new Date()): string {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

export interface UsageSummary {
  month: string;
  compressions: number;
  quota: number;
  remaining: number;
  resets_at: string;
  tokens_in: number;
  tokens_out: number;
  tokens_saved: number;
  cache_hits: { exact: number; semantic: number };
}

export class UsageService {
  constructor(private readonly deps: AppDeps) {}

  record(caller: Caller, tool: string, m: Metering): void {
    const tokensIn = Math.max(0, Math.round(m.tokensIn));
    const tokensOut = Math.max(0, Math.round(m.tokensOut));
    this.deps.db
      .prepare(
        `INSERT INTO usage_events (owner_id, project_id, key_id, tool, month, at, tokens_in, tokens_out, tokens_saved, cache, counted)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        caller.userId,
        caller.projectId,
        caller.keyId,
        tool,
        monthOf(),
        new Date().toISOString(),
        tokensIn,
        tokensOut,
        Math.max(0, tokensIn - tokensOut),
        m.cache ?? null,
        m.cache ? 0 : 1,
      );
  }

  /** The account's monthly quota: that of its plan (the highest among its active keys). */
  quota(caller: Caller): number {
    return this.deps.config.plans[caller.accountPlan ?? caller.plan].monthlyCompressions;
  }

  /**
   * Compressions counted this month for the caller's account: the monthly quota belongs to the
   * account (as the plans describe), so a second key does not bring a second allowance.
   */
  countedThisMonth(caller: Caller): number {
    const row = this.deps.db.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE owner_id = ? AND month = ? AND counted = 1').get(caller.userId, monthOf());
    return (row as { n: number }).n;
  }

  assertQuota(caller: Caller): void {
    const quota = this.quota(caller);
    const used = this.countedThisMonth(caller);
    if (used >= quota) {
      throw new QuotaExceeded(`Monthly compression quota of the account (${caller.accountPlan ?? caller.plan} plan (${quota}) is used up; it resets at ${nextMonthStart()}`, {
        plan: caller.accountPlan ?? caller.plan,
        quota,
        used,
        resets_at: nextMonthStart(),
      });
    }
  }

  /** This month's usage for one owner and project. */
  summary(caller: Caller): UsageSummary {
    const month = monthOf();
    const r = this.deps.db
      .prepare(
        `SELECT COALESCE(SUM(counted), 0) AS compressions, COALESCE(SUM(tokens_in), 0) AS tin, COALESCE(SUM(tokens_out), 0) AS tout,
                COALESCE(SUM(tokens_saved), 0) AS saved,
                COALESCE(SUM(cache = 'exact'), 0) AS exact, COALESCE(SUM(cache = 'semantic'), 0) AS semantic
         FROM usage_events WHERE owner_id = ? AND project_id = ? AND month = ?`,
      )
      .get(caller.userId, caller.projectId, month) as Record<string, number>;
    const quota = this.quota(caller);
    const used = this.countedThisMonth(caller);
    return {
      month,
      compressions: r.compressions!,
      quota,
      remaining: Math.max(0, quota - used),
      resets_at: nextMonthStart(),
      tokens_in: r.tin!,
      tokens_out: r.tout!,
      tokens_saved: r.saved!,
      cache_hits: { exact: r.exact!, semantic: r.semantic! },
    };
  }
}

export interface Savings {
  total_compressions: number;
  total_tokens_in: number;
  total_tokens_saved: number;
  savings_pct: number;
}

/** Lifetime totals for an owner across all projects, or within one (for a project-bound key). */
export function lifetimeSavings(deps: AppDeps, ownerId: string, projectId?: string): Savings {
  const sql = 'SELECT COALESCE(SUM(counted), 0) AS n, COALESCE(SUM(tokens_in), 0) AS tin, COALESCE(SUM(tokens_saved), 0) AS saved FROM usage_events WHERE owner_id = ?';
  const r = (projectId === undefined ? deps.db.prepare(sql).get(ownerId) : deps.db.prepare(`${sql} AND project_id = ?`).get(ownerId, projectId)) as { n: number; tin: number; saved: number };
  return {
    total_compressions: r.n,
    total_tokens_in: r.tin,
    total_tokens_saved: r.saved,
    savings_pct: r.tin > 0 ? Number(((100 * r.saved) / r.tin).toFixed(1)) : 0,
  };
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

/** An owner's recorded use since `sinceIso`, grouped by tool (most saved first) and by UTC day (newest first). */
export function usageBreakdown(deps: AppDeps, ownerId: string, sinceIso: string): { by_tool: UsageRow[]; by_day: UsageRow[] } {
  const select = (group: string, order: string) =>
    deps.db
      .prepare(
        `SELECT ${group} AS "group", COUNT(*) AS calls, COALESCE(SUM(tokens_in), 0) AS tokens_in, COALESCE(SUM(tokens_out), 0) AS tokens_out,
                COALESCE(SUM(tokens_saved), 0) AS tokens_saved, COALESCE(SUM(cache IS NOT NULL), 0) AS cache_hits
         FROM usage_events WHERE owner_id = ? AND at >= ? GROUP BY 1 ORDER BY ${order}`,
      )
      .all(ownerId, sinceIso) as UsageRow[];
  return { by_tool: select('tool', 'tokens_saved DESC, 1'), by_day: select('substr(at, 1, 10)', '1 DESC') };
}
