// Members of one project and their roles. The account holder (the project's owner_id) is the owner of
// a project without rows; the first change to membership writes that row explicitly (ensureHolder).
import type { Selectable } from 'kysely';
import type { Role, Scope } from '../domain/scope.js';
import type { ProjectMembersTable } from './schema.js';
import type { RepoContext } from './store.js';

export type MemberRow = Omit<Selectable<ProjectMembersTable>, 'rowid' | 'owner_id' | 'project_id'>;
const COLUMNS = ['user_id', 'role', 'added_by', 'created_at', 'updated_at'] as const;

export class MembersRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private rows() {
    return this.ctx.db.selectFrom('project_members').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async list(): Promise<MemberRow[]> {
    return this.rows().select(COLUMNS).orderBy('created_at').orderBy('rowid').execute();
  }

  async get(userId: string): Promise<MemberRow | undefined> {
    return this.rows().select(COLUMNS).where('user_id', '=', userId).executeTakeFirst();
  }

  async count(): Promise<number> {
    return Number((await this.rows().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  }

  async countRole(role: Role): Promise<number> {
    return Number((await this.rows().select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', role).executeTakeFirstOrThrow()).n);
  }

  /** Inserts a member; 'duplicate' when the user already is one. */
  async insert(row: MemberRow): Promise<true | 'duplicate'> {
    try {
      await this.ctx.db.insertInto('project_members').values({ ...row, owner_id: this.scope.ownerId, project_id: this.scope.projectId }).execute();
      return true;
    } catch (e) {
      if (this.ctx.dialect.isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async setRole(userId: string, role: Role, at: string): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('project_members')
      .set({ role, updated_at: at })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async remove(userId: string): Promise<boolean> {
    const r = await this.ctx.db
      .deleteFrom('project_members')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
