-- Spaces (issue 15, seed 000): spaces, nested collections, sources (conversations, documents,
-- uploaded files), the artifacts extracted from them (versioned by lineage), snapshots, and
-- one-shot upload slots. Every row is scoped by owner_id and project_id; project delete removes them.
CREATE TABLE spaces (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);

CREATE TABLE space_collections (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  space_id TEXT NOT NULL,
  parent_id TEXT,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX space_collections_space ON space_collections(owner_id, project_id, space_id);

-- content: JSON — the normalised messages ([{role, text}]) of a conversation, or {text} of a document.
CREATE TABLE space_sources (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  space_id TEXT NOT NULL,
  collection_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('conversation', 'document', 'upload')),
  title TEXT,
  format TEXT NOT NULL,
  content TEXT NOT NULL,
  message_count INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  status TEXT NOT NULL,
  job_id TEXT,
  error TEXT,
  artifacts_count INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX space_sources_space ON space_sources(owner_id, project_id, space_id, created_at);

-- One row per artifact version; `lineage` names what stays the same across versions (kind + name),
-- version counts within (space, lineage), previous_id links to the older one.
CREATE TABLE artifacts (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  space_id TEXT NOT NULL,
  collection_id TEXT,
  source_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subtype TEXT,
  language TEXT,
  name TEXT,
  lineage TEXT NOT NULL,
  version INTEGER NOT NULL,
  previous_id TEXT,
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  message_index INTEGER,
  role TEXT,
  text TEXT NOT NULL,
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX artifacts_scope_space ON artifacts(owner_id, project_id, space_id, kind);
CREATE INDEX artifacts_scope_source ON artifacts(owner_id, project_id, source_id);
CREATE INDEX artifacts_scope_lineage ON artifacts(owner_id, project_id, space_id, lineage, version);

CREATE VIRTUAL TABLE artifacts_fts USING fts5(
  text,
  content = '',
  contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER artifacts_ai AFTER INSERT ON artifacts BEGIN
  INSERT INTO artifacts_fts (rowid, text) VALUES (new.rowid, new.text);
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('artifacts', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER artifacts_ad AFTER DELETE ON artifacts BEGIN
  DELETE FROM artifacts_fts WHERE rowid = old.rowid;
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('artifacts', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER artifacts_au AFTER UPDATE OF embedding, embedder_id ON artifacts BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('artifacts', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TABLE space_snapshots (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  space_id TEXT,
  source_id TEXT,
  title TEXT,
  budget_tokens INTEGER NOT NULL,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  markdown TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX space_snapshots_recent ON space_snapshots(owner_id, project_id, created_at);

-- A signed upload slot: bound to the key that asked for it; one PUT, then one source.
CREATE TABLE space_uploads (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  filename TEXT,
  mime_type TEXT,
  max_bytes INTEGER NOT NULL,
  expires_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'received', 'used')),
  size INTEGER,
  bytes BLOB,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
