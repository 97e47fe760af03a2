// Durable background jobs. A job is a list of items of one registered kind; items run one at a time
// off the request thread (yielding to the event loop between items), and each item's outcome is
// committed on its own, so a job interrupted by a restart resumes at its first pending item.
//
// Contract for other services:
//   registerJobKind('my_kind', { tool: 'my_tool', run: async (deps, item) => ({ result, meter }) })
//     - registered once at module load; `run` does one item for `item.scope` and must throw an
//       AppError for a per-item failure (its message is stored; anything else is logged and stored
//       as an opaque "internal error"). `meter`, if returned, is recorded against the submitting key.
//   deps.service(JobsService).submit(caller, scope, { kind, items }) → JobView (status "queued")
//   deps.service(JobsService).start()  — the server calls this once at start-up: resumes queued and
//     interrupted jobs. Submitting or polling a job also starts the runner, so nothing waits forever.
//   deps.service(JobsService).close()  — graceful shutdown (createApp closes services): the current
//     item is abandoned (it stays pending and runs again on the next start).
// One runner per process and data dir: two server processes on one store would both pick up work.
import type { AppDeps } from '../app-deps.js';
import { AppError, Conflict, NotFound, Unavailable } from '../errors.js';
import type { Caller, Metering, Scope } from '../registry/define.js';
import { newId, nowIso } from '../store/db.js';
import { UsageService } from './usage.js';

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
  run(deps: AppDeps, item: JobItemRun<I>): Promise<{ result: R; meter?: Metering }>;
}

const kinds = new Map<string, JobKind>();

export function registerJobKind<I, R>(kind: string, def: JobKind<I, R>): void {
  if (kinds.has(kind) && kinds.get(kind) !== def) throw new Error(`job kind "${kind}" is registered twice`);
  kinds.set(kind, def as unknown as JobKind);
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

interface JobRow {
  id: string;
  owner_id: string;
  project_id: string;
  key_id: string | null;
  caller: string;
  kind: string;
  status: JobStatus;
  items_count: number;
  completed_count: number;
  failed_count: number;
  error: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

type Listener = (job: JobView) => void;

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

  constructor(private readonly deps: AppDeps) {}

  /** Queue a job of a registered kind; the runner picks it up at once. */
  submit(caller: Caller, scope: Scope, req: { kind: string; items: unknown[]; options?: Record<string, unknown> }): JobView {
    if (!kinds.has(req.kind)) throw new Error(`job kind "${req.kind}" is not registered`);
    const id = newId('job');
    const now = nowIso();
    const { db } = this.deps;
    db.transaction(() => {
      db.prepare(
        `INSERT INTO jobs (id, owner_id, project_id, key_id, caller, kind, status, items_count, options, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
      ).run(id, scope.ownerId, scope.projectId, caller.keyId, JSON.stringify(caller), req.kind, req.items.length, JSON.stringify(req.options ?? {}), now, now);
      const ins = db.prepare(`INSERT INTO job_items (job_id, idx, owner_id, project_id, status, input) VALUES (?, ?, ?, ?, 'pending', ?)`);
      req.items.forEach((item, i) => ins.run(id, i, scope.ownerId, scope.projectId, JSON.stringify(item)));
    })();
    this.kick();
    return this.get(scope, id);
  }

  get(scope: Scope, jobId: string): JobView {
    this.kick();
    return view(this.row(scope, jobId));
  }

  /** Per-item outcomes in submission order. */
  items(scope: Scope, jobId: string): JobItemView[] {
    this.row(scope, jobId);
    const rows = this.deps.db
      .prepare(`SELECT idx, status, result, error FROM job_items WHERE owner_id = ? AND project_id = ? AND job_id = ? ORDER BY idx`)
      .all(scope.ownerId, scope.projectId, jobId) as Array<{ idx: number; status: JobItemView['status']; result: string | null; error: string | null }>;
    return rows.map((r) => ({ index: r.idx, status: r.status, result: r.result === null ? null : JSON.parse(r.result), error: r.error }));
  }

  list(scope: Scope, opts: { limit: number; offset: number; status?: JobStatus; kind?: string }): { jobs: JobView[]; total: number } {
    this.kick();
    const where = ['owner_id = ?', 'project_id = ?'];
    const params: unknown[] = [scope.ownerId, scope.projectId];
    if (opts.status) {
      where.push('status = ?');
      params.push(opts.status);
    }
    if (opts.kind) {
      where.push('kind = ?');
      params.push(opts.kind);
    }
    const w = where.join(' AND ');
    const total = (this.deps.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE ${w}`).get(...params) as { n: number }).n;
    const rows = this.deps.db
      .prepare(`SELECT * FROM jobs WHERE ${w} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...params, opts.limit, opts.offset) as JobRow[];
    return { jobs: rows.map(view), total };
  }

  /** Stop a queued or running job; items not yet done are marked skipped. */
  cancel(scope: Scope, jobId: string): JobView {
    const { db } = this.deps;
    const now = nowIso();
    db.transaction(() => {
      const r = this.row(scope, jobId);
      if (TERMINAL.has(r.status)) throw new Conflict(`job ${jobId} is already ${r.status}; only queued or processing jobs can be cancelled`, { status: r.status });
      db.prepare(`UPDATE jobs SET status = 'cancelled', completed_at = ?, updated_at = ? WHERE owner_id = ? AND project_id = ? AND id = ?`).run(
        now,
        now,
        scope.ownerId,
        scope.projectId,
        jobId,
      );
      db.prepare(`UPDATE job_items SET status = 'skipped', finished_at = ? WHERE owner_id = ? AND project_id = ? AND job_id = ? AND status = 'pending'`).run(
        now,
        scope.ownerId,
        scope.projectId,
        jobId,
      );
    })();
    if (this.current?.jobId === jobId) this.current.ctrl.abort(new Conflict(`job ${jobId} was cancelled`));
    const v = view(this.row(scope, jobId));
    this.emit(v);
    return v;
  }

  /** Resolves with the job once it is completed, failed or cancelled; `onProgress` hears every item. */
  async waitFor(scope: Scope, jobId: string, onProgress?: Listener, signal?: AbortSignal): Promise<JobView> {
    const first = this.get(scope, jobId);
    if (TERMINAL.has(first.status)) return first;
    return new Promise<JobView>((resolve, reject) => {
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
      // The job may have finished between the first read and subscribing.
      const now = view(this.row(scope, jobId));
      if (TERMINAL.has(now.status)) listener(now);
    });
  }

  /** Resume queued and interrupted jobs (call once at server start). */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Graceful shutdown: abandon the current item (it stays pending) and wait for the runner to halt. */
  async close(): Promise<void> {
    this.stopped = true;
    this.current?.ctrl.abort(new Conflict('server shutting down'));
    const err = new Unavailable('The server is shutting down; the job is kept and resumes when it starts again. Poll it with get_batch_job.');
    for (const w of [...this.waiters]) w(err);
    await this.draining;
  }

  /** Resolves when no job is left to run (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private row(scope: Scope, jobId: string): JobRow {
    const r = this.deps.db
      .prepare(`SELECT * FROM jobs WHERE owner_id = ? AND project_id = ? AND id = ?`)
      .get(scope.ownerId, scope.projectId, jobId) as JobRow | undefined;
    if (!r) throw new NotFound(`job_id ${jobId} not found in this project`, { field: 'job_id' });
    return r;
  }

  private emit(v: JobView): void {
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

  private nextJob(): JobRow | undefined {
    const names = [...kinds.keys()];
    if (names.length === 0) return undefined;
    return this.deps.db
      .prepare(
        `SELECT * FROM jobs WHERE status IN ('queued', 'processing') AND kind IN (${names.map(() => '?').join(',')})
         ORDER BY created_at, rowid LIMIT 1`,
      )
      .get(...names) as JobRow | undefined;
  }

  private async drain(): Promise<void> {
    // Let the submitting request answer before any work starts.
    await yieldToLoop();
    for (;;) {
      this.again = false;
      if (this.stopped) return;
      const job = this.nextJob();
      if (!job) return;
      await this.runJob(job);
    }
  }

  private async runJob(job: JobRow): Promise<void> {
    const { db, log } = this.deps;
    const kind = kinds.get(job.kind)!;
    const scope: Scope = { ownerId: job.owner_id, projectId: job.project_id };
    const caller = JSON.parse(job.caller) as Caller;
    const now = nowIso();
    // The runner serves every tenant, but each statement still names the job's own owner and project.
    const own = [scope.ownerId, scope.projectId] as const;
    db.prepare(
      `UPDATE jobs SET status = 'processing', started_at = COALESCE(started_at, ?), updated_at = ?
       WHERE owner_id = ? AND project_id = ? AND id = ? AND status IN ('queued', 'processing')`,
    ).run(now, now, ...own, job.id);
    this.emit(view(this.row(scope, job.id)));
    const ctrl = new AbortController();
    this.current = { jobId: job.id, ctrl };
    try {
      const pending = db
        .prepare(`SELECT idx, input FROM job_items WHERE owner_id = ? AND project_id = ? AND job_id = ? AND status = 'pending' ORDER BY idx`)
        .all(...own, job.id) as Array<{
        idx: number;
        input: string;
      }>;
      for (const item of pending) {
        await yieldToLoop();
        if (this.stopped || ctrl.signal.aborted) return;
        if (this.status(scope, job.id) !== 'processing') return; // cancelled, possibly by another process
        let outcome: { ok: true; result: unknown; meter?: Metering } | { ok: false; error: string };
        try {
          const out = await kind.run(this.deps, { scope, caller, jobId: job.id, index: item.idx, input: JSON.parse(item.input), signal: ctrl.signal });
          outcome = { ok: true, result: out.result, meter: out.meter };
        } catch (err) {
          if (this.stopped || ctrl.signal.aborted) return; // shutdown: the item stays pending; cancel: already skipped
          if (!(err instanceof AppError)) log.error({ err, job_id: job.id, item: item.idx }, 'job item failed');
          outcome = { ok: false, error: err instanceof AppError ? err.message : 'internal error while processing this item (see the server log)' };
        }
        const at = nowIso();
        db.transaction(() => {
          if (outcome.ok) {
            // A done item's input is not needed again (documents can be large): keep only its result.
            db.prepare(
              `UPDATE job_items SET status = 'done', result = ?, input = 'null', finished_at = ? WHERE owner_id = ? AND project_id = ? AND job_id = ? AND idx = ?`,
            ).run(JSON.stringify(outcome.result ?? null), at, ...own, job.id, item.idx);
            db.prepare(`UPDATE jobs SET completed_count = completed_count + 1, updated_at = ? WHERE owner_id = ? AND project_id = ? AND id = ?`).run(at, ...own, job.id);
            if (outcome.meter) this.deps.service(UsageService).record(caller, kind.tool, outcome.meter);
          } else {
            db.prepare(`UPDATE job_items SET status = 'failed', error = ?, finished_at = ? WHERE owner_id = ? AND project_id = ? AND job_id = ? AND idx = ?`).run(
              outcome.error,
              at,
              ...own,
              job.id,
              item.idx,
            );
            db.prepare(`UPDATE jobs SET failed_count = failed_count + 1, updated_at = ? WHERE owner_id = ? AND project_id = ? AND id = ?`).run(at, ...own, job.id);
          }
        })();
        this.emit(view(this.row(scope, job.id)));
      }
      const done = nowIso();
      db.prepare(
        `UPDATE jobs SET status = CASE WHEN completed_count > 0 OR items_count = 0 THEN 'completed' ELSE 'failed' END,
           error = CASE WHEN completed_count > 0 OR items_count = 0 THEN NULL ELSE 'every item failed' END,
           completed_at = ?, updated_at = ? WHERE owner_id = ? AND project_id = ? AND id = ? AND status = 'processing'`,
      ).run(done, done, ...own, job.id);
      this.emit(view(this.row(scope, job.id)));
    } finally {
      this.current = null;
    }
  }

  private status(scope: Scope, jobId: string): JobStatus | undefined {
    return (
      this.deps.db.prepare(`SELECT status FROM jobs WHERE owner_id = ? AND project_id = ? AND id = ?`).get(scope.ownerId, scope.projectId, jobId) as
        | { status: JobStatus }
        | undefined
    )?.status;
  }
}
