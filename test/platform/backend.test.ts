// The store on the backend under test (CTXGATE_TEST_DATABASE=postgres runs it on PostgreSQL): both
// DDL sets cover the same versions, repositories are bound to their scope, the transaction helper
// is correct for read-then-write under concurrency, and an existing SQLite data dir opens.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { loadMigrations, PG_MIGRATIONS_DIR } from '../../src/store/migrate.js';
import { openStore, type Store } from '../../src/store/store.js';
import { databaseUrlFor, dropDatabaseFor, onPostgres } from '../helpers/database.js';
import { tempDir } from '../helpers/server.js';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = tempDir();
  store = await openStore({ dataDir: dir, databaseUrl: await databaseUrlFor(dir) });
});
afterAll(async () => {
  await store?.close();
  await dropDatabaseFor(dir);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('store backends', () => {
  it('has a PostgreSQL twin for every SQLite migration, and applies all of them', async () => {
    expect(loadMigrations(PG_MIGRATIONS_DIR).map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version));
    const d = await store.describe();
    expect(d.backend).toBe(onPostgres ? 'postgres' : 'sqlite');
    expect(d.schema_version).toBe(loadMigrations().at(-1)!.version);
  });

  it('binds repositories to their scope: another owner sees none of the rows', async () => {
    const a = await store.users().create('a');
    const b = await store.users().create('b');
    const extra = await store.projects({ ownerId: a.user.id }).create('extra', 'x');
    expect(extra).not.toBe('duplicate');
    const extraId = (extra as { id: string }).id;
    expect(await store.projects({ ownerId: a.user.id }).create('extra', null)).toBe('duplicate');
    expect(await store.projects({ ownerId: b.user.id }).get(extraId)).toBeUndefined();
    expect(await store.projects({ ownerId: b.user.id }).update(extraId, { name: 'stolen', description: null })).toBe(false);
    expect(await store.projects({ ownerId: b.user.id }).deleteWithRows(extraId)).toBe(0);
    expect((await store.projects({ ownerId: a.user.id }).get(extraId))?.name).toBe('extra');
    expect((await store.projects({ ownerId: a.user.id }).list()).map((p) => p.name)).toEqual(['Default', 'extra']);
  });

  it('runs concurrent read-then-write transactions without losing an update', async () => {
    const { user, project } = await store.users().create('counter');
    const scope = { ownerId: user.id, projectId: project.id };
    const bump = () =>
      store.tx(async (t) => {
        const row = await t.db.selectFrom('compress_cache_stats').select('misses').where('owner_id', '=', scope.ownerId).where('project_id', '=', scope.projectId).executeTakeFirst();
        // Yield between the read and the write so the transactions really interleave.
        await new Promise((r) => setTimeout(r, 1));
        if (!row) await t.db.insertInto('compress_cache_stats').values({ owner_id: scope.ownerId, project_id: scope.projectId, misses: 1 }).execute();
        else await t.db.updateTable('compress_cache_stats').set({ misses: row.misses + 1 }).where('owner_id', '=', scope.ownerId).where('project_id', '=', scope.projectId).execute();
      });
    await Promise.all(Array.from({ length: 12 }, bump));
    const row = await store.db.selectFrom('compress_cache_stats').select('misses').where('owner_id', '=', scope.ownerId).executeTakeFirstOrThrow();
    expect(row.misses).toBe(12);
  });

  it('rolls a failed transaction back whole', async () => {
    const before = (await store.users().first())!.id;
    await expect(
      store.tx(async (t) => {
        await t.db.insertInto('users').values({ id: 'usr_rollback', name: 'r', created_at: '2000-01-01T00:00:00.000Z' }).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.users().get('usr_rollback')).toBeUndefined();
    expect((await store.users().first())!.id).toBe(before);
  });

  it.skipIf(onPostgres)('opens a SQLite data dir written before the store moved to Kysely', async () => {
    const old = tempDir();
    const raw = openDb(path.join(old, 'ctxgate.db'));
    raw.prepare('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)').run('usr_old', 'old', '2026-01-01T00:00:00.000Z');
    raw.close();
    const s = await openStore({ dataDir: old, databaseUrl: undefined });
    expect((await s.users().first())?.id).toBe('usr_old');
    await s.close();
    fs.rmSync(old, { recursive: true, force: true });
  });
});
