-- Several replicas on one store (issue 13).
-- MCP sessions: what any replica needs to rebuild a session another one opened (its key, surface,
-- negotiated protocol and client capabilities). Holds no tenant text: names of toolsets and tools.
-- Times in epoch milliseconds: replicas compare them (idle reaping) and move them often.
CREATE TABLE mcp_sessions (
  id TEXT PRIMARY KEY,
  key_id TEXT,
  owner_id TEXT,
  -- Who the session counts against for the per-caller cap (key:…, owner:…, addr:…).
  who TEXT NOT NULL,
  profile TEXT NOT NULL,
  -- JSON array of toolset names, or null for the whole profile.
  toolsets TEXT,
  enabled_toolsets TEXT NOT NULL DEFAULT '[]',
  enabled_tools TEXT NOT NULL DEFAULT '[]',
  json_response INTEGER NOT NULL DEFAULT 0,
  protocol_version TEXT,
  -- JSON {info, capabilities} from the client's initialize.
  client TEXT NOT NULL DEFAULT '{}',
  used INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL
);
CREATE INDEX mcp_sessions_who ON mcp_sessions(who);
CREATE INDEX mcp_sessions_seen ON mcp_sessions(last_seen_ms);

-- Fixed one-minute request windows shared by replicas (PostgreSQL without Redis).
CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  window_start_ms INTEGER NOT NULL,
  count INTEGER NOT NULL
);
CREATE INDEX rate_windows_start ON rate_windows(window_start_ms);

-- Job leases: the replica running a job holds it until lease_until_ms and renews it while it works;
-- a lease that lapses (its replica died) lets another replica take the job over.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until_ms INTEGER;
