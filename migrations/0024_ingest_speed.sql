-- Ingest speed (issue 12). A document chunk enters the keyword index in the trigger that already
-- moves the scope's change stamp, as memories do, instead of by a second statement that passed
-- every chunk's text from the process again (and needed the new rowids back first). Deleting keeps
-- 0011's trigger. Chunks written before this migration are indexed already.
DROP TRIGGER document_chunks_ai;
CREATE TRIGGER document_chunks_ai AFTER INSERT ON document_chunks BEGIN
  INSERT INTO document_chunks_fts (rowid, text) VALUES (new.rowid, new.text);
  INSERT INTO retrieval_stamps (collection, owner_id, project_id, stamp) VALUES ('documents', new.owner_id, new.project_id, 1)
    ON CONFLICT (collection, owner_id, project_id) DO UPDATE SET stamp = stamp + 1;
END;
