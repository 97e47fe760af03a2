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
//
// Keyword leg: SQLite ranks with FTS5, which stops at the limit. PostgreSQL's SQL ranking reads and
// scores every matching row (a common word matches thousands), so there the index keeps each
// scope's keyword index in memory too (engine/retrieval/keyword-index.ts), built from the rows'
// tsvectors, in the same cache and under the same stamp as the vectors; a scope whose index does
// not fit the bound is searched in SQL.
import { sql } from 'kysely';
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import {
  fuseRankings,
  fusionDepth,
  KeywordIndex,
  parseTsvector,
  queryTerms,
  searchKeyword,
  termsFor,
  TopK,
  VectorCache,
  VectorTable,
  type QueryTerms,
  type Scored,
  type Sized,
  type TermMode,
} from '../engine/retrieval/index.js';
import type { Embedder } from '../engine/embeddings/types.js';
import { vectorToBlob } from '../engine/embeddings/vector.js';
import type { FtsIndex, FtsQuery } from './dialect.js';
import type { RepoContext } from './store.js';

/** An equality filter on a column of the rows table (trusted name, bound values) for the keyword leg. */
export type KeywordWhere = NonNullable<FtsQuery['where']>;

export interface VectorRow<M> {
  id: number;
  meta: M;
  /** Stored little-endian float32 bytes. */
  vec: Uint8Array;
}

/** What a searchable collection tells the index about its rows (its repository side). Every method is scoped. */
export interface RetrievalSource<M> {
  /** Name of the collection in retrieval_stamps ('documents', 'kb', 'memory', 'lookup' ...). */
  readonly collection: string;
  /** Its full-text index (dialect.ts FTS_INDEXES). */
  readonly fts: FtsIndex;
  /**
   * Take the keyword leg's scope from the loaded vector table instead of joining the rows table per
   * match: for rows that carry their vector inline (memories), where the join reads a page per match.
   */
  readonly scopeByTable?: boolean;
  /** Rows of the scope embedded by `embedderId`, with what filters need. */
  loadVectors(ctx: RepoContext, scope: Scope, embedderId: string): Promise<Array<VectorRow<M>>>;
  /** Up to `limit` rows of the scope embedded by another embedder, with the text to embed. */
  staleRows(ctx: RepoContext, scope: Scope, embedderId: string, limit: number): Promise<Array<{ id: number; text: string }>>;
  /** Stores new vectors (in one transaction); a row whose embedded text changed meanwhile is left alone. */
  saveVectors(ctx: RepoContext, scope: Scope, embedderId: string, rows: Array<{ id: number; text: string; vec: Float32Array }>): Promise<void>;
}

/** The tables whose rows carry their own vector (embedding + embedder_id) within an owner/project scope. */
export interface VectorColumns {
  table: 'document_chunks' | 'memories' | 'kb_chunks' | 'lookup_chunks' | 'contexts' | 'ace_bullets' | 'artifacts';
  /** The row id the source hands out (`rowid`, or `seq` for memories). */
  id: 'rowid' | 'seq';
  /**
   * Skip a row whose text changed since it was read (that edit embedded it already). Only where the
   * text embedded is the row's own `text` column; KB and lookup embed a composed text.
   */
  guardText: boolean;
}

/** One `loadVectors` for every source: the scope's rows embedded by `embedderId`, with what `meta` reads of `columns`. */
export async function loadScopedVectors<M>(
  ctx: RepoContext,
  cols: { table: VectorColumns['table']; id: VectorColumns['id']; columns: string[]; unordered?: boolean },
  scope: Scope,
  embedderId: string,
  meta: (row: Record<string, unknown>) => M,
): Promise<Array<VectorRow<M>>> {
  // The four tables share these columns; the query builder is typed on one of them.
  let q = ctx.db
    .selectFrom(cols.table as 'document_chunks')
    .select([`${cols.id as 'rowid'} as id`, 'embedding', ...(cols.columns as Array<'doc_id'>)])
    .where('owner_id', '=', scope.ownerId)
    .where('project_id', '=', scope.projectId)
    .where('embedder_id', '=', embedderId);
  // `unordered`: let the database read the scope through its own index rather than sort by key.
  if (!cols.unordered) q = q.orderBy(cols.id as 'rowid');
  const rows = (await q.execute()) as unknown as Array<Record<string, unknown> & { id: number; embedding: Buffer }>;
  return rows.map((r) => ({ id: r.id, meta: meta(r), vec: r.embedding }));
}

/** One `staleRows` for the sources that embed a row's own `text`: rows of the scope embedded by another embedder. */
export async function staleScopedRows(
  ctx: RepoContext,
  cols: { table: VectorColumns['table']; id: VectorColumns['id'] },
  scope: Scope,
  embedderId: string,
  limit: number,
): Promise<Array<{ id: number; text: string }>> {
  return ctx.db
    .selectFrom(cols.table as 'document_chunks')
    .select([`${cols.id as 'rowid'} as id`, 'text'])
    .where('owner_id', '=', scope.ownerId)
    .where('project_id', '=', scope.projectId)
    .where('embedder_id', '!=', embedderId)
    .orderBy(cols.id as 'rowid')
    .limit(limit)
    .execute();
}

/** One `saveVectors` for every source: re-embedded vectors written back in one transaction, scoped. */
export async function saveScopedVectors(
  ctx: RepoContext,
  cols: VectorColumns,
  scope: Scope,
  embedderId: string,
  rows: Array<{ id: number; text: string; vec: Float32Array }>,
): Promise<void> {
  await ctx.tx(async (t) => {
    for (const r of rows) {
      // The four tables share these columns; the query builder is typed on one of them.
      let q = t.db
        .updateTable(cols.table as 'document_chunks')
        .set({ embedding: vectorToBlob(r.vec), embedder_id: embedderId })
        .where(cols.id as 'rowid', '=', r.id)
        .where('owner_id', '=', scope.ownerId)
        .where('project_id', '=', scope.projectId);
      if (cols.guardText) q = q.where('text', '=', r.text);
      await q.execute();
    }
  });
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
/** The change stamp of a collection in a scope (0 before its first write); `ctx` may be an open transaction. */
export async function readStamp(ctx: RepoContext, collection: string, scope: Scope): Promise<number> {
  // Read on every search: a raw template skips the query builder's per-call AST work.
  const { rows } = await sql<{ stamp: number }>`SELECT stamp FROM retrieval_stamps WHERE collection = ${collection} AND owner_id = ${scope.ownerId} AND project_id = ${scope.projectId}`.execute(ctx.db);
  return Number(rows[0]?.stamp ?? 0);
}

/** A scope's in-memory keyword index as cached, with the rows this process wrote since (re-read before the next search). */
class CachedKeywords implements Sized {
  readonly pending = new Set<number>();
  constructor(readonly index: KeywordIndex) {}
  get floats(): number {
    return this.index.floats + this.pending.size;
  }
}

/** Query terms whose lexemes are remembered (the database's text processing is immutable). */
const LEXEME_MEMO = 20_000;
/** How long a scope whose keyword index outgrew the cache's bound is searched in SQL before trying again. */
const TOO_BIG_RETRY_MS = 60_000;

/** The app's one vector cache: every collection's per-scope tables and keyword indexes share its float bound. */
export class VectorCacheService {
  readonly cache: VectorCache<Sized>;
  /** Query term -> the lexemes the database's text processing makes of it (PostgreSQL's keyword leg). */
  readonly lexemes = new Map<string, string[]>();
  /** Keyword-index cache keys whose index did not fit the bound, with when that was found. */
  readonly tooBig = new Map<string, number>();
  constructor(deps: AppDeps) {
    this.cache = new VectorCache(deps.config.vectorCacheFloats);
  }

  /** Drops every collection's table of a scope (a deleted project): frees its memory at once. */
  forgetScope(scope: Scope): void {
    const suffix = `\u0000${scope.ownerId}\u0000${scope.projectId}`;
    for (const key of this.cache.keys()) if (key.endsWith(suffix)) this.cache.delete(key);
    for (const key of this.tooBig.keys()) if (key.endsWith(suffix)) this.tooBig.delete(key);
  }
}

export class RetrievalIndex<M> {
  private readonly cache: VectorCache<VectorTable<M>>;
  private readonly keywordCache: VectorCache<CachedKeywords>;
  private readonly shared: VectorCacheService;

  constructor(
    private readonly deps: AppDeps,
    private readonly source: RetrievalSource<M>,
  ) {
    this.shared = deps.service(VectorCacheService);
    // One cache holds both kinds of entry under distinct keys; each index reads back only its own.
    this.cache = this.shared.cache as VectorCache<VectorTable<M>>;
    this.keywordCache = this.shared.cache as VectorCache<CachedKeywords>;
  }

  /** True where the keyword leg is searched in memory (the dialect can hand out its indexed terms). */
  private get keywordsInMemory(): boolean {
    const d = this.deps.store.dialect;
    return d.ftsRows !== undefined && d.ftsLexemes !== undefined;
  }

  get collection(): string {
    return this.source.collection;
  }

  /** The collection's change stamp for `scope`, read through `ctx` (default: the store). */
  stamp(scope: Scope, ctx: RepoContext = this.deps.store): Promise<number> {
    return readStamp(ctx, this.source.collection, scope);
  }

  private key(scope: Scope): string {
    return `${this.source.collection}\u0000${scope.ownerId}\u0000${scope.projectId}`;
  }

  private keywordKey(scope: Scope): string {
    return `${this.source.collection}:keywords\u0000${scope.ownerId}\u0000${scope.projectId}`;
  }

  /**
   * The scope's vectors as of now, with the stamp they were loaded at: from the cache when its stamp
   * is current, else re-embedding stale rows and reloading. A table larger than the cache's bound is
   * returned but not kept (it is read again on the next search).
   */
  async table(scope: Scope, embedder: Embedder, stampNow?: number): Promise<{ table: VectorTable<M>; stamp: number }> {
    const key = this.key(scope);
    let stamp = stampNow ?? (await this.stamp(scope));
    const hit = this.cache.get(key, `${stamp}:${embedder.id}`);
    if (hit) return { table: hit, stamp };
    // A current table was loaded after this check; any later write by anyone moves the stamp.
    if (await this.reembed(scope, embedder)) stamp = await this.stamp(scope);
    const rows = await this.source.loadVectors(this.deps.store, scope, embedder.id);
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
  applyOwnWrite(scope: Scope, before: number, after: number, apply: (table: VectorTable<M>) => void, touched?: number[]): void {
    // Tables exist only once the embedder is loaded; they are keyed by its id.
    const embedderId = this.deps.embedderInfo()?.id;
    if (embedderId) this.cache.update(this.key(scope), `${before}:${embedderId}`, `${after}:${embedderId}`, apply);
    // The keyword index learns which rows were written (inserted, changed or deleted) and re-reads
    // just those before its next search; without the list it is dropped and rebuilt.
    const key = this.keywordKey(scope);
    if (touched) this.keywordCache.update(key, `${before}`, `${after}`, (c) => touched.forEach((id) => c.pending.add(id)));
    else this.keywordCache.delete(key);
  }

  /**
   * The scope's in-memory keyword index at `stamp` (read now when not given): cached, or built from
   * the scope's indexed terms. Null when it does not fit the cache's bound (the caller searches in SQL).
   */
  async keywordIndex(scope: Scope, stamp?: number): Promise<KeywordIndex | null> {
    const { store } = this.deps;
    const key = this.keywordKey(scope);
    const at = `${stamp ?? (await this.stamp(scope))}`;
    const hit = this.keywordCache.get(key, at);
    if (hit) {
      if (hit.pending.size > 0) {
        const ids = [...hit.pending];
        const rows = await store.dialect.ftsRows!(store.db, this.source.fts, scope, ids);
        // Rows read now are at least as new as `at`: the entry may run ahead of its stamp, never behind it.
        this.keywordCache.update(key, at, at, (c) => {
          for (const id of ids) {
            c.index.delete(id);
            c.pending.delete(id);
          }
          for (const r of rows) {
            const { terms, length } = parseTsvector(r.fts);
            c.index.set(r.key, terms, length);
          }
        });
      }
      return hit.index;
    }
    const failed = this.shared.tooBig.get(key);
    if (failed !== undefined && Date.now() - failed < TOO_BIG_RETRY_MS) return null;
    const rows = await store.dialect.ftsRows!(store.db, this.source.fts, scope);
    const index = new KeywordIndex();
    for (const r of rows) {
      const { terms, length } = parseTsvector(r.fts);
      index.set(r.key, terms, length);
      if (index.floats > this.keywordCache.maxFloats) {
        this.shared.tooBig.set(key, Date.now());
        return null;
      }
    }
    this.shared.tooBig.delete(key);
    // Keyed by the stamp read before loading: a write after it makes this entry stale, never wrongly fresh.
    this.keywordCache.set(key, at, new CachedKeywords(index));
    return index;
  }

  /** Each term as the lexemes the database indexes it under; remembered per process. */
  private async lexemes(terms: string[]): Promise<string[][]> {
    const memo = this.shared.lexemes;
    const missing = terms.filter((t) => !memo.has(t));
    if (missing.length > 0) {
      const { store } = this.deps;
      if (memo.size + missing.length > LEXEME_MEMO) memo.clear();
      for (const r of await store.dialect.ftsLexemes!(store.db, missing)) memo.set(r.term, r.lexemes);
    }
    return terms.map((t) => memo.get(t) ?? []);
  }

  /** The keyword leg over the scopes' in-memory indexes; null when one does not fit the bound (search in SQL). */
  private async keywordFromMemory(scopes: Scope[], terms: QueryTerms, mode: TermMode, limit: number, accept?: (id: number) => boolean, stamps?: number[]): Promise<Scored[] | null> {
    const words = termsFor(terms, mode);
    if (words.length === 0) return [];
    const indexes: KeywordIndex[] = [];
    for (const [i, scope] of scopes.entries()) {
      const index = await this.keywordIndex(scope, stamps?.[i]);
      if (!index) return null;
      indexes.push(index);
    }
    return searchKeyword(indexes, { terms: await this.lexemes(words), mode, k: limit, accept });
  }

  /** Re-embeds rows stored by another embedder than `embedder`; returns how many. */
  async reembed(scope: Scope, embedder: Embedder): Promise<number> {
    const done = new Set<number>();
    for (;;) {
      const rows = (await this.source.staleRows(this.deps.store, scope, embedder.id, REEMBED_BATCH)).filter((r) => !done.has(r.id));
      if (rows.length === 0) break;
      const vecs = await embedder.embed(rows.map((r) => r.text));
      await this.source.saveVectors(this.deps.store, scope, embedder.id, rows.map((r, i) => ({ ...r, vec: vecs[i]! })));
      for (const r of rows) done.add(r.id);
    }
    if (done.size > 0) this.deps.log.info({ collection: this.source.collection, rows: done.size, embedder: embedder.id }, 're-embedded rows stored by another embedder');
    return done.size;
  }

  /**
   * Keyword leg alone: ids best first (BM25), at most `limit`, each passing `accept` when given. On
   * PostgreSQL from the scopes' in-memory keyword indexes (at `stamps`, the vector tables' stamps,
   * when given) unless `where` asks for SQL or an index outgrows the cache; otherwise in SQL, read
   * page by page until enough passed (the first page sized by `passRate`, the share `accept` lets
   * through). `inTables`: accept() admits only rows of the scopes' loaded tables, which lets a
   * scopeByTable source skip the per-match join on SQLite.
   */
  async keyword(
    scopes: Scope[],
    terms: QueryTerms,
    mode: TermMode,
    limit: number,
    filter: { where?: KeywordWhere; accept?: (id: number) => boolean; inTables?: boolean; rows?: number; stamps?: number[]; passRate?: number } = {},
  ): Promise<Scored[]> {
    if (limit <= 0 || scopes.length === 0) return [];
    if (filter.where && filter.where.values.length === 0) return [];
    if (!filter.where && this.keywordsInMemory) {
      const hits = await this.keywordFromMemory(scopes, terms, mode, limit, filter.accept, filter.stamps);
      if (hits) return hits;
    }
    const { store } = this.deps;
    const callerScopes = filter.inTables === true && filter.accept !== undefined && this.source.scopeByTable === true;
    // Pages grow geometrically: a selective filter (a tag) costs a few queries, not one per page.
    // The first page is sized by the share of rows `accept` lets through when the caller knows it (the
    // vector leg counted them): each page re-ranks every match, so one page of the right size is cheapest.
    const rate = Math.min(Math.max(filter.passRate ?? 0.5, 0.01), 1);
    let page = filter.accept ? Math.min(Math.max(Math.ceil((limit * 1.5) / rate), 10), 20_000) : limit;
    const out: Scored[] = [];
    for (let offset = 0; ; offset += page, page = Math.min(page * 4, 20_000)) {
      const hits = await store.dialect.ftsSearch(store.db, this.source.fts, { terms, mode, scopes, callerScopes, where: filter.where, limit: page, offset, rows: filter.rows });
      for (const h of hits) {
        if (filter.accept && !filter.accept(h.key)) continue;
        out.push({ id: h.key, score: h.score });
        if (out.length >= limit) return out;
      }
      if (hits.length < page) return out;
    }
  }

  /** Keyword, semantic or hybrid search over one or more scopes of the collection. */
  async search(req: SearchRequest<M>): Promise<{ hits: RankedHit[]; embedder: string | null; candidates: number | null }> {
    const terms = queryTerms(req.query);
    const depth = req.mode === 'hybrid' ? (req.depth ?? fusionDepth(req.k)) : req.k;
    const sqlAccept = req.where ? undefined : req.accept;
    const needVectors = req.mode !== 'keyword' || sqlAccept !== undefined || req.minSimilarity !== undefined || req.withSimilarity === true;
    // In memory the keyword leg filters on the loaded tables' metadata (`accept`) instead of `where`;
    // a keyword-only search with `where` (no vectors loaded) keeps asking SQL.
    const keywordInMemory = this.keywordsInMemory && (req.where === undefined || needVectors);
    const keywordAccept = keywordInMemory ? req.accept : sqlAccept;
    let embedder: Embedder | null = null;
    let qv: Float32Array | null = null;
    const tables: Array<VectorTable<M>> = [];
    const stamps: number[] = [];
    if (needVectors) {
      embedder = await this.deps.embedder();
      [qv] = (await embedder.embed([req.query])) as [Float32Array];
      for (const s of req.scopes) {
        // Where both legs are in memory, one stamp read serves both, and after a write (or a restart)
        // the keyword index is rebuilt while the vectors load (on another pooled connection).
        const stamp = keywordInMemory && req.mode !== 'semantic' ? await this.stamp(s) : undefined;
        const [loaded] = await Promise.all([this.table(s, embedder, stamp), stamp !== undefined ? this.keywordIndex(s, stamp) : null]);
        tables.push(loaded.table);
        stamps.push(loaded.stamp);
      }
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
      // The loaded tables hold every row of the scopes (as of their stamp): BM25's collection size.
      const rows = needVectors ? tables.reduce((n, t) => n + t.size, 0) : undefined;
      // Rows the vector leg's filter let through (its candidates), against all: how selective `accept` is.
      const passRate = rows && keywordAccept ? candidates! / rows : undefined;
      // The keyword indexes are read at the vectors' stamps: both legs see the scope as of one moment.
      keywordHits = await this.keyword(req.scopes, terms, 'any', depth, {
        where: keywordInMemory ? undefined : req.where,
        accept,
        inTables: accept !== undefined,
        rows,
        passRate,
        stamps: needVectors ? stamps : undefined,
      });
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
