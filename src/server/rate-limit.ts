// Requests-per-minute limiter, per key and per account (fixed one-minute windows, in memory: limits are per process).
import { LIMITS, type Plan, type PlanLimits } from '../config.js';
import { RateLimited } from '../errors.js';
import type { Caller } from '../domain/scope.js';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the window resets. */
  reset: number;
  retryAfter: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly windowMs = LIMITS.rateWindowMs) {}

  take(key: string, limit: number, now = Date.now()): RateDecision {
    return this.takeAll([[key, limit]], now);
  }

  /**
   * One request against several windows at once (a key's and its account's): allowed only when every
   * window has room, and then counted in all of them. The decision reported is the tightest window.
   */
  takeAll(windows: Array<[key: string, limit: number]>, now = Date.now()): RateDecision {
    const open = windows.map(([key, limit]) => {
      let w = this.windows.get(key);
      if (!w || now - w.start >= this.windowMs) {
        w = { start: now, count: 0 };
        this.windows.set(key, w);
      }
      return { w, limit };
    });
    if (this.windows.size > 10_000) this.prune(now);
    const allowed = open.every(({ w, limit }) => w.count < limit);
    if (allowed) for (const { w } of open) w.count++;
    const tightest = open.reduce((a, b) => (b.limit - b.w.count < a.limit - a.w.count ? b : a));
    const resetMs = tightest.w.start + this.windowMs;
    return {
      allowed,
      limit: tightest.limit,
      remaining: Math.max(0, tightest.limit - tightest.w.count),
      reset: Math.ceil(resetMs / 1000),
      retryAfter: Math.max(1, Math.ceil((resetMs - now) / 1000)),
    };
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}

/**
 * One limiter decision for a caller: a key is limited at its plan's rate on its own, and together with
 * every other key of its account at the account's plan rate (a second key does not double it); callers without a key
 * (the no-key tools) by client address at the free plan's rate, so they cannot flood the server either.
 */
export function takeFor(limiter: RateLimiter, plans: Record<Plan, PlanLimits>, caller: Caller | null, remote: string): RateDecision & { plan: Plan } {
  const plan = caller?.plan ?? 'free';
  const rpm = plans[plan].requestsPerMinute;
  const accountRpm = plans[caller?.accountPlan ?? plan].requestsPerMinute;
  const windows: Array<[string, number]> = !caller
    ? [[`anon:${remote}`, rpm]]
    : caller.keyId
      ? [[`key:${caller.keyId}`, rpm], [`owner:${caller.userId}`, accountRpm]]
      : [[`owner:${caller.userId}`, accountRpm]];
  return { ...limiter.takeAll(windows), plan };
}

export function rateLimitedError(d: RateDecision & { plan: Plan }): RateLimited {
  return new RateLimited(`Rate limit of ${d.limit} requests/minute for the ${d.plan} plan exceeded; retry in ${d.retryAfter}s`, d.retryAfter, { limit: d.limit });
}
