// Projects: create, list, update, delete (with every row the project owns), and per-project stats.
import type { AppDeps } from '../app-deps.js';
import { BadRequest, Conflict } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import { AccountsService, type ProjectRow } from './accounts.js';

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

/** Tables whose rows are kept when a project goes: metering history stays, unlinked. */
const KEEP_ON_DELETE = new Set(['usage_events', 'projects', 'api_keys', 'users']);

export class ProjectsService {
  constructor(private readonly deps: AppDeps) {}

  private view(p: ProjectRow): ProjectView {
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      is_default: p.is_default === 1,
      created_at: p.created_at,
      updated_at: p.updated_at,
      stats: this.stats(p.owner_id, p.id),
    };
  }

  stats(ownerId: string, projectId: string): ProjectStats {
    const month = new Date().toISOString().slice(0, 7);
    const r = this.deps.db
      .prepare(
        `SELECT COALESCE(SUM(counted), 0) AS n, COALESCE(SUM(tokens_in), 0) AS tin, COALESCE(SUM(tokens_saved), 0) AS saved,
                COALESCE(SUM(CASE WHEN month = ? THEN counted ELSE 0 END), 0) AS month_n
         FROM usage_events WHERE owner_id = ? AND project_id = ?`,
      )
      .get(month, ownerId, projectId) as { n: number; tin: number; saved: number; month_n: number };
    return {
      compressions: r.n,
      tokens_in: r.tin,
      tokens_saved: r.saved,
      avg_savings_pct: r.tin > 0 ? Number(((100 * r.saved) / r.tin).toFixed(1)) : 0,
      compressions_this_month: r.month_n,
    };
  }

  create(ownerId: string, name: string, description: string | null): ProjectView {
    const now = nowIso();
    const id = newId('prj');
    try {
      this.deps.db
        .prepare('INSERT INTO projects (id, owner_id, name, description, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)')
        .run(id, ownerId, name, description, now, now);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Conflict(`A project named '${name}' already exists`, { field: 'name' });
      throw e;
    }
    return this.get(ownerId, id);
  }

  list(ownerId: string): ProjectView[] {
    const rows = this.deps.db.prepare('SELECT * FROM projects WHERE owner_id = ? ORDER BY is_default DESC, created_at, rowid').all(ownerId) as ProjectRow[];
    return rows.map((p) => this.view(p));
  }

  get(ownerId: string, projectId: string): ProjectView {
    return this.view(this.deps.service(AccountsService).getProject(ownerId, projectId));
  }

  update(ownerId: string, projectId: string, patch: { name?: string | null; description?: string | null }): ProjectView {
    const p = this.deps.service(AccountsService).getProject(ownerId, projectId);
    const name = patch.name ?? p.name;
    const description = patch.description === undefined ? p.description : patch.description;
    try {
      this.deps.db.prepare('UPDATE projects SET name = ?, description = ?, updated_at = ? WHERE id = ? AND owner_id = ?').run(name, description, nowIso(), projectId, ownerId);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Conflict(`A project named '${name}' already exists`, { field: 'name' });
      throw e;
    }
    return this.get(ownerId, projectId);
  }

  /** Deletes the project and every row it owns in one transaction; usage history is kept. */
  delete(ownerId: string, projectId: string): { deleted_rows: number } {
    const p = this.deps.service(AccountsService).getProject(ownerId, projectId);
    if (p.is_default) throw new BadRequest('The default project cannot be deleted', 'default_project');
    const db = this.deps.db;
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>
    )
      .map((t) => t.name)
      .filter((t) => !KEEP_ON_DELETE.has(t))
      .filter((t) => {
        const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as Array<{ name: string }>).map((c) => c.name);
        return cols.includes('owner_id') && cols.includes('project_id');
      });
    let deleted = 0;
    db.transaction(() => {
      // Rows may reference each other across tables; checking foreign keys at commit lets them go in any order.
      db.pragma('defer_foreign_keys = ON');
      for (const t of tables) deleted += db.prepare(`DELETE FROM "${t}" WHERE owner_id = ? AND project_id = ?`).run(ownerId, projectId).changes;
      db.prepare('DELETE FROM projects WHERE id = ? AND owner_id = ?').run(projectId, ownerId);
    })();
    return { deleted_rows: deleted };
  }
}

