// Project contexts as a hierarchy (seed 002): the tree, batch populate by schema key (with a dry-run
// diff), approve/deprecate, journal entries and their compaction by the compression engine.
import type { AppDeps } from '../app-deps.js';
import { LIMITS, type Plan } from '../config.js';
import type { Scope } from '../domain/scope.js';
import { countTokens } from '../engine/tokens.js';
import { BadRequest, InvalidInput } from '../errors.js';
import { nowIso } from '../store/db.js';
import type { ContextRow } from '../store/contexts.js';
import type { TxStore } from '../store/store.js';
import { CompressionService } from './compression.js';
import { ContextsService, contentText, readContent, summaryOf, type ContextSummary, type ContextType } from './contexts.js';

export interface TreeNode {
  id: string;
  name: string;
  schema_key: string | null;
  description: string | null;
  tier: number;
  context_type: ContextType;
  state: string;
  children: TreeNode[];
}

export interface PopulateNode {
  schema_key: string;
  name: string;
  description?: string;
  content?: string;
  parent_schema_key?: string;
  context_type?: ContextType;
  tier?: number;
}

export interface FieldChange {
  field: string;
  before: string | number | null;
  after: string | number | null;
}

export interface PopulateResult {
  dry_run: boolean;
  source: string | null;
  created: Array<{ schema_key: string; id: string | null; name: string; placeholder: boolean }>;
  updated: Array<{ schema_key: string; id: string; changes: FieldChange[] }>;
  unchanged: Array<{ schema_key: string; id: string }>;
  missing_parents: Array<{ schema_key: string; created: boolean }>;
  counts: { created: number; updated: number; unchanged: number };
}

/** Sibling order everywhere a tree is walked: schema key, then name, then creation. */
function siblingOrder(a: ContextRow, b: ContextRow): number {
  return (a.schema_key ?? '\uffff').localeCompare(b.schema_key ?? '\uffff') || a.name.localeCompare(b.name) || a.rowid - b.rowid;
}

/**
 * The rows as a forest: a row whose parent is not among them is a root. Returns the roots and each
 * row's children (sorted), from which both the tree and the brain's reading order are made.
 */
export function forest(rows: ContextRow[]): { roots: ContextRow[]; children: Map<string, ContextRow[]> } {
  const ids = new Set(rows.map((r) => r.id));
  const children = new Map<string, ContextRow[]>();
  const roots: ContextRow[] = [];
  for (const r of rows) {
    if (r.parent_id && ids.has(r.parent_id) && r.parent_id !== r.id) {
      const list = children.get(r.parent_id) ?? [];
      list.push(r);
      children.set(r.parent_id, list);
    } else roots.push(r);
  }
  roots.sort(siblingOrder);
  for (const list of children.values()) list.sort(siblingOrder);
  return { roots, children };
}

/** Pre-order walk (parents before children), with each row's depth. */
export function treeOrder(rows: ContextRow[]): Array<{ row: ContextRow; depth: number }> {
  const { roots, children } = forest(rows);
  const out: Array<{ row: ContextRow; depth: number }> = [];
  const seen = new Set<string>();
  const stack = roots.map((row) => ({ row, depth: 0 })).reverse();
  while (stack.length) {
    const at = stack.pop()!;
    if (seen.has(at.row.id)) continue;
    seen.add(at.row.id);
    out.push(at);
    const kids = children.get(at.row.id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ row: kids[i]!, depth: at.depth + 1 });
  }
  return out;
}

const NODE_FIELDS = ['name', 'description', 'content', 'context_type', 'tier', 'parent_schema_key'] as const;

function clip(v: string | number | null): string | number | null {
  return typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…` : v;
}

function parentKeyOf(key: string): string | null {
  const i = key.lastIndexOf('/');
  return i > 0 ? key.slice(0, i) : null;
}

export class ContextTreeService {
  constructor(private readonly deps: AppDeps) {}

  private get files(): ContextsService {
    return this.deps.service(ContextsService);
  }

  async tree(scope: Scope): Promise<{ project_id: string; total: number; tree: TreeNode[] }> {
    const rows = await this.deps.store.contexts(scope).all();
    const { roots, children } = forest(rows);
    const seen = new Set<string>();
    const build = (r: ContextRow): TreeNode => {
      seen.add(r.id);
      return {
        id: r.id,
        name: r.name,
        schema_key: r.schema_key,
        description: r.description,
        tier: r.tier,
        context_type: r.context_type,
        state: r.state,
        children: (children.get(r.id) ?? []).filter((c) => !seen.has(c.id)).map(build),
      };
    };
    return { project_id: scope.projectId, total: rows.length, tree: roots.map(build) };
  }

  async approve(scope: Scope, idOrSlug: string, action: 'approve' | 'deprecate'): Promise<ContextSummary> {
    const row = await this.deps.store.tx(async (t) => {
      const current = await this.files.find(t.contexts(scope), idOrSlug);
      return (await this.files.updateIn(t, scope, current, { state: action === 'approve' ? 'approved' : 'deprecated' }, 'update', nowIso())).row;
    });
    return summaryOf(row);
  }

  async addEntry(scope: Scope, idOrSlug: string, text: string): Promise<{ id: string; entry_id: number; entries: number; tokens: number; created_at: string }> {
    if (text.length > LIMITS.contexts.entryChars) {
      throw new InvalidInput(`Field 'text' is ${text.length} characters; an entry holds at most ${LIMITS.contexts.entryChars}`, { field: 'text', rule: 'max_length', limit: LIMITS.contexts.entryChars });
    }
    return this.deps.store.tx(async (t) => {
      const repo = t.contexts(scope);
      const row = await this.files.find(repo, idOrSlug);
      const now = nowIso();
      const tokens = countTokens(text);
      const entryId = await repo.addEntry(row.id, text, tokens, now);
      // The brain's version stamp reads updated_at: an entry changes what the brain holds.
      await repo.update(row.id, { updated_at: now });
      return { id: row.id, entry_id: entryId, entries: (await repo.liveEntries([row.id])).length, tokens, created_at: now };
    });
  }

  /**
   * Folds the content and its live journal entries into one block compressed by the engine, as a new
   * version; the entries stay, stamped with that version.
   */
  async compact(
    scope: Scope,
    plan: Plan,
    idOrSlug: string,
    fidelity: 'detailed' | 'balanced' | 'outline',
  ): Promise<{ id: string; entries_before: number; entries_after: number; tokens_before: number; tokens_after: number; tokens_saved: number; version: string; version_number: number }> {
    const repo = this.deps.store.contexts(scope);
    const row = await this.files.find(repo, idOrSlug);
    const content = readContent(row.content);
    if (typeof content !== 'string') {
      throw new BadRequest('This context holds a JSON object; compaction folds Markdown journal contexts', 'not_compactable', { field: 'id', rule: 'markdown_content' });
    }
    const entries = await repo.liveEntries([row.id]);
    const blocks = [content, ...entries.map((e) => e.text)].filter((b) => b.trim().length > 0);
    const before = blocks.join('\n\n');
    const tokensBefore = countTokens(before);
    if (blocks.length === 0) {
      return { id: row.id, entries_before: 0, entries_after: 0, tokens_before: 0, tokens_after: 0, tokens_saved: 0, version: row.version, version_number: row.version_number };
    }
    const compressed = await this.deps.service(CompressionService).compress(scope, plan, { text: before, fidelity, use_cache: false });
    // Compression never makes a block longer: a journal too small to shrink is kept as it is.
    const after = compressed.stats.compressed_tokens < tokensBefore ? compressed.compressed : before;
    const updated = await this.deps.store.tx(async (t) => {
      const r = t.contexts(scope);
      const current = await this.files.find(r, row.id);
      const { row: next } = await this.files.updateIn(t, scope, current, { content: after }, 'compact', nowIso());
      await r.markCompacted(row.id, next.version_number);
      return next;
    });
    const tokensAfter = countTokens(after);
    return {
      id: row.id,
      entries_before: blocks.length,
      entries_after: 1,
      tokens_before: tokensBefore,
      tokens_after: tokensAfter,
      tokens_saved: Math.max(0, tokensBefore - tokensAfter),
      version: updated.version,
      version_number: updated.version_number,
    };
  }

  /**
   * Upserts nodes by schema key; parent_schema_key builds the hierarchy. A parent that is neither in
   * the batch nor in the project is created as a placeholder (its own parent from its key's path), or
   * only reported when `createMissingParents` is false. A dry run answers the same diff and writes nothing.
   */
  async populate(scope: Scope, nodes: PopulateNode[], o: { source: string | null; dryRun: boolean; createMissingParents: boolean; signal?: AbortSignal; progress?: (done: number, total: number) => Promise<void> }): Promise<PopulateResult> {
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (seen.has(n.schema_key)) throw new InvalidInput(`nodes[${i}].schema_key '${n.schema_key}' appears twice in this batch`, { field: `nodes[${i}].schema_key`, rule: 'unique' });
      seen.add(n.schema_key);
      if (n.parent_schema_key === n.schema_key) throw new InvalidInput(`nodes[${i}].parent_schema_key names the node itself`, { field: `nodes[${i}].parent_schema_key`, rule: 'cycle' });
    });
    const run = async (t: TxStore | null): Promise<PopulateResult> => {
      const repo = (t ?? this.deps.store).contexts(scope);
      const existing = new Map<string, ContextRow>();
      for (const r of await repo.all()) if (r.schema_key) existing.set(r.schema_key, r);
      const byKey = new Map(nodes.map((n) => [n.schema_key, n]));
      const result: PopulateResult = { dry_run: !t, source: o.source, created: [], updated: [], unchanged: [], missing_parents: [], counts: { created: 0, updated: 0, unchanged: 0 } };
      const ids = new Map<string, string | null>();
      const keyOfId = new Map<string, string | null>();
      for (const [k, r] of existing) {
        ids.set(k, r.id);
        keyOfId.set(r.id, k);
      }
      const now = nowIso();
      // Keys and parents are resolved here, so rows go in without per-row lookups.
      const batch = t ? { slugs: await repo.ownerSlugs() } : undefined;

      // Placeholders first (parents before children), then nodes in dependency order.
      const ensureParent = async (key: string): Promise<void> => {
        if (ids.has(key) || byKey.has(key)) return;
        if (!o.createMissingParents) {
          if (!result.missing_parents.some((m) => m.schema_key === key)) result.missing_parents.push({ schema_key: key, created: false });
          return;
        }
        const up = parentKeyOf(key);
        if (up) await ensureParent(up);
        const name = key.slice(key.lastIndexOf('/') + 1) || key;
        let id: string | null = null;
        if (t) {
          const parent = up ? (ids.get(up) ?? null) : null;
          id = (await this.files.insertIn(t, scope, { name, schema_key: key, parent_context_id: parent, content: '', is_public: false, tier: 2, context_type: 'reference', state: 'draft', source: o.source }, 'populate', now, batch)).id;
        }
        ids.set(key, id);
        result.missing_parents.push({ schema_key: key, created: true });
        result.created.push({ schema_key: key, id, name, placeholder: true });
        result.counts.created++;
      };

      const done = new Set<string>();
      const visiting = new Set<string>();
      let count = 0;
      const place = async (n: PopulateNode): Promise<void> => {
        if (done.has(n.schema_key)) return;
        if (visiting.has(n.schema_key)) throw new InvalidInput(`nodes: parent_schema_key forms a cycle through '${n.schema_key}'`, { field: 'nodes', rule: 'cycle' });
        visiting.add(n.schema_key);
        const pk = n.parent_schema_key ?? null;
        if (pk) {
          const inBatch = byKey.get(pk);
          if (inBatch) await place(inBatch);
          else await ensureParent(pk);
        }
        visiting.delete(n.schema_key);
        if (o.signal?.aborted) throw new BadRequest('populate cancelled', 'cancelled');
        const parentId = pk ? (ids.get(pk) ?? null) : null;
        const current = existing.get(n.schema_key);
        if (!current) {
          let id: string | null = null;
          if (t) {
            id = (
              await this.files.insertIn(
                t,
                scope,
                { name: n.name, description: n.description ?? null, content: n.content ?? '', schema_key: n.schema_key, parent_context_id: parentId, is_public: false, tier: n.tier ?? 2, context_type: n.context_type ?? 'reference', state: 'draft', source: o.source },
                'populate',
                now,
                batch,
              )
            ).id;
          }
          ids.set(n.schema_key, id);
          result.created.push({ schema_key: n.schema_key, id, name: n.name, placeholder: false });
          result.counts.created++;
        } else {
          const changes = this.diff(current, n, keyOfId);
          if (changes.length === 0) {
            result.unchanged.push({ schema_key: n.schema_key, id: current.id });
            result.counts.unchanged++;
          } else {
            if (t) {
              await this.files.updateIn(
                t,
                scope,
                current,
                {
                  name: n.name,
                  ...(n.description !== undefined && { description: n.description }),
                  ...(n.content !== undefined && { content: n.content }),
                  ...(n.tier !== undefined && { tier: n.tier }),
                  ...(n.context_type !== undefined && { context_type: n.context_type }),
                  ...(pk !== null && parentId !== null && { parent_context_id: parentId }),
                  source: o.source,
                },
                'populate',
                now,
              );
            }
            result.updated.push({ schema_key: n.schema_key, id: current.id, changes });
            result.counts.updated++;
          }
        }
        done.add(n.schema_key);
        if (++count % 100 === 0) await o.progress?.(count, nodes.length);
      };
      for (const n of nodes) await place(n);
      return result;
    };
    if (o.dryRun) return run(null);
    return this.deps.store.tx((t) => run(t));
  }

  /** Field-level differences between a stored context and a node (fields the node leaves out are not compared). */
  private diff(row: ContextRow, n: PopulateNode, keyOfId: Map<string, string | null>): FieldChange[] {
    const parentKey = row.parent_id ? (keyOfId.get(row.parent_id) ?? null) : null;
    const stored = readContent(row.content);
    const current: Record<(typeof NODE_FIELDS)[number], string | number | null> = {
      name: row.name,
      description: row.description,
      content: typeof stored === 'string' ? stored : contentText(stored),
      context_type: row.context_type,
      tier: row.tier,
      parent_schema_key: parentKey,
    };
    const out: FieldChange[] = [];
    for (const f of NODE_FIELDS) {
      const next = n[f];
      if (next === undefined) continue;
      if (next !== current[f]) out.push({ field: f, before: clip(current[f]), after: clip(next) });
    }
    return out;
  }
}

