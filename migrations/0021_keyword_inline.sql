-- Keyword vectors kept inline (issue 12, PostgreSQL search speed). Nothing changes on SQLite: its
-- FTS5 tables keep their own doclists, apart from the rows. The number is used on both backends so
-- their schema versions stay in step.
SELECT 1;
