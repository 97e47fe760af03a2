-- Project knowledge base. Items are keyed by (owner_id, project_id, item_id): the same item_id in
-- two projects is two items. Every ingest, edit and restore appends a row to kb_versions; kb_items
-- points at the current one. Only the current version is chunked and searchable.
CREATE TABLE kb_items (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  title TEXT,
  current_version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, item_id)
) WITHOUT ROWID;
CREATE INDEX kb_items_scope_updated ON kb_items(owner_id, project_id, updated_at);

CREATE TABLE kb_versions (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  -- 'ingest' | 'edit' | 'restore'
  change TEXT NOT NULL CHECK (change IN ('ingest', 'edit', 'restore')),
  restored_from INTEGER,
  -- How the content arrived: 'text' | 'url' | 'file'; source = URL or file name.
  source_mode TEXT NOT NULL CHECK (source_mode IN ('text', 'url', 'file')),
  source TEXT,
  format TEXT NOT NULL,
  title TEXT,
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  -- JSON: page spans for PDFs, extraction facts, warnings.
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, item_id, version),
  FOREIGN KEY (owner_id, project_id, item_id) REFERENCES kb_items(owner_id, project_id, item_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Passages of the current version with their vectors (Float32 BLOB) and the embedder that made them.
CREATE TABLE kb_chunks (
  rowid INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  page INTEGER,
  heading_path TEXT NOT NULL DEFAULT '[]',
  text TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  start_offset INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL,
  FOREIGN KEY (owner_id, project_id, item_id) REFERENCES kb_items(owner_id, project_id, item_id) ON DELETE CASCADE
);
CREATE INDEX kb_chunks_scope_item ON kb_chunks(owner_id, project_id, item_id, idx);

-- Keyword leg of hybrid search; rows keyed by kb_chunks.rowid, deleted explicitly with their chunk.
CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
  text,
  content = '',
  contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
