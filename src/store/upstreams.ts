// The MCP servers registered behind the gateway, one project's worth (migration 0017).
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import type { UpstreamServersTable } from './schema.js';
import type { RepoContext } from './store.js';

export type UpstreamRow = Omit<Selectable<UpstreamServersTable>, 'owner_id' | 'project_id'>;

export class UpstreamsRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  /** 'duplicate' when the project already has an upstream of that name. */
  async insert(row: UpstreamRow): Promise<'ok' | 'duplicate'> {
    try {
      await this.ctx.db.insertInto('upstream_servers').values({ ...row, owner_id: this.scope.ownerId, project_id: this.scope.projectId }).execute();
      return 'ok';
    } catch (e) {
      if (this.ctx.dialect.isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async list(): Promise<UpstreamRow[]> {
    return this.ctx.db
      .selectFrom('upstream_servers')
      .select(['id', 'name', 'transport', 'target', 'credentials', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .orderBy('name')
      .execute();
  }

  /** By id or by name. */
  async find(idOrName: string): Promise<UpstreamRow | undefined> {
    return this.ctx.db
      .selectFrom('upstream_servers')
      .select(['id', 'name', 'transport', 'target', 'credentials', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.ctx.db
      .deleteFrom('upstream_servers')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
