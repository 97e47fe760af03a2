// Users and projects. Every user has a default project; keys may be bound to another project.
import type { AppDeps } from '../app-deps.js';
import { NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';

export interface UserRow { id: string; name: string; created_at: string }
export interface ProjectRow {
  id: string;
  owner_id: string;
  name: string;
  description: string | null;
  is_default: number;
  created_at: string;
  updated_at: string;
}

export class AccountsService {
  constructor(private readonly deps: AppDeps) {}

  /** A new user with its "Default" project, in one transaction. */
  createUser(name: string): { user: UserRow; project: ProjectRow } {
    const db = this.deps.db;
    return db.transaction(() => {
      const now = nowIso();
      const user: UserRow = { id: newId('usr'), name, created_at: now };
      db.prepare('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)').run(user.id, user.name, user.created_at);
      const project: ProjectRow = {
        id: newId('prj'),
        owner_id: user.id,
        name: 'Default',
        description: 'Default project',
        is_default: 1,
        created_at: now,
        updated_at: now,
      };
      db.prepare(
        'INSERT INTO projects (id, owner_id, name, description, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(project.id, project.owner_id, project.name, project.description, 1, now, now);
      return { user, project };
    })();
  }

  /** The instance owner: the first user, created on demand. */
  owner(): { user: UserRow; project: ProjectRow } {
    const user = this.deps.db.prepare('SELECT * FROM users ORDER BY created_at, rowid LIMIT 1').get() as UserRow | undefined;
    if (!user) return this.createUser('owner');
    return { user, project: this.defaultProject(user.id) };
  }

  getUser(id: string): UserRow {
    const u = this.deps.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    if (!u) throw new NotFound(`User '${id}' not found`);
    return u;
  }

  defaultProject(ownerId: string): ProjectRow {
    const p = this.deps.db.prepare('SELECT * FROM projects WHERE owner_id = ? AND is_default = 1').get(ownerId) as ProjectRow | undefined;
    if (!p) throw new NotFound(`User '${ownerId}' has no default project`);
    return p;
  }

  /** A project by id, only if it belongs to the owner. */
  getProject(ownerId: string, projectId: string): ProjectRow {
    const p = this.deps.db.prepare('SELECT * FROM projects WHERE id = ? AND owner_id = ?').get(projectId, ownerId) as ProjectRow | undefined;
    if (!p) throw new NotFound(`Project '${projectId}' not found`, { project_id: projectId });
    return p;
  }

  /** A project by id regardless of owner: only for the local CLI, which acts with the data dir's authority. */
  findProjectAnyOwner(projectId: string): ProjectRow | undefined {
    return this.deps.db.prepare('SELECT * FROM projects WHERE id = ?').get(projectId) as ProjectRow | undefined;
  }
}
