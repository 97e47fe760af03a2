// Documents store: what the retrieval index needs of document chunks (vectors, stale rows, keyword
// table). Chunks are embedded as their own text.
import type { Scope } from '../registry/define.js';
import { vectorToBlob } from '../engine/embeddings/vector.js';
import type { Db } from './db.js';
import type { RetrievalSource, VectorRow } from './retrieval.js';

export const documentChunkSource: RetrievalSource<{ docId: string }> = {
  collection: 'documents',
  keyword: { fts: 'document_chunks_fts', rows: 'document_chunks', key: 'rowid' },
  loadVectors(db: Db, scope: Scope, embedderId: string): Array<VectorRow<{ docId: string }>> {
    const rows = db
      .prepare('SELECT rowid, doc_id, embedding FROM document_chunks WHERE owner_id = ? AND project_id = ? AND embedder_id = ? ORDER BY rowid')
      .raw(true)
      .all(scope.ownerId, scope.projectId, embedderId) as Array<[number, string, Buffer]>;
    return rows.map(([id, docId, vec]) => ({ id, meta: { docId }, vec }));
  },
  staleRows(db, scope, embedderId, limit) {
    return db
      .prepare('SELECT rowid AS id, text FROM document_chunks WHERE owner_id = ? AND project_id = ? AND embedder_id != ? ORDER BY rowid LIMIT ?')
      .all(scope.ownerId, scope.projectId, embedderId, limit) as Array<{ id: number; text: string }>;
  },
  saveVectors(db, scope, embedderId, rows) {
    const upd = db.prepare('UPDATE document_chunks SET embedding = ?, embedder_id = ? WHERE rowid = ? AND owner_id = ? AND project_id = ? AND text = ?');
    db.transaction(() => rows.forEach((r) => upd.run(vectorToBlob(r.vec), embedderId, r.id, scope.ownerId, scope.projectId, r.text)))();
  },
};
