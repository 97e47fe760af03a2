-- Dashboard (issue 20): the fidelity a metered compression ran at (null for tools without one), for
-- the recent-compressions list; and an index for one owner's newest events first.
ALTER TABLE usage_events ADD COLUMN fidelity TEXT;
CREATE INDEX usage_owner_at ON usage_events(owner_id, at);
