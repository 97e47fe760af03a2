-- Teams and operations (issue 18): project members and roles, the audit log, and outbound webhooks
-- with their deliveries and attempts. Every table carries owner_id and
-- project_id (deleted with the project by ProjectsRepo.deleteWithRows).

-- Members of a project and their role. The account holder (projects.owner_id) is the owner of a
-- project that has no rows here; the first change to membership writes that row explicitly.
CREATE TABLE project_members (
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
  added_by TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_scope ON project_members(owner_id, project_id, role);

-- The person a key acts for (a member of its project); NULL = the account holder.
ALTER TABLE api_keys ADD COLUMN member_user_id TEXT;

-- Who did what, when, from where: ids only, never arguments.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  at TEXT NOT NULL,
  actor_user_id TEXT NOT NULL,
  key_id TEXT,
  role TEXT,
  transport TEXT NOT NULL,
  client_address TEXT,
  tool TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
  status INTEGER NOT NULL,
  error_code TEXT,
  targets TEXT NOT NULL DEFAULT '{}',
  request_id TEXT
);
CREATE INDEX audit_log_scope_at ON audit_log(owner_id, project_id, at);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT,
  -- Set for the one-shot webhook of a batch job's webhook_url: it hears only that job.
  job_id TEXT,
  created_by TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX webhooks_scope ON webhooks(owner_id, project_id, created_at);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_status_code INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX webhook_deliveries_scope ON webhook_deliveries(owner_id, project_id, webhook_id, created_at);

CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  at TEXT NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, n)
);
CREATE INDEX webhook_attempts_scope ON webhook_attempts(owner_id, project_id, delivery_id);
