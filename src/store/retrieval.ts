// The store-facing half of the one retrieval index (the pure half is src/engine/retrieval): every
// searchable collection — documents, kb, memory, lookup, and any store added later — describes its
// rows once (a RetrievalSource) and gets keyword search, vector search over a per-scope in-memory
// table, re-embedding when the embedder changes, reciprocal-rank fusion and one top-k from here.
//
// Freshness: a scope's cached vectors carry the collection's change stamp for that scope, a counter
// in the database (retrieval_stamps) that triggers move on every insert, update and delete of a
// searchable row. Every search reads it (one indexed point read) and reloads the table when it
// moved, so writes by another process (a stdio server, the CLI) or a replica are seen at once.
// Memory: all tables of all collections share one VectorCache bounded by floats (LRU).
import type { AppDeps } from '../app-deps.js';
import { fts5Match, fuseRankings, fusionDepth, queryTerms, TopK, VectorCache, VectorTable, type QueryTerms, type Scored, type TermMode } from '../engine/retrieval/index.js';
import type { Embedder } from '../engine/embeddings/types.js';
import type { Scope } from '../registry/define.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/** The full-text table of a collection, the table its rows live in, and that table's integer key. */
export interface KeywordSpec {
  fts: string;
  rows: string;
  key: string;
  /**
   * Take the keyword leg's scope from the loaded vector table instead of joining the rows table per
   * match: for rows that carry their vector inline (memories), where the join reads a page per match.
   */
  scopeByTable?: boolean;
}

/** An equality filter on a column of the rows table (trusted name, bound values) for the keyword leg. */
export interface KeywordWhere {
  column: string;
  values: Array<string | number>;
}

export interface VectorRow<M> {
  id: number;
  meta: M;
  /** Stored little-endian float32 bytes. */
  vec: Uint8Array;
}

/** What a searchable collection tells the index about its rows. Every method is scoped. */
export interface RetrievalSource<M> {
  /** Name of the collection in retrieval_stamps ('documents', 'kb', 'memory', 'lookup' ...). */
  readonly collection: string;
  readonly keyword: KeywordSpec;
  /** Rows of the scope embedded by `embedderId`, with what filters need. */
  loadVectors(db: Db, scope: Scope, embedderId: string): VectorRow<M>[];
  /** Up to `limit` rows of the scope embedded by another embedder, with the text to embed. */
  staleRows(db: Db, scope: Scope, embedderId: string, limit: number): Array<{ id: number; text: string }>;
  /** Stores new vectors (in one transaction); a row whose embedded text changed meanwhile is left alone. */
  saveVectors(db: Db, scope: Scope, embedderId: string, rows: Array<{ id: number; text: string; vec: Float32Array }>): void;
}

export type SearchMode = 'semantic' | 'keyword' | 'hybrid';

export interface SearchRequest<M> {
  /** Usually one; lookup searches the built-in scope and the caller's together. */
  scopes: Scope[];
  query: string;
  mode: SearchMode;
  k: number;
  /** Depth of each leg before fusion (default fusionDepth(k)). */
  depth?: number;
  /** Rows the search may return, judged on the cached metadata (both legs, unless `where` is given). */
  accept?: (id: number, meta: M) => boolean;
  /** The same filter as `accept` in SQL, for the keyword leg: a keyword-only search then needs no vectors. */
  where?: KeywordWhere;
  /** Semantic floor, applied to both legs (a keyword hit below it is dropped). */
  minSimilarity?: number;
  /** Compute every hit's similarity even in keyword mode (loads the vectors). */
  withSimilarity?: boolean;
}

export interface RankedHit {
  id: number;
  /** Keyword mode: bm25 (higher is better); semantic: similarity; hybrid: the RRF score. */
  score: number;
  /** The reciprocal-rank-fusion score in every mode (one list's is 1 / (60 + rank)). */
  fused: number;
  similarity: number | null;
  semanticRank: number | null;
  keywordRank: number | null;
}

/** Rows re-embedded per batch when the active embedder changed. */
const REEMBED_BATCH = 256;

/** The change stamp of a collection in a scope (0 before its first write). */
const stampStatements = new WeakMap<Db, Statement<[string, string, string], number>>();
export function readStamp(db: Db, collection: string, scope: Scope): number {
  let stmt = stampStatements.get(db);
  if (!stmt) stampStatements.set(db, (stmt = db.prepare<[string, string, string], number>('SELECT stamp FROM retrieval_stamps WHERE collection = ? AND owner_id = ? AND project_id = ?').pluck()));
  return (stmt.get(collection, scope.ownerId, scope.projectId) as number | undefined) ?? 0;
}

/** The app's one vector cache: every collection's per-scope tables share its float bound. */
export class VectorCacheService {
  readonly cache: VectorCache<VectorTable<unknown>>;
  constructor(deps: AppDeps) {
    this.cache = new VectorCache(deps.config.vectorCacheFloats);
  }
}

/**
 * SQLite keyword leg: FTS5 bm25 over the collection's full-text table, joined to its rows for the
 * scope, best first, read lazily so a filter stops as soon as `limit` rows passed it.
 */
function* sqliteKeyword(db: Db, spec: KeywordSpec, scopes: Scope[] | null, match: string, where?: KeywordWhere): Generator<Scored> {
  if (scopes === null) {
    // Unscoped: the caller's accept() admits only rows of its scope (see KeywordSpec.scopeByTable).
    yield* db.prepare(`SELECT rowid AS id, -rank AS score FROM ${spec.fts} WHERE ${spec.fts} MATCH ? ORDER BY rank`).iterate(match) as Iterable<Scored>;
    return;
  }
  const scopeSql = scopes.map(() => '(c.owner_id = ? AND c.project_id = ?)').join(' OR ');
  const whereSql = where ? ` AND c.${where.column} IN (${where.values.map(() => '?').join(',')})` : '';
  const stmt = db.prepare(
    `SELECT f.rowid AS id, -f.rank AS score FROM ${spec.fts} f JOIN ${spec.rows} c ON c.${spec.key} = f.rowid
     WHERE ${spec.fts} MATCH ? AND (${scopeSql})${whereSql} ORDER BY f.rank`,
  );
  yield* stmt.iterate(match, ...scopes.flatMap((s) => [s.ownerId, s.projectId]), ...(where?.values ?? [])) as Iterable<Scored>;
}

export class RetrievalIndex<M> {
  private readonly cache: VectorCache<VectorTable<M>>;

  constructor(
    private readonly deps: AppDeps,
    private readonly source: RetrievalSource<M>,
  ) {
    this.cache = deps.service(VectorCacheService).cache as unknown as VectorCache<VectorTable<M>>;
  }

  get collection(): string {
    return this.source.collection;
  }

  stamp(scope: Scope): number {
    return readStamp(this.deps.db, this.source.collection, scope);
  }

  private key(scope: Scope): string {
    return `${this.source.collection}\u0000${scope.ownerId}\u0000${scope.projectId}`;
  }

  /**
   * The scope's vectors as of now, with the stamp they were loaded at: from the cache when its stamp
   * is current, else re-embedding stale rows and reloading. A table larger than the cache's bound is
   * returned but not kept (it is read again on the next search).
   */
  async table(scope: Scope, embedder: Embedder): Promise<{ table: VectorTable<M>; stamp: number }> {
    const key = this.key(scope);
    let stamp = this.stamp(scope);
    const hit = this.cache.get(key, `${stamp}:${embedder.id}`);
    if (hit) return { table: hit, stamp };
    // A current table was loaded after this check; any later write by anyone moves the stamp.
    if (await this.reembed(scope, embedder)) stamp = this.stamp(scope);
    const rows = this.source.loadVectors(this.deps.db, scope, embedder.id);
    const table = new VectorTable<M>(embedder.dim, rows.length);
    for (const r of rows) if (r.vec.byteLength === embedder.dim * 4) table.set(r.id, r.meta, r.vec);
    // The stamp read before loading: a write after it makes this entry stale, never wrongly fresh.
    this.cache.set(key, `${stamp}:${embedder.id}`, table);
    return { table, stamp };
  }

  /**
   * Applies a write this process committed to the cached table (so a write does not cost a reload),
   * if the table was at `before`; otherwise drops it. `after` is the stamp read in the same transaction.
   */
  applyOwnWrite(scope: Scope, before: number, after: number, apply: (table: VectorTable<M>) => void): void {
    // Tables exist only once the embedder is loaded; they are keyed by its id.
    const embedderId = this.deps.embedderInfo()?.id;
    if (embedderId) this.cache.update(this.key(scope), `${before}:${embedderId}`, `${after}:${embedderId}`, apply);
  }

  /** Re-embeds rows stored by another embedder than `embedder`; returns how many. */
  async reembed(scope: Scope, embedder: Embedder): Promise<number> {
    const done = new Set<number>();
    for (;;) {
      const rows = this.source.staleRows(this.deps.db, scope, embedder.id, REEMBED_BATCH).filter((r) => !done.has(r.id));
      if (rows.length === 0) break;
      const vecs = await embedder.embed(rows.map((r) => r.text));
      this.source.saveVectors(this.deps.db, scope, embedder.id, rows.map((r, i) => ({ ...r, vec: vecs[i]! })));
      for (const r of rows) done.add(r.id);
    }
    if (done.size > 0) this.deps.log.info({ collection: this.source.collection, rows: done.size, embedder: embedder.id }, 're-embedded rows stored by another embedder');
    return done.size;
  }

  /**
   * Keyword leg alone: ids best first (bm25), at most `limit`, each passing `accept` when given.
   * `inTables`: accept() admits only rows of the given scopes' loaded tables, so with a source that
   * is scopeByTable the SQL need not join the rows table.
   */
  keyword(
    scopes: Scope[],
    terms: QueryTerms,
    mode: TermMode,
    limit: number,
    filter: { where?: KeywordWhere; accept?: (id: number) => boolean; inTables?: boolean } = {},
  ): Scored[] {
    const match = fts5Match(terms, mode);
    if (!match || limit <= 0 || scopes.length === 0) return [];
    if (filter.where && filter.where.values.length === 0) return [];
    const unscoped = filter.inTables === true && filter.accept !== undefined && !filter.where && this.source.keyword.scopeByTable === true;
    const out: Scored[] = [];
    for (const hit of sqliteKeyword(this.deps.db, this.source.keyword, unscoped ? null : scopes, match, filter.where)) {
      if (filter.accept && !filter.accept(hit.id)) continue;
      out.push(hit);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Keyword, semantic or hybrid search over one or more scopes of the collection. */
  async search(req: SearchRequest<M>): Promise<{ hits: RankedHit[]; embedder: string | null; candidates: number | null }> {
    const terms = queryTerms(req.query);
    const depth = req.mode === 'hybrid' ? (req.depth ?? fusionDepth(req.k)) : req.k;
    const keywordAccept = req.where ? undefined : req.accept;
    const needVectors = req.mode !== 'keyword' || keywordAccept !== undefined || req.minSimilarity !== undefined || req.withSimilarity === true;
    let embedder: Embedder | null = null;
    let qv: Float32Array | null = null;
    const tables: Array<VectorTable<M>> = [];
    if (needVectors) {
      embedder = await this.deps.embedder();
      [qv] = (await embedder.embed([req.query])) as [Float32Array];
      for (const s of req.scopes) tables.push((await this.table(s, embedder)).table);
    }
    const metaOf = (id: number): M | undefined => {
      for (const t of tables) if (t.has(id)) return t.meta(id);
      return undefined;
    };
    const simOf = (id: number): number | null => {
      if (!qv) return null;
      for (const t of tables) {
        const s = t.similarity(qv, id);
        if (s !== undefined) return s;
      }
      return null;
    };

    let candidates: number | null = needVectors ? 0 : null;
    const semantic = new TopK(req.mode === 'keyword' ? 0 : depth);
    for (const t of tables) {
      const accept = req.accept;
      if (req.mode === 'keyword') {
        if (accept) t.scan(new Float32Array(t.dim), () => void candidates!++, accept);
        else candidates! += t.size;
        continue;
      }
      const floor = req.minSimilarity ?? -Infinity;
      t.scan(
        qv!,
        (id, sim) => {
          candidates!++;
          if (sim >= floor) semantic.push(id, sim);
        },
        accept,
      );
    }
    const semanticHits = semantic.result();

    let keywordHits: Scored[] = [];
    if (req.mode !== 'semantic') {
      const accept =
        keywordAccept || req.minSimilarity !== undefined
          ? (id: number) => {
              const meta = metaOf(id);
              if (meta === undefined) return false; // not in this view of the scope (written after it was loaded)
              if (keywordAccept && !keywordAccept(id, meta)) return false;
              return req.minSimilarity === undefined || (simOf(id) ?? -Infinity) >= req.minSimilarity;
            }
          : undefined;
      keywordHits = this.keyword(req.scopes, terms, 'any', depth, { where: req.where, accept, inTables: accept !== undefined });
    }

    const legScore = new Map([...semanticHits, ...keywordHits].map((h) => [h.id, h.score]));
    const hits: RankedHit[] = fuseRankings(semanticHits.map((h) => h.id), keywordHits.map((h) => h.id), req.k).map((f) => ({
      id: f.id,
      score: req.mode === 'hybrid' ? f.score : legScore.get(f.id)!,
      fused: f.score,
      similarity: null,
      semanticRank: f.semanticRank,
      keywordRank: f.keywordRank,
    }));
    if (qv) for (const h of hits) h.similarity ??= simOf(h.id);
    return { hits, embedder: embedder?.id ?? null, candidates };
  }
}
