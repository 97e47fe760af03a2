-- Durable background jobs (batch ingest ...). A job is a list of items; each item's outcome is
-- committed on its own, so a job interrupted by a restart resumes at its first pending item.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  key_id TEXT,
  -- The caller (JSON: plan, key name) so work finished after the request, or after a restart, is
  -- metered against the key that submitted it.
  caller TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
  items_count INTEGER NOT NULL,
  completed_count INTEGER NOT NULL DEFAULT 0,
  failed_count INTEGER NOT NULL DEFAULT 0,
  options TEXT NOT NULL DEFAULT '{}',
  error TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX jobs_scope_created ON jobs(owner_id, project_id, created_at);
CREATE INDEX jobs_status ON jobs(status, created_at);

CREATE TABLE job_items (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'skipped')),
  input TEXT NOT NULL,
  result TEXT,
  error TEXT,
  finished_at TEXT,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX job_items_scope ON job_items(owner_id, project_id, job_id);
