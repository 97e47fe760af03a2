// The store: one Kysely instance over either backend, the dialect adapter, one transaction helper
// and the repositories. SQLite (better-sqlite3, the embedded default: DATA_DIR/ctxgate.db) unless
// config.databaseUrl names a PostgreSQL database (shared by any number of replicas).
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { CompiledQuery, Kysely, sql, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type QueryResult, type SqliteDialectConfig, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.js';
import { openDb, type Db } from './db.js';
import { dialectFor, type Backend, type Dialect } from './dialect.js';
import { migratePostgres } from './migrate.js';
import { makeRepos, type Repos } from './repos.js';
import type { Database } from './schema.js';

/** What a repository is built on: a query executor (the store, or the open transaction) and the dialect. */
export interface RepoContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one read-then-write transaction (see Store.tx). Inside a transaction it joins the
   * open one, so a repository method that must be atomic can call it whether or not its caller did.
   */
  tx<T>(fn: (t: TxStore) => Promise<T>): Promise<T>;
  /**
   * SQLite only: runs a compiled query on the connection at once, without Kysely's connection queue,
   * when that is the same as queueing it — inside this context's own transaction, or outside any
   * (better-sqlite3 runs a statement to its end synchronously). Undefined when another call chain's
   * transaction holds the connection: the caller then queues through `db`. Used by prepared.ts.
   */
  runNow?(query: CompiledQuery): QueryResult<unknown> | undefined;
}

/** The repositories bound to one transaction. */
export type TxStore = RepoContext & Repos;

export interface Store extends RepoContext, Repos {
  readonly backend: Backend;
  /** The embedded SQLite connection, or null on PostgreSQL. Only for code not yet moved to a repository. */
  readonly sqlite: Db | null;
  /**
   * A number that moves whenever another connection (another process or replica) commits to the
   * database; this process's own commits do not move it. Read without a round trip where the backend
   * can tell (SQLite: PRAGMA data_version, a few µs); null where it cannot (PostgreSQL), and then a
   * row another replica may write must be read again rather than kept from an earlier request.
   */
  externalVersion(): number | null;
  /** One round trip to the database (health checks). */
  ping(): Promise<void>;
  /** What check_environment reports: newest applied migration and the journal (durability) mode. */
  describe(): Promise<{ backend: Backend; schema_version: number; journal_mode: string }>;
  close(): Promise<void>;
}

/** PostgreSQL serialization failure / deadlock: the transaction is retried from the start. */
const PG_RETRYABLE = new Set(['40001', '40P01']);
const PG_TX_ATTEMPTS = 10;
/** Arbitrary constant naming ctxgate's writer lock among other users of the database. */
const PG_WRITER_LOCK = 0x63747877;

/**
 * The transaction the current async call chain is inside, if any: a store.tx() called from within
 * one joins it instead of waiting for a second writer slot (which would wait for itself).
 */
const openTx = new AsyncLocalStorage<TxStore>();

/** Runs `fn` with `t` as the open transaction of its async call chain. */
function within<T>(t: TxStore, fn: (t: TxStore) => Promise<T>): Promise<T> {
  return openTx.run(t, () => fn(t));
}

/** One at a time, in arrival order (a process-local writer queue). */
function mutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

function sqliteStore(file: string): Store {
  const raw = openDb(file); // migrates before anything else reads the file
  const statements = cachedStatements(raw);
  const kysely = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: statements }) });
  const dialect = dialectFor('sqlite');
  // What Kysely's SQLite connection does with a query, minus the queue and the promises around it.
  const run = (q: CompiledQuery): QueryResult<unknown> => {
    const stmt = statements.prepare(q.sql);
    if (stmt.reader) return { rows: stmt.all(q.parameters) };
    const { changes, lastInsertRowid } = stmt.run(q.parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  };
  // Outside a transaction: at once unless some call chain's transaction is open on the connection.
  const runOutside = (q: CompiledQuery) => (raw.inTransaction ? undefined : run(q));
  const dataVersion = raw.prepare('PRAGMA data_version').pluck();
  const store: Store = {
    backend: 'sqlite',
    db: kysely,
    dialect,
    sqlite: raw,
    // BEGIN IMMEDIATE takes the write lock before the first read, so a read-then-write never sees a
    // snapshot another writer has moved on from (a deferred transaction would fail with SQLITE_BUSY
    // on its first write, or decide on stale data).
    tx: (fn) => openTx.getStore()?.tx(fn) ?? kysely.transaction().execute((trx) => within(txStore(trx, dialect, run), fn)),
    runNow: runOutside,
    ...makeRepos({ db: kysely, dialect, tx: (fn) => store.tx(fn), runNow: runOutside }),
    externalVersion: () => dataVersion.get() as number,
    async ping() {
      raw.prepare('SELECT 1').get();
    },
    async describe() {
      return { backend: 'sqlite', schema_version: await schemaVersion(kysely), journal_mode: String(raw.pragma('journal_mode', { simple: true })) };
    },
    async close() {
      await kysely.destroy();
      raw.close();
    },
  };
  return store;
}

/** A PostgreSQL URL for messages: host, port and database, and the setting it came from; never the password. */
export function databaseLabel(url: string): string {
  try {
    const u = new URL(url);
    return `the database ${u.host}${u.pathname} (CTXGATE_DATABASE_URL)`;
  } catch {
    return 'the database in CTXGATE_DATABASE_URL';
  }
}

async function postgresStore(url: string): Promise<Store> {
  // Loaded only when PostgreSQL is configured: the embedded default does not pay for it at start-up.
  const { default: pgLib } = await import('pg');
  const pgTypeParser = (oid: number, format?: string): ((v: string) => unknown) =>
    oid === PG_INT8 || oid === PG_NUMERIC ? (v: string) => Number(v) : pgLib.types.getTypeParser(oid, (format ?? 'text') as 'text');
  const pool = new pgLib.Pool({ connectionString: url, max: 10, types: { getTypeParser: pgTypeParser } as pg.CustomTypesConfig });
  // An idle pooled connection that the server ends (a restart, pg_terminate_backend, a failover)
  // is emitted as 'error' on the pool; unhandled, that event would kill the process. The pool has
  // already dropped that client and the next query opens a fresh one, so there is nothing to do.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end();
    // pg's own message ("connect ECONNREFUSED 127.0.0.1:5432", "database \"x\" does not exist") names no setting.
    throw new Error(`cannot open ${databaseLabel(url)}: ${(e as Error).message}`, { cause: e });
  }
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const dialect = dialectFor('postgres');
  const writers = mutex();
  const store: Store = {
    backend: 'postgres',
    db: kysely,
    dialect,
    sqlite: null,
    // Writers take turns, like SQLite's one writer: a process-local queue, then a session advisory
    // lock (other replicas) taken BEFORE BEGIN, so the transaction's snapshot already includes every
    // earlier writer's commit — read-then-write on a hot row (a scope's change stamp) cannot go
    // stale. The transaction is still SERIALIZABLE, retried on 40001/40P01, against writers that do
    // not take the lock (raw SQL, other tools); so `fn` must be safe to repeat.
    tx(fn) {
      const open = openTx.getStore();
      if (open) return open.tx(fn);
      return writers(async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await kysely.connection().execute(async (conn) => {
              await sql`SELECT pg_advisory_lock(${PG_WRITER_LOCK})`.execute(conn);
              try {
                return await conn.transaction().setIsolationLevel('serializable').execute((trx) => within(txStore(trx, dialect), fn));
              } finally {
                await sql`SELECT pg_advisory_unlock(${PG_WRITER_LOCK})`.execute(conn);
              }
            });
          } catch (e) {
            const code = (e as { code?: string }).code;
            if (!code || !PG_RETRYABLE.has(code) || attempt >= PG_TX_ATTEMPTS) throw e;
            // Jittered, growing backoff so colliding writers spread out instead of colliding again.
            await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
          }
        }
      });
    },
    ...makeRepos({ db: kysely, dialect, tx: (fn) => store.tx(fn) }),
    externalVersion: () => null,
    async ping() {
      await pool.query('SELECT 1');
    },
    async describe() {
      return { backend: 'postgres', schema_version: await schemaVersion(kysely), journal_mode: 'wal' };
    },
    async close() {
      await kysely.destroy(); // ends the pool
    },
  };
  return store;
}

async function schemaVersion(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('schema_migrations').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
  return Number(r?.v ?? 0);
}

/** The repositories of one open transaction; `runNow` (SQLite) runs on the connection this transaction holds. */
function txStore(trx: Kysely<Database>, dialect: Dialect, runNow?: (q: CompiledQuery) => QueryResult<unknown>): TxStore {
  const t: TxStore = {
    db: trx,
    dialect,
    tx: (fn) => fn(t),
    ...(runNow && { runNow }),
    ...makeRepos({ db: trx, dialect, tx: (fn) => fn(t), ...(runNow && { runNow }) }),
  };
  return t;
}

export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<Store> {
  if (config.databaseUrl) return postgresStore(config.databaseUrl);
  return sqliteStore(path.join(config.dataDir, 'ctxgate.db'));
}

// int8 (counts, identity keys, sums of integers) and numeric (sums of bigints) come back from pg as
// strings to protect values beyond 2^53; ctxgate's never get there, and both backends must return numbers.
const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** Kysely's SQLite driver with BEGIN IMMEDIATE for transactions (see Store.tx). */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely prepares every query anew; preparing is a large part of a point query's cost on SQLite.
 * Statements are kept by SQL text (queries are parameterised, so the set is small and bounded here).
 * Closing is the store's job (the raw handle outlives Kysely's destroy by a line).
 */
function cachedStatements(raw: Db, max = 512): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close() {},
    prepare(sqlText: string): SqliteStatement {
      let stmt = cache.get(sqlText);
      if (stmt) {
        cache.delete(sqlText);
      } else {
        stmt = raw.prepare(sqlText) as unknown as SqliteStatement;
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}
