// Documentation look-up store: what the retrieval index needs of lookup passages. A passage is
// embedded with its source's name and heading trail (the service's passageEmbeddingText, passed in),
// so re-embedding joins the source for its name. Built-in sources live in scope ('', '').
import { FTS_INDEXES, readJson } from './dialect.js';
import { saveScopedVectors, type RetrievalSource } from './retrieval.js';

export type LookupEmbeddingText = (sourceName: string, headingPath: string[], text: string) => string;

export const lookupChunkSource = (embeddingText: LookupEmbeddingText): RetrievalSource<{ sourceId: string }> => ({
  collection: 'lookup',
  fts: FTS_INDEXES.lookupChunks,
  async loadVectors(ctx, scope, embedderId) {
    const rows = await ctx.db
      .selectFrom('lookup_chunks')
      .select(['rowid', 'source_id', 'embedding'])
      .where('owner_id', '=', scope.ownerId)
      .where('project_id', '=', scope.projectId)
      .where('embedder_id', '=', embedderId)
      .orderBy('rowid')
      .execute();
    return rows.map((r) => ({ id: r.rowid, meta: { sourceId: r.source_id }, vec: r.embedding }));
  },
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
