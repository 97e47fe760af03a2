// Durable jobs: a job of one project with its items, and the queue the runner takes work from.
// The runner serves every tenant, but each statement still names the job's own owner and project.
import { sql, type Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import type { UsageEvent } from './usage.js';
import { readJson } from './dialect.js';
import type { JobItemsTable, JobsTable } from './schema.js';
import type { RepoContext } from './store.js';

export type JobStatus = JobsTable['status'];
export type JobItemStatus = JobItemsTable['status'];
export type JobRow = Omit<Selectable<JobsTable>, 'rowid' | 'options' | 'caller' | 'lease_owner' | 'lease_until_ms' | 'not_before_ms'> & { caller: unknown };

const JOB_COLUMNS = [
  'id', 'owner_id', 'project_id', 'key_id', 'caller', 'kind', 'status', 'items_count', 'completed_count', 'failed_count', 'error',
  'created_at', 'started_at', 'completed_at', 'updated_at',
] as const;

function decode<T extends { caller: unknown }>(r: T): T {
  return { ...r, caller: readJson(r.caller) };
}

export class JobsRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private jobs() {
    return this.ctx.db.selectFrom('jobs').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  /** A queued job and its pending items, in one transaction. */
  async insert(job: { id: string; keyId: string | null; caller: unknown; kind: string; options: unknown; now: string }, items: unknown[]): Promise<void> {
    const { json } = this.ctx.dialect;
    await this.ctx.tx(async (t) => {
      await t.db
        .insertInto('jobs')
        .values({
          id: job.id,
          owner_id: this.scope.ownerId,
          project_id: this.scope.projectId,
          key_id: job.keyId,
          caller: json(job.caller),
          kind: job.kind,
          status: 'queued',
          items_count: items.length,
          options: json(job.options),
          created_at: job.now,
          updated_at: job.now,
        })
        .execute();
      // Chunked: one statement per item would be thousands of round trips on PostgreSQL.
      for (let i = 0; i < items.length; i += 200) {
        await t.db
          .insertInto('job_items')
          .values(
            items.slice(i, i + 200).map((item, k) => ({
              job_id: job.id,
              idx: i + k,
              owner_id: this.scope.ownerId,
              project_id: this.scope.projectId,
              status: 'pending' as const,
              input: json(item),
            })),
          )
          .execute();
      }
    });
  }

  async get(jobId: string): Promise<JobRow | undefined> {
    const r = await this.jobs().select(JOB_COLUMNS).where('id', '=', jobId).executeTakeFirst();
    return r && decode(r);
  }

  async status(jobId: string): Promise<JobStatus | undefined> {
    return (await this.jobs().select('status').where('id', '=', jobId).executeTakeFirst())?.status;
  }

  async items(jobId: string): Promise<Array<{ idx: number; status: JobItemStatus; result: unknown; error: string | null }>> {
    const rows = await this.ctx.db
      .selectFrom('job_items')
      .select(['idx', 'status', 'result', 'error'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('job_id', '=', jobId)
      .orderBy('idx')
      .execute();
    return rows.map((r) => ({ ...r, result: r.result === null ? null : readJson(r.result) }));
  }

  async pendingItems(jobId: string): Promise<Array<{ idx: number; input: unknown }>> {
    const rows = await this.ctx.db
      .selectFrom('job_items')
      .select(['idx', 'input'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('job_id', '=', jobId)
      .where('status', '=', 'pending')
      .orderBy('idx')
      .execute();
    return rows.map((r) => ({ idx: r.idx, input: readJson(r.input) }));
  }

  /** Inputs of failed and skipped items (kept; only done items drop theirs), in order. */
  async unfinishedInputs(jobId: string): Promise<unknown[]> {
    const rows = await this.ctx.db
      .selectFrom('job_items')
      .select(['input'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('job_id', '=', jobId)
      .where('status', 'in', ['failed', 'skipped'])
      .orderBy('idx')
      .execute();
    return rows.map((r) => readJson(r.input));
  }

  async list(opts: { limit: number; offset: number; status?: JobStatus; kind?: string; excludeKinds?: readonly string[] }): Promise<{ rows: JobRow[]; total: number }> {
    let q = this.jobs();
    if (opts.status) q = q.where('status', '=', opts.status);
    if (opts.kind) q = q.where('kind', '=', opts.kind);
    if (opts.excludeKinds?.length) q = q.where('kind', 'not in', [...opts.excludeKinds]);
    const total = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await q.select(JOB_COLUMNS).orderBy('created_at', 'desc').orderBy('rowid', 'desc').limit(opts.limit).offset(opts.offset).execute();
    return { rows: rows.map(decode), total };
  }

  /** Cancels a job that is not finished (its pending items become skipped); otherwise says why not. */
  async cancel(jobId: string, now: string): Promise<{ cancelled: true } | { cancelled: false; status: JobStatus | 'missing' }> {
    return this.ctx.tx(async (t) => {
      const repo = t.jobs(this.scope);
      const status = await repo.status(jobId);
      if (!status) return { cancelled: false, status: 'missing' };
      if (status === 'completed' || status === 'failed' || status === 'cancelled') return { cancelled: false, status };
      await t.db
        .updateTable('jobs')
        .set({ status: 'cancelled', completed_at: now, updated_at: now })
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', this.scope.projectId)
        .where('id', '=', jobId)
        .execute();
      await t.db
        .updateTable('job_items')
        .set({ status: 'skipped', finished_at: now })
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', this.scope.projectId)
        .where('job_id', '=', jobId)
        .where('status', '=', 'pending')
        .execute();
      return { cancelled: true };
    });
  }

  async markProcessing(jobId: string, now: string): Promise<void> {
    await this.ctx.db
      .updateTable('jobs')
      .set({ status: 'processing', started_at: sql<string>`COALESCE(started_at, ${now})`, updated_at: now })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', jobId)
      .where('status', 'in', ['queued', 'processing'])
      .execute();
  }

  /**
   * Commits one item's outcome with the job's counter (and, for a done item, its usage event) in one
   * transaction. A done item's input is dropped (documents can be large): only its result is kept.
   * With `leaseOwner`, commits only while that runner still holds the job's lease and the item is
   * still pending — so an item a replica finished after losing its lease is not counted twice.
   * False when nothing was committed.
   */
  async finishItem(
    jobId: string,
    idx: number,
    at: string,
    outcome: { ok: true; result: unknown; usage?: UsageEvent } | { ok: false; error: string },
    leaseOwner?: string,
  ): Promise<boolean> {
    const own = (q: any) => q.where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    return this.ctx.tx(async (t) => {
      if (leaseOwner !== undefined) {
        const job = await own(t.db.selectFrom('jobs').select(['lease_owner', 'status'])).where('id', '=', jobId).executeTakeFirst();
        if (!job || job.lease_owner !== leaseOwner || job.status !== 'processing') return false;
      }
      const item = own(t.db.updateTable('job_items'))
        .where('job_id', '=', jobId)
        .where('idx', '=', idx)
        .where('status', '=', 'pending');
      const set = outcome.ok
        ? { status: 'done', result: t.dialect.json(outcome.result ?? null), input: t.dialect.json(null), finished_at: at }
        : { status: 'failed', error: outcome.error, finished_at: at };
      const changed = Number((await item.set(set).executeTakeFirst()).numUpdatedRows);
      if (changed === 0) return false;
      const counter = outcome.ok ? { completed_count: sql<number>`completed_count + 1` } : { failed_count: sql<number>`failed_count + 1` };
      await own(t.db.updateTable('jobs').set({ ...counter, updated_at: at })).where('id', '=', jobId).execute();
      if (outcome.ok && outcome.usage) await t.usage(this.scope).record(outcome.usage);
      return true;
    });
  }

  /** Completed when any item succeeded (or there were none), failed otherwise — if still processing. */
  async finish(jobId: string, now: string): Promise<void> {
    const ok = sql<boolean>`completed_count > 0 OR items_count = 0`;
    await this.ctx.db
      .updateTable('jobs')
      .set({
        status: sql<JobStatus>`CASE WHEN ${ok} THEN 'completed' ELSE 'failed' END`,
        error: sql<string | null>`CASE WHEN ${ok} THEN NULL ELSE 'every item failed' END`,
        completed_at: now,
        updated_at: now,
        lease_owner: null,
        lease_until_ms: null,
      })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', jobId)
      .where('status', '=', 'processing')
      .execute();
  }
}

/**
 * The runners' view across tenants: jobs are leased, so with several replicas on one store each job
 * runs on one of them at a time, and a job whose runner died (its lease lapsed) is taken over.
 */
export class JobQueueRepo {
  constructor(private readonly ctx: RepoContext) {}

  /**
   * Leases the oldest unfinished job of these kinds that no live lease holds and that is due (its
   * not_before_ms has passed) to `owner` until nowMs + leaseMs. SQLite's IMMEDIATE transaction already admits one taker at a time; on PostgreSQL
   * the row is also locked FOR UPDATE SKIP LOCKED, so concurrent takers never pick the same job.
   */
  async lease(kinds: string[], owner: string, nowMs: number, leaseMs: number): Promise<JobRow | undefined> {
    if (kinds.length === 0) return undefined;
    return this.ctx.tx(async (t) => {
      let q = t.db
        .selectFrom('jobs')
        .select(JOB_COLUMNS)
        .where('status', 'in', ['queued', 'processing'])
        .where('kind', 'in', kinds)
        .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<', nowMs)]))
        .where((eb) => eb.or([eb('not_before_ms', 'is', null), eb('not_before_ms', '<=', nowMs)]))
        .orderBy('created_at')
        .orderBy('rowid')
        .limit(1);
      if (t.dialect.backend === 'postgres') q = q.forUpdate().skipLocked();
      const r = await q.executeTakeFirst();
      if (!r) return undefined;
      await t.db.updateTable('jobs').set({ lease_owner: owner, lease_until_ms: nowMs + leaseMs, not_before_ms: null }).where('id', '=', r.id).execute();
      return decode(r);
    });
  }

  /** Extends `owner`'s lease; false when it no longer holds it (it lapsed and another runner took the job). */
  async renew(jobId: string, owner: string, untilMs: number): Promise<boolean> {
    const r = await this.ctx.db.updateTable('jobs').set({ lease_until_ms: untilMs }).where('id', '=', jobId).where('lease_owner', '=', owner).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Puts a job `owner` is running back in the queue, not to be taken before `atMs` (an item asked to
   * be retried later): the lease is given up, so the runner goes on with other jobs meanwhile.
   * False when `owner` no longer holds the job (lost lease, cancelled).
   */
  async defer(jobId: string, owner: string, atMs: number, now: string): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('jobs')
      .set({ status: 'queued', not_before_ms: atMs, lease_owner: null, lease_until_ms: null, updated_at: now })
      .where('id', '=', jobId)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The earliest time a deferred job of these kinds becomes due (epoch ms), if any is waiting. */
  async nextDueMs(kinds: string[], nowMs: number): Promise<number | undefined> {
    if (kinds.length === 0) return undefined;
    const r = await this.ctx.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('not_before_ms').as('due'))
      .where('status', 'in', ['queued', 'processing'])
      .where('kind', 'in', kinds)
      .where('not_before_ms', '>', nowMs)
      .executeTakeFirst();
    return r?.due == null ? undefined : Number(r.due);
  }

  /** Gives the job back at once (graceful shutdown), so another replica need not wait for the lease to lapse. */
  async release(jobId: string, owner: string): Promise<void> {
    await this.ctx.db.updateTable('jobs').set({ lease_owner: null, lease_until_ms: null }).where('id', '=', jobId).where('lease_owner', '=', owner).execute();
  }
}
