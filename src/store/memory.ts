// Memory store: what the retrieval index needs of memories. Memories are embedded as their text; the
// metadata kept beside each vector is what search filters test without touching the store.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import type { MemoriesTable } from './schema.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import { loadScopedVectors, saveScopedVectors, staleScopedRows, type RetrievalSource } from './retrieval.js';
import type { RepoContext } from './store.js';

export interface MemoryMeta {
  createdAt: string;
  tags: string[];
  source: string | null;
}

export const memorySource: RetrievalSource<MemoryMeta> = {
  collection: 'memory',
  fts: FTS_INDEXES.memories,
  scopeByTable: true,
  loadVectors: (ctx, scope, embedderId) =>
    loadScopedVectors(ctx, { table: 'memories', id: 'seq', columns: ['tags', 'source', 'created_at'], unordered: true }, scope, embedderId, (r) => ({
      createdAt: r.created_at as string,
      tags: readJson<string[]>(r.tags),
      source: r.source as string | null,
    })),
  staleRows: (ctx, scope, embedderId, limit) => staleScopedRows(ctx, { table: 'memories', id: 'seq' }, scope, embedderId, limit),
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'memories', id: 'seq', guardText: true }, scope, embedderId, rows),
};

/** A memory row as services read it (the vector stays in the store and the retrieval index). */
export type MemoryRow = Omit<Selectable<MemoriesTable>, 'owner_id' | 'project_id' | 'tags' | 'embedding' | 'embedder_id'> & { tags: string[] };

/** Row filters of list/forget: tags (any, or all), created_at bounds (ISO, inclusive), source. */
export interface MemoryRowFilter {
  tags?: string[];
  matchAllTags?: boolean;
  since?: string;
  until?: string;
  source?: string;
}

const ROW = ['m.seq', 'm.id', 'm.text', 'm.tags', 'm.source', 'm.merge_count', 'm.created_at', 'm.updated_at'] as const;

/** One project's memories and their tags. */
export class MemoryRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private base() {
    return this.ctx.db.selectFrom('memories as m').select(ROW).where('m.owner_id', '=', this.scope.ownerId).where('m.project_id', '=', this.scope.projectId);
  }

  private filtered(f: MemoryRowFilter) {
    let q = this.base();
    if (f.since) q = q.where('m.created_at', '>=', f.since);
    if (f.until) q = q.where('m.created_at', '<=', f.until);
    if (f.source !== undefined) q = q.where('m.source', '=', f.source);
    if (f.tags && f.tags.length > 0) {
      const tagged = this.ctx.db
        .selectFrom('memory_tags')
        .select('memory_seq')
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', this.scope.projectId)
        .where('tag', 'in', f.tags)
        .groupBy('memory_seq')
        .having((eb) => eb.fn.countAll(), '>=', f.matchAllTags ? f.tags.length : 1);
      q = q.where('m.seq', 'in', tagged);
    }
    return q;
  }

  async byId(id: string): Promise<MemoryRow | undefined> {
    const r = await this.base().where('m.id', '=', id).executeTakeFirst();
    return r && toRow(r);
  }

  async bySeq(seq: number): Promise<MemoryRow | undefined> {
    const r = await this.base().where('m.seq', '=', seq).executeTakeFirst();
    return r && toRow(r);
  }

  async bySeqs(seqs: number[]): Promise<MemoryRow[]> {
    if (seqs.length === 0) return [];
    return (await this.base().where('m.seq', 'in', seqs).execute()).map(toRow);
  }

  async byIds(ids: string[]): Promise<MemoryRow[]> {
    if (ids.length === 0) return [];
    return (await this.base().where('m.id', 'in', ids).execute()).map(toRow);
  }

  async list(f: MemoryRowFilter, opts: { limit: number; offset: number; order: 'newest' | 'oldest' }): Promise<MemoryRow[]> {
    const dir = opts.order === 'oldest' ? 'asc' : 'desc';
    return (await this.filtered(f).orderBy('m.created_at', dir).orderBy('m.seq', dir).limit(opts.limit).offset(opts.offset).execute()).map(toRow);
  }

  async count(f: MemoryRowFilter): Promise<number> {
    const r = await this.filtered(f).clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async insert(row: { id: string; text: string; tags: string[]; source: string | null; embedding: Buffer; embedderId: string; now: string }): Promise<number> {
    const r = await this.ctx.db
      .insertInto('memories')
      .values({
        id: row.id,
        owner_id: this.scope.ownerId,
        project_id: this.scope.projectId,
        text: row.text,
        tags: this.ctx.dialect.json(row.tags),
        source: row.source,
        embedding: row.embedding,
        embedder_id: row.embedderId,
        created_at: row.now,
        updated_at: row.now,
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    await this.writeTags(r.seq, row.tags);
    return r.seq;
  }

  /** Changes a memory; `embedding` with `text`, and merged = true counts a near-duplicate folded in. */
  async update(seq: number, patch: { text?: string; tags: string[]; source: string | null; embedding?: Buffer; embedderId?: string; merged?: boolean; now: string }): Promise<void> {
    await this.ctx.db
      .updateTable('memories')
      .set((eb) => ({
        tags: this.ctx.dialect.json(patch.tags),
        source: patch.source,
        updated_at: patch.now,
        ...(patch.text !== undefined && patch.embedding && patch.embedderId ? { text: patch.text, embedding: patch.embedding, embedder_id: patch.embedderId } : {}),
        ...(patch.merged ? { merge_count: eb('merge_count', '+', 1) } : {}),
      }))
      .where('seq', '=', seq)
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .execute();
    await this.writeTags(seq, patch.tags);
  }

  async delete(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.ctx.db.deleteFrom('memories').where('seq', 'in', seqs).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).execute();
  }

  private async writeTags(seq: number, tags: string[]): Promise<void> {
    await this.ctx.db.deleteFrom('memory_tags').where('memory_seq', '=', seq).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).execute();
    if (tags.length === 0) return;
    await this.ctx.db
      .insertInto('memory_tags')
      .values(tags.map((tag) => ({ owner_id: this.scope.ownerId, project_id: this.scope.projectId, memory_seq: seq, tag })))
      .execute();
  }
}

function toRow(r: { seq: number; id: string; text: string; tags: unknown; source: string | null; merge_count: number; created_at: string; updated_at: string }): MemoryRow {
  return { ...r, tags: readJson<string[]>(r.tags) };
}
