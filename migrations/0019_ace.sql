-- The ace toolset: playbook bullets (ranked by the one retrieval index as collection 'ace'),
-- handoffs between agents or sessions, and experiments (their runs are jobs of kind 'ace_experiment').

-- A bullet is one itemised lesson of a playbook. `norm` is its normalised text (lower case, letters
-- and digits only) so an exact restatement is found by an index, not a scan; near-duplicates are
-- found by embedding similarity. Counters grow by deltas (ace_add_bullets, ace_record_outcome).
CREATE TABLE ace_bullets (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  playbook TEXT NOT NULL,
  section TEXT NOT NULL,
  text TEXT NOT NULL,
  norm TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  helpful INTEGER NOT NULL DEFAULT 0,
  harmful INTEGER NOT NULL DEFAULT 0,
  -- How many near-duplicate deltas were folded into this bullet (by ace_add_bullets or ace_curate).
  merge_count INTEGER NOT NULL DEFAULT 0,
  -- Provenance: the sources of this bullet and of every bullet merged into it (JSON array).
  sources TEXT NOT NULL DEFAULT '[]',
  embedding BLOB NOT NULL,
  embedder_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_used_at TEXT
);
CREATE INDEX ace_bullets_scope ON ace_bullets(owner_id, project_id, playbook, section);
CREATE INDEX ace_bullets_norm ON ace_bullets(owner_id, project_id, playbook, norm);

CREATE VIRTUAL TABLE ace_bullets_fts USING fts5(
  text,
  section,
  tags,
  content = 'ace_bullets',
  content_rowid = 'seq',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The stamp moves only when what the index holds changes (text, section, tags, playbook, vector):
-- counters and last-used times change on every outcome and must not invalidate the cached vectors.
CREATE TRIGGER ace_bullets_ai AFTER INSERT ON ace_bullets BEGIN
  INSERT INTO ace_bullets_fts (rowid, text, section, tags) VALUES (new.seq, new.text, new.section, new.tags);
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('ace', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER ace_bullets_ad AFTER DELETE ON ace_bullets BEGIN
  INSERT INTO ace_bullets_fts (ace_bullets_fts, rowid, text, section, tags) VALUES ('delete', old.seq, old.text, old.section, old.tags);
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('ace', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER ace_bullets_au AFTER UPDATE OF text, section, tags, playbook, embedding, embedder_id ON ace_bullets BEGIN
  INSERT INTO ace_bullets_fts (ace_bullets_fts, rowid, text, section, tags) VALUES ('delete', old.seq, old.text, old.section, old.tags);
  INSERT INTO ace_bullets_fts (rowid, text, section, tags) VALUES (new.seq, new.text, new.section, new.tags);
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('ace', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

-- A handoff: a task's state packed for another agent or session (content is JSON: goal, progress,
-- decisions, files, symbols, commands, open questions, next steps, references). Expired rows are
-- deleted, not hidden.
CREATE TABLE ace_handoffs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  title TEXT NOT NULL,
  from_agent TEXT,
  to_agent TEXT,
  content TEXT NOT NULL,
  token_budget INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  -- What the budget left out (JSON array of "field: n items" notes).
  trimmed TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'open',
  picked_up_at TEXT,
  picked_up_by TEXT,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ace_handoffs_scope ON ace_handoffs(owner_id, project_id, created_at);
CREATE INDEX ace_handoffs_expiry ON ace_handoffs(owner_id, project_id, expires_at);

-- An experiment: the documents (stored doc ids, or texts given inline), the settings compared and
-- the question/answer pairs; its run is the job `job_id` (one item per document).
CREATE TABLE ace_experiments (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  name TEXT,
  documents TEXT NOT NULL,
  settings TEXT NOT NULL,
  questions TEXT NOT NULL DEFAULT '[]',
  job_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ace_experiments_scope ON ace_experiments(owner_id, project_id, created_at);
