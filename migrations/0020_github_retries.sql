-- Issue 18, the rest: scheduled job retries, idempotent webhook deliveries, GitHub inbound.

-- A job may not be taken before this time (epoch ms; NULL = now): a webhook delivery waiting out its
-- back-off is scheduled here instead of sleeping inside the runner, so other jobs run meanwhile.
ALTER TABLE jobs ADD COLUMN not_before_ms INTEGER;
CREATE INDEX jobs_runnable ON jobs(status, not_before_ms, created_at);

-- One event makes one delivery per webhook, however often it is reported (several replicas hear a
-- job's end; a restart may report it again): the event's key is unique per webhook.
ALTER TABLE webhook_deliveries ADD COLUMN event_key TEXT;
CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries(owner_id, project_id, webhook_id, event_key);

-- A project's GitHub repository: the webhook secret and the token are sealed under the server
-- secret (never returned); where changed files are read from; which paths are tracked.
CREATE TABLE github_integrations (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  repository TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  token_sealed TEXT,
  track TEXT NOT NULL,
  content_source TEXT NOT NULL CHECK (content_source IN ('raw', 'checkout')),
  raw_base_url TEXT NOT NULL,
  api_base_url TEXT NOT NULL,
  checkout_path TEXT,
  pr_comments INTEGER NOT NULL DEFAULT 1,
  created_by TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id)
);
CREATE INDEX github_integrations_repository ON github_integrations(repository);

-- Every verified GitHub delivery, once per project (X-GitHub-Delivery), and what came of it.
CREATE TABLE github_events (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  event TEXT NOT NULL,
  action TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'done', 'failed', 'ignored')),
  job_id TEXT,
  summary TEXT,
  received_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE UNIQUE INDEX github_events_delivery ON github_events(owner_id, project_id, delivery_id);
CREATE INDEX github_events_scope ON github_events(owner_id, project_id, received_at);
