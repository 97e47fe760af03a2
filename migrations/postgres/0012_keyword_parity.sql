-- PostgreSQL twin of ../0012_keyword_parity.sql: the keyword index answers a query as SQLite's FTS5
-- (tokenize = 'porter unicode61 remove_diacritics 2') does, so both backends give the same answer.
--   * Text is split at every punctuation mark and space (unicode61), not by PostgreSQL's parser,
--     which keeps "src/app.ts" or "a.b@c.d" whole; case and diacritics are folded (unaccent), words
--     are stemmed (snowball english, close to porter) and no stopword is dropped (FTS5 drops none).
--   * KB and lookup passages are indexed with what SQLite indexes beside their text: the item title
--     or source name and the heading trail. Those live in other rows, so the column is written by
--     the store (dialect ftsInsert) instead of being generated.
-- ctxgate_tsvector / ctxgate_tsquery are the one definition of that text processing; the store's
-- keyword queries call ctxgate_tsquery per query term.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH DICTIONARY ctxgate_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION ctxgate (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION ctxgate
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart
  WITH unaccent, ctxgate_stem;

CREATE FUNCTION ctxgate_tsvector(body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN to_tsvector('ctxgate', regexp_replace(body, '[[:punct:][:space:]]+', ' ', 'g'));
CREATE FUNCTION ctxgate_tsquery(term text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN phraseto_tsquery('ctxgate', regexp_replace(term, '[[:punct:][:space:]]+', ' ', 'g'));

ALTER TABLE memories DROP COLUMN fts;
ALTER TABLE memories ADD COLUMN fts tsvector GENERATED ALWAYS AS (ctxgate_tsvector(text || ' ' || (tags::text) || ' ' || coalesce(source, ''))) STORED;
CREATE INDEX memories_fts ON memories USING gin (fts);

ALTER TABLE document_chunks DROP COLUMN fts;
ALTER TABLE document_chunks ADD COLUMN fts tsvector GENERATED ALWAYS AS (ctxgate_tsvector(text)) STORED;
CREATE INDEX document_chunks_fts ON document_chunks USING gin (fts);

ALTER TABLE kb_chunks DROP COLUMN fts;
ALTER TABLE kb_chunks ADD COLUMN fts tsvector;
UPDATE kb_chunks c SET fts = ctxgate_tsvector(concat_ws(E'\n', i.title,
    (SELECT string_agg(h, E'\n' ORDER BY n) FROM jsonb_array_elements_text(c.heading_path) WITH ORDINALITY AS e(h, n)), c.text))
  FROM kb_items i WHERE i.owner_id = c.owner_id AND i.project_id = c.project_id AND i.item_id = c.item_id;
CREATE INDEX kb_chunks_fts ON kb_chunks USING gin (fts);

ALTER TABLE lookup_chunks DROP COLUMN fts;
ALTER TABLE lookup_chunks ADD COLUMN fts tsvector;
UPDATE lookup_chunks c SET fts = ctxgate_tsvector(concat_ws(E'\n', s.name,
    (SELECT string_agg(h, E'\n' ORDER BY n) FROM jsonb_array_elements_text(c.heading_path) WITH ORDINALITY AS e(h, n)), c.text))
  FROM lookup_sources s WHERE s.id = c.source_id;
CREATE INDEX lookup_chunks_fts ON lookup_chunks USING gin (fts);
