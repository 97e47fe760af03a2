-- Distill (issue 16): custom strategies, call records (with the inject of each call) and feedback.
-- Conversations themselves are never stored, except the messages a caller sends with feedback.
-- Every row is scoped by owner_id and project_id.

CREATE TABLE distill_strategies (
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);

CREATE TABLE distill_calls (
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  strategy_id TEXT NOT NULL,
  strategy_version TEXT NOT NULL,
  provider TEXT NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER,
  inject_used INTEGER NOT NULL,
  inject_text TEXT,
  postprocess_used INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX distill_calls_recent ON distill_calls(owner_id, project_id, created_at);

CREATE TABLE distill_feedback (
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  id TEXT NOT NULL,
  call_id TEXT NOT NULL,
  rating TEXT NOT NULL,
  reason_category TEXT NOT NULL,
  reason_text TEXT,
  strategy_id TEXT NOT NULL,
  strategy_version TEXT NOT NULL,
  inject_used INTEGER NOT NULL,
  inject_text TEXT,
  messages_in TEXT,
  messages_out TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX distill_feedback_call ON distill_feedback(owner_id, project_id, call_id);
