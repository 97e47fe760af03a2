// Jobs across replicas: three runner processes over one PostgreSQL database lease jobs, so each item
// runs and is committed once; kill -9 of the runner holding a job hands it to another once the lease
// lapses, and every item is still committed exactly once (at most the item in flight ran twice).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { AccountsService } from '../../src/services/accounts.js';
import { nowIso, newId } from '../../src/store/db.js';
import type { Scope } from '../../src/domain/scope.js';
import { cliEnv, ROOT } from '../helpers/cli.js';
import { createDatabase, dropDatabase, queryOne } from '../helpers/database.js';
import { until } from '../helpers/server.js';
import { postgresReachable } from './cluster.js';

const pgOk = await postgresReachable();
if (!pgOk) console.warn('test/replicas/jobs: PostgreSQL at 127.0.0.1:5432 is unreachable; skipping the replica tests');

const LEASE_MS = 1500;

interface Runner {
  name: string;
  child: ChildProcess;
}

describe.skipIf(!pgOk)('replicas: jobs run once', () => {
  const dbName = `ctxgate_t_rep_${crypto.randomBytes(6).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-runners-'));
  const runLog = path.join(dir, 'runs.log');
  const runners: Runner[] = [];
  let app: App;
  let scope: Scope;
  let env: Record<string, string>;

  const startRunner = (name: string): Promise<Runner> => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/replicas/job-runner.ts')], {
      cwd: ROOT,
      env: cliEnv(fs.mkdtempSync(path.join(dir, `${name}-`)), { ...env, RUNNER_NAME: name, CTXGATE_REPLICA_ID: name }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        if (String(d).includes('ready')) resolve({ name, child });
      });
      child.once('exit', (code) => reject(new Error(`runner ${name} exited with ${code}: ${err}`)));
    });
  };

  const submit = async (items: number): Promise<string> => {
    const id = newId('job');
    const caller = { userId: scope.ownerId, projectId: scope.projectId, keyId: null, plan: 'enterprise', keyName: 't' };
    await app.deps.store.jobs(scope).insert({ id, keyId: null, caller, kind: 'test_slow', options: {}, now: nowIso() }, Array.from({ length: items }, (_, n) => ({ n })));
    return id;
  };

  const runs = (jobId: string): Array<{ runner: string; index: number }> =>
    (fs.existsSync(runLog) ? fs.readFileSync(runLog, 'utf8') : '')
      .split('\n')
      .filter((l) => l.includes(jobId))
      .map((l) => {
        const [runner, , index] = l.split(' ');
        return { runner: runner!, index: Number(index) };
      });

  const committed = async (jobId: string) => {
    const job = await app.deps.store.jobs(scope).get(jobId);
    const done = await queryOne<{ n: number }>(app.deps, "SELECT count(*) AS n FROM job_items WHERE job_id = ? AND status = 'done'", jobId);
    return { status: job!.status, completed: job!.completed_count, failed: job!.failed_count, done: Number(done!.n) };
  };
  /** Usage events the items recorded (one per committed item), all jobs so far. */
  const usage = async () => Number((await queryOne<{ n: number }>(app.deps, "SELECT count(*) AS n FROM usage_events WHERE tool = 'test_slow_tool'"))!.n);

  beforeAll(async () => {
    const databaseUrl = await createDatabase(dbName);
    env = { CTXGATE_DATABASE_URL: databaseUrl, CTXGATE_JOB_LEASE_MS: String(LEASE_MS), CTXGATE_EMBEDDER: 'offline', RUN_LOG: runLog, ITEM_MS: '150' };
    app = await createApp(loadConfig({ dataDir: fs.mkdtempSync(path.join(dir, 'app-')), logLevel: 'silent', embedder: 'offline', databaseUrl }), createLogger('silent'));
    const { user, project } = await app.deps.service(AccountsService).createUser('jobs');
    scope = { ownerId: user.id, projectId: project.id };
    runners.push(...(await Promise.all(['r0', 'r1', 'r2'].map(startRunner))));
  });

  afterAll(async () => {
    for (const r of runners) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await app?.close();
    await dropDatabase(dbName);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('three jobs submitted at once: each item runs once and is committed once, spread over the runners', async () => {
    const ids = await Promise.all([submit(6), submit(6), submit(6)]);
    for (const id of ids) await until(async () => (await committed(id)).status === 'completed', { ms: 30_000, what: `job ${id} completed` });
    const byRunner = new Set<string>();
    for (const id of ids) {
      const r = runs(id);
      expect(r.map((x) => x.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
      r.forEach((x) => byRunner.add(x.runner));
      expect(await committed(id)).toEqual({ status: 'completed', completed: 6, failed: 0, done: 6 });
    }
    expect(await usage()).toBe(18);
    expect(byRunner.size).toBeGreaterThan(1);
  });

  it('kill -9 of the runner holding a job: another takes it over after the lease and commits each item once', async () => {
    const id = await submit(16);
    await until(() => runs(id).length >= 3, { ms: 20_000, what: 'three items run' });
    const holder = runs(id)[0]!.runner;
    const victim = runners.find((r) => r.name === holder)!;
    victim.child.kill('SIGKILL');
    await new Promise<void>((r) => (victim.child.signalCode ? r() : victim.child.once('exit', () => r())));
    const ranBefore = runs(id).length;
    await until(async () => (await committed(id)).status === 'completed', { ms: 30_000, what: 'job completed after the kill' });
    expect(await committed(id)).toEqual({ status: 'completed', completed: 16, failed: 0, done: 16 });
    expect(await usage()).toBe(18 + 16);
    const r = runs(id);
    const seen = new Map<number, number>();
    for (const x of r) seen.set(x.index, (seen.get(x.index) ?? 0) + 1);
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    // Only the item in flight at the kill may have started twice; its outcome was committed once.
    expect([...seen.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(1);
    expect(r.slice(ranBefore).every((x) => x.runner !== holder)).toBe(true);
    expect(new Set(r.slice(ranBefore).map((x) => x.runner)).size).toBeGreaterThanOrEqual(1);
  });
});
