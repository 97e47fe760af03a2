// Queries compiled once and run many times with new values. Kysely builds and compiles a query on
// every call; on SQLite that costs more than running the statement (a point read runs in a few µs,
// building it takes tens), and it is most of what the data layer added to an ingest (issue 12).
// A hot query of fixed shape is written once as a builder over named parameters; it is compiled on
// its first run on each backend, and every later run only binds the values into the compiled
// statement (on SQLite the prepared statement is then reused too: store.ts caches them by SQL text,
// and runs it at once when the connection is free or held by this call chain's transaction).
//
// The builder receives placeholders, not values: it must use each parameter only as a value in the
// query (where, values, set, limit), never in JavaScript logic or in a list whose length varies.
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Backend } from './dialect.js';
import type { Database } from './schema.js';
import type { RepoContext } from './store.js';

/** Where a parameter's value comes from: a key of the arguments, or of one row of them. */
class Slot {
  constructor(
    readonly key: string,
    readonly row: number,
  ) {}
}

/** Placeholders for the keys of one argument object (row -1) or of row `row` of an argument array. */
function placeholders<P>(row: number): P {
  return new Proxy({}, { get: (_t, key) => new Slot(String(key), row) }) as P;
}

interface Compiled {
  query: CompiledQuery;
  /** Per parameter of the compiled SQL: the slot it binds, or a constant of the query. */
  params: Array<Slot | { value: unknown }>;
}

function compile(query: Compilable<unknown>): Compiled {
  const compiled = query.compile();
  return { query: compiled, params: compiled.parameters.map((p) => (p instanceof Slot ? p : { value: p })) };
}

function bind(c: Compiled, args: unknown): CompiledQuery {
  const parameters = c.params.map((p) => {
    if (!(p instanceof Slot)) return p.value;
    const from = (p.row < 0 ? args : (args as unknown[])[p.row]) as Record<string, unknown>;
    return from[p.key];
  });
  return { ...c.query, parameters };
}

/** A query of fixed shape over named parameters `P`, compiled once per backend. */
export class PreparedQuery<P extends object, R> {
  readonly #compiled = new Map<Backend, Compiled>();

  constructor(private readonly build: (db: Kysely<Database>, params: P) => Compilable<R>) {}

  private compiled(ctx: RepoContext): Compiled {
    let c = this.#compiled.get(ctx.dialect.backend);
    if (!c) {
      c = compile(this.build(ctx.db, placeholders<P>(-1)));
      this.#compiled.set(ctx.dialect.backend, c);
    }
    return c;
  }

  async execute(ctx: RepoContext, params: P): Promise<QueryResult<R>> {
    const q = bind(this.compiled(ctx), params) as CompiledQuery<R>;
    return (ctx.runNow?.(q) as QueryResult<R> | undefined) ?? ctx.db.executeQuery(q);
  }

  async all(ctx: RepoContext, params: P): Promise<R[]> {
    return (await this.execute(ctx, params)).rows;
  }

  async first(ctx: RepoContext, params: P): Promise<R | undefined> {
    return (await this.execute(ctx, params)).rows[0];
  }

  /** Rows inserted, updated or deleted. */
  async run(ctx: RepoContext, params: P): Promise<number> {
    return Number((await this.execute(ctx, params)).numAffectedRows ?? 0);
  }
}

/** Most rows per statement of a PreparedRows (well under both backends' parameter limits at 16 columns). */
const MAX_ROWS = 64;

/**
 * A statement over a list of rows (a multi-row INSERT), compiled once per backend for each row count
 * up to MAX_ROWS: up to that many rows are one statement (a multi-row INSERT on SQLite that fires
 * triggers opens a statement savepoint, and an FTS5 table already written in the transaction flushes
 * its pending terms at every savepoint, so one statement per write is much cheaper than several);
 * more run as statements of MAX_ROWS and one of the rest.
 */
export class PreparedRows<P extends object> {
  readonly #compiled = new Map<string, Compiled>();

  constructor(private readonly build: (db: Kysely<Database>, rows: P[]) => Compilable<unknown>) {}

  async run(ctx: RepoContext, rows: P[]): Promise<void> {
    for (let at = 0; at < rows.length; at += MAX_ROWS) {
      const n = Math.min(MAX_ROWS, rows.length - at);
      const key = `${ctx.dialect.backend}:${n}`;
      let c = this.#compiled.get(key);
      if (!c) {
        c = compile(this.build(ctx.db, Array.from({ length: n }, (_, i) => placeholders<P>(i))));
        this.#compiled.set(key, c);
      }
      const q = bind(c, rows.slice(at, at + n));
      if (!ctx.runNow?.(q)) await ctx.db.executeQuery(q);
    }
  }
}

export function prepared<P extends object, R>(build: (db: Kysely<Database>, params: P) => Compilable<R>): PreparedQuery<P, R> {
  return new PreparedQuery(build);
}

export function preparedRows<P extends object>(build: (db: Kysely<Database>, rows: P[]) => Compilable<unknown>): PreparedRows<P> {
  return new PreparedRows(build);
}
