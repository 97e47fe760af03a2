-- PostgreSQL twin of ../0013_replicas.sql (JSON columns as jsonb, times as bigint epoch ms).
CREATE TABLE mcp_sessions (
  id text PRIMARY KEY,
  key_id text,
  owner_id text,
  who text NOT NULL,
  profile text NOT NULL,
  toolsets jsonb,
  enabled_toolsets jsonb NOT NULL DEFAULT '[]'::jsonb,
  enabled_tools jsonb NOT NULL DEFAULT '[]'::jsonb,
  json_response integer NOT NULL DEFAULT 0,
  protocol_version text,
  client jsonb NOT NULL DEFAULT '{}'::jsonb,
  used integer NOT NULL DEFAULT 0,
  created_ms bigint NOT NULL,
  last_seen_ms bigint NOT NULL
);
CREATE INDEX mcp_sessions_who ON mcp_sessions(who);
CREATE INDEX mcp_sessions_seen ON mcp_sessions(last_seen_ms);

CREATE TABLE rate_windows (
  key text PRIMARY KEY,
  window_start_ms bigint NOT NULL,
  count integer NOT NULL
);
CREATE INDEX rate_windows_start ON rate_windows(window_start_ms);

ALTER TABLE jobs ADD COLUMN lease_owner text;
ALTER TABLE jobs ADD COLUMN lease_until_ms bigint;
