// Documents store: what the retrieval index needs of document chunks (vectors, stale rows, full-text
// index). Chunks are embedded as their own text.
import { vectorToBlob } from '../engine/embeddings/vector.js';
import { FTS_INDEXES } from './dialect.js';
import type { RetrievalSource } from './retrieval.js';

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
  async saveVectors(ctx, scope, embedderId, rows) {
    await ctx.tx(async (t) => {
      for (const r of rows) {
        await t.db
          .updateTable('document_chunks')
          .set({ embedding: vectorToBlob(r.vec), embedder_id: embedderId })
          .where('rowid', '=', r.id)
          .where('owner_id', '=', scope.ownerId)
          .where('project_id', '=', scope.projectId)
          .where('text', '=', r.text)
          .execute();
      }
    });
  },
};
