-- Documentation look-up. Built-in sources (the npm packages installed with ctxgate) have
-- owner_id = '' and project_id = '' and are visible to everyone, including keyless callers;
-- sources added through add_lookup_source belong to the adding owner and project.
CREATE TABLE lookup_sources (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  -- 'npm' (an installed package's README, docs/ and .d.ts) | 'folder' (a local docs directory)
  kind TEXT NOT NULL CHECK (kind IN ('npm', 'folder')),
  name TEXT NOT NULL,
  version TEXT,
  path TEXT NOT NULL,
  builtin INTEGER NOT NULL DEFAULT 0,
  -- Fingerprint of what was indexed (package version, or file sizes and mtimes): unchanged = no re-index.
  fingerprint TEXT NOT NULL,
  files INTEGER NOT NULL DEFAULT 0,
  chunks INTEGER NOT NULL DEFAULT 0,
  indexed_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (owner_id, project_id, slug)
);

CREATE TABLE lookup_chunks (
  rowid INTEGER PRIMARY KEY,
  source_id TEXT NOT NULL REFERENCES lookup_sources(id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  file TEXT NOT NULL,
  heading_path TEXT NOT NULL DEFAULT '[]',
  text TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL
);
CREATE INDEX lookup_chunks_scope_source ON lookup_chunks(owner_id, project_id, source_id);
CREATE INDEX lookup_chunks_source ON lookup_chunks(source_id);

CREATE VIRTUAL TABLE lookup_chunks_fts USING fts5(
  text,
  content = '',
  contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
