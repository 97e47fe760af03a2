// The audit log of one project (who did what, when, from where), and retention across tenants.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { readJson } from './dialect.js';
import type { AuditLogTable } from './schema.js';
import type { RepoContext } from './store.js';

export type AuditRow = Omit<Selectable<AuditLogTable>, 'owner_id' | 'project_id' | 'targets'> & { targets: Record<string, string | string[]> };
export type NewAuditRow = Omit<AuditRow, 'id'>;

export interface AuditFilter {
  from?: string;
  to?: string;
  actor?: string;
  tool?: string;
  outcome?: AuditRow['outcome'];
  /** Rows with a smaller id than this (the previous page's last id). */
  before?: number;
  limit: number;
}

const COLUMNS = ['id', 'at', 'actor_user_id', 'key_id', 'role', 'transport', 'client_address', 'tool', 'outcome', 'status', 'error_code', 'targets', 'request_id'] as const;

export class AuditRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  async insert(row: NewAuditRow): Promise<void> {
    await this.ctx.db
      .insertInto('audit_log')
      .values({ ...row, targets: this.ctx.dialect.json(row.targets), owner_id: this.scope.ownerId, project_id: this.scope.projectId })
      .execute();
  }

  /** Newest first. */
  async query(f: AuditFilter): Promise<AuditRow[]> {
    let q = this.ctx.db.selectFrom('audit_log').select(COLUMNS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    if (f.actor) q = q.where((eb) => eb.or([eb('actor_user_id', '=', f.actor!), eb('key_id', '=', f.actor!)]));
    if (f.tool) q = q.where('tool', '=', f.tool);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), targets: readJson(r.targets) }));
  }
}

/** Retention across every tenant: one statement that names no scope, by design. */
export class AuditRetentionRepo {
  constructor(private readonly ctx: RepoContext) {}

  async deleteBefore(cutoff: string): Promise<number> {
    const r = await this.ctx.db.deleteFrom('audit_log').where('at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
