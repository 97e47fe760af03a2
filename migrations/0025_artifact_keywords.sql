-- Space artifacts' PostgreSQL keyword column moves to the shared text processing (see the
-- PostgreSQL twin). SQLite's artifacts_fts already uses the one FTS5 tokenizer; the number is used on
-- both backends so their schema versions stay in step.
SELECT 1;
