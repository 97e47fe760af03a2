// Versioned migrations for both backends. SQLite: plain SQL files in /migrations (NNNN_name.sql),
// applied by better-sqlite3 before anything else opens the file, so a data dir written by any
// earlier release migrates in place. PostgreSQL: its own DDL set in /migrations/postgres with the
// same version numbers, applied in one transaction each under an advisory lock (several replicas
// may start at once). Both record applied versions in schema_migrations.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { projectRoot } from '../paths.js';

export const MIGRATIONS_DIR = path.join(projectRoot, 'migrations');
export const PG_MIGRATIONS_DIR = path.join(MIGRATIONS_DIR, 'postgres');

export interface Migration { version: number; name: string; sql: string }

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = fs.readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const seen = new Set<number>();
  return files.map((f) => {
    const version = Number(f.slice(0, 4));
    if (seen.has(version)) throw new Error(`two migrations share version ${version} in ${dir}`);
    seen.add(version);
    return { version, name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') };
  });
}

function nowIso(): string {
  return new Date().toISOString();
}

export function migrateSqlite(db: Database.Database, migrations = loadMigrations()): number {
  // Applied migrations are recorded by version, so one that lands later with a lower number than
  // the newest applied one is still applied (PRAGMA user_version alone would skip it).
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, nowIso());
      const current = db.pragma('user_version', { simple: true }) as number;
      if (m.version > current) db.pragma(`user_version = ${m.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

/** Arbitrary constant naming ctxgate's migration lock among other users of the database. */
const PG_MIGRATION_LOCK = 0x63747867;

export async function migratePostgres(pool: pg.Pool, migrations = loadMigrations(PG_MIGRATIONS_DIR)): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
    let newest = 0;
    for (const m of migrations) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK]);
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (done.rowCount === 0) {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, nowIso()]);
        }
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`PostgreSQL migration ${m.name} failed: ${(e as Error).message}`);
      }
      newest = Math.max(newest, m.version);
    }
    return newest;
  } finally {
    client.release();
  }
}
