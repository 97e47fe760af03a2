// Contexts store: context files and hierarchical project contexts (one table, two API views), their
// kept versions and journal entries, and what the retrieval index needs to rank them (the brain's
// tier-2 relevance). Scoped repositories see one owner's project; PublicContextsRepo sees only
// public, live rows of anyone (reads by id or slug without a key) and nothing else.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { FTS_INDEXES } from './dialect.js';
import { loadScopedVectors, saveScopedVectors, staleScopedRows, type RetrievalSource } from './retrieval.js';
import type { ContextEntriesTable, ContextsTable, ContextVersionsTable } from './schema.js';
import type { RepoContext } from './store.js';

export type ContextRow = Omit<Selectable<ContextsTable>, 'embedding' | 'embedder_id'>;
export type ContextVersionRow = Omit<Selectable<ContextVersionsTable>, 'owner_id' | 'project_id'>;
export type ContextEntryRow = Omit<Selectable<ContextEntriesTable>, 'owner_id' | 'project_id'>;
export type NewContext = Omit<ContextRow, 'rowid' | 'owner_id' | 'project_id' | 'view_count' | 'copy_count' | 'deleted_at'>;
export type ContextPatch = Partial<Omit<ContextRow, 'rowid' | 'id' | 'owner_id' | 'project_id' | 'created_at'>>;

export const CONTEXT_SORTS = ['updated_at', 'created_at', 'name', 'view_count', 'copy_count'] as const;
export type ContextSort = (typeof CONTEXT_SORTS)[number];

const COLUMNS = [
  'rowid', 'id', 'owner_id', 'project_id', 'name', 'slug', 'description', 'content', 'is_public', 'version', 'version_number', 'view_count', 'copy_count',
  'schema_key', 'parent_id', 'tier', 'context_type', 'state', 'source', 'copied_from', 'text', 'tokens', 'created_at', 'updated_at', 'deleted_at',
] as const;

/** The contexts of a scope as a retrieval collection: vectors are made lazily from `text` by the index. */
export const contextSource: RetrievalSource<null> = {
  collection: 'contexts',
  fts: FTS_INDEXES.contexts,
  loadVectors: (ctx, scope, embedderId) => loadScopedVectors(ctx, { table: 'contexts', id: 'rowid', columns: [] }, scope, embedderId, () => null),
  staleRows: (ctx, scope, embedderId, limit) => staleScopedRows(ctx, { table: 'contexts', id: 'rowid' }, scope, embedderId, limit),
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'contexts', id: 'rowid', guardText: true }, scope, embedderId, rows),
};

/** One project's contexts. `slugTaken` alone looks across the owner's projects: slugs are unique per owner. */
export class ContextsRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private select() {
    return this.ctx.db.selectFrom('contexts').select(COLUMNS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  /** A context by id (live only, unless `deleted`). */
  async get(id: string, opts: { deleted?: boolean } = {}): Promise<ContextRow | undefined> {
    const q = this.select().where('id', '=', id);
    return (opts.deleted ? q.where('deleted_at', 'is not', null) : q.where('deleted_at', 'is', null)).executeTakeFirst();
  }

  async bySlug(slug: string): Promise<ContextRow | undefined> {
    return this.select().where('slug', '=', slug).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async bySchemaKey(key: string): Promise<ContextRow | undefined> {
    return this.select().where('schema_key', '=', key).where('deleted_at', 'is', null).executeTakeFirst();
  }

  /** Whether a live context of this owner (any project) has the slug, other than `exceptId`. */
  async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
    let q = this.ctx.db.selectFrom('contexts').select('id').where('owner_id', '=', this.scope.ownerId).where('slug', '=', slug).where('deleted_at', 'is', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    return !!(await q.executeTakeFirst());
  }

  /** Live slugs of this owner starting with `prefix` (to pick a free one). */
  async slugsLike(prefix: string): Promise<Set<string>> {
    const rows = await this.ctx.db
      .selectFrom('contexts')
      .select('slug')
      .where('owner_id', '=', this.scope.ownerId)
      .where('deleted_at', 'is', null)
      .where('slug', '>=', prefix)
      .where('slug', '<', `${prefix}\uffff`)
      .execute();
    return new Set(rows.map((r) => r.slug));
  }

  /** A page of live (or soft-deleted) contexts with the total. */
  async list(o: { limit: number; offset: number; sort: ContextSort; order: 'asc' | 'desc'; parentId?: string | null; deleted?: boolean }): Promise<{ rows: ContextRow[]; total: number }> {
    let base = this.ctx.db.selectFrom('contexts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    base = o.deleted ? base.where('deleted_at', 'is not', null) : base.where('deleted_at', 'is', null);
    if (o.parentId !== undefined) base = o.parentId === null ? base.where('parent_id', 'is', null) : base.where('parent_id', '=', o.parentId);
    const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await base.select(COLUMNS).orderBy(o.sort, o.order).orderBy('rowid', o.order).limit(o.limit).offset(o.offset).execute();
    return { rows, total: Number(total?.n ?? 0) };
  }

  /** Every live context of the project (tree, brain, populate), in insertion order. */
  async all(): Promise<ContextRow[]> {
    return this.select().where('deleted_at', 'is', null).orderBy('rowid').execute();
  }

  async insert(row: NewContext): Promise<ContextRow> {
    return this.ctx.db
      .insertInto('contexts')
      .values({ ...row, owner_id: this.scope.ownerId, project_id: this.scope.projectId, embedding: Buffer.alloc(0), embedder_id: '' })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /** Every live slug of this owner (a batch picks free slugs from it without a query per row). */
  async ownerSlugs(): Promise<Set<string>> {
    const rows = await this.ctx.db.selectFrom('contexts').select('slug').where('owner_id', '=', this.scope.ownerId).where('deleted_at', 'is', null).execute();
    return new Set(rows.map((r) => r.slug));
  }

  /** Applies `patch` to a context of this scope (live or deleted). */
  async update(id: string, patch: ContextPatch): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await this.ctx.db.updateTable('contexts').set(patch).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).execute();
  }

  /** Children of `parentId` become children of `newParent` (a parent leaving the tree). */
  async reparent(parentId: string, newParent: string | null, now: string): Promise<void> {
    await this.ctx.db
      .updateTable('contexts')
      .set({ parent_id: newParent, updated_at: now })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('parent_id', '=', parentId)
      .execute();
  }

  async addVersion(v: ContextVersionRow): Promise<void> {
    await this.ctx.db.insertInto('context_versions').values({ ...v, owner_id: this.scope.ownerId, project_id: this.scope.projectId }).execute();
  }

  async versions(contextId: string): Promise<ContextVersionRow[]> {
    return this.ctx.db
      .selectFrom('context_versions')
      .select(['context_id', 'version_number', 'version', 'change', 'name', 'description', 'content', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('context_id', '=', contextId)
      .orderBy('version_number', 'desc')
      .execute();
  }

  async version(contextId: string, n: number): Promise<ContextVersionRow | undefined> {
    return this.ctx.db
      .selectFrom('context_versions')
      .select(['context_id', 'version_number', 'version', 'change', 'name', 'description', 'content', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('context_id', '=', contextId)
      .where('version_number', '=', n)
      .executeTakeFirst();
  }

  async addEntry(contextId: string, text: string, tokens: number, now: string): Promise<number> {
    const r = await this.ctx.db
      .insertInto('context_entries')
      .values({ owner_id: this.scope.ownerId, project_id: this.scope.projectId, context_id: contextId, text, tokens, compacted_in: null, created_at: now })
      .returning('rowid')
      .executeTakeFirstOrThrow();
    return r.rowid;
  }

  /** Journal entries not yet folded into the content, oldest first (of the given contexts, or all). */
  async liveEntries(contextIds?: string[]): Promise<ContextEntryRow[]> {
    if (contextIds && contextIds.length === 0) return [];
    let q = this.ctx.db
      .selectFrom('context_entries')
      .select(['rowid', 'context_id', 'text', 'tokens', 'compacted_in', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('compacted_in', 'is', null);
    if (contextIds) q = q.where('context_id', 'in', contextIds);
    return q.orderBy('rowid').execute();
  }

  async markCompacted(contextId: string, version: number): Promise<void> {
    await this.ctx.db
      .updateTable('context_entries')
      .set({ compacted_in: version })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('context_id', '=', contextId)
      .where('compacted_in', 'is', null)
      .execute();
  }

  /** Removes a context with its versions and entries (its keyword row leaves with it: trigger / generated column). */
  async purge(id: string): Promise<void> {
    for (const table of ['context_entries', 'context_versions'] as const) {
      await this.ctx.db.deleteFrom(table).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('context_id', '=', id).execute();
    }
    await this.ctx.db.deleteFrom('contexts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).execute();
  }

  /** Ids of the scope's contexts soft-deleted before `before` (past their restore window). */
  async expired(before: string): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom('contexts')
      .select('id')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('deleted_at', 'is not', null)
      .where('deleted_at', '<', before)
      .execute();
    return rows.map((r) => r.id);
  }

  async hasExpired(before: string): Promise<boolean> {
    const r = await this.ctx.db
      .selectFrom('contexts')
      .select('id')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('deleted_at', 'is not', null)
      .where('deleted_at', '<', before)
      .limit(1)
      .executeTakeFirst();
    return !!r;
  }
}

/** Public, live contexts of any owner: the only rows a call without a key (or another tenant) may read. */
export class PublicContextsRepo {
  constructor(private readonly ctx: RepoContext) {}

  private select() {
    return this.ctx.db.selectFrom('contexts').select(COLUMNS).where('is_public', '=', 1).where('deleted_at', 'is', null);
  }

  async byId(id: string): Promise<ContextRow | undefined> {
    return this.select().where('id', '=', id).executeTakeFirst();
  }

  /** Up to two public contexts with the slug (slugs are unique per owner, so several owners may share one). */
  async bySlug(slug: string): Promise<ContextRow[]> {
    return this.select().where('slug', '=', slug).orderBy('created_at').limit(2).execute();
  }

  async count(id: string, what: 'view_count' | 'copy_count'): Promise<void> {
    await this.ctx.db
      .updateTable('contexts')
      .set((eb) => ({ [what]: eb(what, '+', 1) }))
      .where('id', '=', id)
      .where('is_public', '=', 1)
      .where('deleted_at', 'is', null)
      .execute();
  }
}
