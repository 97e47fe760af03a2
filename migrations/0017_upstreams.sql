-- Gateway (issue 17): MCP servers registered behind ctxgate, per project. `target` is the stdio
-- command line (one the operator allow-listed) or the HTTP URL; `credentials` holds the headers and
-- environment, sealed with AES-256-GCM under a key derived from the server secret (never returned).
CREATE TABLE upstream_servers (
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  transport TEXT NOT NULL,
  target TEXT NOT NULL,
  credentials TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE UNIQUE INDEX upstream_servers_name ON upstream_servers(owner_id, project_id, name);
