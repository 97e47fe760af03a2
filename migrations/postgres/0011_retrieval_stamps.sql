-- PostgreSQL twin of ../0011_retrieval_stamps.sql: the retrieval index's change stamps, one per
-- (collection, owner, project), moved by triggers on every insert, update and delete of a searchable
-- row — by any replica, the CLI, or a cascade. Replaces memory_scope_versions. The full-text side
-- needs nothing here: the tsvector columns are generated, so they follow every write by themselves.
CREATE TABLE retrieval_stamps (
  collection text NOT NULL,
  owner_id text NOT NULL,
  project_id text NOT NULL,
  stamp bigint NOT NULL,
  PRIMARY KEY (collection, owner_id, project_id)
);

INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp)
  SELECT 'memory', owner_id, project_id, version FROM memory_scope_versions;

DROP TRIGGER memories_changed ON memories;
DROP FUNCTION memory_scope_bump();
DROP TABLE memory_scope_versions;

-- One bump per statement and scope (transition tables), so a bulk insert of a document's chunks
-- takes the stamp row's lock once. TG_ARGV[0] names the collection.
CREATE FUNCTION retrieval_stamp_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp)
    SELECT DISTINCT TG_ARGV[0], owner_id, project_id, 1 FROM new_rows
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = retrieval_stamps.stamp + 1;
  RETURN NULL;
END $$;

CREATE FUNCTION retrieval_stamp_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp)
    SELECT DISTINCT TG_ARGV[0], owner_id, project_id, 1 FROM old_rows
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = retrieval_stamps.stamp + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER memories_stamp_ins AFTER INSERT ON memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('memory');
CREATE TRIGGER memories_stamp_upd AFTER UPDATE ON memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('memory');
CREATE TRIGGER memories_stamp_del AFTER DELETE ON memories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_old('memory');

CREATE TRIGGER document_chunks_stamp_ins AFTER INSERT ON document_chunks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('documents');
CREATE TRIGGER document_chunks_stamp_upd AFTER UPDATE ON document_chunks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('documents');
CREATE TRIGGER document_chunks_stamp_del AFTER DELETE ON document_chunks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_old('documents');

CREATE TRIGGER kb_chunks_stamp_ins AFTER INSERT ON kb_chunks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('kb');
CREATE TRIGGER kb_chunks_stamp_upd AFTER UPDATE ON kb_chunks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('kb');
CREATE TRIGGER kb_chunks_stamp_del AFTER DELETE ON kb_chunks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_old('kb');

CREATE TRIGGER lookup_chunks_stamp_ins AFTER INSERT ON lookup_chunks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('lookup');
CREATE TRIGGER lookup_chunks_stamp_upd AFTER UPDATE ON lookup_chunks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_new('lookup');
CREATE TRIGGER lookup_chunks_stamp_del AFTER DELETE ON lookup_chunks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION retrieval_stamp_old('lookup');
