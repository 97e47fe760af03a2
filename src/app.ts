// Wires the application: config → store → services → registry. Shared by `serve`, `stdio` and the CLI.
import type { Logger } from 'pino';
import { allTools } from '../tools/index.js';
import type { AppDeps } from './app-deps.js';
import type { Config } from './config.js';
import type { Embedder, EmbedderInfo } from './engine/embeddings/types.js';
import { Registry } from './registry/registry.js';
import { upstreamToolSource } from './services/gateway/source.js';
import type { CallHooks } from './registry/invoke.js';
import { TOOLSETS } from '../tools/toolsets.js';
import { Metrics } from './server/metrics.js';
import { UsageService } from './services/usage.js';
import { openStore } from './store/store.js';
import { ensurePrivateDir } from './paths.js';
import { createEmbedder } from './services/embedder.js';
import { loadOrCreateSecret } from './services/secret.js';
import { INGEST_JOB_KIND, ingestJobKind } from './services/documents.js';
import { JobsService } from './services/jobs.js';
import { PROCESS_JOB_KIND, processSourcesJobKind } from './services/spaces-artifacts.js';
import { EXPERIMENT_JOB_KIND, experimentJobKind } from './services/ace-experiments.js';
import { BATCH_COMPRESS_JOB_KIND, batchCompressJobKind } from './services/batch-queue.js';
import { GITHUB_JOB_KIND, GithubService, githubJobKind } from './services/github.js';
import { WEBHOOK_DELIVERY_JOB_KIND, WebhooksService, webhookDeliveryJobKind } from './services/webhooks.js';
import { AuditService, targetIds } from './services/audit.js';

export { VERSION } from './version.js';

export interface App {
  deps: AppDeps;
  registry: Registry;
  /** Prometheus metrics of this app (tool calls, HTTP, sessions). */
  metrics: Metrics;
  /** What every tool call runs through: quota, metering, metrics. */
  hooks: CallHooks;
  /** Set once the embedder has loaded (health reports it). */
  embedderInfo(): EmbedderInfo | null;
  close(): Promise<void>;
}

export async function createApp(config: Config, log: Logger): Promise<App> {
  const registry = new Registry(allTools, TOOLSETS);
  // Every tenant's data lives under the data dir: owner-only, tightened if an older start left it open.
  const was = ensurePrivateDir(config.dataDir);
  if (was !== null) log.warn({ dataDir: config.dataDir, mode: '0' + was.toString(8), now: '0700' }, 'data dir was readable by other users; tightened it to 0700');
  const store = await openStore(config);
  const secret = loadOrCreateSecret(config.dataDir, config.secret);
  const services = new Map<unknown, unknown>();
  let embedderPromise: Promise<{ embedder: Embedder; info: EmbedderInfo }> | null = null;
  let info: EmbedderInfo | null = null;
  const closers: Array<() => unknown> = [];

  const deps: AppDeps = {
    config,
    store,
    log,
    secret,
    embedder() {
      if (!embedderPromise) {
        embedderPromise = createEmbedder(config).then((r) => {
          info = r.info;
          log.info({ embedder: r.info }, 'embedder ready');
          return r;
        });
        // A failed load is retried on the next call rather than cached forever.
        embedderPromise.catch(() => {
          embedderPromise = null;
        });
      }
      return embedderPromise.then((r) => r.embedder);
    },
    embedderInfo: () => info,
    service<T>(cls: new (d: AppDeps) => T): T {
      let s = services.get(cls) as T | undefined;
      if (!s) {
        s = new cls(deps);
        services.set(cls, s);
        const closable = s as { close?: () => unknown };
        if (typeof closable.close === 'function') closers.push(() => closable.close!());
      }
      return s;
    },
  };

  // Upstream MCP servers' tools, reachable through search_tools / call_tool / tools/list?upstreams=1.
  registry.addSource(upstreamToolSource(deps));

  // Job kinds this app can run; the runner only picks up jobs of registered kinds.
  deps.service(JobsService).register(INGEST_JOB_KIND, ingestJobKind);
  deps.service(JobsService).register(PROCESS_JOB_KIND, processSourcesJobKind);
  deps.service(JobsService).register(EXPERIMENT_JOB_KIND, experimentJobKind);
  deps.service(JobsService).register(BATCH_COMPRESS_JOB_KIND, batchCompressJobKind);
  deps.service(JobsService).register(WEBHOOK_DELIVERY_JOB_KIND, webhookDeliveryJobKind);
  deps.service(JobsService).register(GITHUB_JOB_KIND, githubJobKind);
  // Finished and failed jobs are webhook events.
  const webhooks = deps.service(WebhooksService);
  deps.service(JobsService).watch((job, scope) => webhooks.onJob(job, scope));
  // A finished GitHub delivery's job: its outcome recorded and sent to webhooks as github.push / github.pull_request.
  const github = deps.service(GithubService);
  deps.service(JobsService).watch((job, scope) => void github.onJob(job, scope).catch((err) => log.error({ err, job_id: job.job_id }, 'github event not finished')));

  const metrics = new Metrics();
  const usage = deps.service(UsageService);
  const audit = deps.service(AuditService);
  const hooks: CallHooks = {
    holdQuota: (caller, tool) => usage.hold(caller, tool.name),
    meter: (caller, tool, m) => usage.record(caller, tool.name, m),
    observe(e) {
      metrics.toolCalls.inc({ tool: e.tool, transport: e.transport, outcome: e.outcome });
      if (e.seconds !== null) metrics.toolDuration.observe({ tool: e.tool }, e.seconds);
    },
    // The audit log, then call events for webhooks (both see ids only).
    async record(e) {
      await audit.record(e);
      await webhooks.onCall(e, targetIds(e.args, e.output));
    },
  };

  return {
    deps,
    registry,
    metrics,
    hooks,
    embedderInfo: () => info,
    async close() {
      for (const c of closers.reverse()) await c();
      await store.close();
    },
  };
}
