// Repositories of the platform aggregates: users (with their default project), projects of one
// owner, API keys of one owner, and the key look-up that authentication needs before any scope is
// known. Owner-level aggregates bind an OwnerScope; nothing here can read another owner's rows.
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { OwnerScope } from '../domain/scope.js';
import { newId, nowIso } from './db.js';
import type { RepoContext } from './store.js';
import type { ApiKeysTable, ProjectsTable, UsersTable } from './schema.js';

export type UserRow = Omit<Selectable<UsersTable>, 'rowid'>;
export type ProjectRow = Omit<Selectable<ProjectsTable>, 'rowid'>;
export type KeyRow = Omit<Selectable<ApiKeysTable>, 'rowid'>;

const PROJECT_COLUMNS = ['id', 'owner_id', 'name', 'description', 'is_default', 'created_at', 'updated_at'] as const;
const KEY_COLUMNS = ['id', 'owner_id', 'project_id', 'name', 'plan', 'key_hash', 'masked_key', 'created_at', 'last_used_at', 'revoked_at', 'revoked_reason', 'member_user_id'] as const;

/** Users: not scoped (a user is the scope). */
export class UsersRepo {
  constructor(private readonly ctx: RepoContext) {}

  /** A new user with its "Default" project, in one transaction. */
  async create(name: string): Promise<{ user: UserRow; project: ProjectRow }> {
    const now = nowIso();
    const user: UserRow = { id: newId('usr'), name, created_at: now };
    const project: ProjectRow = { id: newId('prj'), owner_id: user.id, name: 'Default', description: 'Default project', is_default: 1, created_at: now, updated_at: now };
    await this.ctx.tx(async (t) => {
      await t.db.insertInto('users').values(user).execute();
      await t.db.insertInto('projects').values(project).execute();
    });
    return { user, project };
  }

  /** The first user created (the instance owner), if any. */
  async first(): Promise<UserRow | undefined> {
    return this.ctx.db.selectFrom('users').select(['id', 'name', 'created_at']).orderBy('created_at').orderBy('rowid').limit(1).executeTakeFirst();
  }

  async get(id: string): Promise<UserRow | undefined> {
    return this.ctx.db.selectFrom('users').select(['id', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  }

  /** A project by id regardless of owner: only for the local CLI, which acts with the data dir's authority. */
  async projectAnyOwner(projectId: string): Promise<ProjectRow | undefined> {
    return this.ctx.db.selectFrom('projects').select(PROJECT_COLUMNS).where('id', '=', projectId).executeTakeFirst();
  }
}

/** Tables whose rows are kept when a project goes: metering history stays, unlinked. */
const KEEP_ON_DELETE = new Set(['usage_events', 'projects', 'api_keys', 'users']);

export class ProjectsRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: OwnerScope) {}

  async get(projectId: string): Promise<ProjectRow | undefined> {
    return this.ctx.db.selectFrom('projects').select(PROJECT_COLUMNS).where('owner_id', '=', this.scope.ownerId).where('id', '=', projectId).executeTakeFirst();
  }

  async getDefault(): Promise<ProjectRow | undefined> {
    return this.ctx.db.selectFrom('projects').select(PROJECT_COLUMNS).where('owner_id', '=', this.scope.ownerId).where('is_default', '=', 1).executeTakeFirst();
  }

  /** The default project first, then by creation. */
  async list(): Promise<ProjectRow[]> {
    return this.ctx.db
      .selectFrom('projects')
      .select(PROJECT_COLUMNS)
      .where('owner_id', '=', this.scope.ownerId)
      .orderBy('is_default', 'desc')
      .orderBy('created_at')
      .orderBy('rowid')
      .execute();
  }

  /** Inserts a project; 'duplicate' when the owner already has one of that name. */
  async create(name: string, description: string | null): Promise<ProjectRow | 'duplicate'> {
    const now = nowIso();
    const row: ProjectRow = { id: newId('prj'), owner_id: this.scope.ownerId, name, description, is_default: 0, created_at: now, updated_at: now };
    try {
      await this.ctx.db.insertInto('projects').values(row).execute();
    } catch (e) {
      if (this.ctx.dialect.isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
    return row;
  }

  /** 'duplicate' when another project of the owner has that name; false when there is no such project. */
  async update(projectId: string, patch: { name: string; description: string | null }): Promise<boolean | 'duplicate'> {
    try {
      const r = await this.ctx.db
        .updateTable('projects')
        .set({ name: patch.name, description: patch.description, updated_at: nowIso() })
        .where('owner_id', '=', this.scope.ownerId)
        .where('id', '=', projectId)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (e) {
      if (this.ctx.dialect.isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  /** Deletes the project and every row it owns (in any table with owner_id + project_id) in one transaction; usage history is kept. */
  async deleteWithRows(projectId: string): Promise<number> {
    return this.ctx.tx(async (t) => {
      const tables = (await t.dialect.scopedTables(t.db)).filter((name) => !KEEP_ON_DELETE.has(name));
      // Keys bound to the project stop working, with a reason authentication can give; they never
      // fall back to the default project.
      await t.db
        .updateTable('api_keys')
        .set({ revoked_at: nowIso(), revoked_reason: 'project_deleted' })
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', projectId)
        .where('revoked_at', 'is', null)
        .execute();
      let deleted = 0;
      for (const table of tables) {
        // Dynamic table names: every scoped table shares these two columns, which is all this touches.
        const r = await t.db
          .deleteFrom(table as 'documents')
          .where('owner_id', '=', this.scope.ownerId)
          .where('project_id', '=', projectId)
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      await t.db.deleteFrom('projects').where('owner_id', '=', this.scope.ownerId).where('id', '=', projectId).execute();
      // The keyword rows left with their chunks (0011's triggers on SQLite; a generated column on
      // PostgreSQL). On SQLite, merge the FTS5 segments so the deleted terms leave the file, not just the index.
      if (t.dialect.backend === 'sqlite') {
        for (const fts of ['document_chunks_fts', 'kb_chunks_fts', 'lookup_chunks_fts', 'memories_fts', 'contexts_fts', 'ace_bullets_fts', 'artifacts_fts']) {
          await sql`INSERT INTO ${sql.table(fts)} (${sql.ref(fts)}) VALUES ('optimize')`.execute(t.db);
        }
      }
      return deleted;
    });
  }
}

/** API keys of one owner. */
export class KeysRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: OwnerScope) {}

  async insert(row: Omit<KeyRow, 'owner_id' | 'last_used_at' | 'revoked_at' | 'revoked_reason' | 'member_user_id'> & { member_user_id?: string | null }): Promise<void> {
    await this.ctx.db.insertInto('api_keys').values({ ...row, owner_id: this.scope.ownerId, last_used_at: null, revoked_at: null }).execute();
  }

  /** Binds a key to another project (null: unbound), keeping its key string; false when no active key changed. */
  async rebind(keyId: string, projectId: string | null): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('api_keys')
      .set({ project_id: projectId })
      .where('owner_id', '=', this.scope.ownerId)
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Revokes every active key a member holds in one project (the member was removed). */
  async revokeMemberKeys(projectId: string, memberUserId: string, at: string): Promise<number> {
    const r = await this.ctx.db
      .updateTable('api_keys')
      .set({ revoked_at: at, revoked_reason: 'member_removed' })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', projectId)
      .where('member_user_id', '=', memberUserId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async list(): Promise<KeyRow[]> {
    return this.ctx.db.selectFrom('api_keys').select(KEY_COLUMNS).where('owner_id', '=', this.scope.ownerId).orderBy('created_at').orderBy('rowid').execute();
  }

  async get(keyId: string): Promise<KeyRow | undefined> {
    return this.ctx.db.selectFrom('api_keys').select(KEY_COLUMNS).where('owner_id', '=', this.scope.ownerId).where('id', '=', keyId).executeTakeFirst();
  }

  /** Marks the key revoked unless it already is; false when nothing changed. */
  async revoke(keyId: string, at: string): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('owner_id', '=', this.scope.ownerId)
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}

/** What authentication and the local CLI need before a scope is known. */
export class KeyDirectoryRepo {
  constructor(private readonly ctx: RepoContext) {}

  async byHash(keyHash: string): Promise<KeyRow | undefined> {
    return this.ctx.db.selectFrom('api_keys').select(KEY_COLUMNS).where('key_hash', '=', keyHash).executeTakeFirst();
  }

  async byId(keyId: string): Promise<KeyRow | undefined> {
    return this.ctx.db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', keyId).executeTakeFirst();
  }

  async all(): Promise<KeyRow[]> {
    return this.ctx.db.selectFrom('api_keys').select(KEY_COLUMNS).orderBy('created_at').orderBy('rowid').execute();
  }

  /** The distinct plans of an owner's active keys (the account's plan is the highest of them). */
  async activePlans(ownerId: string): Promise<string[]> {
    const rows = await this.ctx.db.selectFrom('api_keys').select('plan').distinct().where('owner_id', '=', ownerId).where('revoked_at', 'is', null).execute();
    return rows.map((r) => r.plan);
  }

  async count(): Promise<number> {
    const r = await this.ctx.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async touch(keyId: string, at: string): Promise<void> {
    await this.ctx.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', keyId).execute();
  }
}
