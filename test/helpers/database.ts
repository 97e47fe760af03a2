// The test store switch. CTXGATE_TEST_DATABASE=postgres runs the same test files on PostgreSQL:
// every data dir a test creates gets its own fresh database (created here, dropped with the dir),
// so a reopened data dir is a restart of the same store on either backend. CTXGATE_TEST_PG_URL names
// the server's maintenance database (default: the local one, database `test`).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { AppDeps } from '../../src/app-deps.js';

export const TEST_BACKEND: 'sqlite' | 'postgres' = process.env.CTXGATE_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = TEST_BACKEND === 'postgres';

const ADMIN_URL = process.env.CTXGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

function databaseName(dataDir: string): string {
  return 'ctxgate_t_' + crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 20);
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates database `name` on the server unless it exists; returns its URL. */
export async function createDatabase(name: string, adminUrl = ADMIN_URL): Promise<string> {
  await admin(adminUrl, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return url.toString();
}

/** Drops database `name` (its connections are ended first). */
export async function dropDatabase(name: string, adminUrl = ADMIN_URL): Promise<void> {
  await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** The CTXGATE_DATABASE_URL for a data dir: undefined on SQLite; on PostgreSQL its database, created on first use. */
export async function databaseUrlFor(dataDir: string): Promise<string | undefined> {
  return onPostgres ? createDatabase(databaseName(dataDir)) : undefined;
}

/** Drops the data dir's database (PostgreSQL only); call after the app using it closed. */
export async function dropDatabaseFor(dataDir: string): Promise<void> {
  if (onPostgres) await dropDatabase(databaseName(dataDir));
}

/**
 * Runs one SQL statement on the app's store, whichever backend: `?` placeholders, rows back. For
 * tests that look under the services (row counts, planted stale rows); the statement must be
 * valid on both dialects.
 */
export async function query<T = any>(deps: Pick<AppDeps, 'store'>, text: string, ...params: unknown[]): Promise<T[]> {
  const parts = text.split('?');
  if (parts.length !== params.length + 1) throw new Error(`query: ${parts.length - 1} placeholders, ${params.length} parameters`);
  const strings = Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray;
  const { rows } = await sql<T>(strings, ...params).execute(deps.store.db);
  return rows;
}

/** The first row of `query`. */
export async function queryOne<T = any>(deps: Pick<AppDeps, 'store'>, text: string, ...params: unknown[]): Promise<T | undefined> {
  return (await query<T>(deps, text, ...params))[0];
}

/**
 * Runs one statement on a connection of its own to a data dir's store (`?` placeholders), as another
 * process would (the CLI, a replica, a restarted server reading what the last one left).
 */
export async function queryOwnConnection<T = any>(config: { dataDir: string; databaseUrl?: string }, text: string, ...params: unknown[]): Promise<T[]> {
  if (config.databaseUrl) {
    const c = new pg.Client({ connectionString: config.databaseUrl });
    await c.connect();
    let n = 0;
    try {
      return (await c.query(text.replace(/\?/g, () => `$${++n}`), params)).rows as T[];
    } finally {
      await c.end();
    }
  }
  const { openDb } = await import('../../src/store/db.js');
  const db = openDb(`${config.dataDir}/ctxgate.db`);
  try {
    const stmt = db.prepare(text);
    return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
  } finally {
    db.close();
  }
}
