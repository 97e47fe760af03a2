// GitHub inbound and the job runner (issue 18), on a real server over a temp data dir (SQLite, or
// PostgreSQL with CTXGATE_DATABASE_URL). GitHub is a local stand-in speaking the raw-content
// protocol; deliveries are signed as GitHub signs them.
//  - webhook handling latency: a signed ping / push POSTed to /v1/integrations/github/webhook →
//    response (push: verified, tracked files found, job queued); and push → document ingested;
//  - the job runner not blocked: with a webhook receiver that always fails and a 600 s back-off,
//    the time from submitting an unrelated batch job to its completion, against the same figure
//    with no failing delivery waiting.
// Prints one JSON object.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { githubSignature } from '../src/engine/github.js';
import { createLogger } from '../src/log.js';
import { AccountsService } from '../src/services/accounts.js';
import { JobsService } from '../src/services/jobs.js';
import { KeysService } from '../src/services/keys.js';
import { startHttpServer } from '../src/server/http.js';

const N = Number(process.env.BENCH_GITHUB_DELIVERIES ?? 40);
const JOBS = Number(process.env.BENCH_RUNNER_JOBS ?? 10);
const SECRET = 'bench-webhook-secret-0123456789';
const REPO = { name: 'handbook', full_name: 'acme/handbook', default_branch: 'main', owner: { login: 'acme' } };

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: s.length, mean_ms: r(s.reduce((a, b) => a + b, 0) / s.length), p50_ms: r(q(0.5)), p95_ms: r(q(0.95)), max_ms: r(s[s.length - 1]!) };
};

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-github-'));
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', allowedHosts: [], urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [600_000, 600_000, 600_000], timeoutMs: 5000 } });
  const log = createLogger('silent', 'stderr');
  const app = await createApp(config, log);
  const owner = (await app.deps.service(AccountsService).owner()).user;
  const key = await app.deps.service(KeysService).create({ name: 'bench', plan: 'enterprise', ownerId: owner.id });
  const server = await startHttpServer(app, log);
  // Stand-in GitHub raw content: every path answers a small Markdown page naming its commit.
  const raw = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`# ${req.url}\n\nGenerated page for the benchmark. It names ${req.url} so every push changes it.\n`));
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const failing = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(503).end('down'));
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  const headers = { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json' };
  const call = async (method: string, p: string, body?: unknown) => (await fetch(server.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;
  const jobs = app.deps.service(JobsService);
  try {
    await call('POST', '/v1/integrations/github', { repository: 'acme/handbook', secret: SECRET, raw_base_url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` });
    const deliver = async (event: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const t0 = performance.now();
      const r = await fetch(`${server.url}/v1/integrations/github/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': event, 'X-GitHub-Delivery': crypto.randomUUID(), 'X-Hub-Signature-256': githubSignature(SECRET, body), 'User-Agent': 'GitHub-Hookshot/bench' },
        body,
      });
      const out = (await r.json()) as any;
      return { ms: performance.now() - t0, status: r.status, out, t0 };
    };

    // 1. Webhook handling latency.
    const ping: number[] = [];
    const push: number[] = [];
    const pushToIngested: number[] = [];
    for (let i = 0; i < N; i++) {
      const p = await deliver('ping', { zen: 'Design for failure.', hook_id: 1, repository: REPO });
      if (p.status !== 200) throw new Error(`ping answered ${p.status}`);
      ping.push(p.ms);
      const sha = crypto.createHash('sha1').update(String(i)).digest('hex');
      const d = await deliver('push', { ref: 'refs/heads/main', after: sha, deleted: false, commits: [{ id: sha, added: [], removed: [], modified: ['docs/guide.md'] }], repository: REPO });
      if (d.status !== 202) throw new Error(`push answered ${d.status}`);
      push.push(d.ms);
      await jobs.waitFor({ ownerId: owner.id, projectId: key.project_id ?? (await defaultProject()) }, d.out.results[0].job_id);
      pushToIngested.push(performance.now() - d.t0);
    }

    // 2. The job runner with a failing receiver waiting out a 600 s back-off.
    const runJobs = async () => {
      const xs: number[] = [];
      for (let i = 0; i < JOBS; i++) {
        const t0 = performance.now();
        const sub = await call('POST', '/v1/batch-queue', { documents: [{ text: `Unrelated work number ${i}. `.repeat(60) }] });
        await jobs.waitFor({ ownerId: owner.id, projectId: await defaultProject() }, sub.job_id);
        xs.push(performance.now() - t0);
      }
      return xs;
    };
    const baseline = await runJobs();
    const hook = await call('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hook`, events: ['webhook.test'] });
    const deferred: string[] = [];
    for (let i = 0; i < 5; i++) deferred.push((await call('POST', `/v1/webhooks/${hook.webhook_id}/test`)).delivery_id);
    // Wait until every delivery has made its first attempt and is waiting out its back-off.
    for (;;) {
      const d = await call('GET', `/v1/webhooks/${hook.webhook_id}/deliveries`);
      if (d.deliveries.every((x: any) => x.attempts.length === 1 && x.status === 'pending')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const withFailing = await runJobs();

    console.log(
      JSON.stringify(
        {
          backend: app.deps.store.backend,
          github_webhook: {
            ping: { what: 'signed ping POST → 200 (signature verified, event recorded)', ...stats(ping) },
            push: { what: 'signed push POST → 202 (verified, tracked file found, event + job written)', ...stats(push) },
            push_to_ingested: { what: 'signed push POST sent → the changed file fetched from the stand-in and ingested (job completed)', ...stats(pushToIngested) },
          },
          job_runner: {
            what: 'batch job submitted → completed; with 5 webhook deliveries to a receiver answering 503, each waiting out a 600 s back-off',
            without_failing_deliveries: stats(baseline),
            with_failing_deliveries: stats(withFailing),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await server.close();
    await app.close();
    raw.close();
    failing.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  async function defaultProject(): Promise<string> {
    return (await app.deps.service(KeysService).authenticate(key.key))!.projectId;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
