// Spaces and their collections (folders inside a space, nested; listed as a tree). Deleting a space
// removes everything in it; deleting a collection refuses while it (or a sub-collection) holds
// sources, unless asked to cascade. Sources, artifacts, snapshots and uploads: spaces-*.ts beside it.
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { Conflict, InvalidInput, NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import type { CollectionRow, SpaceRow } from '../store/spaces.js';

export const SPACE_LIMITS = { nameChars: 200, descriptionChars: 2000, collectionDepth: 8 } as const;

export interface CollectionNode extends CollectionRow {
  children: CollectionNode[];
}

export class SpacesService {
  constructor(private readonly deps: AppDeps) {}

  private repo(scope: Scope) {
    return this.deps.store.spaces(scope);
  }

  async create(scope: Scope, a: { name: string; description?: string | null }): Promise<SpaceRow> {
    const now = nowIso();
    const row: SpaceRow = { id: newId('spc'), name: a.name.trim(), description: a.description ?? null, created_at: now, updated_at: now };
    if (!row.name) throw new InvalidInput('name must not be blank', { field: 'name', rule: 'required' });
    await this.repo(scope).insertSpace(row);
    return row;
  }

  list(scope: Scope): Promise<SpaceRow[]> {
    return this.repo(scope).listSpaces();
  }

  /** The space, or 404 naming the field the id came in. */
  async get(scope: Scope, id: string, field = 'id'): Promise<SpaceRow> {
    const s = await this.repo(scope).getSpace(id);
    if (!s) throw new NotFound(`${field}: no space ${id.slice(0, 64)} in this project`, { field });
    return s;
  }

  async update(scope: Scope, id: string, patch: { name?: string; description?: string | null }): Promise<SpaceRow> {
    await this.get(scope, id);
    if (patch.name !== undefined && !patch.name.trim()) throw new InvalidInput('name must not be blank', { field: 'name', rule: 'required' });
    await this.repo(scope).updateSpace(id, { ...(patch.name !== undefined ? { name: patch.name.trim() } : {}), ...(patch.description !== undefined ? { description: patch.description } : {}), updated_at: nowIso() });
    return this.get(scope, id);
  }

  async delete(scope: Scope, id: string): Promise<void> {
    await this.get(scope, id);
    await this.deps.store.tx((t) => t.spaces(scope).deleteSpace(id));
  }

  async createCollection(scope: Scope, spaceId: string, a: { name: string; parent_id?: string | null }): Promise<CollectionRow> {
    await this.get(scope, spaceId, 'space_id');
    const name = a.name.trim();
    if (!name) throw new InvalidInput('name must not be blank', { field: 'name', rule: 'required' });
    if (a.parent_id) {
      const all = await this.repo(scope).collections(spaceId);
      const parent = all.find((c) => c.id === a.parent_id);
      if (!parent) throw new NotFound(`parent_id: no collection ${a.parent_id.slice(0, 64)} in space ${spaceId}`, { field: 'parent_id' });
      let depth = 1;
      for (let p: CollectionRow | undefined = parent; p?.parent_id; p = all.find((c) => c.id === p!.parent_id)) depth++;
      if (depth >= SPACE_LIMITS.collectionDepth) throw new InvalidInput(`parent_id: collections nest at most ${SPACE_LIMITS.collectionDepth} deep`, { field: 'parent_id', rule: 'max_depth', limit: SPACE_LIMITS.collectionDepth });
    }
    const row: CollectionRow = { id: newId('col'), space_id: spaceId, parent_id: a.parent_id ?? null, name, created_at: nowIso() };
    await this.repo(scope).insertCollection(row);
    return row;
  }

  /** The space's collections as a tree (roots in creation order, children under their parent). */
  async tree(scope: Scope, spaceId: string): Promise<{ collections: CollectionNode[]; total: number }> {
    await this.get(scope, spaceId, 'space_id');
    const rows = await this.repo(scope).collections(spaceId);
    const nodes = new Map(rows.map((r) => [r.id, { ...r, children: [] as CollectionNode[] }]));
    const roots: CollectionNode[] = [];
    for (const n of nodes.values()) (n.parent_id && nodes.get(n.parent_id) ? nodes.get(n.parent_id)!.children : roots).push(n);
    return { collections: roots, total: rows.length };
  }

  /** A collection of the space (404 naming `field` otherwise). */
  async collection(scope: Scope, spaceId: string, id: string, field = 'collection_id'): Promise<CollectionRow> {
    const c = await this.repo(scope).getCollection(id);
    if (!c || c.space_id !== spaceId) throw new NotFound(`${field}: no collection ${id.slice(0, 64)} in space ${spaceId.slice(0, 64)}`, { field });
    return c;
  }

  async deleteCollection(scope: Scope, spaceId: string, id: string, cascade: boolean): Promise<{ collections: number; sources: number }> {
    await this.get(scope, spaceId, 'space_id');
    await this.collection(scope, spaceId, id, 'id');
    return this.deps.store.tx(async (t) => {
      const repo = t.spaces(scope);
      const all = await repo.collections(spaceId);
      const ids = [id];
      for (let i = 0; i < ids.length; i++) for (const c of all) if (c.parent_id === ids[i]) ids.push(c.id);
      const sources = await repo.countSourcesIn(ids);
      if ((sources > 0 || ids.length > 1) && !cascade) {
        throw new Conflict(`collection ${id} is not empty (${ids.length - 1} sub-collections, ${sources} sources); pass cascade: true to delete it with its contents`, {
          field: 'cascade',
          rule: 'not_empty',
          collections: ids.length - 1,
          sources,
        });
      }
      await repo.deleteCollections(ids);
      return { collections: ids.length, sources };
    });
  }
}
