// Requests-per-minute limits, per key and per account, in fixed one-minute windows. Where the windows
// live decides whether a limit holds across replicas:
//   - Redis (CTXGATE_REDIS_URL): rate-limiter-flexible's atomic Redis counters, shared by every replica;
//   - PostgreSQL without Redis: the store's rate_windows rows (one upsert per window), shared too;
//   - SQLite (one process serves the store): in memory.
import type { Redis } from 'ioredis';
import { LIMITS, type Plan, type PlanLimits } from '../config.js';
import { RateLimited, Unavailable } from '../errors.js';
import type { Caller } from '../domain/scope.js';
import type { Store } from '../store/store.js';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the window resets. */
  reset: number;
  retryAfter: number;
}

export interface Limiter {
  readonly kind: 'memory' | 'redis' | 'store';
  /**
   * One request against several windows at once (a key's and its account's): allowed only when every
   * window has room, and then counted in all of them. The decision reported is the tightest window.
   */
  takeAll(windows: Array<[key: string, limit: number]>, now?: number): Promise<RateDecision>;
  take(key: string, limit: number, now?: number): Promise<RateDecision>;
}

/** One window after counting a request in it, and how to give that request back. */
interface Counted {
  count: number;
  resetMs: number;
  undo(): Promise<void>;
}

function decide(windows: Array<[string, number]>, counted: Array<{ count: number; resetMs: number }>, allowed: boolean, now: number): RateDecision {
  let tightest = 0;
  for (let i = 1; i < windows.length; i++) {
    if (windows[i]![1] - counted[i]!.count < windows[tightest]![1] - counted[tightest]!.count) tightest = i;
  }
  const limit = windows[tightest]![1];
  const { count, resetMs } = counted[tightest]!;
  return {
    allowed,
    limit,
    remaining: allowed ? Math.max(0, limit - count) : 0,
    reset: Math.ceil(resetMs / 1000),
    retryAfter: Math.max(1, Math.ceil((resetMs - now) / 1000)),
  };
}

/**
 * Shared windows, in order (a key's own window before its account's): count the request in each;
 * at the first window over its limit, give it back to every window it was counted in and stop. Each
 * count is atomic in the shared store, so no more than `limit` requests are ever allowed in a window,
 * and a key's own burst never touches its account's window past the key's limit — one key gets
 * exactly its rate. (Several keys of one account racing at the account's limit may see another
 * request's count for an instant and be refused a little early; never late.)
 */
abstract class SharedLimiter implements Limiter {
  abstract readonly kind: 'redis' | 'store';
  protected abstract hit(key: string, now: number): Promise<Counted>;

  async takeAll(windows: Array<[string, number]>, now = Date.now()): Promise<RateDecision> {
    const counted: Counted[] = [];
    try {
      for (const [key, limit] of windows) {
        const c = await this.hit(key, now);
        counted.push(c);
        if (c.count > limit) {
          await Promise.allSettled(counted.map((x) => x.undo()));
          return decide(windows.slice(counted.length - 1, counted.length), [c], false, now);
        }
      }
    } catch {
      await Promise.allSettled(counted.map((x) => x.undo()));
      throw new Unavailable(`The shared rate-limit store (${this.kind === 'redis' ? 'Redis' : 'PostgreSQL'}) is unreachable; retry shortly`, { reason: 'rate_limit_store' });
    }
    return decide(windows, counted, true, now);
  }

  take(key: string, limit: number, now = Date.now()): Promise<RateDecision> {
    return this.takeAll([[key, limit]], now);
  }
}

export class RedisLimiter extends SharedLimiter {
  readonly kind = 'redis' as const;
  private readonly counter: Promise<import('rate-limiter-flexible').RateLimiterRedis>;

  constructor(redis: Redis, prefix: string, private readonly windowMs = LIMITS.rateWindowMs) {
    super();
    // The counter never refuses by itself (limits differ per key and window): it counts atomically
    // and expires the window; the limit is compared here.
    this.counter = import('rate-limiter-flexible').then(
      ({ RateLimiterRedis }) =>
        new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl`, points: Number.MAX_SAFE_INTEGER, duration: Math.ceil(windowMs / 1000), rejectIfRedisNotReady: true }),
    );
  }

  protected async hit(key: string, now: number): Promise<Counted> {
    const rl = await this.counter;
    const res = await rl.consume(key, 1).catch((e: unknown) => {
      throw e instanceof Error ? e : new Error('redis limiter refused');
    });
    return { count: res.consumedPoints, resetMs: now + res.msBeforeNext, undo: () => rl.reward(key, 1).then(() => undefined) };
  }
}

export class StoreLimiter extends SharedLimiter {
  readonly kind = 'store' as const;
  private hits = 0;

  constructor(private readonly store: Store, private readonly windowMs = LIMITS.rateWindowMs) {
    super();
  }

  protected async hit(key: string, now: number): Promise<Counted> {
    const repo = this.store.rateWindows();
    // Now and then drop windows long over, so the table holds about one row per active caller.
    if (++this.hits % 1000 === 0) void repo.prune(now - 2 * this.windowMs).catch(() => undefined);
    const w = await repo.hit(key, now, this.windowMs);
    return { count: w.count, resetMs: w.startMs + this.windowMs, undo: () => repo.giveBack(w) };
  }
}

/** In memory: limits are per process (one process serves a SQLite store). */
export class RateLimiter implements Limiter {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly windowMs = LIMITS.rateWindowMs) {}

  async take(key: string, limit: number, now = Date.now()): Promise<RateDecision> {
    return this.takeAll([[key, limit]], now);
  }

  async takeAll(windows: Array<[key: string, limit: number]>, now = Date.now()): Promise<RateDecision> {
    const open = windows.map(([key]) => {
      let w = this.windows.get(key);
      if (!w || now - w.start >= this.windowMs) {
        w = { start: now, count: 0 };
        this.windows.set(key, w);
      }
      return w;
    });
    if (this.windows.size > 10_000) this.prune(now);
    const allowed = open.every((w, i) => w.count < windows[i]![1]);
    if (allowed) for (const w of open) w.count++;
    return decide(
      windows,
      open.map((w) => ({ count: allowed ? w.count : Math.max(w.count, 0), resetMs: w.start + this.windowMs })),
      allowed,
      now,
    );
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}

/** The limiter this deployment needs: shared when replicas can share a store, in memory on SQLite. */
export function createLimiter(store: Store, redis: Redis | null, redisPrefix: string): Limiter {
  if (redis) return new RedisLimiter(redis, redisPrefix);
  if (store.backend === 'postgres') return new StoreLimiter(store);
  return new RateLimiter();
}

/**
 * One limiter decision for a caller: a key is limited at its plan's rate on its own, and together with
 * every other key of its account at the account's plan rate (a second key does not double it); callers without a key
 * (the no-key tools) by client address at the free plan's rate, so they cannot flood the server either.
 */
export async function takeFor(limiter: Limiter, plans: Record<Plan, PlanLimits>, caller: Caller | null, remote: string): Promise<RateDecision & { plan: Plan }> {
  const plan = caller?.plan ?? 'free';
  const rpm = plans[plan].requestsPerMinute;
  const accountRpm = plans[caller?.accountPlan ?? plan].requestsPerMinute;
  const windows: Array<[string, number]> = !caller
    ? [[`anon:${remote}`, rpm]]
    : caller.keyId
      ? [[`key:${caller.keyId}`, rpm], [`owner:${caller.userId}`, accountRpm]]
      : [[`owner:${caller.userId}`, accountRpm]];
  return { ...(await limiter.takeAll(windows)), plan };
}

export function rateLimitedError(d: RateDecision & { plan: Plan }): RateLimited {
  return new RateLimited(`Rate limit of ${d.limit} requests/minute for the ${d.plan} plan exceeded; retry in ${d.retryAfter}s`, d.retryAfter, { limit: d.limit });
}
