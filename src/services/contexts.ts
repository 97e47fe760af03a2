// Context files: create, read (by id or slug; public ones without a key), list, update, soft delete
// with a 30-day restore window, copy, and kept versions. One row serves both context APIs (seed 001's
// context files and seed 002's project contexts): the hierarchy, populate and journal live in
// contexts-tree.ts, the assembled brain in contexts-brain.ts.
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { LIMITS } from '../config.js';
import type { Caller, Scope } from '../domain/scope.js';
import { countTokens } from '../engine/tokens.js';
import { BadRequest, Conflict, NotFound, PayloadTooLarge, projectBoundRefusal } from '../errors.js';
import { excerpt } from '../registry/schema.js';
import { nowIso } from '../store/db.js';
import type { ContextRow, ContextSort, ContextsRepo, ContextVersionRow, NewContext } from '../store/contexts.js';
import type { TxStore } from '../store/store.js';
import { AccountsService } from './accounts.js';

export const CONTEXT_TYPES = ['system', 'reference', 'memory'] as const;
export const CONTEXT_STATES = ['draft', 'approved', 'deprecated'] as const;
export type ContextType = (typeof CONTEXT_TYPES)[number];
export type ContextState = (typeof CONTEXT_STATES)[number];
/** A context's content as sent: a JSON object (context files) or Markdown text (project contexts). */
export type ContextContent = string | Record<string, unknown>;

export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface ContextSummary {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  is_public: boolean;
  version: string;
  version_number: number;
  view_count: number;
  copy_count: number;
  project_id: string;
  schema_key: string | null;
  parent_context_id: string | null;
  tier: number;
  context_type: ContextType;
  state: ContextState;
  tokens: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ContextView extends ContextSummary {
  content: ContextContent;
  source: string | null;
  copied_from: string | null;
  /** Journal entries not yet compacted into the content. */
  entries: number;
}

export interface ContextFields {
  name: string;
  slug?: string;
  description?: string | null;
  content?: ContextContent;
  is_public: boolean;
  parent_context_id?: string | null;
  schema_key?: string | null;
  tier: number;
  context_type: ContextType;
  state: ContextState;
  source?: string | null;
}

export type ContextUpdate = Partial<Omit<ContextFields, 'source'>>;

export function summaryOf(r: ContextRow): ContextSummary {
  return {
    id: r.id,
    name: r.name,
    slug: r.slug,
    description: r.description,
    is_public: r.is_public === 1,
    version: r.version,
    version_number: r.version_number,
    view_count: r.view_count,
    copy_count: r.copy_count,
    project_id: r.project_id,
    schema_key: r.schema_key,
    parent_context_id: r.parent_id,
    tier: r.tier,
    context_type: r.context_type,
    state: r.state,
    tokens: r.tokens,
    created_at: r.created_at,
    updated_at: r.updated_at,
    deleted_at: r.deleted_at,
  };
}

export function readContent(stored: string): ContextContent {
  return JSON.parse(stored) as ContextContent;
}

/** The content as the brain and the search index read it: Markdown as is, an object as a JSON block. */
export function contentText(content: ContextContent): string {
  if (typeof content === 'string') return content;
  return Object.keys(content).length ? '```json\n' + JSON.stringify(content, null, 2) + '\n```' : '';
}

/** What the retrieval index ranks a context by. */
export function searchText(name: string, description: string | null, content: ContextContent): string {
  return [name, description ?? '', contentText(content)].filter(Boolean).join('\n\n');
}

/** semver of the nth content version: 1 → 1.0.0, 2 → 1.1.0 ... (a content change is a minor release). */
export function semverOf(n: number): string {
  return `1.${n - 1}.0`;
}

/** A URL-friendly slug from a name: lowercase words joined by hyphens. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return s || 'context';
}

/** `base` if not taken, else the first free base-2, base-3 ... */
function freeIn(taken: Set<string>, base: string): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

function checkContent(content: ContextContent, field = 'content'): string {
  const stored = JSON.stringify(content);
  const bytes = Buffer.byteLength(stored, 'utf8');
  if (bytes > LIMITS.contexts.contentBytes) {
    throw new PayloadTooLarge(`${field} is ${bytes} bytes; a context holds at most ${LIMITS.contexts.contentBytes} bytes (500 KB)`, {
      field,
      limit: LIMITS.contexts.contentBytes,
      unit: 'bytes',
      size: bytes,
    });
  }
  return stored;
}

export class ContextsService {
  constructor(private readonly deps: AppDeps) {}

  /**
   * The scope a call acts in: the key's project, or another project of the same owner named by
   * `projectId` (account-level keys only). A project-bound key naming another project is refused
   * (403 project_bound_key, as every tool taking a project_id answers it, whether or not the project
   * exists); a project that is not the owner's is "not found", as get_project says.
   */
  async scopeFor(caller: Caller, projectId?: string | null): Promise<Scope> {
    const own = { ownerId: caller.userId, projectId: caller.projectId };
    if (!projectId || projectId === caller.projectId) return own;
    if (caller.projectBound) throw projectBoundRefusal(caller.projectId);
    await this.deps.service(AccountsService).getProject(caller.userId, projectId);
    return { ownerId: caller.userId, projectId };
  }

  /** Soft-deleted contexts past the restore window leave for good (checked on the scope's calls). */
  async purgeExpired(scope: Scope): Promise<number> {
    const before = new Date(Date.now() - LIMITS.contexts.restoreDays * 86_400_000).toISOString();
    if (!(await this.deps.store.contexts(scope).hasExpired(before))) return 0;
    return this.deps.store.tx(async (t) => {
      const repo = t.contexts(scope);
      const ids = await repo.expired(before);
      for (const id of ids) await repo.purge(id);
      return ids.length;
    });
  }

  /** A live context of the scope by id or slug, or 404. */
  async find(repo: ContextsRepo, idOrSlug: string, field = 'id'): Promise<ContextRow> {
    const row = (await repo.get(idOrSlug)) ?? (SLUG_RE.test(idOrSlug) ? await repo.bySlug(idOrSlug) : undefined);
    if (!row) throw new NotFound(`Context ${excerpt(idOrSlug, 64)} not found (or not yours)`, { field });
    return row;
  }

  async view(repo: ContextsRepo, row: ContextRow): Promise<ContextView> {
    const entries = await repo.liveEntries([row.id]);
    return { ...summaryOf(row), content: readContent(row.content), source: row.source, copied_from: row.copied_from, entries: entries.length };
  }

  /**
   * A context by id or slug: the caller's own first; else a public one of anyone (which counts a
   * view). Without a key only public contexts are found.
   */
  async get(caller: Caller | null, idOrSlug: string, opts: { countView?: boolean } = {}): Promise<ContextView> {
    if (caller) {
      const scope = await this.scopeFor(caller);
      const repo = this.deps.store.contexts(scope);
      const own = (await repo.get(idOrSlug)) ?? (SLUG_RE.test(idOrSlug) ? await repo.bySlug(idOrSlug) : undefined);
      if (own) return this.view(repo, own);
    }
    const pub = this.deps.store.publicContexts();
    let row = await pub.byId(idOrSlug);
    if (!row && SLUG_RE.test(idOrSlug)) {
      const bySlug = await pub.bySlug(idOrSlug);
      if (bySlug.length > 1) throw new Conflict(`Several public contexts have the slug '${idOrSlug}': read it by id`, { field: 'id', rule: 'ambiguous_slug' });
      row = bySlug[0];
    }
    if (!row) throw new NotFound(`Context ${excerpt(idOrSlug, 64)} not found (or not yours)`, { field: 'id' });
    if (opts.countView !== false && (!caller || caller.userId !== row.owner_id)) {
      await pub.count(row.id, 'view_count');
      row = { ...row, view_count: row.view_count + 1 };
    }
    return this.view(this.deps.store.contexts({ ownerId: row.owner_id, projectId: row.project_id }), row);
  }

  async list(
    scope: Scope,
    o: { limit: number; offset: number; sort: ContextSort; order: 'asc' | 'desc'; parentId?: string | null; deleted?: boolean },
  ): Promise<{ contexts: ContextSummary[]; total: number; limit: number; offset: number; has_more: boolean }> {
    await this.purgeExpired(scope);
    const { rows, total } = await this.deps.store.contexts(scope).list(o);
    return { contexts: rows.map(summaryOf), total, limit: o.limit, offset: o.offset, has_more: o.offset + rows.length < total };
  }

  /** A free slug of this owner: `base`, else base-2, base-3 ... */
  async freeSlug(repo: ContextsRepo, base: string): Promise<string> {
    return freeIn(await repo.slugsLike(base), base);
  }

  /** Checks a parent id: a live context of the same scope, and not the context itself or below it. */
  async checkParent(repo: ContextsRepo, parentId: string, selfId?: string): Promise<void> {
    const field = 'parent_context_id';
    if (selfId && parentId === selfId) throw new BadRequest('parent_context_id: a context cannot be its own parent', 'invalid_parent', { field, rule: 'cycle' });
    let at = await repo.get(parentId);
    if (!at) throw new NotFound(`parent_context_id: context ${excerpt(parentId, 64)} not found in this project`, { field });
    for (let hops = 0; at && hops < 10_000; hops++) {
      if (selfId && at.id === selfId) throw new BadRequest('parent_context_id: that context is below this one (the tree would have a cycle)', 'invalid_parent', { field, rule: 'cycle' });
      at = at.parent_id ? await repo.get(at.parent_id) : undefined;
    }
  }

  /**
   * Inserts a context and its first version inside `t` (create, copy and populate share it). A batch
   * that has already resolved keys and parents passes `batch`: the owner's taken slugs (kept up to
   * date here), and the checks it made itself are not repeated per row.
   */
  async insertIn(
    t: TxStore,
    scope: Scope,
    f: ContextFields & { copied_from?: string | null },
    change: ContextVersionRow['change'],
    now: string,
    batch?: { slugs: Set<string> },
  ): Promise<ContextRow> {
    const repo = t.contexts(scope);
    const content = f.content ?? '';
    const stored = checkContent(content);
    let slug: string;
    if (f.slug) {
      if (await repo.slugTaken(f.slug)) throw new Conflict(`A context with the slug '${f.slug}' already exists`, { field: 'slug', rule: 'unique' });
      slug = f.slug;
    } else if (batch) {
      slug = freeIn(batch.slugs, slugify(f.name));
      batch.slugs.add(slug);
    } else slug = freeIn(await repo.slugsLike(slugify(f.name)), slugify(f.name));
    if (!batch) {
      if (f.schema_key && (await repo.bySchemaKey(f.schema_key))) {
        throw new Conflict(`A context with the schema key '${f.schema_key}' already exists in this project`, { field: 'schema_key', rule: 'unique' });
      }
      if (f.parent_context_id) await this.checkParent(repo, f.parent_context_id);
    }
    const text = searchText(f.name, f.description ?? null, content);
    const row: NewContext = {
      id: randomUUID(),
      name: f.name,
      slug,
      description: f.description ?? null,
      content: stored,
      is_public: f.is_public ? 1 : 0,
      version: semverOf(1),
      version_number: 1,
      schema_key: f.schema_key ?? null,
      parent_id: f.parent_context_id ?? null,
      tier: f.tier,
      context_type: f.context_type,
      state: f.state,
      source: f.source ?? null,
      copied_from: f.copied_from ?? null,
      text,
      tokens: countTokens(contentText(content)),
      created_at: now,
      updated_at: now,
    };
    const created = await repo.insert(row);
    await repo.addVersion({ context_id: row.id, version_number: 1, version: row.version, change, name: row.name, description: row.description, content: stored, created_at: now });
    return created;
  }

  async create(scope: Scope, f: ContextFields): Promise<ContextView> {
    await this.purgeExpired(scope);
    const row = await this.deps.store.tx((t) => this.insertIn(t, scope, f, 'create', nowIso()));
    return this.view(this.deps.store.contexts(scope), row);
  }

  /**
   * Applies only the fields sent, inside `t`. A content, name or description change adds a version
   * (version and version_number advance only when the content changed). Returns the row and whether
   * anything changed.
   */
  async updateIn(t: TxStore, scope: Scope, row: ContextRow, u: ContextUpdate & { source?: string | null }, change: ContextVersionRow['change'], now: string): Promise<{ row: ContextRow; changed: boolean }> {
    const repo = t.contexts(scope);
    const patch: Record<string, unknown> = {};
    if (u.name !== undefined && u.name !== row.name) patch.name = u.name;
    if (u.description !== undefined && u.description !== row.description) patch.description = u.description;
    if (u.is_public !== undefined && (u.is_public ? 1 : 0) !== row.is_public) patch.is_public = u.is_public ? 1 : 0;
    if (u.tier !== undefined && u.tier !== row.tier) patch.tier = u.tier;
    if (u.context_type !== undefined && u.context_type !== row.context_type) patch.context_type = u.context_type;
    if (u.state !== undefined && u.state !== row.state) patch.state = u.state;
    if (u.source !== undefined && u.source !== row.source) patch.source = u.source;
    if (u.slug !== undefined && u.slug !== row.slug) {
      if (await repo.slugTaken(u.slug, row.id)) throw new Conflict(`A context with the slug '${u.slug}' already exists`, { field: 'slug', rule: 'unique' });
      patch.slug = u.slug;
    }
    if (u.schema_key !== undefined && u.schema_key !== row.schema_key) {
      const other = u.schema_key ? await repo.bySchemaKey(u.schema_key) : undefined;
      if (other && other.id !== row.id) throw new Conflict(`A context with the schema key '${u.schema_key}' already exists in this project`, { field: 'schema_key', rule: 'unique' });
      patch.schema_key = u.schema_key;
    }
    if (u.parent_context_id !== undefined && u.parent_context_id !== row.parent_id) {
      if (u.parent_context_id) await this.checkParent(repo, u.parent_context_id, row.id);
      patch.parent_id = u.parent_context_id;
    }
    let content = readContent(row.content);
    let contentChanged = false;
    if (u.content !== undefined) {
      const stored = checkContent(u.content);
      if (stored !== row.content) {
        contentChanged = true;
        content = u.content;
        patch.content = stored;
        patch.tokens = countTokens(contentText(u.content));
      }
    }
    if (Object.keys(patch).length === 0) return { row, changed: false };
    const name = (patch.name as string | undefined) ?? row.name;
    const description = u.description !== undefined ? (u.description ?? null) : row.description;
    if ('name' in patch || 'description' in patch || contentChanged) patch.text = searchText(name, description, content);
    if (contentChanged) {
      patch.version_number = row.version_number + 1;
      patch.version = semverOf(row.version_number + 1);
      await repo.addVersion({ context_id: row.id, version_number: row.version_number + 1, version: semverOf(row.version_number + 1), change, name, description, content: patch.content as string, created_at: now });
    }
    patch.updated_at = now;
    await repo.update(row.id, patch);
    return { row: (await repo.get(row.id))!, changed: true };
  }

  async update(scope: Scope, idOrSlug: string, u: ContextUpdate): Promise<ContextView> {
    const row = await this.deps.store.tx(async (t) => {
      const current = await this.find(t.contexts(scope), idOrSlug);
      return (await this.updateIn(t, scope, current, u, 'update', nowIso())).row;
    });
    return this.view(this.deps.store.contexts(scope), row);
  }

  /**
   * Soft delete (restorable for 30 days) or, with `permanent`, removal with its versions and entries;
   * children of a permanently deleted context move up to its parent.
   */
  async delete(scope: Scope, idOrSlug: string, permanent: boolean): Promise<{ id: string; deleted: true; permanent: boolean; restorable_until: string | null }> {
    return this.deps.store.tx(async (t) => {
      const repo = t.contexts(scope);
      const row = (await repo.get(idOrSlug)) ?? (await repo.get(idOrSlug, { deleted: true })) ?? (SLUG_RE.test(idOrSlug) ? await repo.bySlug(idOrSlug) : undefined);
      if (!row || (row.deleted_at && !permanent)) throw new NotFound(`Context ${excerpt(idOrSlug, 64)} not found (or not yours)`, { field: 'id' });
      const now = nowIso();
      if (permanent) {
        await repo.reparent(row.id, row.parent_id, now);
        await repo.purge(row.id);
        return { id: row.id, deleted: true, permanent: true, restorable_until: null };
      }
      await repo.update(row.id, { deleted_at: now, updated_at: now });
      const until = new Date(Date.parse(now) + LIMITS.contexts.restoreDays * 86_400_000).toISOString();
      return { id: row.id, deleted: true, permanent: false, restorable_until: until };
    });
  }

  async restore(scope: Scope, id: string): Promise<ContextView> {
    await this.purgeExpired(scope);
    const row = await this.deps.store.tx(async (t) => {
      const repo = t.contexts(scope);
      const row = await repo.get(id, { deleted: true });
      if (!row) throw new NotFound(`No deleted context ${excerpt(id, 64)} to restore (restorable for ${LIMITS.contexts.restoreDays} days after deletion)`, { field: 'id' });
      if (await repo.slugTaken(row.slug, row.id)) throw new Conflict(`Another context took the slug '${row.slug}' meanwhile: rename it first`, { field: 'slug', rule: 'unique' });
      const other = row.schema_key ? await repo.bySchemaKey(row.schema_key) : undefined;
      if (other) throw new Conflict(`Another context took the schema key '${row.schema_key}' meanwhile: change it first`, { field: 'schema_key', rule: 'unique' });
      await repo.update(row.id, { deleted_at: null, updated_at: nowIso() });
      return (await repo.get(row.id))!;
    });
    return this.view(this.deps.store.contexts(scope), row);
  }

  /** Copies a context the caller may read (its own, or anyone's public one) into the caller's project; counts a copy. */
  async copy(caller: Caller, idOrSlug: string, o: { name?: string; slug?: string; is_public: boolean }): Promise<ContextView> {
    // Copying counts a copy, not a view.
    const source = await this.get(caller, idOrSlug, { countView: false });
    const scope = await this.scopeFor(caller);
    const row = await this.deps.store.tx(async (t) => {
      const created = await this.insertIn(
        t,
        scope,
        {
          name: o.name ?? source.name,
          slug: o.slug ?? (await this.freeSlug(t.contexts(scope), `${source.slug}-copy`)),
          description: source.description,
          content: source.content,
          is_public: o.is_public,
          tier: source.tier,
          context_type: source.context_type,
          state: 'draft',
          copied_from: source.id,
        },
        'copy',
        nowIso(),
      );
      await t.publicContexts().count(source.id, 'copy_count');
      return created;
    });
    return this.view(this.deps.store.contexts(scope), row);
  }

  async versions(scope: Scope, idOrSlug: string): Promise<{ id: string; current_version_number: number; versions: Array<Omit<ContextVersionRow, 'content' | 'context_id'>> }> {
    const repo = this.deps.store.contexts(scope);
    const row = await this.find(repo, idOrSlug);
    const versions = await repo.versions(row.id);
    return { id: row.id, current_version_number: row.version_number, versions: versions.map(({ content: _c, context_id: _i, ...v }) => v) };
  }

  async version(scope: Scope, idOrSlug: string, n: number): Promise<Omit<ContextVersionRow, 'content'> & { content: ContextContent; current: boolean }> {
    const repo = this.deps.store.contexts(scope);
    const row = await this.find(repo, idOrSlug);
    const v = await repo.version(row.id, n);
    if (!v) throw new NotFound(`Context ${row.id} has no version ${n} (it has 1–${row.version_number})`, { field: 'version_number' });
    return { ...v, content: readContent(v.content), current: n === row.version_number };
  }
}
