-- Context files (seed 001) and hierarchical project contexts with the brain (seed 002): one table,
-- two views. A row belongs to an owner and a project like every other; `slug` is unique per owner
-- among live rows, `schema_key` unique per project among live rows (partial indexes: a soft-deleted
-- row keeps its values until it is restored or purged). `content` is the JSON of what the caller
-- sent (an object for context files, a Markdown string for project contexts); `text` is the
-- searchable rendering of name, description and content: the retrieval index's keyword rows and
-- vectors are made from it (embedding empty until the index embeds it on first use).
CREATE TABLE contexts (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  description TEXT,
  content TEXT NOT NULL,
  is_public INTEGER NOT NULL,
  version TEXT NOT NULL,
  version_number INTEGER NOT NULL,
  view_count INTEGER NOT NULL DEFAULT 0,
  copy_count INTEGER NOT NULL DEFAULT 0,
  schema_key TEXT,
  parent_id TEXT,
  tier INTEGER NOT NULL CHECK (tier IN (1, 2, 3)),
  context_type TEXT NOT NULL CHECK (context_type IN ('system', 'reference', 'memory')),
  state TEXT NOT NULL CHECK (state IN ('draft', 'approved', 'deprecated')),
  source TEXT,
  copied_from TEXT,
  text TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX contexts_owner_slug ON contexts(owner_id, slug) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX contexts_scope_schema_key ON contexts(owner_id, project_id, schema_key) WHERE deleted_at IS NULL AND schema_key IS NOT NULL;
CREATE INDEX contexts_scope_updated ON contexts(owner_id, project_id, updated_at);
CREATE INDEX contexts_scope_parent ON contexts(owner_id, project_id, parent_id);
CREATE INDEX contexts_deleted ON contexts(deleted_at) WHERE deleted_at IS NOT NULL;
-- Public reads by slug without a key (only is_public rows are ever read this way).
CREATE INDEX contexts_public_slug ON contexts(slug) WHERE is_public = 1 AND deleted_at IS NULL;

-- Every content version, kept and readable (the current one included).
CREATE TABLE context_versions (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  context_id TEXT NOT NULL,
  version_number INTEGER NOT NULL,
  version TEXT NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('create', 'update', 'compact', 'copy', 'populate')),
  name TEXT NOT NULL,
  description TEXT,
  content TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, context_id, version_number)
) WITHOUT ROWID;

-- Journal entries of a context (add_context_entry). Compaction folds the live ones into the content
-- and stamps them with the version that holds them; they stay as history.
CREATE TABLE context_entries (
  rowid INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  context_id TEXT NOT NULL,
  text TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  compacted_in INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX context_entries_scope ON context_entries(owner_id, project_id, context_id, rowid);

CREATE VIRTUAL TABLE contexts_fts USING fts5(
  text,
  content = '',
  contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Keyword rows and the retrieval stamp follow the rows (like memories, 0011); a view count or a
-- state change moves neither (the index ranks text; the brain filters state itself).
CREATE TRIGGER contexts_ai AFTER INSERT ON contexts BEGIN
  INSERT INTO contexts_fts (rowid, text) VALUES (new.rowid, new.text);
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('contexts', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER contexts_ad AFTER DELETE ON contexts BEGIN
  DELETE FROM contexts_fts WHERE rowid = old.rowid;
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('contexts', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER contexts_au_text AFTER UPDATE OF text ON contexts BEGIN
  DELETE FROM contexts_fts WHERE rowid = old.rowid;
  INSERT INTO contexts_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER contexts_au AFTER UPDATE OF text, embedding, embedder_id ON contexts BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('contexts', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
