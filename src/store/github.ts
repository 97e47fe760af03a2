// GitHub inbound (issue 18, point 5): a project's connected repository and the deliveries GitHub
// sent it. The directory is the one cross-tenant read: which projects are connected to a repository,
// so a delivery can be checked against each one's secret.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { readJson } from './dialect.js';
import type { GithubEventsTable, GithubIntegrationsTable } from './schema.js';
import type { RepoContext } from './store.js';

export type GithubIntegrationRow = Omit<Selectable<GithubIntegrationsTable>, 'owner_id' | 'project_id' | 'track'> & { track: string[] };
export type GithubEventRow = Omit<Selectable<GithubEventsTable>, 'rowid' | 'owner_id' | 'project_id' | 'summary'> & { summary: unknown };

const INTEGRATION_COLUMNS = [
  'repository', 'secret_sealed', 'token_sealed', 'track', 'content_source', 'raw_base_url', 'api_base_url', 'checkout_path', 'pr_comments',
  'created_by', 'created_at', 'updated_at',
] as const;
const EVENT_COLUMNS = ['id', 'delivery_id', 'event', 'action', 'status', 'job_id', 'summary', 'received_at', 'finished_at'] as const;

function decodeIntegration<T extends { track: unknown }>(r: T): T & { track: string[] } {
  return { ...r, track: readJson<string[]>(r.track) };
}

export class GithubRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private own<T extends { where: (...a: any[]) => T }>(q: T): T {
    return q.where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async integration(): Promise<GithubIntegrationRow | undefined> {
    const r = await this.own(this.ctx.db.selectFrom('github_integrations').select(INTEGRATION_COLUMNS)).executeTakeFirst();
    return r && decodeIntegration(r);
  }

  /** Creates or replaces the project's integration (one per project). */
  async saveIntegration(row: GithubIntegrationRow): Promise<void> {
    const values = { ...row, track: this.ctx.dialect.json(row.track), owner_id: this.scope.ownerId, project_id: this.scope.projectId };
    const { created_at: _c, created_by: _b, ...update } = values;
    await this.ctx.db
      .insertInto('github_integrations')
      .values(values)
      .onConflict((oc) => oc.columns(['owner_id', 'project_id']).doUpdateSet(update))
      .execute();
  }

  async deleteIntegration(): Promise<boolean> {
    const r = await this.own(this.ctx.db.deleteFrom('github_integrations')).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** False when this project already has the delivery (X-GitHub-Delivery): nothing is written. */
  async insertEvent(row: Omit<GithubEventRow, 'finished_at'>): Promise<boolean> {
    const r = await this.ctx.db
      .insertInto('github_events')
      .values({ ...row, summary: row.summary === null ? null : this.ctx.dialect.json(row.summary), owner_id: this.scope.ownerId, project_id: this.scope.projectId })
      .onConflict((oc) => oc.columns(['owner_id', 'project_id', 'delivery_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async event(id: string): Promise<GithubEventRow | undefined> {
    const r = await this.own(this.ctx.db.selectFrom('github_events').select(EVENT_COLUMNS)).where('id', '=', id).executeTakeFirst();
    return r && { ...r, summary: r.summary === null ? null : readJson(r.summary) };
  }

  async eventByJob(jobId: string): Promise<GithubEventRow | undefined> {
    const r = await this.own(this.ctx.db.selectFrom('github_events').select(EVENT_COLUMNS)).where('job_id', '=', jobId).executeTakeFirst();
    return r && { ...r, summary: r.summary === null ? null : readJson(r.summary) };
  }

  /** Newest first. */
  async events(limit: number): Promise<GithubEventRow[]> {
    const rows = await this.own(this.ctx.db.selectFrom('github_events').select(EVENT_COLUMNS)).orderBy('received_at', 'desc').orderBy('rowid', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, summary: r.summary === null ? null : readJson(r.summary) }));
  }

  /** Records what came of an event (a queued one only moves forward once). */
  async finishEvent(id: string, status: 'done' | 'failed', summary: unknown, at: string): Promise<boolean> {
    const r = await this.own(this.ctx.db.updateTable('github_events').set({ status, summary: this.ctx.dialect.json(summary), finished_at: at }))
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** A result kept while the event's job runs (the pull-request summary), before the event is finished. */
  async setSummary(id: string, summary: unknown): Promise<void> {
    await this.own(this.ctx.db.updateTable('github_events').set({ summary: this.ctx.dialect.json(summary) })).where('id', '=', id).execute();
  }
}

/** Which projects are connected to a repository (every tenant): the receiver checks each one's secret. */
export class GithubDirectoryRepo {
  constructor(private readonly ctx: RepoContext) {}

  async connected(repository: string): Promise<Array<{ scope: Scope; row: GithubIntegrationRow }>> {
    const rows = await this.ctx.db
      .selectFrom('github_integrations')
      .select(['owner_id', 'project_id', ...INTEGRATION_COLUMNS])
      .where('repository', '=', repository)
      .orderBy('created_at')
      .limit(50)
      .execute();
    return rows.map(({ owner_id, project_id, ...r }) => ({ scope: { ownerId: owner_id, projectId: project_id }, row: decodeIntegration(r) }));
  }
}
