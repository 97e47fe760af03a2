// Outbound webhooks (issue 18, point 4). Events of a project — finished and failed jobs, finished
// batch compressions, knowledge-base changes, tests — become deliveries: one
// row each, sent by a `webhook_delivery` job on the job runner (no second scheduler), so a delivery
// pending at shutdown is sent after the next start. Each attempt is recorded; a failed one is retried
// after each wait of CTXGATE_WEBHOOK_RETRY_SCHEDULE (default 30 s, 2 min, 8 min: 3 retries). The
// wait is scheduled, not slept: the delivery's job goes back to the queue with a "not before" time
// (RetryAt), so a failing receiver never holds up other jobs. Delivery jobs are internal (not in
// list_batch_jobs or the batch-queue stream). An event carries a key (e.g. job.completed:<job id>);
// a webhook gets one delivery per key, however many replicas hear the event or how often it is
// reported again after a restart.
//
// Signature (verification recipe in the README): X-GotContext-Signature: t=<unix seconds>,v1=<hex>
// where hex = HMAC-SHA256(secret, `${t}.${raw body}`). The secret is derived from the server secret
// and the webhook id, so it is never stored; create_webhook shows it once.
import crypto from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { AppError, BadRequest, NotFound, UpstreamFailed } from '../errors.js';
import type { Caller, Scope } from '../domain/scope.js';
import type { CallRecord } from '../registry/invoke.js';
import { requiredRole } from '../registry/visibility.js';
import { newId, nowIso } from '../store/db.js';
import type { AttemptRow, DeliveryRow, WebhookRow } from '../store/webhooks.js';
import { JobsService, RetryAt, type JobKind, type JobView } from './jobs.js';
import { checkOutboundUrl, pinnedPost } from './url-fetch.js';

export const WEBHOOK_EVENTS = ['job.completed', 'job.failed', 'compression.completed', 'kb.changed', 'webhook.test', 'github.push', 'github.pull_request'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const WEBHOOK_DELIVERY_JOB_KIND = 'webhook_delivery';
export const SIGNATURE_HEADER = 'X-GotContext-Signature';
const MAX_WEBHOOKS = 20;

export interface WebhookView {
  webhook_id: string;
  url: string;
  events: string[];
  description: string | null;
  created_at: string;
}

export interface DeliveryView {
  delivery_id: string;
  webhook_id: string;
  event: string;
  status: DeliveryRow['status'];
  attempts: Array<Omit<AttemptRow, 'delivery_id'>>;
  next_attempt_at: string | null;
  created_at: string;
  finished_at: string | null;
}

/** `t=<unix>,v1=<hex hmac>` over `${t}.${body}`. */
export function signPayload(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export class WebhooksService {
  constructor(private readonly deps: AppDeps) {}

  /** The signing secret of a webhook (derived, never stored). */
  secretOf(webhookId: string): string {
    return 'whsec_' + crypto.createHmac('sha256', this.deps.secret).update(`webhook:${webhookId}`).digest('base64url');
  }

  async create(scope: Scope, createdBy: string, req: { url: string; events: string[]; description?: string | null; jobId?: string | null }): Promise<WebhookView & { secret: string }> {
    const url = await checkOutboundUrl(req.url, this.deps.config.urlAllowlist);
    const bad = req.events.find((e) => e !== '*' && !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (bad !== undefined) throw new BadRequest(`Unknown event '${bad.slice(0, 40)}'. Valid: ${WEBHOOK_EVENTS.join(', ')} or *`, 'invalid_value', { field: 'events', valid: [...WEBHOOK_EVENTS, '*'] });
    const repo = this.deps.store.webhooks(scope);
    if (!req.jobId && (await repo.list()).length >= MAX_WEBHOOKS) throw new BadRequest(`A project has at most ${MAX_WEBHOOKS} webhooks; delete one first`, 'limit_reached', { field: 'url', limit: MAX_WEBHOOKS });
    const row: WebhookRow = { id: newId('whk'), url: url.toString(), events: [...new Set(req.events)], description: req.description ?? null, job_id: req.jobId ?? null, created_by: createdBy, created_at: nowIso() };
    await repo.create(row);
    return { ...view(row), secret: this.secretOf(row.id) };
  }

  async list(scope: Scope): Promise<WebhookView[]> {
    return (await this.deps.store.webhooks(scope).list()).map(view);
  }

  async delete(scope: Scope, webhookId: string): Promise<void> {
    if (!(await this.deps.store.webhooks(scope).delete(webhookId))) throw notFound(webhookId);
  }

  /** Sends a `webhook.test` event to one webhook (through the same delivery path as every event). */
  async test(scope: Scope, webhookId: string): Promise<DeliveryView> {
    const hook = await this.deps.store.webhooks(scope).get(webhookId);
    if (!hook) throw notFound(webhookId);
    const [id] = await this.enqueue(scope, [hook], 'webhook.test', null, { message: 'Test delivery from ctxgate', webhook_id: webhookId });
    return (await this.deliveries(scope, { deliveryId: id!, limit: 1 }))[0]!;
  }

  async deliveries(scope: Scope, opts: { webhookId?: string; deliveryId?: string; limit: number }): Promise<DeliveryView[]> {
    const repo = this.deps.store.webhooks(scope);
    if (opts.webhookId && !(await repo.get(opts.webhookId))) throw notFound(opts.webhookId);
    const rows = opts.deliveryId ? [await repo.delivery(opts.deliveryId)].filter((r): r is DeliveryRow => !!r) : await repo.deliveries(opts);
    const attempts = await repo.attempts(rows.map((r) => r.id));
    return rows.map((r) => ({
      delivery_id: r.id,
      webhook_id: r.webhook_id,
      event: r.event,
      status: r.status,
      attempts: attempts.filter((a) => a.delivery_id === r.id).map(({ delivery_id: _d, ...a }) => a),
      next_attempt_at: r.next_attempt_at,
      created_at: r.created_at,
      finished_at: r.finished_at,
    }));
  }

  /**
   * An event of a project: one delivery per webhook that listens (and the job's own one-shot webhook).
   * `key` names the event (job.completed:<job id>): a webhook gets one delivery per key, so hearing
   * the event again (another replica, a restart) sends nothing twice; null = every emit is new.
   */
  async emit(scope: Scope, event: WebhookEvent, key: string | null, data: unknown, opts: { jobId?: string } = {}): Promise<string[]> {
    const hooks = await this.deps.store.webhooks(scope).listening(event, opts.jobId ?? null);
    return hooks.length ? this.enqueue(scope, hooks, event, key, data) : [];
  }

  /** Ids of the deliveries made now (not those of a key already delivered). */
  private async enqueue(scope: Scope, hooks: WebhookRow[], event: WebhookEvent, key: string | null, data: unknown): Promise<string[]> {
    const ids: string[] = [];
    const at = nowIso();
    const caller: Caller = { userId: scope.ownerId, projectId: scope.projectId, keyId: null, plan: 'free', keyName: 'webhooks' };
    for (const h of hooks) {
      const id = newId('dlv');
      const payload = { id, event, created_at: at, project_id: scope.projectId, webhook_id: h.id, data };
      // The delivery row and its job in one transaction: one job per delivery, so a slow receiver's
      // retries never hold up another webhook's delivery, and no delivery is left without its job.
      const job = await this.deps.service(JobsService).submitIf(caller, scope, { kind: WEBHOOK_DELIVERY_JOB_KIND, items: [{ delivery_id: id }] }, (t) =>
        t.webhooks(scope).insertDelivery({ id, webhook_id: h.id, event, event_key: key, created_at: at, payload }),
      );
      if (job) ids.push(id);
    }
    return ids;
  }

  /**
   * One attempt of a delivery, when it is due. Accepted (2xx): delivered. Refused with retries left:
   * the attempt is recorded and RetryAt(next time) hands the wait to the job runner's schedule.
   * Not yet due (a restart during the back-off): RetryAt(the recorded time), nothing sent.
   */
  async deliver(scope: Scope, deliveryId: string, signal: AbortSignal): Promise<{ delivered: boolean; attempts: number }> {
    const repo = this.deps.store.webhooks(scope);
    const { retryScheduleMs, timeoutMs } = this.deps.config.webhooks;
    const maxAttempts = retryScheduleMs.length + 1;
    const d = await repo.delivery(deliveryId);
    if (!d) throw new NotFound(`delivery ${deliveryId} no longer exists (its webhook was deleted)`);
    if (d.status !== 'pending') return { delivered: d.status === 'delivered', attempts: d.attempts };
    const hook = await repo.get(d.webhook_id);
    if (!hook) throw new NotFound(`webhook ${d.webhook_id} was deleted`);
    const due = d.next_attempt_at ? Date.parse(d.next_attempt_at) : 0;
    if (due > Date.now()) throw new RetryAt(due, `delivery ${d.id}: attempt ${d.attempts + 1} is due at ${d.next_attempt_at}`);
    const n = d.attempts + 1;
    const body = JSON.stringify(d.payload);
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const r = await pinnedPost(hook.url, body, {
        [SIGNATURE_HEADER]: signPayload(this.secretOf(hook.id), body),
        'X-GotContext-Event': d.event,
        'X-GotContext-Delivery': d.id,
        'X-GotContext-Attempt': String(n),
      }, {
        allowlist: this.deps.config.urlAllowlist,
        timeoutMs,
        signal,
        // The delivery record keeps the head of the answer only.
        maxResponseBytes: 2048,
        overflow: 'truncate',
        userAgent: 'ctxgate-webhooks/1',
      });
      status = r.status;
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      if (signal.aborted) throw err; // shutdown or cancel: this attempt is not recorded; it runs again
      error = err instanceof AppError ? err.message : 'delivery failed';
    }
    const ok = error === null;
    const last = !ok && n >= maxAttempts;
    const next = ok || last ? null : Date.now() + retryScheduleMs[n - 1]!;
    await repo.recordAttempt(
      d.id,
      { n, at: nowIso(), status_code: status, error, duration_ms: Math.round(performance.now() - started) },
      { status: ok ? 'delivered' : last ? 'failed' : 'pending', nextAttemptAt: next === null ? null : new Date(next).toISOString() },
    );
    if (ok) return { delivered: true, attempts: n };
    if (last) throw new UpstreamFailed(`delivery ${d.id} failed after ${n} attempts (last: ${error})`, 'delivery_failed');
    throw new RetryAt(next!, `delivery ${d.id}: attempt ${n} failed (${error}); retrying`);
  }

  /** Job events: finished and failed jobs; a finished batch compression also as compression.completed. */
  onJob(job: JobView, scope: Scope): void {
    if (job.kind === WEBHOOK_DELIVERY_JOB_KIND || (job.status !== 'completed' && job.status !== 'failed')) return;
    const events: WebhookEvent[] = [job.status === 'completed' ? 'job.completed' : 'job.failed'];
    if (job.kind === 'compress_documents' && job.status === 'completed') events.push('compression.completed');
    const data = { job, results_path: job.kind === 'compress_documents' ? `/v1/batch-queue/${job.job_id}/results` : null };
    for (const e of events) {
      this.emit(scope, e, `${e}:${job.job_id}`, data, { jobId: job.job_id }).catch((err) => this.deps.log.error({ err, job_id: job.job_id }, 'webhook event failed'));
    }
  }

  /** Call events: a successful knowledge-base write is a kb.changed event (ids only). */
  async onCall(e: CallRecord, targets: Record<string, unknown>): Promise<void> {
    if (e.outcome !== 'ok' || e.tool?.toolset !== 'kb' || requiredRole(e.tool) === 'viewer') return;
    await this.emit({ ownerId: e.caller.userId, projectId: e.caller.projectId }, 'kb.changed', null, { tool: e.name, ...targets });
  }
}

/** The `webhook_delivery` job kind (registered by the app's wiring): one item = one delivery. */
export const webhookDeliveryJobKind: JobKind<{ delivery_id: string }, { delivered: boolean; attempts: number }> = {
  tool: 'webhook_delivery',
  internal: true,
  run: async (deps, item) => ({ result: await deps.service(WebhooksService).deliver(item.scope, item.input.delivery_id, item.signal) }),
};

function view(r: WebhookRow): WebhookView {
  return { webhook_id: r.id, url: r.url, events: r.events, description: r.description, created_at: r.created_at };
}

function notFound(id: string): NotFound {
  return new NotFound(`webhook_id ${id} not found in this project`, { field: 'webhook_id' });
}
