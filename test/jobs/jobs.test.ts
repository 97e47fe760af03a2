import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { Conflict, InvalidInput, NotFound, Unavailable } from '../../src/errors.js';
import { JobsService, type JobKind, type JobView } from '../../src/services/jobs.js';
import { readJson } from '../../src/store/dialect.js';
import { query } from '../helpers/database.js';
import { until } from '../helpers/server.js';
import { disposeApp, newTenant, openApp, tempDir } from './app.js';

// Job kinds used only by these tests: real kinds, registered like any other (see withKinds).
const upperKind: JobKind<{ text: string; fail?: boolean }, { upper: string }> = {
  tool: 'test_upper_tool',
  run: async (_deps, item) => {
    if (item.input.fail) throw new InvalidInput(`item ${item.index}: text "${item.input.text}" was refused`);
    return { result: { upper: item.input.text.toUpperCase() }, meter: { tokensIn: item.input.text.length, tokensOut: 1 } };
  },
};

// Each item waits until the test opens its gate (or the job is aborted): lets tests act mid-job.
const gates: Array<() => void> = [];
const runs: number[] = [];
const gatedKind: JobKind<{ n: number }, { n: number }> = {
  tool: 'test_gated_tool',
  run: (_deps, item) =>
    new Promise((resolve, reject) => {
      runs.push(item.input.n);
      const onAbort = () => reject(item.signal.reason);
      item.signal.addEventListener('abort', onAbort, { once: true });
      gates.push(() => {
        item.signal.removeEventListener('abort', onAbort);
        resolve({ result: { n: item.input.n } });
      });
    }),
};

/** Registers the test kinds in an app, as src/app.ts registers the real ones. */
function withKinds(app: App): App {
  const jobs = app.deps.service(JobsService);
  jobs.register('test_upper', upperKind);
  jobs.register('test_gated', gatedKind);
  return app;
}

const apps: App[] = [];
function track(app: App): App {
  apps.push(app);
  return app;
}
afterEach(async () => {
  gates.length = 0;
  runs.length = 0;
  for (const a of apps.splice(0)) await disposeApp(a).catch(() => undefined);
});

describe('JobsService', () => {
  it('returns at once, runs items in order off the request, records per-item results, errors and usage', async () => {
    const app = track(withKinds(await openApp(tempDir())));
    const { caller, scope } = await newTenant(app);
    const jobs = app.deps.service(JobsService);
    const submitted = await jobs.submit(caller, scope, { kind: 'test_upper', items: [{ text: 'alpha' }, { text: 'beta', fail: true }, { text: 'gamma' }] });
    expect(submitted.status).toBe('queued');
    expect(submitted.documents_count).toBe(3);
    expect(submitted.completed_count).toBe(0);

    const seen: JobView[] = [];
    const done = await jobs.waitFor(scope, submitted.job_id, (v) => seen.push(v));
    expect(done.status).toBe('completed');
    expect(done.completed_count).toBe(2);
    expect(done.failed_count).toBe(1);
    expect(done.progress_pct).toBe(100);
    expect(done.completed_at).not.toBeNull();
    // progress was reported while it ran, never going backwards
    const finished = seen.map((v) => v.completed_count + v.failed_count);
    expect(finished).toEqual([...finished].sort((a, b) => a - b));
    expect(Math.max(...finished)).toBeGreaterThanOrEqual(2);

    const items = await jobs.items(scope, submitted.job_id);
    expect(items.map((i) => i.status)).toEqual(['done', 'failed', 'done']);
    expect(items[0]!.result).toEqual({ upper: 'ALPHA' });
    expect(items[2]!.result).toEqual({ upper: 'GAMMA' });
    expect(items[1]!.error).toBe('item 1: text "beta" was refused');
    // Inputs of done items are dropped (documents can be large); a failed item keeps its input.
    const inputs = await query<{ input: unknown }>(app.deps, `SELECT input FROM job_items WHERE job_id = ? ORDER BY idx`, submitted.job_id);
    expect(inputs.map((r) => readJson(r.input))).toEqual([null, { text: 'beta', fail: true }, null]);

    const usage = await query(app.deps, `SELECT tool, tokens_in, tokens_out FROM usage_events WHERE owner_id = ? ORDER BY id`, scope.ownerId);
    expect(usage).toEqual([
      { tool: 'test_upper_tool', tokens_in: 5, tokens_out: 1 },
      { tool: 'test_upper_tool', tokens_in: 5, tokens_out: 1 },
    ]);
  });

  it('marks a job failed when every item fails', async () => {
    const app = track(withKinds(await openApp(tempDir())));
    const { caller, scope } = await newTenant(app);
    const jobs = app.deps.service(JobsService);
    const j = await jobs.submit(caller, scope, { kind: 'test_upper', items: [{ text: 'x', fail: true }] });
    const done = await jobs.waitFor(scope, j.job_id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('every item failed');
  });

  it('keeps jobs inside their owner and project', async () => {
    const app = track(withKinds(await openApp(tempDir())));
    const a = await newTenant(app, 'a');
    const b = await newTenant(app, 'b');
    const jobs = app.deps.service(JobsService);
    const j = await jobs.submit(a.caller, a.scope, { kind: 'test_upper', items: [{ text: 'secret doc' }] });
    await jobs.waitFor(a.scope, j.job_id);
    await expect(jobs.get(b.scope, j.job_id)).rejects.toThrow(NotFound);
    await expect(jobs.items(b.scope, j.job_id)).rejects.toThrow(NotFound);
    await expect(jobs.cancel(b.scope, j.job_id)).rejects.toThrow(NotFound);
    // same owner, other project: still invisible
    await expect(jobs.get({ ownerId: a.scope.ownerId, projectId: b.scope.projectId }, j.job_id)).rejects.toThrow(NotFound);
    expect(await jobs.list(b.scope, { limit: 10, offset: 0 })).toEqual({ jobs: [], total: 0 });
    expect((await jobs.list(a.scope, { limit: 10, offset: 0 })).total).toBe(1);
  });

  it('cancels a running job: done items stay done, the rest are skipped, a second cancel is a conflict', async () => {
    const app = track(withKinds(await openApp(tempDir())));
    const { caller, scope } = await newTenant(app);
    const jobs = app.deps.service(JobsService);
    const j = await jobs.submit(caller, scope, { kind: 'test_gated', items: [{ n: 0 }, { n: 1 }, { n: 2 }] });
    await until(() => gates.length === 1);
    gates.shift()!(); // item 0 finishes
    await until(() => gates.length === 1); // item 1 running
    const cancelled = await jobs.cancel(scope, j.job_id);
    expect(cancelled.status).toBe('cancelled');
    const final = await jobs.waitFor(scope, j.job_id);
    expect(final.status).toBe('cancelled');
    expect((await jobs.items(scope, j.job_id)).map((i) => i.status)).toEqual(['done', 'skipped', 'skipped']);
    expect(runs).toEqual([0, 1]); // item 2 never started
    await expect(jobs.cancel(scope, j.job_id)).rejects.toThrow(Conflict);
    await jobs.idle();
    expect((await jobs.get(scope, j.job_id)).status).toBe('cancelled');
  });

  it('survives a restart: an interrupted job resumes at its first pending item, a queued one starts', async () => {
    const dir = tempDir();
    const app1 = withKinds(await openApp(dir));
    const { caller, scope } = await newTenant(app1);
    const jobs1 = app1.deps.service(JobsService);
    const first = await jobs1.submit(caller, scope, { kind: 'test_gated', items: [{ n: 0 }, { n: 1 }, { n: 2 }] });
    const second = await jobs1.submit(caller, scope, { kind: 'test_upper', items: [{ text: 'later' }] });
    await until(() => gates.length === 1);
    gates.shift()!(); // item 0 done
    await until(() => gates.length === 1 && runs.length === 2); // item 1 in flight
    const waiting = jobs1.waitFor(scope, first.job_id).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await app1.close(); // shutdown mid-item
    const released = await waiting;
    expect(released).toBeInstanceOf(Unavailable); // a waiting request is told, not left hanging
    gates.length = 0;
    expect(runs).toEqual([0, 1]);

    const app2 = track(withKinds(await openApp(dir)));
    const jobs2 = app2.deps.service(JobsService);
    const before = (await jobs2.items(scope, first.job_id)).map((i) => i.status);
    expect(before).toEqual(['done', 'pending', 'pending']);
    jobs2.start();
    // item 1 runs again, then item 2; item 0 is not repeated
    await until(() => gates.length === 1);
    gates.shift()!();
    await until(() => gates.length === 1);
    gates.shift()!();
    const done = await jobs2.waitFor(scope, first.job_id);
    expect(done.status).toBe('completed');
    expect(runs).toEqual([0, 1, 1, 2]);
    expect((await jobs2.items(scope, first.job_id)).map((i) => i.result)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    const later = await jobs2.waitFor(scope, second.job_id);
    expect(later.status).toBe('completed');
    expect((await jobs2.items(scope, second.job_id))[0]!.result).toEqual({ upper: 'LATER' });
  });

  it('pages job lists newest first and filters by status', async () => {
    const app = track(withKinds(await openApp(tempDir())));
    const { caller, scope } = await newTenant(app);
    const jobs = app.deps.service(JobsService);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await jobs.submit(caller, scope, { kind: 'test_upper', items: [{ text: `t${i}` }] })).job_id);
    await jobs.idle();
    const p1 = await jobs.list(scope, { limit: 2, offset: 0 });
    const p2 = await jobs.list(scope, { limit: 2, offset: 2 });
    const p3 = await jobs.list(scope, { limit: 2, offset: 4 });
    expect(p1.total).toBe(5);
    expect([...p1.jobs, ...p2.jobs, ...p3.jobs].map((j) => j.job_id)).toEqual([...ids].reverse());
    expect((await jobs.list(scope, { limit: 10, offset: 0, status: 'completed' })).total).toBe(5);
    expect((await jobs.list(scope, { limit: 10, offset: 0, status: 'queued' })).total).toBe(0);
  });
});
