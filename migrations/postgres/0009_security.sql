-- Security hardening (issue 11), PostgreSQL twin of the SQLite 0009: why a key stopped working
-- ('project_deleted' when its project went), and quota counted per account. The keyword rebuild of
-- the SQLite file has no counterpart: PostgreSQL's full-text column is generated from its row.
ALTER TABLE api_keys ADD COLUMN revoked_reason TEXT;
CREATE INDEX usage_owner_month ON usage_events(owner_id, month, counted);
