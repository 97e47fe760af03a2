-- Keyword parity between the backends (issue 12). Nothing changes on SQLite: its FTS5 tables
-- (porter unicode61 remove_diacritics 2) already index what the PostgreSQL twin of this migration
-- brings PostgreSQL to — KB passages with their item title and heading trail, lookup passages with
-- their source name and heading trail, every word kept (no stopwords), split at punctuation,
-- case and diacritics folded, stemmed. The number is used on both backends so their schema
-- versions stay in step.
SELECT 1;
