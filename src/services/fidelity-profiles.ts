// Saved compression presets ("fidelity profiles"): a fidelity, a chunk size and an optional skeleton
// ratio / output style under a name, usable as `profile=` on compress calls. Scoped by owner + project.
import type { AppDeps } from '../app-deps.js';
import { Conflict, NotFound } from '../errors.js';
import type { Scope } from '../domain/scope.js';
import { newId, nowIso } from '../store/db.js';
import type { Fidelity, OutputStyle } from '../engine/compress.js';
import type { FidelityProfileRow } from '../store/fidelity-profiles.js';

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

function view(r: FidelityProfileRow): FidelityProfile {
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

  async create(scope: Scope, p: NewProfile): Promise<FidelityProfile> {
    const row: FidelityProfileRow = {
      id: newId('fp'),
      name: p.name,
      description: p.description ?? null,
      fidelity: p.fidelity,
      chunk_tokens: p.chunk_tokens,
      skeleton_ratio: p.skeleton_ratio ?? null,
      output_style: p.output_style ?? null,
      created_at: nowIso(),
    };
    if ((await this.deps.store.fidelityProfiles(scope).insert(row)) === 'duplicate') {
      throw new Conflict(`A fidelity profile named '${p.name}' already exists in this project; delete it first or pick another name`, { field: 'name' });
    }
    return view(row);
  }

  async list(scope: Scope): Promise<FidelityProfile[]> {
    return (await this.deps.store.fidelityProfiles(scope).list()).map(view);
  }

  /** By id or by name; null when absent. */
  async find(scope: Scope, idOrName: string): Promise<FidelityProfile | null> {
    const row = await this.deps.store.fidelityProfiles(scope).find(idOrName);
    return row ? view(row) : null;
  }

  async get(scope: Scope, idOrName: string, field = 'profile_id'): Promise<FidelityProfile> {
    const p = await this.find(scope, idOrName);
    if (!p) throw new NotFound(`No fidelity profile '${idOrName}' in this project (${field}); list_fidelity_profiles shows the saved ones`, { field });
    return p;
  }

  async delete(scope: Scope, idOrName: string): Promise<FidelityProfile> {
    const p = await this.get(scope, idOrName);
    await this.deps.store.fidelityProfiles(scope).delete(p.profile_id);
    return p;
  }
}
