// Metering: one row per metered call; the monthly quota counts rows with counted = 1 (cache hits are
// recorded with counted = 0). Months are UTC, resetting at midnight on the 1st.
import type { UsageRow } from '../store/usage.js';
import type { AppDeps } from '../app-deps.js';
import { QuotaExceeded } from '../errors.js';
import { scopeOf, type Caller, type Metering } from '../domain/scope.js';

export function monthOf(d = new Date()): string {
  return d.toISOString().slice(0, 7);
}

function nextMonthStart(d = new Date()): string {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

/** One unit of a caller's quota held for a call in progress (UsageService.hold). */
export interface QuotaHold {
  meter(m: Metering): Promise<void>;
  release(): Promise<void>;
}

/** The usage row of one metered call (`at` defaults to now; its month is the UTC month of now). */
export function usageEvent(caller: Caller, tool: string, m: Metering, at = new Date().toISOString()) {
  return {
    keyId: caller.keyId,
    tool,
    month: monthOf(),
    at,
    tokensIn: Math.max(0, Math.round(m.tokensIn)),
    tokensOut: Math.max(0, Math.round(m.tokensOut)),
    cache: m.cache ?? null,
    fidelity: m.fidelity ?? null,
  };
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
  /** Needs only the store and config, so `ctxgate run` can record without building the app. */
  constructor(private readonly deps: Pick<AppDeps, 'store' | 'config'>) {}

  async record(caller: Caller, tool: string, m: Metering): Promise<void> {
    await this.deps.store.usage(scopeOf(caller)).record(usageEvent(caller, tool, m));
  }

  /**
   * Checks the quota and takes one unit of it in one transaction, so concurrent calls on any number
   * of replicas cannot together pass a quota one of them alone would have reached. The first use the
   * call reports fills in the held unit; a call that reports none gives it back.
   */
  async hold(caller: Caller, tool: string): Promise<QuotaHold> {
    const scope = scopeOf(caller);
    const id = await this.deps.store.tx(async (t) => {
      await this.assertQuota(caller, await t.ownerUsage({ ownerId: caller.userId }).countedInMonthAll(monthOf()));
      return t.usage(scope).reserve({ keyId: caller.keyId, tool, month: monthOf(), at: new Date().toISOString() });
    });
    const repo = this.deps.store.usage(scope);
    let settled = false;
    return {
      meter: async (m) => {
        if (settled) return this.record(caller, tool, m);
        settled = true;
        await repo.settle(id, usageEvent(caller, tool, m));
      },
      release: async () => {
        if (settled) return;
        settled = true;
        await repo.release(id);
      },
    };
  }

  /** The account's monthly quota: that of its plan (the highest among its active keys). */
  quota(caller: Caller): number {
    return this.deps.config.plans[caller.accountPlan ?? caller.plan].monthlyCompressions;
  }

  /**
   * Compressions counted this month for the caller's account: the monthly quota belongs to the
   * account (as the plans describe), so a second key does not bring a second allowance.
   */
  countedThisMonth(caller: Caller): Promise<number> {
    return this.deps.store.ownerUsage({ ownerId: caller.userId }).countedInMonthAll(monthOf());
  }

  async assertQuota(caller: Caller, counted?: number): Promise<void> {
    const quota = this.quota(caller);
    const used = counted ?? (await this.countedThisMonth(caller));
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
  async summary(caller: Caller): Promise<UsageSummary> {
    const month = monthOf();
    const r = await this.deps.store.usage(scopeOf(caller)).totals({ month, onlyMonth: true });
    const quota = this.quota(caller);
    const used = await this.countedThisMonth(caller);
    return {
      month,
      compressions: r.compressions,
      quota,
      remaining: Math.max(0, quota - used),
      resets_at: nextMonthStart(),
      tokens_in: r.tokens_in,
      tokens_out: r.tokens_out,
      tokens_saved: r.tokens_saved,
      cache_hits: { exact: r.exact_hits, semantic: r.semantic_hits },
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
export async function lifetimeSavings(deps: AppDeps, ownerId: string, projectId?: string): Promise<Savings> {
  const r = await deps.store.ownerUsage({ ownerId }).lifetime(projectId);
  return {
    total_compressions: r.compressions,
    total_tokens_in: r.tokens_in,
    total_tokens_saved: r.tokens_saved,
    savings_pct: r.tokens_in > 0 ? Number(((100 * r.tokens_saved) / r.tokens_in).toFixed(1)) : 0,
  };
}

export type { UsageRow } from '../store/usage.js';

/** An owner's recorded use since `sinceIso`, grouped by tool (most saved first) and by UTC day (newest first). */
export function usageBreakdown(deps: AppDeps, ownerId: string, sinceIso: string): Promise<{ by_tool: UsageRow[]; by_day: UsageRow[] }> {
  return deps.store.ownerUsage({ ownerId }).breakdown(sinceIso);
}
