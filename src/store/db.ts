// SQLite connection and versioned migrations. Migrations are plain SQL files in /migrations named
// NNNN_name.sql, applied in order inside one transaction each; PRAGMA user_version records the last.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateFile, projectRoot } from '../paths.js';

export type Db = Database.Database;

export const MIGRATIONS_DIR = path.join(projectRoot, 'migrations');

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

export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Tenants' data: the file (and the -wal/-shm SQLite derives from it) is readable by its owner only.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (f === file || fs.existsSync(f)) ensurePrivateFile(f);
  const db = new Database(file);
  // WAL + synchronous=FULL: a commit that returned is on disk, even on kill -9 or power loss of the
  // process; readers never block the writer. busy_timeout covers the CLI writing beside the server.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Deleted rows are overwritten, not just unlinked: a deleted project's text must not linger in free
  // pages of the file (issue 11).
  db.pragma('secure_delete = ON');
  migrate(db);
  return db;
}

export function migrate(db: Db, migrations = loadMigrations()): number {
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

/** Short random ids with a readable prefix: doc_..., key_..., prj_... */
export function newId(prefix: string): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `${prefix}_${Buffer.from(bytes).toString('base64url')}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
