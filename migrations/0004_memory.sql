-- Agent memory: one row per remembered fact, its vector (Float32 BLOB) and the id of the embedder
-- that produced it (a change of embedder is detected and the row re-embedded). The integer `seq`
-- links a memory to its full-text row and its tags; `id` is the public memory id.
CREATE TABLE memories (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  text TEXT NOT NULL,
  -- Tags as a JSON array (returned as-is); memory_tags holds them one per row for filtering.
  tags TEXT NOT NULL DEFAULT '[]',
  source TEXT,
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL,
  -- How many later near-duplicate writes were merged into this memory.
  merge_count INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX memories_scope_created ON memories(owner_id, project_id, created_at);

CREATE TABLE memory_tags (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  memory_seq INTEGER NOT NULL REFERENCES memories(seq) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (memory_seq, tag)
);
CREATE INDEX memory_tags_scope_tag ON memory_tags(owner_id, project_id, tag, memory_seq);

-- Keyword side of hybrid search (bm25()). External content: the text lives once, in memories;
-- triggers keep the index in step with every insert, update and delete, whoever makes it.
CREATE VIRTUAL TABLE memories_fts USING fts5(
  text,
  tags,
  source,
  content = 'memories',
  content_rowid = 'seq',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

-- A counter per scope, bumped by every change to that scope's memories. The memory service keeps
-- each scope's vectors in process memory; one indexed read of this counter tells it whether they
-- are still current, even when another process (the CLI) or a cascade changed the table.
CREATE TABLE memory_scope_versions (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (owner_id, project_id)
);

CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, text, tags, source) VALUES (new.seq, new.text, new.tags, coalesce(new.source, ''));
  INSERT INTO memory_scope_versions (owner_id, project_id, version) VALUES (new.owner_id, new.project_id, 1)
    ON CONFLICT (owner_id, project_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags, source) VALUES ('delete', old.seq, old.text, old.tags, coalesce(old.source, ''));
  INSERT INTO memory_scope_versions (owner_id, project_id, version) VALUES (old.owner_id, old.project_id, 1)
    ON CONFLICT (owner_id, project_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER memories_au AFTER UPDATE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags, source) VALUES ('delete', old.seq, old.text, old.tags, coalesce(old.source, ''));
  INSERT INTO memories_fts (rowid, text, tags, source) VALUES (new.seq, new.text, new.tags, coalesce(new.source, ''));
  INSERT INTO memory_scope_versions (owner_id, project_id, version) VALUES (new.owner_id, new.project_id, 1)
    ON CONFLICT (owner_id, project_id) DO UPDATE SET version = version + 1;
END;

-- Knowledge graph (the reference MCP memory server's model): entities with ordered observations,
-- and typed relations between entity names. Names are unique per scope; relations are stored by
-- name, as in the reference server, and removed with either endpoint.
CREATE TABLE kg_entities (
  seq INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (owner_id, project_id, name)
);

CREATE TABLE kg_observations (
  seq INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  entity_seq INTEGER NOT NULL REFERENCES kg_entities(seq) ON DELETE CASCADE,
  content TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (entity_seq, content)
);
CREATE INDEX kg_observations_scope_entity ON kg_observations(owner_id, project_id, entity_seq, seq);

CREATE TABLE kg_relations (
  seq INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  from_name TEXT NOT NULL,
  to_name TEXT NOT NULL,
  relation_type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (owner_id, project_id, from_name, to_name, relation_type)
);
CREATE INDEX kg_relations_scope_to ON kg_relations(owner_id, project_id, to_name);
