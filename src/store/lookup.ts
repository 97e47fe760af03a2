// Documentation look-up store: what the retrieval index needs of lookup passages. A passage is
// embedded with its source's name and heading trail (the service's passageEmbeddingText, passed in),
// so re-embedding joins the source for its name. Built-in sources live in scope ('', '').
import { vectorToBlob } from '../engine/embeddings/vector.js';
import type { RetrievalSource } from './retrieval.js';

export type LookupEmbeddingText = (sourceName: string, headingPath: string[], text: string) => string;

export const lookupChunkSource = (embeddingText: LookupEmbeddingText): RetrievalSource<{ sourceId: string }> => ({
  collection: 'lookup',
  keyword: { fts: 'lookup_chunks_fts', rows: 'lookup_chunks', key: 'rowid' },
  loadVectors(db, scope, embedderId) {
    const rows = db
      .prepare('SELECT rowid, source_id, embedding FROM lookup_chunks WHERE owner_id = ? AND project_id = ? AND embedder_id = ? ORDER BY rowid')
      .raw(true)
      .all(scope.ownerId, scope.projectId, embedderId) as Array<[number, string, Buffer]>;
    return rows.map(([id, sourceId, vec]) => ({ id, meta: { sourceId }, vec }));
  },
  staleRows(db, scope, embedderId, limit) {
    const rows = db
      .prepare(
        `SELECT c.rowid, c.heading_path, c.text, s.name FROM lookup_chunks c JOIN lookup_sources s ON s.id = c.source_id
         WHERE c.owner_id = ? AND c.project_id = ? AND c.embedder_id != ? ORDER BY c.rowid LIMIT ?`,
      )
      .all(scope.ownerId, scope.projectId, embedderId, limit) as Array<{ rowid: number; heading_path: string; text: string; name: string }>;
    return rows.map((r) => ({ id: r.rowid, text: embeddingText(r.name, JSON.parse(r.heading_path) as string[], r.text) }));
  },
  saveVectors(db, scope, embedderId, rows) {
    const upd = db.prepare('UPDATE lookup_chunks SET embedding = ?, embedder_id = ? WHERE rowid = ? AND owner_id = ? AND project_id = ?');
    db.transaction(() => rows.forEach((r) => upd.run(vectorToBlob(r.vec), embedderId, r.id, scope.ownerId, scope.projectId)))();
  },
});
