// What differs between the two backends, kept small and in one place: full-text search (FTS5 bm25
// vs tsvector/ts_rank_cd), JSON columns (TEXT vs jsonb), unique-violation detection, and the
// introspection a project delete needs. Upserts are written once with Kysely's onConflict (both
// dialects speak it); vectors are Buffers on both (BLOB / bytea).
import { sql, type Kysely } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { BM25_B, BM25_K1 } from '../engine/bm25.js';
import { fts5Match, termsFor, type QueryTerms, type TermMode } from '../engine/retrieval/terms.js';
import type { Database } from './schema.js';

export type Backend = 'sqlite' | 'postgres';

/** A searchable table: its rows carry owner_id/project_id and an integer key linking the full-text row. */
export interface FtsIndex {
  /** The table holding the text (and, on PostgreSQL, the generated `fts` tsvector column). */
  table: 'document_chunks' | 'kb_chunks' | 'lookup_chunks' | 'memories' | 'contexts' | 'ace_bullets' | 'artifacts';
  /** Its integer key: `rowid`, or `seq` for memories. */
  key: 'rowid' | 'seq';
  /** The SQLite FTS5 table keyed by that integer. */
  sqliteFts: string;
  /** Columns of the FTS5 table, in order (for explicit inserts/deletes on contentless tables). */
  columns: string[];
  /** True when SQLite triggers keep the FTS5 table in step on insert and delete; false = written explicitly (ftsInsert/ftsDelete). */
  triggers: boolean;
  /**
   * PostgreSQL: true when the `fts` column is written by ftsInsert (the indexed text includes other
   * rows' fields: an item title, a source name); false when it is generated from the row (0012).
   */
  pgWritten: boolean;
}

export const FTS_INDEXES = {
  documentChunks: { table: 'document_chunks', key: 'rowid', sqliteFts: 'document_chunks_fts', columns: ['text'], triggers: true, pgWritten: false },
  kbChunks: { table: 'kb_chunks', key: 'rowid', sqliteFts: 'kb_chunks_fts', columns: ['text'], triggers: false, pgWritten: true },
  lookupChunks: { table: 'lookup_chunks', key: 'rowid', sqliteFts: 'lookup_chunks_fts', columns: ['text'], triggers: false, pgWritten: true },
  memories: { table: 'memories', key: 'seq', sqliteFts: 'memories_fts', columns: ['text', 'tags', 'source'], triggers: true, pgWritten: false },
  contexts: { table: 'contexts', key: 'rowid', sqliteFts: 'contexts_fts', columns: ['text'], triggers: true, pgWritten: false },
  aceBullets: { table: 'ace_bullets', key: 'seq', sqliteFts: 'ace_bullets_fts', columns: ['text', 'section', 'tags'], triggers: true, pgWritten: false },
  artifacts: { table: 'artifacts', key: 'rowid', sqliteFts: 'artifacts_fts', columns: ['text'], triggers: true, pgWritten: false },
} as const satisfies Record<string, FtsIndex>;

/** One keyword query of the retrieval index (src/store/retrieval.ts), the only caller. */
export interface FtsQuery {
  /** The query's terms (engine/retrieval/terms.ts, the one query tokeniser) and how they combine. */
  terms: QueryTerms;
  mode: TermMode;
  scopes: Scope[];
  /**
   * The caller keeps only rows of `scopes` itself (it holds their ids): SQLite may then skip joining
   * the rows table per match, which matters where rows are wide (memories carry their vector).
   */
  callerScopes?: boolean;
  /** An equality filter on a column of the rows table (a trusted name; bound values). */
  where?: { column: string; values: Array<string | number> };
  limit: number;
  offset?: number;
  /** How many rows the scopes hold, when the caller knows (its loaded vector tables): saves counting them for BM25. */
  rows?: number;
}

export interface FtsHit {
  key: number;
  /** Higher is better on both backends (SQLite's bm25() is negated). */
  score: number;
}

export interface Dialect {
  readonly backend: Backend;
  /** A JSON value for a JSON column (TEXT on SQLite, jsonb on PostgreSQL). */
  json(value: unknown): string;
  /** True when `err` is a unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** Keyword search (bm25 on both: FTS5's own, and its PostgreSQL rendering): keys of matching rows, best first. */
  ftsSearch(db: Kysely<Database>, index: FtsIndex, q: FtsQuery): Promise<FtsHit[]>;
  /** Index rows written by the caller (no-op where the database keeps the index itself). */
  ftsInsert(db: Kysely<Database>, index: FtsIndex, rows: Array<{ key: number; values: string[] }>): Promise<void>;
  /** Unindex rows about to be deleted or rewritten (no-op where the database keeps the index itself). */
  ftsDelete(db: Kysely<Database>, index: FtsIndex, keys: number[]): Promise<void>;
  /** Tables that have both owner_id and project_id columns (what a project owns). */
  scopedTables(db: Kysely<Database>): Promise<string[]>;
  /**
   * Where the retrieval index keeps a scope's keyword index in memory (PostgreSQL, whose SQL ranking
   * reads every matching row): the indexed terms of the scope's rows (or of `keys` among them) in the
   * text form of a tsvector. Absent where the database ranks fast enough itself (SQLite's FTS5).
   */
  ftsRows?(db: Kysely<Database>, index: FtsIndex, scope: Scope, keys?: number[]): Promise<Array<{ key: number; fts: string }>>;
  /** With ftsRows: each query term as the lexemes the indexed text holds for it (the database's own text processing). */
  ftsLexemes?(db: Kysely<Database>, terms: string[]): Promise<Array<{ term: string; lexemes: string[] }>>;
}

/** Reads a JSON column on either backend (SQLite returns the text, PostgreSQL the parsed value). */
export function readJson<T = unknown>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

const sqliteDialect: Dialect = {
  backend: 'sqlite',
  json: (v) => JSON.stringify(v),
  isUniqueViolation: (e) => typeof (e as { code?: unknown })?.code === 'string' && /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test((e as { code: string }).code),
  async ftsSearch(db, index, q) {
    const match = fts5Match(q.terms, q.mode);
    if (!match || q.scopes.length === 0 || q.limit <= 0) return [];
    const fts = sql.table(index.sqliteFts);
    const page = sql`LIMIT ${q.limit} OFFSET ${q.offset ?? 0}`;
    if (q.callerScopes && !q.where) {
      // FTS5 sorts by rank itself and stops at the limit; no row of the rows table is read.
      const { rows } = await sql<FtsHit>`SELECT rowid AS key, -rank AS score FROM ${fts} WHERE ${fts} MATCH ${match} ORDER BY rank ${page}`.execute(db);
      return rows;
    }
    const key = sql.ref(`t.${index.key}`);
    const scopes = sql.join(q.scopes.map((s) => sql`(t.owner_id = ${s.ownerId} AND t.project_id = ${s.projectId})`), sql` OR `);
    const where = q.where ? sql` AND ${sql.ref(`t.${q.where.column}`)} IN (${sql.join(q.where.values)})` : sql``;
    const { rows } = await sql<FtsHit>`
      SELECT ${key} AS key, -f.rank AS score FROM ${fts} f JOIN ${sql.table(index.table)} t ON ${key} = f.rowid
      WHERE ${fts} MATCH ${match} AND (${scopes})${where} ORDER BY f.rank ${page}`.execute(db);
    return rows;
  },
  async ftsInsert(db, index, rows) {
    if (index.triggers) return;
    if (rows.length === 0) return;
    const cols = sql.join(['rowid', ...index.columns].map((c) => sql.ref(c)));
    const values = sql.join(rows.map((r) => sql`(${sql.join([r.key, ...r.values])})`));
    await sql`INSERT INTO ${sql.table(index.sqliteFts)} (${cols}) VALUES ${values}`.execute(db);
  },
  async ftsDelete(db, index, keys) {
    if (index.triggers || !keys.length) return;
    await sql`DELETE FROM ${sql.table(index.sqliteFts)} WHERE rowid IN (${sql.join(keys)})`.execute(db);
  },
  async scopedTables(db) {
    const { rows } = await sql<{ name: string }>`
      SELECT m.name FROM sqlite_master m
      WHERE m.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL%' AND m.name NOT LIKE 'sqlite_%'
        AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'owner_id')
        AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'project_id')
      ORDER BY m.name`.execute(db);
    return rows.map((r) => r.name);
  },
};

/** ts_rank (no normalisation) of a one-term query matching once, at the default weight: the unit of term frequency. */
const TS_RANK_ONE = 0.0607927;

const postgresDialect: Dialect = {
  backend: 'postgres',
  json: (v) => JSON.stringify(v),
  isUniqueViolation: (e) => (e as { code?: unknown })?.code === '23505',
  async ftsSearch(db, index, q) {
    const terms = termsFor(q.terms, q.mode);
    if (terms.length === 0 || q.scopes.length === 0 || q.limit <= 0) return [];
    // Each term is read as FTS5 reads a quoted string (a phrase of its words), through the same text
    // processing as the indexed text (ctxgate_tsquery, migration 0012). Written inline (not read from
    // a CTE) so the match is an index condition the GIN index serves.
    const tq = terms.map((t) => sql`ctxgate_tsquery(${t})`);
    const matchAll = sql.join(tq, q.mode === 'all' ? sql` && ` : sql` || `);
    const key = sql.ref(`t.${index.key}`);
    const table = sql.table(index.table);
    const scopes = sql.join(q.scopes.map((s) => sql`(t.owner_id = ${s.ownerId} AND t.project_id = ${s.projectId})`), sql` OR `);
    const where = q.where ? sql` AND ${sql.ref(`t.${q.where.column}`)} IN (${sql.join(q.where.values)})` : sql``;
    // Okapi BM25 as FTS5 computes it (k1 = 1.2, b = 0.75): a term's weight is its inverse document
    // frequency among the searched rows, so a rare word outranks a common one (ts_rank_cd has no IDF
    // and ranked common-word matches first). Each matching row's per-term frequency is read once, as
    // ts_rank of that one term (0 when absent; 1 at one occurrence, growing and saturating with more);
    // a term's document frequency is the count of rows where it is non-zero; document length is the
    // row's lexeme count against the matching rows' average. Every CTE is MATERIALIZED: inlined, the
    // planner may re-run the counts once per matching row. The terms' weights (idf) and the average
    // length are computed once, in `d`, not per row; all arithmetic is float8 (a bare 0.75 is numeric
    // in PostgreSQL, slow per row). Operations and their order are unchanged, so scores are too.
    const f8 = (v: number) => sql.raw(`${v}::float8`);
    // The collection size: known to the caller (its loaded vector tables) or counted once.
    const n = q.rows !== undefined ? sql`${q.rows}::float8` : sql`(SELECT count(*)::float8 FROM ${table} t WHERE (${scopes}))`;
    const at = (r: string, i: number) => sql`${sql.ref(r)}[${sql.lit(i + 1)}]`;
    const tf = sql.join(tq.map((t) => sql`ts_rank(u.f, ${t}, 0) / ${sql.lit(TS_RANK_ONE)}`));
    const df = sql.join(tq.map((_, i) => sql`count(*) FILTER (WHERE ${at('m.tf', i)} > 0)`));
    const idf = sql.join(tq.map((_, i) => sql`ln(1 + (greatest(c.n, ${at('c.df', i)}) - ${at('c.df', i)} + ${f8(0.5)}) / (${at('c.df', i)} + ${f8(0.5)}))`));
    const score = sql.join(
      tq.map((_, i) => sql`${at('d.idf', i)} * ${at('m.tf', i)}`),
      sql` + `,
    );
    const { rows } = await sql<FtsHit>`
      WITH m AS MATERIALIZED (
        SELECT u.key, length(u.f) AS len, ARRAY[${tf}]::float8[] AS tf FROM (
          -- A long row's tsvector is stored compressed: copy it out once (|| ''), not once per term.
          SELECT ${key} AS key, t.fts || ''::tsvector AS f FROM ${table} t
          WHERE t.fts @@ (${matchAll}) AND (${scopes})${where} OFFSET 0) u),
      d AS MATERIALIZED (
        SELECT ARRAY[${idf}]::float8[] AS idf, greatest(c.avgdl, 1) AS avgdl FROM (
          SELECT ARRAY[${df}]::float8[] AS df, avg(m.len)::float8 AS avgdl, ${n} AS n FROM m) c)
      SELECT m.key, (${score}) * ${f8(BM25_K1 + 1)} / (1 + ${f8(BM25_K1)} * (${f8(1 - BM25_B)} + (${f8(BM25_B)} * m.len) / d.avgdl)) AS score
      FROM m, d ORDER BY score DESC, m.key LIMIT ${q.limit} OFFSET ${q.offset ?? 0}`.execute(db);
    return rows;
  },
  async ftsInsert(db, index, rows) {
    if (!index.pgWritten || rows.length === 0) return;
    const values = sql.join(rows.map((r) => sql`(${r.key}::bigint, ${r.values.join('\n')}::text)`));
    await sql`UPDATE ${sql.table(index.table)} AS t SET fts = ctxgate_tsvector(v.body) FROM (VALUES ${values}) AS v(key, body) WHERE ${sql.ref(`t.${index.key}`)} = v.key`.execute(db);
  },
  async ftsDelete() {},
  async ftsRows(db, index, scope, keys) {
    if (keys && keys.length === 0) return [];
    const key = sql.ref(index.key);
    const only = keys ? sql` AND ${key} = ANY(${keys}::bigint[])` : sql``;
    const { rows } = await sql<{ key: number; fts: string | null }>`
      SELECT ${key} AS key, fts::text AS fts FROM ${sql.table(index.table)}
      WHERE owner_id = ${scope.ownerId} AND project_id = ${scope.projectId}${only}`.execute(db);
    return rows.map((r) => ({ key: Number(r.key), fts: r.fts ?? '' }));
  },
  async ftsLexemes(db, terms) {
    if (terms.length === 0) return [];
    // ctxgate_tsquery's processing (0012): a term's words, each stemmed; a phrase's order is not needed here.
    const { rows } = await sql<{ term: string; lexemes: string[] }>`
      SELECT t AS term, tsvector_to_array(ctxgate_tsvector(t)) AS lexemes FROM unnest(${terms}::text[]) AS t`.execute(db);
    return rows;
  },
  async scopedTables(db) {
    const { rows } = await sql<{ name: string }>`
      SELECT c.table_name AS name FROM information_schema.columns c
      WHERE c.table_schema = current_schema() AND c.column_name IN ('owner_id', 'project_id')
      GROUP BY c.table_name HAVING count(*) = 2 ORDER BY c.table_name`.execute(db);
    return rows.map((r) => r.name);
  },
};

export function dialectFor(backend: Backend): Dialect {
  return backend === 'sqlite' ? sqliteDialect : postgresDialect;
}
