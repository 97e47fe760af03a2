// What a benchmark does to a freshly loaded store before it times searches.
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.js';

/**
 * PostgreSQL: refresh the planner's statistics, as autovacuum's analyze does on a default server
 * within a minute of a bulk load. Servers run with autovacuum off (as this machine's does) keep no
 * statistics for the fresh tables, and the planner then guesses one row per scope: it reads a whole
 * scope through the scope index to fetch five rows by key. Not timed. Returns what was done (for the
 * benchmark's output); SQLite needs nothing.
 */
export async function settleAfterLoad(store: Store): Promise<string | null> {
  if (store.backend !== 'postgres') return null;
  await sql`ANALYZE`.execute(store.db);
  return 'ANALYZE after loading (autovacuum would; untimed)';
}
