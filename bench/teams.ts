// Teams and operations figures (issue 18), on a real server over a temp data dir (SQLite, or
// PostgreSQL with CTXGATE_DATABASE_URL):
//  - audit-log write overhead per call: a changing tool (set_semantic_cache_threshold) run through
//    invokeTool with the app's hooks, with and without the `record` hook, interleaved;
//  - webhook delivery latency: test_webhook over REST → a local receiver has the signed POST;
//  - SSE event latency: a job status change (JobsService watcher, in process) → the event read by
//    an HTTP client of GET /v1/batch-queue/stream.
// Prints one JSON object.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { invokeTool } from '../src/registry/invoke.js';
import { AccountsService } from '../src/services/accounts.js';
import { JobsService } from '../src/services/jobs.js';
import { KeysService } from '../src/services/keys.js';
import { startHttpServer } from '../src/server/http.js';

const CALLS = Number(process.env.BENCH_AUDIT_CALLS ?? 400);
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 40);
const JOBS = Number(process.env.BENCH_SSE_JOBS ?? 10);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { n: s.length, mean_ms: r(s.reduce((a, b) => a + b, 0) / s.length), p50_ms: r(q(0.5)), p95_ms: r(q(0.95)), max_ms: r(s[s.length - 1]!) };
};

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-teams-'));
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', allowedHosts: [], urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [100, 100, 100], timeoutMs: 5000 } });
  const log = createLogger('silent', 'stderr');
  const app = await createApp(config, log);
  const owner = (await app.deps.service(AccountsService).owner()).user;
  const key = await app.deps.service(KeysService).create({ name: 'bench', plan: 'enterprise', ownerId: owner.id });
  const caller = (await app.deps.service(KeysService).authenticate(key.key))!;
  const server = await startHttpServer(app, log);
  try {
    // 1. Audit overhead per changing call.
    const env = (withAudit: boolean) => ({
      deps: app.deps,
      registry: app.registry,
      hooks: withAudit ? app.hooks : { ...app.hooks, record: undefined },
      caller,
      transport: 'rest' as const,
      requestId: 'bench',
      signal: new AbortController().signal,
      log,
      clientAddress: '127.0.0.1',
    });
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      for (const withAudit of i % 2 ? [true, false] : [false, true]) {
        const t0 = performance.now();
        await invokeTool(env(withAudit), 'set_semantic_cache_threshold', { threshold: 0.9 });
        (withAudit ? on : off).push(performance.now() - t0);
      }
    }
    const auditOn = stats(on);
    const auditOff = stats(off);

    // 2. Webhook delivery latency.
    const arrivals = new Map<string, number>();
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        arrivals.set(String(req.headers['x-gotcontext-delivery']), performance.now());
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const headers = { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json' };
    const hook = (await (await fetch(`${server.url}/v1/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url, events: ['webhook.test'] }) })).json()) as { webhook_id: string };
    const delivery: number[] = [];
    for (let i = 0; i < DELIVERIES; i++) {
      const t0 = performance.now();
      const d = (await (await fetch(`${server.url}/v1/webhooks/${hook.webhook_id}/test`, { method: 'POST', headers })).json()) as { delivery_id: string };
      while (!arrivals.has(d.delivery_id)) await new Promise((r) => setTimeout(r, 1));
      delivery.push(arrivals.get(d.delivery_id)! - t0);
    }
    receiver.close();

    // 3. SSE event latency: emitted (in process) → read by the stream's client.
    const emitted = new Map<string, number>();
    app.deps.service(JobsService).watch((j) => emitted.set(`${j.job_id}:${j.status}:${j.completed_count}`, performance.now()));
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/batch-queue/stream`, { headers: { Authorization: `Bearer ${key.key}` }, signal: ac.signal });
    const sse: number[] = [];
    let completed = 0;
    const reading = (async () => {
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        const at = performance.now();
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^event: job\ndata: (.*)$/m.exec(block.replace(/^id: .*\n/, ''))?.[1];
          if (!data) continue;
          const j = JSON.parse(data) as { job_id: string; status: string; completed_count: number };
          const t = emitted.get(`${j.job_id}:${j.status}:${j.completed_count}`);
          if (t !== undefined) sse.push(at - t);
          if (j.status === 'completed') completed++;
        }
      }
    })();
    const text = 'Pilots board at the fairway buoy and report to traffic services. '.repeat(60);
    for (let i = 0; i < JOBS; i++) {
      await fetch(`${server.url}/v1/batch-queue`, { method: 'POST', headers, body: JSON.stringify({ documents: [{ text: text + i }, { text: text + i + 'b' }] }) });
    }
    while (completed < JOBS) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await reading;

    console.log(
      JSON.stringify(
        {
          backend: app.deps.store.backend,
          audit: {
            tool: 'set_semantic_cache_threshold',
            calls_each: CALLS,
            with_audit: auditOn,
            without_audit: auditOff,
            overhead_per_call_ms: { mean: Math.round((auditOn.mean_ms - auditOff.mean_ms) * 1000) / 1000, p50: Math.round((auditOn.p50_ms - auditOff.p50_ms) * 1000) / 1000 },
          },
          webhook_delivery: { what: 'POST /v1/webhooks/{id}/test sent → signed POST received (local receiver, via the job runner)', ...stats(delivery) },
          sse_event: { what: 'job status change emitted → event read by a /v1/batch-queue/stream client', jobs: JOBS, ...stats(sse) },
        },
        null,
        2,
      ),
    );
  } finally {
    await server.close();
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
