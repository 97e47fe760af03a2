// Memory store: what the retrieval index needs of memories. Memories are embedded as their text; the
// metadata kept beside each vector is what search filters test without touching the store.
import { vectorToBlob } from '../engine/embeddings/vector.js';
import type { RetrievalSource } from './retrieval.js';

export interface MemoryMeta {
  createdAt: string;
  tags: string[];
  source: string | null;
}

export const memorySource: RetrievalSource<MemoryMeta> = {
  collection: 'memory',
  keyword: { fts: 'memories_fts', rows: 'memories', key: 'seq', scopeByTable: true },
  loadVectors(db, scope, embedderId) {
    const rows = db
      .prepare('SELECT seq, tags, source, created_at, embedding FROM memories WHERE owner_id = ? AND project_id = ? AND embedder_id = ?')
      .raw(true)
      .all(scope.ownerId, scope.projectId, embedderId) as Array<[number, string, string | null, string, Buffer]>;
    return rows.map(([id, tags, source, createdAt, vec]) => ({ id, meta: { createdAt, tags: JSON.parse(tags) as string[], source }, vec }));
  },
  staleRows(db, scope, embedderId, limit) {
    return db
      .prepare('SELECT seq AS id, text FROM memories WHERE owner_id = ? AND project_id = ? AND embedder_id <> ? ORDER BY seq LIMIT ?')
      .all(scope.ownerId, scope.projectId, embedderId, limit) as Array<{ id: number; text: string }>;
  },
  saveVectors(db, scope, embedderId, rows) {
    // The text guard skips a row edited meanwhile; that edit embedded it already.
    const upd = db.prepare('UPDATE memories SET embedding = ?, embedder_id = ? WHERE seq = ? AND owner_id = ? AND project_id = ? AND text = ?');
    db.transaction(() => rows.forEach((r) => upd.run(vectorToBlob(r.vec), embedderId, r.id, scope.ownerId, scope.projectId, r.text))).immediate();
  },
};
