-- PostgreSQL twin of ../0021_keyword_inline.sql: the keyword index's tsvector (`fts`) stays in the
-- row. A row over ~2 kB (a document, KB or lookup passage: text, vector and tsvector) is toasted,
-- and with the default storage (EXTENDED) PostgreSQL tries to compress the tsvector, which hardly
-- compresses, and may then move it to the TOAST table: a keyword search then fetches it from there,
-- one TOAST lookup per matching row. MAIN keeps it in the row: the text and the vector are
-- compressed or moved out first, the tsvector only as a last resort (a passage too large for a
-- page). On the document benchmark's passages (1,000 CMake pages, 1,997 passages) the keyword query
-- ran ~30% faster with it inline (median 53 -> 37 ms at load 17, same answers).
-- Applies to rows written from now on; existing rows move as they are rewritten.
ALTER TABLE document_chunks ALTER COLUMN fts SET STORAGE MAIN;
ALTER TABLE kb_chunks ALTER COLUMN fts SET STORAGE MAIN;
ALTER TABLE lookup_chunks ALTER COLUMN fts SET STORAGE MAIN;
ALTER TABLE memories ALTER COLUMN fts SET STORAGE MAIN;
ALTER TABLE contexts ALTER COLUMN fts SET STORAGE MAIN;
ALTER TABLE ace_bullets ALTER COLUMN fts SET STORAGE MAIN;
ALTER TABLE artifacts ALTER COLUMN fts SET STORAGE MAIN;
