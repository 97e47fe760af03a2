// Documents store: what the retrieval index needs of document chunks (vectors, stale rows, full-text
// index). Chunks are embedded as their own text.
import { FTS_INDEXES } from './dialect.js';
import { saveScopedVectors, type RetrievalSource } from './retrieval.js';

export const documentChunkSource: RetrievalSource<{ docId: string }> = {
  collection: 'documents',
  fts: FTS_INDEXES.documentChunks,
  async loadVectors(ctx, scope, embedderId) {
    const rows = await ctx.db
      .selectFrom('document_chunks')
      .select(['rowid', 'doc_id', 'embedding'])
      .where('owner_id', '=', scope.ownerId)
      .where('project_id', '=', scope.projectId)
      .where('embedder_id', '=', embedderId)
      .orderBy('rowid')
      .execute();
    return rows.map((r) => ({ id: r.rowid, meta: { docId: r.doc_id }, vec: r.embedding }));
  },
  async staleRows(ctx, scope, embedderId, limit) {
    return ctx.db
      .selectFrom('document_chunks')
      .select(['rowid as id', 'text'])
      .where('owner_id', '=', scope.ownerId)
      .where('project_id', '=', scope.projectId)
      .where('embedder_id', '!=', embedderId)
      .orderBy('rowid')
      .limit(limit)
      .execute();
  },
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'document_chunks', id: 'rowid', guardText: true }, scope, embedderId, rows),
};
