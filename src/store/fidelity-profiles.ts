// Saved fidelity profiles of one project.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import type { FidelityProfilesTable } from './schema.js';
import type { RepoContext } from './store.js';

export type FidelityProfileRow = Omit<Selectable<FidelityProfilesTable>, 'owner_id' | 'project_id'>;
const COLUMNS = ['id', 'name', 'description', 'fidelity', 'chunk_tokens', 'skeleton_ratio', 'output_style', 'created_at'] as const;

export class FidelityProfilesRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private rows() {
    return this.ctx.db.selectFrom('fidelity_profiles').select(COLUMNS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  /** Inserts the profile; 'duplicate' when the project already has one of that name. */
  async insert(row: FidelityProfileRow): Promise<'ok' | 'duplicate'> {
    try {
      await this.ctx.db.insertInto('fidelity_profiles').values({ ...row, owner_id: this.scope.ownerId, project_id: this.scope.projectId }).execute();
      return 'ok';
    } catch (e) {
      if (this.ctx.dialect.isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  list(): Promise<FidelityProfileRow[]> {
    return this.rows().orderBy('name').execute();
  }

  /** By id, else by name. */
  async find(idOrName: string): Promise<FidelityProfileRow | undefined> {
    return (await this.rows().where('id', '=', idOrName).executeTakeFirst()) ?? (await this.rows().where('name', '=', idOrName).executeTakeFirst());
  }

  async delete(id: string): Promise<void> {
    await this.ctx.db.deleteFrom('fidelity_profiles').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).execute();
  }
}
