-- The retrieval index's change stamps: one counter per (collection, owner, project), moved by every
-- insert, update and delete of a searchable row, by triggers — so a write by any process (a stdio
-- server, the CLI, another replica) or by a cascade moves it too. Each process keeps a scope's vectors
-- in memory and re-reads them only when this stamp moved; one indexed read per search tells it.
-- Replaces memory_scope_versions (memory's own counter, now the 'memory' collection's stamp).
CREATE TABLE retrieval_stamps (
  collection TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  stamp INTEGER NOT NULL,
  PRIMARY KEY (collection, owner_id, project_id)
) WITHOUT ROWID;

INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp)
  SELECT 'memory', owner_id, project_id, version FROM memory_scope_versions;

DROP TRIGGER memories_ai;
DROP TRIGGER memories_ad;
DROP TRIGGER memories_au;
DROP TABLE memory_scope_versions;

CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, text, tags, source) VALUES (new.seq, new.text, new.tags, coalesce(new.source, ''));
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('memory', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags, source) VALUES ('delete', old.seq, old.text, old.tags, coalesce(old.source, ''));
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('memory', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER memories_au AFTER UPDATE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags, source) VALUES ('delete', old.seq, old.text, old.tags, coalesce(old.source, ''));
  INSERT INTO memories_fts (rowid, text, tags, source) VALUES (new.seq, new.text, new.tags, coalesce(new.source, ''));
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('memory', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

-- Chunk tables with a contentless full-text index: the stamp moves with every change, and a deleted
-- chunk leaves the full-text index in the same statement, however it was deleted (by the store, or
-- by a cascade from its document, item, source or project) — no orphaned keyword rows.
CREATE TRIGGER document_chunks_ai AFTER INSERT ON document_chunks BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('documents', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER document_chunks_ad AFTER DELETE ON document_chunks BEGIN
  DELETE FROM document_chunks_fts WHERE rowid = old.rowid;
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('documents', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER document_chunks_au AFTER UPDATE ON document_chunks BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('documents', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('kb', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
  DELETE FROM kb_chunks_fts WHERE rowid = old.rowid;
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('kb', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER kb_chunks_au AFTER UPDATE ON kb_chunks BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('kb', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

CREATE TRIGGER lookup_chunks_ai AFTER INSERT ON lookup_chunks BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('lookup', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER lookup_chunks_ad AFTER DELETE ON lookup_chunks BEGIN
  DELETE FROM lookup_chunks_fts WHERE rowid = old.rowid;
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('lookup', old.owner_id, old.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
CREATE TRIGGER lookup_chunks_au AFTER UPDATE ON lookup_chunks BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('lookup', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;

-- Keyword rows orphaned before these triggers existed (chunks removed by a cascade, e.g. a deleted
-- project) leave the full-text indexes now.
DELETE FROM document_chunks_fts WHERE rowid NOT IN (SELECT rowid FROM document_chunks);
DELETE FROM kb_chunks_fts WHERE rowid NOT IN (SELECT rowid FROM kb_chunks);
DELETE FROM lookup_chunks_fts WHERE rowid NOT IN (SELECT rowid FROM lookup_chunks);
