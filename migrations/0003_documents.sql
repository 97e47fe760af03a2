-- Stored documents: one row per (owner, project, file_id); content kept so skeletons and refreshes
-- can be recomputed, content_hash makes a re-ingest of identical content a no-op.
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  title TEXT,
  source_type TEXT NOT NULL DEFAULT 'text',
  metadata TEXT NOT NULL DEFAULT '{}',
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  skeleton_tokens INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (owner_id, project_id, file_id)
);
CREATE INDEX documents_scope_created ON documents(owner_id, project_id, created_at);

-- Chunks with their vectors (Float32 BLOB) and the id of the embedder that produced them, so a
-- change of the active embedder is detected and the chunk re-embedded. The integer rowid links
-- a chunk to its full-text row; `id` is the public chunk id.
CREATE TABLE document_chunks (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  text TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  kind TEXT NOT NULL,
  heading_path TEXT NOT NULL DEFAULT '[]',
  start_offset INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  text_hash TEXT NOT NULL,
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL,
  UNIQUE (doc_id, idx)
);
CREATE INDEX document_chunks_scope_doc ON document_chunks(owner_id, project_id, doc_id, idx);
CREATE INDEX document_chunks_scope_embedder ON document_chunks(owner_id, project_id, embedder_id);

-- Keyword index for bm25(). Contentless: the text lives once, in document_chunks; rows are keyed by
-- document_chunks.rowid and removed explicitly (contentless_delete) in the same transaction.
CREATE VIRTUAL TABLE document_chunks_fts USING fts5(
  text,
  content = '',
  contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
