// Per-key requests-per-minute limiter (fixed one-minute windows, in memory: limits are per process).
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
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.prune(now);
    }
    const resetMs = w.start + this.windowMs;
    const allowed = w.count < limit;
    if (allowed) w.count++;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - w.count),
      reset: Math.ceil(resetMs / 1000),
      retryAfter: Math.max(1, Math.ceil((resetMs - now) / 1000)),
    };
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}

/**
 * One limiter decision for a caller: keys by key id at their plan's rate; callers without a key (the
 * no-key tools) by client address at the free plan's rate, so they cannot flood the server either.
 */
export function takeFor(limiter: RateLimiter, plans: Record<Plan, PlanLimits>, caller: Caller | null, remote: string): RateDecision & { plan: Plan } {
  const plan = caller?.plan ?? 'free';
  const id = caller?.keyId ? `key:${caller.keyId}` : caller ? `owner:${caller.userId}` : `anon:${remote}`;
  return { ...limiter.take(id, plans[plan].requestsPerMinute), plan };
}

export function rateLimitedError(d: RateDecision & { plan: Plan }): RateLimited {
  return new RateLimited(`Rate limit of ${d.limit} requests/minute for the ${d.plan} plan exceeded; retry in ${d.retryAfter}s`, d.retryAfter, { limit: d.limit });
}
