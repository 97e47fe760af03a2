// Outbound webhooks of one project, their deliveries and every delivery attempt.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { readJson } from './dialect.js';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from './schema.js';
import type { RepoContext } from './store.js';

export type WebhookRow = Omit<Selectable<WebhooksTable>, 'rowid' | 'owner_id' | 'project_id' | 'events'> & { events: string[] };
export type DeliveryRow = Omit<Selectable<WebhookDeliveriesTable>, 'rowid' | 'owner_id' | 'project_id' | 'payload'> & { payload: unknown };
export type AttemptRow = Omit<Selectable<WebhookAttemptsTable>, 'rowid' | 'owner_id' | 'project_id'>;

const HOOK_COLUMNS = ['id', 'url', 'events', 'description', 'job_id', 'created_by', 'created_at'] as const;
const DELIVERY_COLUMNS = ['id', 'webhook_id', 'event', 'event_key', 'payload', 'status', 'attempts', 'next_attempt_at', 'last_status_code', 'last_error', 'created_at', 'finished_at'] as const;

export class WebhooksRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private own<T extends { where: (...a: any[]) => T }>(q: T): T {
    return q.where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async create(row: WebhookRow): Promise<void> {
    await this.ctx.db
      .insertInto('webhooks')
      .values({ ...row, events: this.ctx.dialect.json(row.events), owner_id: this.scope.ownerId, project_id: this.scope.projectId })
      .execute();
  }

  /** The project's webhooks (not the one-shot webhooks of batch jobs), oldest first. */
  async list(): Promise<WebhookRow[]> {
    const rows = await this.own(this.ctx.db.selectFrom('webhooks').select(HOOK_COLUMNS)).where('job_id', 'is', null).orderBy('created_at').orderBy('rowid').execute();
    return rows.map((r) => ({ ...r, events: readJson<string[]>(r.events) }));
  }

  async get(id: string): Promise<WebhookRow | undefined> {
    const r = await this.own(this.ctx.db.selectFrom('webhooks').select(HOOK_COLUMNS)).where('id', '=', id).executeTakeFirst();
    return r && { ...r, events: readJson<string[]>(r.events) };
  }

  /** Webhooks that hear an event: the project's subscribed ones, plus the one-shot webhook of `jobId`. */
  async listening(event: string, jobId: string | null): Promise<WebhookRow[]> {
    const rows = await this.own(this.ctx.db.selectFrom('webhooks').select(HOOK_COLUMNS))
      .where((eb) => (jobId ? eb.or([eb('job_id', 'is', null), eb('job_id', '=', jobId)]) : eb('job_id', 'is', null)))
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ ...r, events: readJson<string[]>(r.events) })).filter((h) => h.events.includes(event) || h.events.includes('*'));
  }

  /** The webhook with its deliveries and their attempts, in one transaction; false when there was none. */
  async delete(id: string): Promise<boolean> {
    return this.ctx.tx(async (t) => {
      const ids = (await this.own(t.db.selectFrom('webhook_deliveries').select('id')).where('webhook_id', '=', id).execute()).map((r) => r.id);
      if (ids.length) await this.own(t.db.deleteFrom('webhook_attempts')).where('delivery_id', 'in', ids).execute();
      await this.own(t.db.deleteFrom('webhook_deliveries')).where('webhook_id', '=', id).execute();
      const r = await this.own(t.db.deleteFrom('webhooks')).where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    });
  }

  /** False when the webhook already has a delivery of this event (same event_key): nothing is written. */
  async insertDelivery(row: { id: string; webhook_id: string; event: string; event_key: string | null; payload: unknown; created_at: string }): Promise<boolean> {
    const r = await this.ctx.db
      .insertInto('webhook_deliveries')
      .values({ ...row, payload: this.ctx.dialect.json(row.payload), status: 'pending', attempts: 0, owner_id: this.scope.ownerId, project_id: this.scope.projectId })
      .onConflict((oc) => oc.columns(['owner_id', 'project_id', 'webhook_id', 'event_key']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async delivery(id: string): Promise<DeliveryRow | undefined> {
    const r = await this.own(this.ctx.db.selectFrom('webhook_deliveries').select(DELIVERY_COLUMNS)).where('id', '=', id).executeTakeFirst();
    return r && { ...r, payload: readJson(r.payload) };
  }

  /** Newest first. */
  async deliveries(opts: { webhookId?: string; limit: number }): Promise<DeliveryRow[]> {
    let q = this.own(this.ctx.db.selectFrom('webhook_deliveries').select(DELIVERY_COLUMNS));
    if (opts.webhookId) q = q.where('webhook_id', '=', opts.webhookId);
    const rows = await q.orderBy('created_at', 'desc').orderBy('rowid', 'desc').limit(opts.limit).execute();
    return rows.map((r) => ({ ...r, payload: readJson(r.payload) }));
  }

  async attempts(deliveryIds: string[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    return this.own(this.ctx.db.selectFrom('webhook_attempts').select(['delivery_id', 'n', 'at', 'status_code', 'error', 'duration_ms']))
      .where('delivery_id', 'in', deliveryIds)
      .orderBy('delivery_id')
      .orderBy('n')
      .execute();
  }

  /** One attempt and the delivery's new state, together. */
  async recordAttempt(deliveryId: string, a: Omit<AttemptRow, 'delivery_id'>, next: { status: DeliveryRow['status']; nextAttemptAt: string | null }): Promise<void> {
    await this.ctx.tx(async (t) => {
      await t.db.insertInto('webhook_attempts').values({ ...a, delivery_id: deliveryId, owner_id: this.scope.ownerId, project_id: this.scope.projectId }).execute();
      await this.own(
        t.db.updateTable('webhook_deliveries').set({
          attempts: a.n,
          status: next.status,
          next_attempt_at: next.nextAttemptAt,
          last_status_code: a.status_code,
          last_error: a.error,
          finished_at: next.status === 'pending' ? null : a.at,
        }),
      )
        .where('id', '=', deliveryId)
        .execute();
    });
  }
}
