// Fixed request windows in the store, for replicas on PostgreSQL without Redis. Each window is moved
// by one upsert (the row lock orders concurrent replicas; no writer-queue transaction needed), and a
// request refused by any of its windows gives back what it took, so only allowed requests count.
import { sql } from 'kysely';
import type { RepoContext } from './store.js';

export interface WindowState { key: string; startMs: number; count: number }

export class RateWindowsRepo {
  constructor(private readonly ctx: RepoContext) {}

  /** Counts one request in `key`'s window (a new window when the old one is `windowMs` old); the window after. */
  async hit(key: string, nowMs: number, windowMs: number): Promise<WindowState> {
    const expired = sql<boolean>`rate_windows.window_start_ms <= ${nowMs - windowMs}`;
    const r = await this.ctx.db
      .insertInto('rate_windows')
      .values({ key, window_start_ms: nowMs, count: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          window_start_ms: sql<number>`CASE WHEN ${expired} THEN ${nowMs} ELSE rate_windows.window_start_ms END`,
          count: sql<number>`CASE WHEN ${expired} THEN 1 ELSE rate_windows.count + 1 END`,
        }),
      )
      .returning(['window_start_ms', 'count'])
      .executeTakeFirstOrThrow();
    return { key, startMs: Number(r.window_start_ms), count: Number(r.count) };
  }

  /** Gives back a counted request (the same window only: a window that rolled over since is left alone). */
  async giveBack(w: WindowState): Promise<void> {
    await this.ctx.db
      .updateTable('rate_windows')
      .set({ count: sql<number>`count - 1` })
      .where('key', '=', w.key)
      .where('window_start_ms', '=', w.startMs)
      .where('count', '>', 0)
      .execute();
  }

  /** Drops windows that ended long ago (keeps the table small). */
  async prune(beforeMs: number): Promise<void> {
    await this.ctx.db.deleteFrom('rate_windows').where('window_start_ms', '<', beforeMs).execute();
  }
}
