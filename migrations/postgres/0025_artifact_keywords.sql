-- PostgreSQL twin of ../0025_artifact_keywords.sql. Space artifacts were indexed with
-- to_tsvector('english', …) (0015), while every other searchable table and every keyword query use
-- ctxgate_tsvector / ctxgate_tsquery (0012: split at punctuation, no stopwords, unaccent, snowball).
-- A query's terms were therefore processed one way and the artifacts' text another (a stopword or a
-- dotted name matched on SQLite but not here). The column is regenerated with the one processing,
-- kept inline like the others (0021), and its index rebuilt.
ALTER TABLE artifacts DROP COLUMN fts;
ALTER TABLE artifacts ADD COLUMN fts tsvector GENERATED ALWAYS AS (ctxgate_tsvector(text)) STORED;
ALTER TABLE artifacts ALTER COLUMN fts SET STORAGE MAIN;
CREATE INDEX artifacts_fts ON artifacts USING gin (fts);
