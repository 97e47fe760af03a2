-- PostgreSQL twin of ../0017_upstreams.sql. Gateway (issue 17): MCP servers registered behind
-- ctxgate, per project; credentials sealed under the server secret.
CREATE TABLE upstream_servers (
  owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id text NOT NULL,
  id text NOT NULL,
  name text NOT NULL,
  transport text NOT NULL,
  target text NOT NULL,
  credentials text,
  created_at text NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE UNIQUE INDEX upstream_servers_name ON upstream_servers(owner_id, project_id, name);
