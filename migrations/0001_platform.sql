CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (owner_id, name)
);
CREATE INDEX projects_owner ON projects(owner_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  plan TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'team', 'enterprise')),
  key_hash TEXT NOT NULL UNIQUE,
  masked_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX api_keys_owner ON api_keys(owner_id);

-- One row per metered call. `counted` = 1 when it counts against the monthly compression quota
-- (cache hits are recorded with counted = 0).
CREATE TABLE usage_events (
  id INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  key_id TEXT,
  tool TEXT NOT NULL,
  month TEXT NOT NULL,
  at TEXT NOT NULL,
  tokens_in INTEGER NOT NULL DEFAULT 0,
  tokens_out INTEGER NOT NULL DEFAULT 0,
  tokens_saved INTEGER NOT NULL DEFAULT 0,
  cache TEXT CHECK (cache IN ('exact', 'semantic')),
  counted INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX usage_key_month ON usage_events(key_id, month);
CREATE INDEX usage_owner_project_month ON usage_events(owner_id, project_id, month);
