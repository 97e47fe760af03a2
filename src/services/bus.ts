// Messages between replicas: server-to-client MCP messages (tools/list_changed), session ends, job
// events. Every message reaches every replica's subscribers, the publisher's own included, so code
// reacts in one place whether the session's stream is here or elsewhere.
// Redis pub/sub with CTXGATE_REDIS_URL; PostgreSQL LISTEN/NOTIFY on a PostgreSQL store; otherwise
// (SQLite: one process serves the store) in process.
// Delivery is at most once: a replica that is reconnecting misses messages, so nothing that must
// survive (session state, job results) travels only here — the store holds it, the bus only wakes readers.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { AppDeps } from '../app-deps.js';
import { pgListen, pgNotify } from '../store/notifications.js';

export type BusHandler = (msg: any) => void;

/** NOTIFY refuses payloads from 8000 bytes. */
const PG_MAX_PAYLOAD = 7900;
const RECONNECT_MS = 1000;

export class BusService {
  readonly kind: 'redis' | 'postgres' | 'local';
  private readonly local = new EventEmitter();
  private closed = false;
  private redisPub: Redis | null = null;
  private redisSub: Redis | null = null;
  private pgListener: pg.Client | null = null;
  private readonly started: Promise<void>;
  /** Publishes not yet handed to Redis / PostgreSQL: close() waits for them before the store closes. */
  private readonly pending = new Set<Promise<void>>();
  /**
   * The last NOTIFY sent: each one is its own transaction on whichever pool connection is free, and
   * listeners get them in commit order, so they go one after another to arrive in publish order
   * (a job's "completed" must not overtake its last progress event).
   */
  private lastNotify: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AppDeps) {
    this.local.setMaxListeners(0);
    const { config, store } = deps;
    this.kind = config.redisUrl ? 'redis' : store.backend === 'postgres' ? 'postgres' : 'local';
    this.started = this.kind === 'redis' ? this.startRedis() : this.kind === 'postgres' ? this.listenPostgres() : Promise.resolve();
    // Start-up failures surface on publish / ping; a rejected promise nobody awaits yet must not crash.
    this.started.catch(() => undefined);
  }

  /** Resolves once this replica receives messages (start-up waits for it). */
  ready(): Promise<void> {
    return this.started;
  }

  /** The shared Redis connection (rate limits use it too), or null without CTXGATE_REDIS_URL. */
  async redis(): Promise<Redis | null> {
    await this.started;
    return this.redisPub;
  }

  subscribe(channel: string, fn: BusHandler): () => void {
    this.local.on(channel, fn);
    return () => this.local.off(channel, fn);
  }

  publish(channel: string, msg: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    const p = this.send(channel, msg).finally(() => this.pending.delete(p));
    this.pending.add(p);
    return p;
  }

  private async send(channel: string, msg: unknown): Promise<void> {
    if (this.kind === 'local') {
      // Asynchronous like the networked kinds, so publishers never re-enter their own handlers.
      setImmediate(() => this.dispatch(channel, msg));
      return;
    }
    await this.started;
    const payload = JSON.stringify({ c: channel, m: msg });
    if (this.kind === 'redis') {
      await this.redisPub!.publish(this.redisChannel(), payload);
      return;
    }
    if (Buffer.byteLength(payload) > PG_MAX_PAYLOAD) {
      this.deps.log.warn({ channel, bytes: Buffer.byteLength(payload) }, 'bus message too large for NOTIFY; dropped');
      return;
    }
    const sent = this.lastNotify.then(() => pgNotify(this.deps.store.db, payload));
    this.lastNotify = sent.catch(() => undefined);
    await sent;
  }

  /** Reachability of the shared service messages go through (Redis; PostgreSQL is the store's check). */
  async ping(): Promise<void> {
    if (this.kind === 'redis') {
      await this.started;
      await this.redisPub!.ping();
    } else if (this.kind === 'postgres' && !this.pgListener) {
      throw new Error('not listening to PostgreSQL notifications (reconnecting)');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local.removeAllListeners();
    await Promise.allSettled([...this.pending]);
    await this.started.catch(() => undefined);
    await Promise.allSettled([this.redisSub?.quit(), this.redisPub?.quit(), this.pgListener?.end()]);
  }

  private dispatch(channel: string, msg: unknown): void {
    for (const fn of this.local.listeners(channel) as BusHandler[]) {
      try {
        fn(msg);
      } catch (err) {
        this.deps.log.error({ err, channel }, 'bus handler failed');
      }
    }
  }

  private receive(raw: string): void {
    try {
      const { c, m } = JSON.parse(raw) as { c: string; m: unknown };
      this.dispatch(c, m);
    } catch (err) {
      this.deps.log.warn({ err }, 'unreadable bus message');
    }
  }

  private redisChannel(): string {
    return `${this.deps.config.redisPrefix}bus`;
  }

  private async startRedis(): Promise<void> {
    const { Redis } = await import('ioredis');
    const url = this.deps.config.redisUrl!;
    // Commands fail fast while Redis is away (the limiter then answers 503) instead of queueing forever.
    const pub = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: true });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on('error', (err) => this.deps.log.warn({ err: err.message }, 'redis connection error'));
    await Promise.all([pub.connect(), sub.connect()]);
    sub.on('message', (_ch: string, raw: string) => this.receive(raw));
    await sub.subscribe(this.redisChannel());
    this.redisPub = pub;
    this.redisSub = sub;
  }

  private relisten(): void {
    if (this.closed) return;
    setTimeout(() => {
      if (this.closed) return;
      this.listenPostgres().catch((err) => {
        this.deps.log.warn({ err: err.message }, 'bus: PostgreSQL listener reconnect failed; retrying');
        this.relisten();
      });
    }, RECONNECT_MS).unref();
  }

  /** A dedicated connection LISTENs (src/store/notifications.ts); it is re-opened if it drops. */
  private async listenPostgres(): Promise<void> {
    let client: pg.Client | null = null;
    const lost = (err?: Error) => {
      if (err) this.deps.log.warn({ err: err.message }, 'bus: PostgreSQL listener error');
      if (!client || this.pgListener !== client) return;
      this.pgListener = null;
      client.removeAllListeners();
      client.end().catch(() => undefined);
      this.relisten();
    };
    client = await pgListen(this.deps.config.databaseUrl!, (payload) => this.receive(payload), lost);
    this.pgListener = client;
  }
}
