// Migrations: applied once each, in order, each in its own transaction; a late lower-numbered one still runs.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate, openDb } from '../../src/store/db.js';
import { tempDir } from '../helpers/server.js';

describe('store migrations', () => {
  it('applies every shipped migration to a fresh file with WAL and foreign keys on', () => {
    const dir = tempDir();
    const db = openDb(path.join(dir, 'x.db'));
    const all = loadMigrations();
    expect(db.pragma('user_version', { simple: true })).toBe(all[all.length - 1]!.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(all.length);
    // Re-opening applies nothing twice.
    db.close();
    const again = openDb(path.join(dir, 'x.db'));
    expect((again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(all.length);
    again.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies a migration that lands later with a lower number, and rolls back a failing one whole', () => {
    const dir = tempDir();
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    fs.writeFileSync(path.join(mig, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    fs.writeFileSync(path.join(mig, '0003_c.sql'), 'CREATE TABLE c (x INTEGER);');
    const db = new Database(path.join(dir, 'y.db'));
    expect(migrate(db, loadMigrations(mig))).toBe(3);
    fs.writeFileSync(path.join(mig, '0002_b.sql'), 'CREATE TABLE b (x INTEGER);');
    expect(migrate(db, loadMigrations(mig))).toBe(3);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeTruthy();
    fs.writeFileSync(path.join(mig, '0004_bad.sql'), 'CREATE TABLE d (x INTEGER); CREATE TABLE a (x INTEGER);');
    expect(() => migrate(db, loadMigrations(mig))).toThrow(/already exists/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'd'").get()).toBeUndefined();
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
