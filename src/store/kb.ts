// Knowledge-base store: what the retrieval index needs of KB passages. A passage is embedded with its
// item's title and heading trail (the service's embeddingText, passed in), so re-embedding joins the
// item for its title.
import { vectorToBlob } from '../engine/embeddings/vector.js';
import type { RetrievalSource } from './retrieval.js';

export type KbEmbeddingText = (title: string | null, c: { headingPath: string[]; text: string }) => string;

export const kbChunkSource = (embeddingText: KbEmbeddingText): RetrievalSource<{ itemId: string }> => ({
  collection: 'kb',
  keyword: { fts: 'kb_chunks_fts', rows: 'kb_chunks', key: 'rowid' },
  loadVectors(db, scope, embedderId) {
    const rows = db
      .prepare('SELECT rowid, item_id, embedding FROM kb_chunks WHERE owner_id = ? AND project_id = ? AND embedder_id = ? ORDER BY rowid')
      .raw(true)
      .all(scope.ownerId, scope.projectId, embedderId) as Array<[number, string, Buffer]>;
    return rows.map(([id, itemId, vec]) => ({ id, meta: { itemId }, vec }));
  },
  staleRows(db, scope, embedderId, limit) {
    const rows = db
      .prepare(
        `SELECT c.rowid, c.heading_path, c.text, i.title FROM kb_chunks c JOIN kb_items i ON i.owner_id = c.owner_id AND i.project_id = c.project_id AND i.item_id = c.item_id
         WHERE c.owner_id = ? AND c.project_id = ? AND c.embedder_id != ? ORDER BY c.rowid LIMIT ?`,
      )
      .all(scope.ownerId, scope.projectId, embedderId, limit) as Array<{ rowid: number; heading_path: string; text: string; title: string | null }>;
    return rows.map((r) => ({ id: r.rowid, text: embeddingText(r.title, { headingPath: JSON.parse(r.heading_path) as string[], text: r.text }) }));
  },
  saveVectors(db, scope, embedderId, rows) {
    const upd = db.prepare('UPDATE kb_chunks SET embedding = ?, embedder_id = ? WHERE rowid = ? AND owner_id = ? AND project_id = ?');
    db.transaction(() => rows.forEach((r) => upd.run(vectorToBlob(r.vec), embedderId, r.id, scope.ownerId, scope.projectId)))();
  },
});
