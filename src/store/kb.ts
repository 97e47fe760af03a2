// Knowledge-base store: what the retrieval index needs of KB passages. A passage is embedded with its
// item's title and heading trail (the service's embeddingText, passed in), so re-embedding joins the
// item for its title.
import { vectorToBlob } from '../engine/embeddings/vector.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import type { RetrievalSource } from './retrieval.js';

export type KbEmbeddingText = (title: string | null, c: { headingPath: string[]; text: string }) => string;

export const kbChunkSource = (embeddingText: KbEmbeddingText): RetrievalSource<{ itemId: string }> => ({
  collection: 'kb',
  fts: FTS_INDEXES.kbChunks,
  async loadVectors(ctx, scope, embedderId) {
    const rows = await ctx.db
      .selectFrom('kb_chunks')
      .select(['rowid', 'item_id', 'embedding'])
      .where('owner_id', '=', scope.ownerId)
      .where('project_id', '=', scope.projectId)
      .where('embedder_id', '=', embedderId)
      .orderBy('rowid')
      .execute();
    return rows.map((r) => ({ id: r.rowid, meta: { itemId: r.item_id }, vec: r.embedding }));
  },
  async staleRows(ctx, scope, embedderId, limit) {
    const rows = await ctx.db
      .selectFrom('kb_chunks as c')
      .innerJoin('kb_items as i', (j) => j.onRef('i.owner_id', '=', 'c.owner_id').onRef('i.project_id', '=', 'c.project_id').onRef('i.item_id', '=', 'c.item_id'))
      .select(['c.rowid', 'c.heading_path', 'c.text', 'i.title'])
      .where('c.owner_id', '=', scope.ownerId)
      .where('c.project_id', '=', scope.projectId)
      .where('c.embedder_id', '!=', embedderId)
      .orderBy('c.rowid')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.rowid, text: embeddingText(r.title, { headingPath: readJson<string[]>(r.heading_path), text: r.text }) }));
  },
  async saveVectors(ctx, scope, embedderId, rows) {
    await ctx.tx(async (t) => {
      for (const r of rows) {
        await t.db
          .updateTable('kb_chunks')
          .set({ embedding: vectorToBlob(r.vec), embedder_id: embedderId })
          .where('rowid', '=', r.id)
          .where('owner_id', '=', scope.ownerId)
          .where('project_id', '=', scope.projectId)
          .execute();
      }
    });
  },
});
