-- Security hardening (issue 11).
--
-- 1. Why a key stopped working, so authentication can say so: 'project_deleted' when the project it
--    was bound to was deleted (it is never moved to the default project).
ALTER TABLE api_keys ADD COLUMN revoked_reason TEXT;

-- 2. The monthly quota is counted per account (all its keys), not per key.
CREATE INDEX usage_owner_month ON usage_events(owner_id, month, counted);

-- 3. One-off cleanup of the keyword indexes. Before this release delete_project left the full-text
--    rows of the deleted project's chunks behind; the next chunks stored reused their row ids, so
--    another tenant's keyword search could match the deleted words. The contentless indexes cannot
--    be read back to tell stale terms from live ones, so each is emptied and rebuilt from the rows
--    that own the text (owner- and project-scoped); the external-content memory index is rebuilt
--    the same way.
INSERT INTO document_chunks_fts (document_chunks_fts) VALUES ('delete-all');
INSERT INTO document_chunks_fts (rowid, text) SELECT rowid, text FROM document_chunks;
INSERT INTO kb_chunks_fts (kb_chunks_fts) VALUES ('delete-all');
-- (KB and lookup index the item title / source name and heading path with the text, as the services do.)
INSERT INTO kb_chunks_fts (rowid, text)
  SELECT c.rowid, (SELECT group_concat(part, char(10)) FROM (
      SELECT i.title AS part WHERE coalesce(i.title, '') <> ''
      UNION ALL SELECT h.value FROM json_each(c.heading_path) AS h WHERE h.value <> ''
      UNION ALL SELECT c.text WHERE c.text <> ''))
  FROM kb_chunks AS c JOIN kb_items AS i ON i.owner_id = c.owner_id AND i.project_id = c.project_id AND i.item_id = c.item_id;
INSERT INTO lookup_chunks_fts (lookup_chunks_fts) VALUES ('delete-all');
INSERT INTO lookup_chunks_fts (rowid, text)
  SELECT c.rowid, (SELECT group_concat(part, char(10)) FROM (
      SELECT s.name AS part
      UNION ALL SELECT h.value FROM json_each(c.heading_path) AS h
      UNION ALL SELECT c.text))
  FROM lookup_chunks AS c JOIN lookup_sources AS s ON s.id = c.source_id;
INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
