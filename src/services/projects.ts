// Projects: create, list, update, delete (with every row the project owns), and per-project stats.
import type { AppDeps } from '../app-deps.js';
import { BadRequest, Conflict } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import type { Scope } from '../registry/define.js';
import type { Db } from '../store/db.js';
import { AccountsService, type ProjectRow } from './accounts.js';
import { DocumentsService } from './documents.js';
import { KbService } from './kb.js';
import { LookupService } from './lookup.js';
import { MemoryService } from './memory.js';

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

  /**
   * Deletes the project and every trace of it in one transaction: every owned row, the full-text rows
   * that index them, the keys bound to it (revoked, with the reason), and the services' in-process
   * caches of its vectors. Usage history is kept, unlinked.
   */
  delete(ownerId: string, projectId: string): { deleted_rows: number } {
    const p = this.deps.service(AccountsService).getProject(ownerId, projectId);
    if (p.is_default) throw new BadRequest('The default project cannot be deleted', 'default_project');
    const db = this.deps.db;
    const tables = ownedTables(db).filter((t) => !KEEP_ON_DELETE.has(t));
    const indexes = contentlessIndexes(db, tables);
    let deleted = 0;
    db.transaction(() => {
      // Rows may reference each other across tables; checking foreign keys at commit lets them go in any order.
      db.pragma('defer_foreign_keys = ON');
      // Contentless full-text tables have no owner/project columns: their rows are found through the
      // rows they index, so they go first (a cascade would otherwise remove the rows that find them).
      // Left behind, a row's words would match whichever tenant's chunk reuses its rowid.
      for (const { fts, base } of indexes) {
        db.prepare(`DELETE FROM "${fts}" WHERE rowid IN (SELECT rowid FROM "${base}" WHERE owner_id = ? AND project_id = ?)`).run(ownerId, projectId);
      }
      // Keys bound to the project stop working, with a reason authentication can give; they never
      // fall back to the default project.
      db.prepare("UPDATE api_keys SET revoked_at = ?, revoked_reason = 'project_deleted' WHERE owner_id = ? AND project_id = ? AND revoked_at IS NULL").run(nowIso(), ownerId, projectId);
      // Triggers may write scope rows while others go (memory_scope_versions): repeat until none are left.
      for (let pass = 0; pass < 3; pass++) {
        let n = 0;
        for (const t of tables) n += db.prepare(`DELETE FROM "${t}" WHERE owner_id = ? AND project_id = ?`).run(ownerId, projectId).changes;
        if (pass === 0) deleted = n;
        if (n === 0) break;
      }
      db.prepare('DELETE FROM projects WHERE id = ? AND owner_id = ?').run(projectId, ownerId);
      // Merge the index segments so the deleted rows' terms are dropped from the file, not just hidden.
      for (const { fts } of indexes) db.prepare(`INSERT INTO "${fts}" ("${fts}") VALUES ('optimize')`).run();
    })();
    for (const cls of scopeCaches()) this.deps.service(cls).forgetScope({ ownerId, projectId });
    return { deleted_rows: deleted };
  }
}

/** Ordinary tables with owner_id and project_id columns. */
function ownedTables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>)
    .map((t) => t.name)
    .filter((t) => {
      const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as Array<{ name: string }>).map((c) => c.name);
      return cols.includes('owner_id') && cols.includes('project_id');
    });
}

/**
 * Contentless FTS5 tables (`<table>_fts`, content = '') that index an owned table's rows by rowid.
 * External-content indexes (memories_fts) are kept in step by triggers and need nothing here.
 */
function contentlessIndexes(db: Db, owned: string[]): Array<{ fts: string; base: string }> {
  const virtual = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%fts5%'").all() as Array<{ name: string; sql: string }>;
  return virtual
    .filter((v) => /content\s*=\s*''/i.test(v.sql) && v.name.endsWith('_fts') && owned.includes(v.name.slice(0, -4)))
    .map((v) => ({ fts: v.name, base: v.name.slice(0, -4) }));
}

/** Services that keep a scope's vectors or rows in process memory; they drop them when it is deleted. */
function scopeCaches(): Array<new (deps: AppDeps) => { forgetScope(scope: Scope): void }> {
  return [DocumentsService, KbService, MemoryService, LookupService];
}
