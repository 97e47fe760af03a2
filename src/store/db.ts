// The SQLite file: connection settings and its migrations. The async store over either backend is
// src/store/store.ts; this module opens the embedded file it uses.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migrate.js';
import { ensurePrivateFile } from '../paths.js';

export type Db = Database.Database;

export { MIGRATIONS_DIR, loadMigrations, type Migration } from './migrate.js';

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
  migrateSqlite(db);
  return db;
}

export const migrate = migrateSqlite;

/** Short random ids with a readable prefix: doc_..., key_..., prj_... */
export function newId(prefix: string): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `${prefix}_${Buffer.from(bytes).toString('base64url')}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
