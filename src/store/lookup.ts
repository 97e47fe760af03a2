// Documentation look-up store: what the retrieval index needs of lookup passages. A passage is
// embedded with its source's name and heading trail (the service's passageEmbeddingText, passed in),
// so re-embedding joins the source for its name. Built-in sources live in scope ('', '').
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import { loadScopedVectors, saveScopedVectors, type RetrievalSource } from './retrieval.js';
import type { LookupSourcesTable } from './schema.js';
import type { RepoContext } from './store.js';

export type LookupEmbeddingText = (sourceName: string, headingPath: string[], text: string) => string;

export const lookupChunkSource = (embeddingText: LookupEmbeddingText): RetrievalSource<{ sourceId: string }> => ({
  collection: 'lookup',
  fts: FTS_INDEXES.lookupChunks,
  loadVectors: (ctx, scope, embedderId) => loadScopedVectors(ctx, { table: 'lookup_chunks', id: 'rowid', columns: ['source_id'] }, scope, embedderId, (r) => ({ sourceId: r.source_id as string })),
  async staleRows(ctx, scope, embedderId, limit) {
    const rows = await ctx.db
      .selectFrom('lookup_chunks as c')
      .innerJoin('lookup_sources as s', 's.id', 'c.source_id')
      .select(['c.rowid', 'c.heading_path', 'c.text', 's.name'])
      .where('c.owner_id', '=', scope.ownerId)
      .where('c.project_id', '=', scope.projectId)
      .where('c.embedder_id', '!=', embedderId)
      .orderBy('c.rowid')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.rowid, text: embeddingText(r.name, readJson<string[]>(r.heading_path), r.text) }));
  },
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'lookup_chunks', id: 'rowid', guardText: false }, scope, embedderId, rows),
});

export type LookupSourceRow = Selectable<LookupSourcesTable>;
export interface LookupNewChunk { file: string; headingPath: string[]; text: string; tokens: number; embedding: Buffer; ftsText: string }
export interface LookupHitRow { rowid: number; file: string; heading_path: string[]; text: string; slug: string; name: string; version: string | null }

const SOURCE_COLUMNS = ['id', 'owner_id', 'project_id', 'slug', 'kind', 'name', 'version', 'path', 'builtin', 'fingerprint', 'files', 'chunks', 'indexed_at', 'created_at'] as const;
/**
 * Passages inserted per statement. Small enough that a large source (a package's .d.ts) does not hold
 * the event loop for long: the transaction yields between batches (the built-in index is built while
 * the server already answers).
 */
const INSERT_BATCH = 100;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The documentation sources of one scope (a project's own, or the built-ins' ('', '')) and their passages. */
export class LookupRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private sourcesQuery() {
    return this.ctx.db.selectFrom('lookup_sources').select(SOURCE_COLUMNS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async source(slug: string): Promise<LookupSourceRow | undefined> {
    return this.sourcesQuery().where('slug', '=', slug).executeTakeFirst();
  }

  /** The scope's sources by slug (`builtinOnly`: those indexed from ctxgate's own packages). */
  async sources(builtinOnly = false): Promise<LookupSourceRow[]> {
    let q = this.sourcesQuery();
    if (builtinOnly) q = q.where('builtin', '=', 1);
    return q.orderBy('slug').execute();
  }

  /** Passages of this scope by rowid, with their source (search hits). */
  async hits(rowids: number[]): Promise<LookupHitRow[]> {
    if (rowids.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('lookup_chunks as c')
      .innerJoin('lookup_sources as s', 's.id', 'c.source_id')
      .select(['c.rowid', 'c.file', 'c.heading_path', 'c.text', 's.slug', 's.name', 's.version'])
      .where('c.owner_id', '=', this.scope.ownerId)
      .where('c.project_id', '=', this.scope.projectId)
      .where('c.rowid', 'in', rowids)
      .execute();
    return rows.map((r) => ({ ...r, heading_path: readJson<string[]>(r.heading_path) }));
  }

  /** Stores a source and its passages, replacing any source of the same slug, in one transaction. */
  async replace(row: Omit<LookupSourceRow, 'owner_id' | 'project_id' | 'created_at'>, chunks: LookupNewChunk[], embedderId: string): Promise<void> {
    const own = { owner_id: this.scope.ownerId, project_id: this.scope.projectId };
    await this.ctx.tx(async (t) => {
      const repo = t.lookup(this.scope);
      const old = await repo.source(row.slug);
      if (old) await repo.delete(old.id);
      await t.db.insertInto('lookup_sources').values({ ...row, ...own, created_at: row.indexed_at }).execute();
      for (let b = 0; b < chunks.length; b += INSERT_BATCH) {
        const batch = chunks.slice(b, b + INSERT_BATCH);
        const keys = await t.db
          .insertInto('lookup_chunks')
          .values(batch.map((c) => ({ ...own, source_id: row.id, file: c.file, heading_path: t.dialect.json(c.headingPath), text: c.text, tokens: c.tokens, embedding: c.embedding, embedder_id: embedderId })))
          .returning('rowid')
          .execute();
        // Identity keys grow in VALUES order within one statement on both backends; sort rather than trust RETURNING's order.
        const sorted = keys.map((k) => k.rowid).sort((a, b) => a - b);
        await t.dialect.ftsInsert(t.db, FTS_INDEXES.lookupChunks, batch.map((c, i) => ({ key: sorted[i]!, values: [c.ftsText] })));
        await yieldToLoop();
      }
    });
  }

  /** Removes a source and its passages (their keyword rows go with them: trigger 0011 / generated column); how many passages went. */
  async delete(sourceId: string): Promise<number> {
    return this.ctx.tx(async (t) => {
      const r = await t.db.deleteFrom('lookup_chunks').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('source_id', '=', sourceId).executeTakeFirst();
      await t.db.deleteFrom('lookup_sources').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', sourceId).execute();
      return Number(r.numDeletedRows);
    });
  }
}
