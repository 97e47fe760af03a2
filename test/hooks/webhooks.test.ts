// Outbound webhooks (issue 18, point 4): a real HTTP receiver in the test verifies
// X-GotContext-Signature the way the README tells users to, fails on purpose, and counts attempts.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsService } from '../../src/services/jobs.js';
import { WebhooksService } from '../../src/services/webhooks.js';
import { query } from '../helpers/database.js';
import { rest, startTestServer, until, type TestServer } from '../helpers/server.js';

interface Received { at: number; event: string; attempt: number; verified: boolean; body: any; answered: number }

/** A webhook receiver: answers the statuses in `plan` in turn (then 200), verifying each signature. */
async function receiver() {
  const got: Received[] = [];
  const state = { secret: '', plan: [] as number[] };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      // The verification recipe from the README.
      const sig = String(req.headers['x-gotcontext-signature'] ?? '');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
      const expected = m ? crypto.createHmac('sha256', state.secret).update(`${m[1]}.${raw}`).digest('hex') : '';
      const fresh = m ? Math.abs(Date.now() / 1000 - Number(m[1])) < 300 : false;
      const verified = !!m && fresh && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(m[2]!));
      const answered = verified ? (state.plan.shift() ?? 200) : 401;
      got.push({ at: performance.now(), event: String(req.headers['x-gotcontext-event']), attempt: Number(req.headers['x-gotcontext-attempt']), verified, body: JSON.parse(raw), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, state, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const FAST = { urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [100, 200, 300], timeoutMs: 3000 } };

let server: TestServer;
let rcv: Awaited<ReturnType<typeof receiver>>;
beforeAll(async () => {
  server = await startTestServer({ config: FAST });
  rcv = await receiver();
});
afterAll(async () => {
  await server?.close();
  await rcv?.close();
});

describe('webhooks', () => {
  it('signs every delivery, retries a failing receiver with back-off and records each attempt', async () => {
    const created = await rest(server, 'POST', '/v1/webhooks', { key: server.ownerKey, body: { url: rcv.url, events: ['*'], description: 'ci' } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    rcv.state.secret = created.body.secret;
    rcv.state.plan = [500, 503];
    const test = await rest(server, 'POST', `/v1/webhooks/${created.body.webhook_id}/test`, { key: server.ownerKey });
    expect(test.status).toBe(202);
    expect(test.body.status).toBe('pending');
    const done = await until(async () => {
      const d = await rest(server, 'GET', `/v1/webhooks/${created.body.webhook_id}/deliveries`, { key: server.ownerKey });
      const x = d.body.deliveries.find((y: { delivery_id: string }) => y.delivery_id === test.body.delivery_id);
      return x?.status === 'delivered' ? x : undefined;
    });
    expect(done.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 503, 200]);
    expect(done.attempts.map((a: { n: number }) => a.n)).toEqual([1, 2, 3]);
    const tests = rcv.got.filter((g) => g.event === 'webhook.test');
    expect(tests).toHaveLength(3);
    expect(tests.every((g) => g.verified)).toBe(true);
    expect(tests.map((g) => g.attempt)).toEqual([1, 2, 3]);
    // Back-off: the waits of the schedule (100 ms, then 200 ms) lie between the attempts.
    expect(tests[1]!.at - tests[0]!.at).toBeGreaterThanOrEqual(90);
    expect(tests[2]!.at - tests[1]!.at).toBeGreaterThanOrEqual(190);
    expect(tests[0]!.body).toMatchObject({ id: test.body.delivery_id, event: 'webhook.test', webhook_id: created.body.webhook_id, data: { message: expect.any(String) } });
  });

  it('a receiver that never accepts: 4 attempts (3 retries), then failed', async () => {
    const created = await rest(server, 'POST', '/v1/webhooks', { key: server.ownerKey, body: { url: rcv.url, events: ['webhook.test'] } });
    rcv.state.secret = created.body.secret;
    rcv.state.plan = [500, 500, 500, 500];
    const test = await rest(server, 'POST', `/v1/webhooks/${created.body.webhook_id}/test`, { key: server.ownerKey });
    const failed = await until(async () => {
      const d = await rest(server, 'GET', `/v1/webhooks/${created.body.webhook_id}/deliveries`, { key: server.ownerKey });
      return d.body.deliveries[0]?.status === 'failed' ? d.body.deliveries[0] : undefined;
    });
    expect(failed.delivery_id).toBe(test.body.delivery_id);
    expect(failed.attempts).toHaveLength(4);
    await rest(server, 'DELETE', `/v1/webhooks/${created.body.webhook_id}`, { key: server.ownerKey });
    const gone = await rest(server, 'GET', `/v1/webhooks/${created.body.webhook_id}/deliveries`, { key: server.ownerKey });
    expect(gone.status).toBe(404);
  });

  it('finished batch compressions are events, to project webhooks and to a job\'s webhook_url', async () => {
    const hooks = (await rest(server, 'GET', '/v1/webhooks', { key: server.ownerKey })).body.webhooks;
    expect(hooks).toHaveLength(1);
    rcv.state.secret = (await rest(server, 'POST', '/v1/webhooks', { key: server.ownerKey, body: { url: rcv.url, events: ['compression.completed'] } })).body.secret;
    await rest(server, 'DELETE', `/v1/webhooks/${hooks[0].webhook_id}`, { key: server.ownerKey });
    rcv.state.plan = [];
    const before = rcv.got.length;
    const sub = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: [{ text: 'Alpha beta gamma. '.repeat(200) }] } });
    expect(sub.status).toBe(202);
    const ev = await until(() => rcv.got.slice(before).find((g) => g.event === 'compression.completed'));
    expect(ev.verified).toBe(true);
    expect(ev.body.data.job).toMatchObject({ job_id: sub.body.job_id, status: 'completed' });
    expect(ev.body.data.results_path).toBe(`/v1/batch-queue/${sub.body.job_id}/results`);

    // webhook_url: a one-shot webhook, signed with the secret the 202 returned.
    const sub2 = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: [{ text: 'Delta epsilon. '.repeat(200) }], webhook_url: rcv.url } });
    expect(sub2.body.webhook_secret).toMatch(/^whsec_/);
    rcv.state.secret = sub2.body.webhook_secret;
    const got = await until(() => rcv.got.find((g) => g.body.data?.job?.job_id === sub2.body.job_id && g.verified));
    expect(got.event).toBe('compression.completed');
    const listed = (await rest(server, 'GET', '/v1/webhooks', { key: server.ownerKey })).body.webhooks;
    expect(listed).toHaveLength(1);
  });

  it('refuses private addresses unless allow-listed, bad events, and viewers', async () => {
    const meta = await rest(server, 'POST', '/v1/webhooks', { key: server.ownerKey, body: { url: 'http://169.254.169.254/latest', events: ['*'] } });
    expect(meta.status).toBe(400);
    expect(meta.body).toMatchObject({ error_code: 'url_blocked', field: 'url' });
    const scheme = await rest(server, 'POST', '/v1/webhooks', { key: server.ownerKey, body: { url: 'file:///etc/passwd' } });
    expect(scheme.status).toBe(400);
    expect(scheme.body).toMatchObject({ error_code: 'invalid_url', field: 'url', rule: 'scheme' });
    const ev = await rest(server, 'POST', '/v1/webhooks', { key: server.ownerKey, body: { url: rcv.url, events: ['everything'] } });
    expect(ev.status).toBe(400);
    const p = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'hooks-roles' } });
    const holder = (await server.createKey({ projectId: p.body.id, name: 'h' })).keyString;
    const viewer = (await rest(server, 'POST', '/v1/members', { key: holder, body: { name: 'w', role: 'viewer' } })).body.key.key;
    const denied = await rest(server, 'POST', '/v1/webhooks', { key: viewer, body: { url: rcv.url } });
    expect(denied.status).toBe(403);
    expect(denied.body.required_role).toBe('admin');
    expect((await rest(server, 'GET', '/v1/webhooks', { key: viewer })).status).toBe(200);
  });
});

describe('webhooks across a restart', () => {
  it('a delivery pending at shutdown is delivered after the next start', async () => {
    const r2 = await receiver();
    const config = { urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [1500, 200], timeoutMs: 3000 } };
    const s1 = await startTestServer({ config });
    let s2: TestServer | undefined;
    try {
      const created = await rest(s1, 'POST', '/v1/webhooks', { key: s1.ownerKey, body: { url: r2.url, events: ['webhook.test'] } });
      r2.state.secret = created.body.secret;
      r2.state.plan = [503];
      const test = await rest(s1, 'POST', `/v1/webhooks/${created.body.webhook_id}/test`, { key: s1.ownerKey });
      await until(() => (r2.got.length === 1 ? true : undefined));
      // Shut down during the back-off (keep the data dir and database).
      await s1.http.close();
      await s1.app.close();
      expect(r2.got).toHaveLength(1);

      s2 = await startTestServer({ dataDir: s1.dataDir, config });
      s2.deps.service(JobsService).start();
      const d = await until(async () => {
        const x = await rest(s2!, 'GET', `/v1/webhooks/${created.body.webhook_id}/deliveries`, { key: s1.ownerKey });
        return x.body.deliveries[0]?.status === 'delivered' ? x.body.deliveries[0] : undefined;
      });
      expect(d.delivery_id).toBe(test.body.delivery_id);
      expect(d.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([503, 200]);
      expect(r2.got.map((g) => g.verified)).toEqual([true, true]);
    } finally {
      if (s2) await s2.close();
      else await s1.close();
      await r2.close();
    }
  });
});

describe('webhook retries are scheduled, not slept', () => {
  it('a receiver failing with a long back-off does not delay an unrelated job; delivery jobs are not listed', async () => {
    const r3 = await receiver();
    // 10 minutes before the retry: the old runner slept that long inside the delivery's job item.
    const s = await startTestServer({ config: { urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [600_000, 600_000, 600_000], timeoutMs: 3000 } } });
    try {
      const created = await rest(s, 'POST', '/v1/webhooks', { key: s.ownerKey, body: { url: r3.url, events: ['webhook.test'] } });
      r3.state.secret = created.body.secret;
      r3.state.plan = [500];
      const test = await rest(s, 'POST', `/v1/webhooks/${created.body.webhook_id}/test`, { key: s.ownerKey });
      await until(() => (r3.got.length === 1 ? true : undefined));
      // The delivery's job is back in the queue with a "not before" time ten minutes away.
      const deferred = await until(async () => {
        const rows = await query<{ status: string; not_before_ms: number | null }>(s.deps, "SELECT status, not_before_ms FROM jobs WHERE kind = 'webhook_delivery'");
        return rows[0]?.not_before_ms ? rows[0] : undefined;
      });
      expect(deferred.status).toBe('queued');
      expect(Number(deferred.not_before_ms) - Date.now()).toBeGreaterThan(500_000);

      const t0 = performance.now();
      const sub = await rest(s, 'POST', '/v1/batch-queue', { key: s.ownerKey, body: { documents: [{ text: 'Unrelated work. '.repeat(100) }] } });
      expect(sub.status).toBe(202);
      const done = await until(async () => {
        const j = await rest(s, 'GET', `/v1/batch-queue/${sub.body.job_id}`, { key: s.ownerKey });
        return j.body.status === 'completed' ? j.body : undefined;
      }, 60_000);
      const ms = performance.now() - t0;
      expect(done.completed_count).toBe(1);
      console.log(`[webhooks] unrelated batch job finished ${ms.toFixed(0)} ms after submit while a delivery waits out a 600 s back-off`);
      // Still one attempt, still pending: the retry is scheduled, not lost.
      const d = (await rest(s, 'GET', `/v1/webhooks/${created.body.webhook_id}/deliveries`, { key: s.ownerKey })).body.deliveries[0];
      expect(d).toMatchObject({ delivery_id: test.body.delivery_id, status: 'pending' });
      expect(d.attempts).toHaveLength(1);

      // The delivery job is the server's own: not in list_batch_jobs, not counted in the queue summary.
      const listed = await rest(s, 'GET', '/v1/batch-queue', { key: s.ownerKey });
      expect(listed.body.jobs.map((j: { kind: string }) => j.kind)).toEqual(['compress_documents']);
      expect(listed.body.total).toBe(1);
      expect(listed.body.summary.queued).toBe(0);

      // Claiming respects the time on this backend: not before it, and at it.
      const queue = s.deps.store.jobQueue();
      expect(await queue.lease(['webhook_delivery'], 'probe', Date.now(), 1000)).toBeUndefined();
      const due = await queue.lease(['webhook_delivery'], 'probe', Number(deferred.not_before_ms), 1000);
      expect(due?.kind).toBe('webhook_delivery');
    } finally {
      await s.close();
      await r3.close();
    }
  });

  it('one event, one delivery per webhook: hearing a job end again (another replica, a restart) sends nothing twice', async () => {
    const r4 = await receiver();
    const config = { urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [100], timeoutMs: 3000 } };
    const s1 = await startTestServer({ config });
    let s2: TestServer | undefined;
    try {
      const created = await rest(s1, 'POST', '/v1/webhooks', { key: s1.ownerKey, body: { url: r4.url, events: ['job.completed'] } });
      r4.state.secret = created.body.secret;
      const sub = await rest(s1, 'POST', '/v1/batch-queue', { key: s1.ownerKey, body: { documents: [{ text: 'Once only. '.repeat(100) }] } });
      await until(() => r4.got.find((g) => g.body.data?.job?.job_id === sub.body.job_id));
      const row = (await query<{ owner_id: string; project_id: string }>(s1.deps, 'SELECT owner_id, project_id FROM jobs WHERE id = ?', sub.body.job_id))[0]!;
      const scope = { ownerId: row.owner_id, projectId: row.project_id };
      const job = await s1.deps.service(JobsService).get(scope, sub.body.job_id);
      // The same job end reported again on this replica...
      expect(await s1.deps.service(WebhooksService).emit(scope, 'job.completed', `job.completed:${job.job_id}`, { job })).toEqual([]);
      await s1.http.close();
      await s1.app.close();
      // ...and after a restart.
      s2 = await startTestServer({ dataDir: s1.dataDir, config });
      s2.deps.service(WebhooksService).onJob(job, scope);
      await new Promise((r) => setTimeout(r, 300));
      await s2.deps.service(JobsService).idle();
      const rows = await query<{ n: number }>(s2.deps, 'SELECT count(*) AS n FROM webhook_deliveries WHERE event_key = ?', `job.completed:${job.job_id}`);
      expect(Number(rows[0]!.n)).toBe(1);
      expect(r4.got.filter((g) => g.body.data?.job?.job_id === sub.body.job_id)).toHaveLength(1);
    } finally {
      if (s2) await s2.close();
      else await s1.close();
      await r4.close();
    }
  });
});
