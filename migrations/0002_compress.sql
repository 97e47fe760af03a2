-- Compression cache (exact + semantic), its hit counters, per-project cache settings, and saved
-- fidelity profiles. Every row is scoped by owner_id and project_id.

-- One row per distinct compression (text + parameters). The source text itself is not stored: only
-- its hash, its document vector (for near-duplicate matching) and the result.
CREATE TABLE compress_cache (
  id INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  params_hash TEXT NOT NULL,
  embedder_id TEXT,
  original_tokens INTEGER NOT NULL,
  vector BLOB,
  result TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_hit_at TEXT,
  hits INTEGER NOT NULL DEFAULT 0,
  UNIQUE (owner_id, project_id, key_hash)
);
CREATE INDEX compress_cache_recent ON compress_cache(owner_id, project_id, params_hash, embedder_id, id);

CREATE TABLE compress_cache_stats (
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  exact_hits INTEGER NOT NULL DEFAULT 0,
  semantic_hits INTEGER NOT NULL DEFAULT 0,
  misses INTEGER NOT NULL DEFAULT 0,
  tokens_saved_by_hits INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (owner_id, project_id)
);

CREATE TABLE compress_settings (
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  semantic_threshold REAL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id)
);

CREATE TABLE fidelity_profiles (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  fidelity TEXT NOT NULL,
  chunk_tokens INTEGER NOT NULL,
  skeleton_ratio REAL,
  output_style TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (owner_id, project_id, name)
);
CREATE INDEX fidelity_profiles_scope ON fidelity_profiles(owner_id, project_id, name);
