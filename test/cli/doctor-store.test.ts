// The CLI against the store it is configured for, PostgreSQL included. `ctxgate doctor` checks the key
// there (the data dir holds no ctxgate.db, which once made doctor skip the key check, "no store yet",
// and pass a revoked key); an unreachable database is a failure naming it, never its password; and
// `serve` and `keys` refuse to generate a new server secret over a store whose keys were made under another one
// (a second replica without CTXGATE_SECRET answered every key 401). Real processes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { databaseUrlFor, dropDatabaseFor } from '../helpers/database.js';
import { useTempDirs } from '../helpers/server.js';

const dir = useTempDirs('ctxgate-doctor-');
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await dropDatabaseFor(d);
});

async function storeEnv(d: string): Promise<Record<string, string>> {
  made.push(d);
  const url = await databaseUrlFor(d);
  return url ? { CTXGATE_DATABASE_URL: url } : {};
}

describe('ctxgate doctor and the store', () => {
  it('a revoked key fails the key check on this backend, naming where keys live', async () => {
    const d = dir();
    const env = await storeEnv(d);
    const created = JSON.parse(runCli(['keys', 'create', '--name', 'gone'], d, env).stdout);
    expect(runCli(['keys', 'revoke', created.key_id], d, env).status).toBe(0);
    const r = runCli(['doctor'], d, { ...env, CTXGATE_PORT: '1', CTXGATE_KEY: created.key });
    expect(r.stdout).toMatch(env.CTXGATE_DATABASE_URL ? /✗ key .*not a valid, unrevoked key for the database 127\.0\.0\.1:5432\/ctxgate_t_/ : /✗ key .*not a valid, unrevoked key for the data dir /);
    expect(r.stdout).not.toMatch(/no store yet/);
    expect(r.status).toBe(1);
  });

  it('an unreachable PostgreSQL is a store failure with its host and database, not its password', () => {
    const d = dir();
    const r = runCli(['doctor'], d, { CTXGATE_PORT: '1', CTXGATE_DATABASE_URL: 'postgres://ops:hunter2secret@127.0.0.1:1/teamdb' });
    expect(r.stdout).toMatch(/✗ store .*cannot open the database 127\.0\.0\.1:1\/teamdb \(CTXGATE_DATABASE_URL\): .*ECONNREFUSED/);
    expect(r.stdout).toMatch(/→ check CTXGATE_DATABASE_URL/);
    expect(r.stdout + r.stderr).not.toContain('hunter2secret');
    expect(r.status).toBe(1);
  });

  it('serve on an unreachable PostgreSQL exits naming the setting and the database, not the password', () => {
    const r = runCli(['serve'], dir(), { CTXGATE_PORT: '0', CTXGATE_DATABASE_URL: 'postgres://ops:hunter2secret@127.0.0.1:1/teamdb' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ctxgate: cannot open the database 127\.0\.0\.1:1\/teamdb \(CTXGATE_DATABASE_URL\): connect ECONNREFUSED/);
    expect(r.stdout + r.stderr).not.toContain('hunter2secret');
  });

  it('serve without the secret the store\'s keys were made under refuses to start, instead of refusing every key', async () => {
    const first = dir();
    const env = await storeEnv(first);
    const created = runCli(['keys', 'create', '--name', 'team'], first, { ...env, CTXGATE_SECRET: 'the-team-secret-0123456789' });
    expect(created.status).toBe(0);
    // PostgreSQL: a second replica's own data dir; SQLite: the same dir, started without the variable.
    const second = env.CTXGATE_DATABASE_URL ? dir() : first;
    const r = runCli(['serve'], second, { ...env, CTXGATE_PORT: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ctxgate: the store already holds 1 API key\(s\), made under another server secret.*Set CTXGATE_SECRET to the secret the other replicas use/);
    expect(fs.existsSync(path.join(second, 'secret'))).toBe(false);
    // The same for `ctxgate keys create` from a data dir without the secret: its key would work nowhere.
    const orphan = runCli(['keys', 'create', '--name', 'orphan'], second, env);
    expect(orphan.status).toBe(2);
    expect(orphan.stderr).toMatch(/made under another server secret/);
    expect(orphan.stdout).not.toMatch(/gc_/);
  });
});
