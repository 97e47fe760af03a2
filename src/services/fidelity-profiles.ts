// Saved compression presets ("fidelity profiles"): a fidelity, a chunk size and an optional skeleton
// ratio / output style under a name, usable as `profile=` on compress calls. Scoped by owner + project.
import type { AppDeps } from '../app-deps.js';
import { Conflict, NotFound } from '../errors.js';
import type { Scope } from '../registry/define.js';
import { newId, nowIso } from '../store/db.js';
import type { Fidelity, OutputStyle } from '../engine/compress.js';

export interface FidelityProfile {
  profile_id: string;
  name: string;
  description: string | null;
  fidelity: Fidelity;
  chunk_tokens: number;
  skeleton_ratio: number | null;
  output_style: OutputStyle | null;
  created_at: string;
}

export interface NewProfile {
  name: string;
  description?: string | null;
  fidelity: Fidelity;
  chunk_tokens: number;
  skeleton_ratio?: number | null;
  output_style?: OutputStyle | null;
}

interface Row {
  id: string;
  name: string;
  description: string | null;
  fidelity: string;
  chunk_tokens: number;
  skeleton_ratio: number | null;
  output_style: string | null;
  created_at: string;
}

function view(r: Row): FidelityProfile {
  return {
    profile_id: r.id,
    name: r.name,
    description: r.description,
    fidelity: r.fidelity as Fidelity,
    chunk_tokens: r.chunk_tokens,
    skeleton_ratio: r.skeleton_ratio,
    output_style: (r.output_style as OutputStyle | null) ?? null,
    created_at: r.created_at,
  };
}

export class FidelityProfilesService {
  constructor(private readonly deps: AppDeps) {}

  create(scope: Scope, p: NewProfile): FidelityProfile {
    const row: Row = {
      id: newId('fp'),
      name: p.name,
      description: p.description ?? null,
      fidelity: p.fidelity,
      chunk_tokens: p.chunk_tokens,
      skeleton_ratio: p.skeleton_ratio ?? null,
      output_style: p.output_style ?? null,
      created_at: nowIso(),
    };
    const exists = this.deps.db
      .prepare('SELECT 1 FROM fidelity_profiles WHERE owner_id = ? AND project_id = ? AND name = ?')
      .get(scope.ownerId, scope.projectId, p.name);
    if (exists) throw new Conflict(`A fidelity profile named '${p.name}' already exists in this project; delete it first or pick another name`, { field: 'name' });
    this.deps.db
      .prepare(
        `INSERT INTO fidelity_profiles (id, owner_id, project_id, name, description, fidelity, chunk_tokens, skeleton_ratio, output_style, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, scope.ownerId, scope.projectId, row.name, row.description, row.fidelity, row.chunk_tokens, row.skeleton_ratio, row.output_style, row.created_at);
    return view(row);
  }

  list(scope: Scope): FidelityProfile[] {
    const rows = this.deps.db
      .prepare('SELECT * FROM fidelity_profiles WHERE owner_id = ? AND project_id = ? ORDER BY name')
      .all(scope.ownerId, scope.projectId) as Row[];
    return rows.map(view);
  }

  /** By id or by name; null when absent. */
  find(scope: Scope, idOrName: string): FidelityProfile | null {
    const row = this.deps.db
      .prepare('SELECT * FROM fidelity_profiles WHERE owner_id = ? AND project_id = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1')
      .get(scope.ownerId, scope.projectId, idOrName, idOrName, idOrName) as Row | undefined;
    return row ? view(row) : null;
  }

  get(scope: Scope, idOrName: string, field = 'profile_id'): FidelityProfile {
    const p = this.find(scope, idOrName);
    if (!p) throw new NotFound(`No fidelity profile '${idOrName}' in this project (${field}); list_fidelity_profiles shows the saved ones`, { field });
    return p;
  }

  delete(scope: Scope, idOrName: string): FidelityProfile {
    const p = this.get(scope, idOrName);
    this.deps.db.prepare('DELETE FROM fidelity_profiles WHERE owner_id = ? AND project_id = ? AND id = ?').run(scope.ownerId, scope.projectId, p.profile_id);
    return p;
  }
}
