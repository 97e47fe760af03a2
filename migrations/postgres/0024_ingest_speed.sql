-- PostgreSQL twin of ../0024_ingest_speed.sql: nothing to change. A chunk's keyword column is
-- generated from its row here (0012), so it never needed a second statement. The number is used on
-- both backends so their schema versions stay in step.
SELECT 1;
