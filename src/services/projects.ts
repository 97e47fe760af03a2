// Projects: create, list, update, delete (with every row the project owns), and per-project stats.
import type { AppDeps } from '../app-deps.js';
import { BadRequest, Conflict } from '../errors.js';
import { AccountsService, type ProjectRow } from './accounts.js';
import { monthOf } from './usage.js';
import { VectorCacheService } from '../store/retrieval.js';
import { GatewayResultsService } from './gateway/results.js';
import { UpstreamsService } from './gateway/upstreams.js';

export interface ProjectStats {
  compressions: number;
  tokens_in: number;
  tokens_saved: number;
  avg_savings_pct: number;
  compressions_this_month: number;
}

export interface ProjectView {
  id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  created_at: string;
  updated_at: string;
  stats: ProjectStats;
}

export class ProjectsService {
  constructor(private readonly deps: AppDeps) {}

  private async view(p: ProjectRow): Promise<ProjectView> {
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      is_default: p.is_default === 1,
      created_at: p.created_at,
      updated_at: p.updated_at,
      stats: await this.stats(p.owner_id, p.id),
    };
  }

  async stats(ownerId: string, projectId: string): Promise<ProjectStats> {
    const r = await this.deps.store.usage({ ownerId, projectId }).totals({ month: monthOf() });
    return {
      compressions: r.compressions,
      tokens_in: r.tokens_in,
      tokens_saved: r.tokens_saved,
      avg_savings_pct: r.tokens_in > 0 ? Number(((100 * r.tokens_saved) / r.tokens_in).toFixed(1)) : 0,
      compressions_this_month: r.month_compressions,
    };
  }

  async create(ownerId: string, name: string, description: string | null): Promise<ProjectView> {
    const row = await this.deps.store.projects({ ownerId }).create(name, description);
    if (row === 'duplicate') throw new Conflict(`A project named '${name}' already exists`, { field: 'name' });
    return this.view(row);
  }

  async list(ownerId: string): Promise<ProjectView[]> {
    const rows = await this.deps.store.projects({ ownerId }).list();
    return Promise.all(rows.map((p) => this.view(p)));
  }

  async get(ownerId: string, projectId: string): Promise<ProjectView> {
    return this.view(await this.deps.service(AccountsService).getProject(ownerId, projectId));
  }

  async update(ownerId: string, projectId: string, patch: { name?: string | null; description?: string | null }): Promise<ProjectView> {
    const p = await this.deps.service(AccountsService).getProject(ownerId, projectId);
    const name = patch.name ?? p.name;
    const description = patch.description === undefined ? p.description : patch.description;
    const r = await this.deps.store.projects({ ownerId }).update(projectId, { name, description });
    if (r === 'duplicate') throw new Conflict(`A project named '${name}' already exists`, { field: 'name' });
    return this.get(ownerId, projectId);
  }

  /**
   * Deletes the project and every trace of it in one transaction: every owned row (their keyword rows
   * go with them), the keys bound to it (revoked, with the reason), and the in-process vector tables
   * of its scope. Usage history is kept, unlinked.
   */
  async delete(ownerId: string, projectId: string): Promise<{ deleted_rows: number }> {
    const p = await this.deps.service(AccountsService).getProject(ownerId, projectId);
    if (p.is_default) throw new BadRequest('The default project cannot be deleted', 'default_project', { field: 'project_id', project_id: projectId });
    const deleted = await this.deps.store.projects({ ownerId }).deleteWithRows(projectId);
    this.deps.service(VectorCacheService).forgetScope({ ownerId, projectId });
    // Pooled upstream connections and kept proxy results of the project go with its rows.
    await this.deps.service(UpstreamsService).forgetScope({ ownerId, projectId });
    this.deps.service(GatewayResultsService).forgetScope({ ownerId, projectId });
    return { deleted_rows: deleted };
  }
}
