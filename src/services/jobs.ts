// Durable background jobs. A job is a list of items of one registered kind; items run one at a time
// off the request thread (yielding to the event loop between items), and each item's outcome is
// committed on its own, so a job interrupted by a restart resumes at its first pending item.
//
// Contract for other services:
//   deps.service(JobsService).register('my_kind', { tool: 'my_tool', run: async (deps, item) => ({ result, meter }) })
//     - registered once by the app's wiring (src/app.ts); `run` does one item for `item.scope` and must throw an
//       AppError for a per-item failure (its message is stored; anything else is logged and stored
//       as an opaque "internal error"). `meter`, if returned, is recorded against the submitting key.
//   deps.service(JobsService).submit(caller, scope, { kind, items }) → JobView (status "queued")
//   deps.service(JobsService).start()  — the server calls this once at start-up: resumes queued and
//     interrupted jobs. Submitting or polling a job also starts the runner, so nothing waits forever.
//   deps.service(JobsService).close()  — graceful shutdown (createApp closes services): the current
//     item is abandoned (it stays pending) and the job's lease given back, so another replica (or the
//     next start) resumes it at once.
// Several processes on one store (replicas): a runner leases a job before running it and renews the
// lease while it works (CTXGATE_JOB_LEASE_MS); a job whose runner died is taken over when its lease
// lapses (every runner polls). An item's outcome is committed only by the lease holder, once; an
// item whose runner died mid-way starts again elsewhere, so a kind with outside effects (a webhook
// delivery) sends an idempotency key (job id + item index). Job
// events (progress, completion) travel over the bus, so waitFor hears a job run by another replica.
import type { AppDeps } from '../app-deps.js';
import { AppError, Conflict, NotFound, Unavailable } from '../errors.js';
import type { Caller, Metering, Scope } from '../domain/scope.js';
import { newId, nowIso } from '../store/db.js';
import type { JobRow } from '../store/jobs.js';
import type { TxStore } from '../store/store.js';
import { BusService } from './bus.js';
import { usageEvent } from './usage.js';

/** The bus channel job events travel on. */
const JOB_EVENTS = 'jobs';

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface JobItemRun<I> {
  scope: Scope;
  caller: Caller;
  jobId: string;
  index: number;
  input: I;
  /** Aborted when the job is cancelled or the server shuts down. */
  signal: AbortSignal;
}

export interface JobKind<I = unknown, R = unknown> {
  /** Tool name the items' usage is recorded under. */
  tool: string;
  /** The server's own work (webhook deliveries): not listed to users, not in the batch-queue stream. */
  internal?: boolean;
  run(deps: AppDeps, item: JobItemRun<I>): Promise<{ result: R; meter?: Metering }>;
}


export interface JobView {
  job_id: string;
  kind: string;
  status: JobStatus;
  documents_count: number;
  completed_count: number;
  failed_count: number;
  progress_pct: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: string | null;
}

export interface JobItemView {
  index: number;
  status: 'pending' | 'done' | 'failed' | 'skipped';
  result: unknown;
  error: string | null;
}


/**
 * Thrown by an item that cannot run yet (a webhook delivery waiting out its back-off): the job goes
 * back to the queue with a "not before" time and the runner takes other jobs meanwhile. The item
 * stays pending and runs again once due (items after it in the same job wait with it).
 */
export class RetryAt extends Error {
  constructor(readonly atMs: number, reason: string) {
    super(reason);
  }
}

type Listener = (job: JobView) => void;
/** Hears every job change of every project (live status streams, job events for webhooks). */
export type JobWatcher = (job: JobView, scope: Scope) => void;

function view(r: JobRow): JobView {
  const finished = r.completed_count + r.failed_count;
  const pct = r.status === 'completed' || r.status === 'failed' ? 100 : r.items_count === 0 ? 0 : (100 * finished) / r.items_count;
  return {
    job_id: r.id,
    kind: r.kind,
    status: r.status,
    documents_count: r.items_count,
    completed_count: r.completed_count,
    failed_count: r.failed_count,
    progress_pct: Math.round(pct * 10) / 10,
    created_at: r.created_at,
    started_at: r.started_at,
    completed_at: r.completed_at,
    error: r.error,
  };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class JobsService {
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private current: { jobId: string; ctrl: AbortController } | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Rejecters of pending waitFor calls, released on shutdown. */
  private readonly waiters = new Set<(err: AppError) => void>();
  private readonly kinds = new Map<string, JobKind>();
  /** Who holds this runner's leases: the replica, made unique per process start. */
  private readonly leaseOwner: string;
  private readonly bus: BusService;
  private poller: NodeJS.Timeout | null = null;
  /** Wakes the runner when the earliest deferred job is due (the poller is the fallback). */
  private wake: { at: number; timer: NodeJS.Timeout } | null = null;
  private readonly watchers = new Set<JobWatcher>();

  constructor(private readonly deps: AppDeps) {
    this.leaseOwner = `${deps.config.replicaId}:${newId('run')}`;
    this.bus = deps.service(BusService);
    this.bus.subscribe(JOB_EVENTS, (e: { view: JobView; scope: Scope }) => this.deliver(e));
  }

  /** Makes a kind of job runnable in this app (the wiring registers each kind once). */
  register<I, R>(kind: string, def: JobKind<I, R>): void {
    if (this.kinds.has(kind) && this.kinds.get(kind) !== def) throw new Error(`job kind "${kind}" is registered twice`);
    this.kinds.set(kind, def as unknown as JobKind);
  }

  /** Queue a job of a registered kind; the runner picks it up at once. */
  async submit(caller: Caller, scope: Scope, req: { kind: string; items: unknown[]; options?: Record<string, unknown> }): Promise<JobView> {
    return (await this.submitIf(caller, scope, req, async () => true))!;
  }

  /**
   * Queues a job in one transaction with the rows that call for it, written by `claim` (a webhook
   * delivery): when `claim` returns false (the rows already exist), no job is queued and the result
   * is undefined. `claim` may run twice (PostgreSQL retries a serialization failure).
   */
  async submitIf(caller: Caller, scope: Scope, req: { kind: string; items: unknown[]; options?: Record<string, unknown> }, claim: (t: TxStore, jobId: string) => Promise<boolean>): Promise<JobView | undefined> {
    if (!this.kinds.has(req.kind)) throw new Error(`job kind "${req.kind}" is not registered`);
    const id = newId('job');
    const queued = await this.deps.store.tx(async (t) => {
      if (!(await claim(t, id))) return false;
      await t.jobs(scope).insert({ id, keyId: caller.keyId, caller, kind: req.kind, options: req.options ?? {}, now: nowIso() }, req.items);
      return true;
    });
    if (!queued) return undefined;
    this.kick();
    const v = view(await this.row(scope, id));
    this.emit(v, scope);
    return v;
  }

  /** Inputs of the items that failed or were skipped (cancelled), in order: what a retry resubmits. */
  async unfinishedInputs(scope: Scope, jobId: string): Promise<unknown[]> {
    await this.row(scope, jobId);
    return this.deps.store.jobs(scope).unfinishedInputs(jobId);
  }

  async get(scope: Scope, jobId: string): Promise<JobView> {
    this.kick();
    return view(await this.row(scope, jobId));
  }

  /** Per-item outcomes in submission order. */
  async items(scope: Scope, jobId: string): Promise<JobItemView[]> {
    await this.row(scope, jobId);
    const rows = await this.deps.store.jobs(scope).items(jobId);
    return rows.map((r) => ({ index: r.idx, status: r.status, result: r.result, error: r.error }));
  }

  /** The project's jobs, newest first; internal kinds (webhook deliveries) are not listed. */
  async list(scope: Scope, opts: { limit: number; offset: number; status?: JobStatus; kind?: string }): Promise<{ jobs: JobView[]; total: number }> {
    this.kick();
    const { rows, total } = await this.deps.store.jobs(scope).list({ ...opts, excludeKinds: this.internalKinds() });
    return { jobs: rows.map(view), total };
  }

  /** Stop a queued or running job; items not yet done are marked skipped. */
  async cancel(scope: Scope, jobId: string): Promise<JobView> {
    const outcome = await this.deps.store.jobs(scope).cancel(jobId, nowIso());
    if (!outcome.cancelled && outcome.status === 'missing') throw notFound(jobId);
    if (!outcome.cancelled) throw new Conflict(`job ${jobId} is already ${outcome.status}; only queued or processing jobs can be cancelled`, { status: outcome.status });
    // Running here: stop it now (a runner on another replica hears the cancel over the bus).
    if (this.current?.jobId === jobId) this.current.ctrl.abort(new Conflict(`job ${jobId} was cancelled`));
    const v = view(await this.row(scope, jobId));
    this.emit(v, scope);
    return v;
  }

  /** Resolves with the job once it is completed, failed or cancelled; `onProgress` hears every item. */
  waitFor(scope: Scope, jobId: string, onProgress?: Listener, signal?: AbortSignal): Promise<JobView> {
    // Subscribed before the first read, so a shutdown or a finish in between is never missed.
    return new Promise<JobView>((resolve, reject) => {
      if (this.stopped) return reject(shuttingDown());
      const listener: Listener = (v) => {
        if (TERMINAL.has(v.status)) {
          done();
          resolve(v);
        } else onProgress?.(v);
      };
      const onAbort = () => {
        done();
        reject(signal?.reason instanceof AppError ? signal.reason : new Conflict('stopped waiting: the request was cancelled'));
      };
      const onClose = (err: AppError) => {
        done();
        reject(err);
      };
      const done = () => {
        this.listeners.get(jobId)?.delete(listener);
        this.waiters.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      this.waiters.add(onClose);
      let set = this.listeners.get(jobId);
      if (!set) this.listeners.set(jobId, (set = new Set()));
      set.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.get(scope, jobId).then(
        (now) => {
          if (TERMINAL.has(now.status)) listener(now);
        },
        (err: unknown) => {
          done();
          reject(this.stopped ? shuttingDown() : err);
        },
      );
    });
  }

  private internalKinds(): string[] {
    return [...this.kinds].filter(([, k]) => k.internal).map(([name]) => name);
  }

  /** Every status change of every (not internal) job from now on, run on any replica; returns the unsubscribe function. */
  watch(w: JobWatcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /**
   * Resume queued and interrupted jobs (call once at server start), and keep looking: a job submitted
   * to another replica, or left by one that died, is taken once its lease allows.
   */
  start(): void {
    this.stopped = false;
    if (!this.poller) {
      const every = Math.min(5_000, Math.max(250, Math.floor(this.deps.config.jobLeaseMs / 3)));
      this.poller = setInterval(() => this.kick(), every);
      this.poller.unref();
    }
    this.kick();
  }

  /** Graceful shutdown: abandon the current item (it stays pending), give its lease back, wait for the runner to halt. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    if (this.wake) clearTimeout(this.wake.timer);
    this.wake = null;
    this.current?.ctrl.abort(new Conflict('server shutting down'));
    const err = shuttingDown();
    for (const w of [...this.waiters]) w(err);
    await this.draining;
  }

  /** Resolves when no job is left to run (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async row(scope: Scope, jobId: string): Promise<JobRow> {
    const r = await this.deps.store.jobs(scope).get(jobId);
    if (!r) throw notFound(jobId);
    return r;
  }

  /** Tells every replica (this one included) how the job stands. */
  private emit(v: JobView, scope: Scope): void {
    this.bus.publish(JOB_EVENTS, { view: v, scope }).catch((err) => this.deps.log.warn({ err, job_id: v.job_id }, 'job event not published'));
  }

  private deliver({ view: v, scope }: { view: JobView; scope: Scope }): void {
    // Cancelled elsewhere: stop the item running here now rather than at the next status check.
    if (v.status === 'cancelled' && this.current?.jobId === v.job_id) this.current.ctrl.abort(new Conflict(`job ${v.job_id} was cancelled`));
    for (const w of this.kinds.get(v.kind)?.internal ? [] : [...this.watchers]) {
      try {
        w(v, scope);
      } catch (err) {
        this.deps.log.error({ err, job_id: v.job_id }, 'job watcher failed');
      }
    }
    for (const l of [...(this.listeners.get(v.job_id) ?? [])]) l(v);
    if (TERMINAL.has(v.status)) this.listeners.delete(v.job_id);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err) => this.deps.log.error({ err }, 'job runner stopped on an unexpected error'))
      .finally(() => {
        this.draining = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    // Let the submitting request answer before any work starts.
    await yieldToLoop();
    for (;;) {
      this.again = false;
      if (this.stopped) return;
      const queue = this.deps.store.jobQueue();
      const job = await queue.lease([...this.kinds.keys()], this.leaseOwner, Date.now(), this.deps.config.jobLeaseMs);
      if (!job) {
        const due = await queue.nextDueMs([...this.kinds.keys()], Date.now());
        if (due !== undefined) this.wakeAt(due);
        return;
      }
      await this.runJob(job);
    }
  }

  /** Kicks the runner at `atMs` (keeps the earliest wake-up). */
  private wakeAt(atMs: number): void {
    if (this.stopped || (this.wake && this.wake.at <= atMs)) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(() => {
      this.wake = null;
      this.kick();
    }, Math.max(0, atMs - Date.now()) + 5);
    timer.unref();
    this.wake = { at: atMs, timer };
  }

  private async runJob(job: JobRow): Promise<void> {
    const { log } = this.deps;
    const kind = this.kinds.get(job.kind)!;
    const scope: Scope = { ownerId: job.owner_id, projectId: job.project_id };
    const repo = this.deps.store.jobs(scope);
    const caller = job.caller as Caller;
    await repo.markProcessing(job.id, nowIso());
    this.emit(view(await this.row(scope, job.id)), scope);
    const ctrl = new AbortController();
    this.current = { jobId: job.id, ctrl };
    const queue = this.deps.store.jobQueue();
    const leaseMs = this.deps.config.jobLeaseMs;
    // Heartbeat: renew well before the lease lapses; a lost lease (this process stalled past it and
    // another runner took the job) stops the work here.
    const heartbeat = setInterval(() => {
      queue.renew(job.id, this.leaseOwner, Date.now() + leaseMs).then(
        (held) => {
          if (!held) ctrl.abort(new Conflict(`job ${job.id}: lease lost to another runner`));
        },
        (err) => log.warn({ err, job_id: job.id }, 'job lease renewal failed'),
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    try {
      const pending = await repo.pendingItems(job.id);
      for (const item of pending) {
        await yieldToLoop();
        if (this.stopped || ctrl.signal.aborted) return;
        if ((await repo.status(job.id)) !== 'processing') return; // cancelled, possibly by another process
        let outcome: { ok: true; result: unknown; meter?: Metering } | { ok: false; error: string };
        try {
          const out = await kind.run(this.deps, { scope, caller, jobId: job.id, index: item.idx, input: item.input, signal: ctrl.signal });
          outcome = { ok: true, result: out.result, meter: out.meter };
        } catch (err) {
          if (this.stopped || ctrl.signal.aborted) return; // shutdown: the item stays pending; cancel: already skipped
          if (err instanceof RetryAt) {
            // Not yet: back to the queue until then; this runner goes on with other jobs.
            if (await queue.defer(job.id, this.leaseOwner, err.atMs, nowIso())) {
              this.wakeAt(err.atMs);
              this.emit(view(await this.row(scope, job.id)), scope);
            }
            return;
          }
          if (!(err instanceof AppError)) log.error({ err, job_id: job.id, item: item.idx }, 'job item failed');
          outcome = { ok: false, error: err instanceof AppError ? err.message : 'internal error while processing this item (see the server log)' };
        }
        const at = nowIso();
        if (outcome.ok) {
          const m = outcome.meter;
          const usage = m && usageEvent(caller, kind.tool, m, at);
          if (!(await repo.finishItem(job.id, item.idx, at, { ok: true, result: outcome.result, usage }, this.leaseOwner))) return;
        } else if (!(await repo.finishItem(job.id, item.idx, at, outcome, this.leaseOwner))) return;
        this.emit(view(await this.row(scope, job.id)), scope);
      }
      await repo.finish(job.id, nowIso());
      this.emit(view(await this.row(scope, job.id)), scope);
    } finally {
      clearInterval(heartbeat);
      this.current = null;
      // Shutdown mid-job: hand the job over now instead of after the lease lapses.
      if (this.stopped) await queue.release(job.id, this.leaseOwner).catch((err) => log.warn({ err, job_id: job.id }, 'job lease not released'));
    }
  }
}

function shuttingDown(): Unavailable {
  return new Unavailable('The server is shutting down; the job is kept and resumes when it starts again. Poll it with get_batch_job.');
}

function notFound(jobId: string): NotFound {
  return new NotFound(`job_id ${jobId} not found in this project`, { field: 'job_id' });
}
