// Handoffs (the ace toolset): a task's state packed for another agent or session. Rows past their
// expiry are deleted by `purgeExpired`, which every read and write of the service runs first.
import type { Scope } from '../domain/scope.js';
import { readJson } from './dialect.js';
import type { RepoContext } from './store.js';

export interface HandoffRow {
  id: string;
  title: string;
  from_agent: string | null;
  to_agent: string | null;
  content: unknown;
  token_budget: number;
  tokens: number;
  trimmed: string[];
  status: 'open' | 'picked_up';
  picked_up_at: string | null;
  picked_up_by: string | null;
  expires_at: string;
  created_at: string;
}

const COLS = ['id', 'title', 'from_agent', 'to_agent', 'content', 'token_budget', 'tokens', 'trimmed', 'status', 'picked_up_at', 'picked_up_by', 'expires_at', 'created_at'] as const;

export class AceHandoffsRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private base() {
    return this.ctx.db.selectFrom('ace_handoffs').select(COLS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async insert(row: Omit<HandoffRow, 'status' | 'picked_up_at' | 'picked_up_by'>): Promise<void> {
    await this.ctx.db
      .insertInto('ace_handoffs')
      .values({
        ...row,
        owner_id: this.scope.ownerId,
        project_id: this.scope.projectId,
        content: this.ctx.dialect.json(row.content),
        trimmed: this.ctx.dialect.json(row.trimmed),
        status: 'open',
        picked_up_at: null,
        picked_up_by: null,
      })
      .execute();
  }

  async get(id: string): Promise<HandoffRow | undefined> {
    const r = await this.base().where('id', '=', id).executeTakeFirst();
    return r && toRow(r);
  }

  async list(opts: { status?: 'open' | 'picked_up'; limit: number; offset: number }): Promise<{ rows: HandoffRow[]; total: number }> {
    let q = this.base();
    if (opts.status) q = q.where('status', '=', opts.status);
    const rows = await q.orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(opts.limit).offset(opts.offset).execute();
    const n = await q.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return { rows: rows.map(toRow), total: Number(n?.n ?? 0) };
  }

  /** Marks a handoff picked up; false when it was picked up already. */
  async pickUp(id: string, by: string, now: string): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('ace_handoffs')
      .set({ status: 'picked_up', picked_up_at: now, picked_up_by: by })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Deletes the scope's handoffs that expired before `now`; how many. */
  async purgeExpired(now: string): Promise<number> {
    const r = await this.ctx.db
      .deleteFrom('ace_handoffs')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toRow(r: Omit<HandoffRow, 'trimmed'> & { trimmed: unknown }): HandoffRow {
  return { ...r, content: readJson(r.content), trimmed: readJson<string[]>(r.trimmed) };
}
