-- PostgreSQL twin of ../0016_distill.sql. Distill (issue 16): custom strategies, call records (with the inject of each call) and feedback.
-- Conversations themselves are never stored, except the messages a caller sends with feedback.
-- Every row is scoped by owner_id and project_id.

CREATE TABLE distill_strategies (
  owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id text NOT NULL,
  id text NOT NULL,
  version text NOT NULL,
  config jsonb NOT NULL,
  created_at text NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);

CREATE TABLE distill_calls (
  owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id text NOT NULL,
  id text NOT NULL,
  strategy_id text NOT NULL,
  strategy_version text NOT NULL,
  provider text NOT NULL,
  status text NOT NULL,
  error_code text,
  tokens_in integer NOT NULL,
  tokens_out integer,
  inject_used integer NOT NULL,
  inject_text text,
  postprocess_used integer NOT NULL,
  created_at text NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX distill_calls_recent ON distill_calls(owner_id, project_id, created_at);

CREATE TABLE distill_feedback (
  owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id text NOT NULL,
  id text NOT NULL,
  call_id text NOT NULL,
  rating text NOT NULL,
  reason_category text NOT NULL,
  reason_text text,
  strategy_id text NOT NULL,
  strategy_version text NOT NULL,
  inject_used integer NOT NULL,
  inject_text text,
  messages_in jsonb,
  messages_out jsonb,
  created_at text NOT NULL,
  PRIMARY KEY (owner_id, project_id, id)
);
CREATE INDEX distill_feedback_call ON distill_feedback(owner_id, project_id, call_id);
