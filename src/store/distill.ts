// Distill's rows of one project: custom strategies, call records, feedback (migration 0016).
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { readJson } from './dialect.js';
import type { DistillCallsTable, DistillFeedbackTable } from './schema.js';
import type { RepoContext } from './store.js';

export type DistillCallRow = Omit<Selectable<DistillCallsTable>, 'owner_id' | 'project_id'>;
export type DistillFeedbackRow = Omit<Selectable<DistillFeedbackTable>, 'owner_id' | 'project_id' | 'messages_in' | 'messages_out'> & {
  messages_in: unknown[] | null;
  messages_out: unknown[] | null;
};

export class DistillRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private get own() {
    return { owner_id: this.scope.ownerId, project_id: this.scope.projectId };
  }

  /** Inserts a custom strategy; 'duplicate' when the project already has one with that id. */
  async insertStrategy(id: string, version: string, config: unknown, createdAt: string): Promise<'ok' | 'duplicate'> {
    try {
      await this.ctx.db.insertInto('distill_strategies').values({ ...this.own, id, version, config: this.ctx.dialect.json(config), created_at: createdAt }).execute();
      return 'ok';
    } catch (e) {
      if (this.ctx.dialect.isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async listStrategies(): Promise<unknown[]> {
    const rows = await this.ctx.db
      .selectFrom('distill_strategies')
      .select('config')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .orderBy('id')
      .execute();
    return rows.map((r) => readJson(r.config));
  }

  async findStrategy(id: string): Promise<unknown | undefined> {
    const row = await this.ctx.db
      .selectFrom('distill_strategies')
      .select('config')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? readJson(row.config) : undefined;
  }

  /** True when a strategy was deleted. */
  async deleteStrategy(id: string): Promise<boolean> {
    const r = await this.ctx.db
      .deleteFrom('distill_strategies')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async insertCall(row: DistillCallRow): Promise<void> {
    await this.ctx.db.insertInto('distill_calls').values({ ...this.own, ...row }).execute();
  }

  async findCall(id: string): Promise<DistillCallRow | undefined> {
    return this.ctx.db
      .selectFrom('distill_calls')
      .select(['id', 'strategy_id', 'strategy_version', 'provider', 'status', 'error_code', 'tokens_in', 'tokens_out', 'inject_used', 'inject_text', 'postprocess_used', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async insertFeedback(row: DistillFeedbackRow): Promise<void> {
    const { messages_in, messages_out, ...rest } = row;
    await this.ctx.db
      .insertInto('distill_feedback')
      .values({
        ...this.own,
        ...rest,
        messages_in: messages_in ? this.ctx.dialect.json(messages_in) : null,
        messages_out: messages_out ? this.ctx.dialect.json(messages_out) : null,
      })
      .execute();
  }

  async feedbackFor(callId: string): Promise<DistillFeedbackRow[]> {
    const rows = await this.ctx.db
      .selectFrom('distill_feedback')
      .selectAll()
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('call_id', '=', callId)
      .orderBy('created_at')
      .execute();
    return rows.map(({ owner_id: _o, project_id: _p, messages_in, messages_out, ...r }) => ({
      ...r,
      messages_in: messages_in === null ? null : readJson<unknown[]>(messages_in),
      messages_out: messages_out === null ? null : readJson<unknown[]>(messages_out),
    }));
  }
}
