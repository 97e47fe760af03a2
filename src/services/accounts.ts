// Users and projects. Every user has a default project; keys may be bound to another project.
import type { AppDeps } from '../app-deps.js';
import { NotFound } from '../errors.js';
import type { ProjectRow, UserRow } from '../store/accounts.js';

export type { ProjectRow, UserRow } from '../store/accounts.js';

export class AccountsService {
  constructor(private readonly deps: AppDeps) {}

  /** A new user with its "Default" project, in one transaction. */
  createUser(name: string): Promise<{ user: UserRow; project: ProjectRow }> {
    return this.deps.store.users().create(name);
  }

  /** The instance owner: the first user, created on demand. */
  async owner(): Promise<{ user: UserRow; project: ProjectRow }> {
    const user = await this.deps.store.users().first();
    if (!user) return this.createUser('owner');
    return { user, project: await this.defaultProject(user.id) };
  }

  async getUser(id: string): Promise<UserRow> {
    const u = await this.deps.store.users().get(id);
    if (!u) throw new NotFound(`User '${id}' not found`);
    return u;
  }

  async defaultProject(ownerId: string): Promise<ProjectRow> {
    const p = await this.deps.store.projects({ ownerId }).getDefault();
    if (!p) throw new NotFound(`User '${ownerId}' has no default project`);
    return p;
  }

  /** A project by id, only if it belongs to the owner. */
  async getProject(ownerId: string, projectId: string): Promise<ProjectRow> {
    const p = await this.deps.store.projects({ ownerId }).get(projectId);
    if (!p) throw new NotFound(`Project '${projectId}' not found`, { field: 'project_id', project_id: projectId });
    return p;
  }

  /** A project by id regardless of owner: only for the local CLI, which acts with the data dir's authority. */
  findProjectAnyOwner(projectId: string): Promise<ProjectRow | undefined> {
    return this.deps.store.users().projectAnyOwner(projectId);
  }
}
