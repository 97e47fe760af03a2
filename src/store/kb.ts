// Knowledge-base store: what the retrieval index needs of KB passages. A passage is embedded with its
// item's title and heading trail (the service's embeddingText, passed in), so re-embedding joins the
// item for its title.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import { loadScopedVectors, saveScopedVectors, type RetrievalSource } from './retrieval.js';
import type { RepoContext } from './store.js';
import type { KbChunksTable, KbItemsTable, KbVersionsTable } from './schema.js';

export type KbEmbeddingText = (title: string | null, c: { headingPath: string[]; text: string }) => string;

export const kbChunkSource = (embeddingText: KbEmbeddingText): RetrievalSource<{ itemId: string }> => ({
  collection: 'kb',
  fts: FTS_INDEXES.kbChunks,
  loadVectors: (ctx, scope, embedderId) => loadScopedVectors(ctx, { table: 'kb_chunks', id: 'rowid', columns: ['item_id'] }, scope, embedderId, (r) => ({ itemId: r.item_id as string })),
  async staleRows(ctx, scope, embedderId, limit) {
    const rows = await ctx.db
      .selectFrom('kb_chunks as c')
      .innerJoin('kb_items as i', (j) => j.onRef('i.owner_id', '=', 'c.owner_id').onRef('i.project_id', '=', 'c.project_id').onRef('i.item_id', '=', 'c.item_id'))
      .select(['c.rowid', 'c.heading_path', 'c.text', 'i.title'])
      .where('c.owner_id', '=', scope.ownerId)
      .where('c.project_id', '=', scope.projectId)
      .where('c.embedder_id', '!=', embedderId)
      .orderBy('c.rowid')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.rowid, text: embeddingText(r.title, { headingPath: readJson<string[]>(r.heading_path), text: r.text }) }));
  },
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'kb_chunks', id: 'rowid', guardText: false }, scope, embedderId, rows),
});

type Unscoped<T> = Omit<Selectable<T>, 'owner_id' | 'project_id'>;
export type KbItemRow = Unscoped<KbItemsTable>;
/** A version as services read it: metadata parsed. */
export type KbVersionRow = Omit<Unscoped<KbVersionsTable>, 'metadata'> & { metadata: Record<string, unknown> };
/** A passage search hit: heading trail parsed, with its item's title. */
export type KbChunkRow = Pick<Selectable<KbChunksTable>, 'rowid' | 'item_id' | 'version' | 'idx' | 'page' | 'text' | 'start_offset' | 'end_offset'> & {
  heading_path: string[];
  title: string | null;
};
export interface KbNewChunk { idx: number; page: number | null; headingPath: string[]; text: string; tokens: number; start: number; end: number; embedding: Buffer; ftsText: string }
export type KbNewVersion = Omit<KbVersionRow, 'item_id' | 'version' | 'created_at'>;

const VERSION_COLUMNS = ['item_id', 'version', 'change', 'restored_from', 'source_mode', 'source', 'format', 'title', 'content', 'content_hash', 'bytes', 'tokens', 'metadata', 'created_at'] as const;

/** One project's knowledge base: items, their versions, and the current version's passages. */
export class KbRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private where<T extends { where: (...a: any[]) => T }>(q: T, prefix = ''): T {
    return q.where(`${prefix}owner_id`, '=', this.scope.ownerId).where(`${prefix}project_id`, '=', this.scope.projectId);
  }

  async item(itemId: string): Promise<KbItemRow | undefined> {
    return this.where(this.ctx.db.selectFrom('kb_items').select(['item_id', 'title', 'current_version', 'created_at', 'updated_at'])).where('item_id', '=', itemId).executeTakeFirst();
  }

  async version(itemId: string, version: number): Promise<KbVersionRow | undefined> {
    const r = await this.where(this.ctx.db.selectFrom('kb_versions').select(VERSION_COLUMNS)).where('item_id', '=', itemId).where('version', '=', version).executeTakeFirst();
    return r && { ...r, metadata: readJson<Record<string, unknown>>(r.metadata) };
  }

  /** The newest version number of an item (below `below` when given), or null. */
  async maxVersion(itemId: string, below?: number): Promise<number | null> {
    let q = this.where(this.ctx.db.selectFrom('kb_versions').select((eb) => eb.fn.max('version').as('v'))).where('item_id', '=', itemId);
    if (below !== undefined) q = q.where('version', '<', below);
    const r = await q.executeTakeFirst();
    return r?.v == null ? null : Number(r.v);
  }

  async current(itemId: string): Promise<KbVersionRow | undefined> {
    const item = await this.item(itemId);
    return item ? this.version(itemId, item.current_version) : undefined;
  }

  async countVersions(itemId: string): Promise<number> {
    const r = await this.where(this.ctx.db.selectFrom('kb_versions').select((eb) => eb.fn.countAll<number>().as('n'))).where('item_id', '=', itemId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async countItems(): Promise<number> {
    const r = await this.where(this.ctx.db.selectFrom('kb_items').select((eb) => eb.fn.countAll<number>().as('n'))).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async countChunks(itemId: string): Promise<number> {
    const r = await this.where(this.ctx.db.selectFrom('kb_chunks').select((eb) => eb.fn.countAll<number>().as('n'))).where('item_id', '=', itemId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Items newest first with their current version's facts and how many versions each has. */
  async list(limit: number, offset: number) {
    const rows = await this.ctx.db
      .selectFrom('kb_items as i')
      .innerJoin('kb_versions as v', (j) =>
        j.onRef('v.owner_id', '=', 'i.owner_id').onRef('v.project_id', '=', 'i.project_id').onRef('v.item_id', '=', 'i.item_id').onRef('v.version', '=', 'i.current_version'),
      )
      .select(['i.item_id', 'i.title', 'i.current_version', 'i.created_at', 'i.updated_at', 'v.format', 'v.source_mode', 'v.source', 'v.tokens', 'v.bytes'])
      .select((eb) =>
        eb
          .selectFrom('kb_versions as x')
          .select((e2) => e2.fn.countAll<number>().as('n'))
          .whereRef('x.owner_id', '=', 'i.owner_id')
          .whereRef('x.project_id', '=', 'i.project_id')
          .whereRef('x.item_id', '=', 'i.item_id')
          .as('versions'),
      )
      .where('i.owner_id', '=', this.scope.ownerId)
      .where('i.project_id', '=', this.scope.projectId)
      .orderBy('i.updated_at', 'desc')
      .orderBy('i.item_id')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map((r) => ({ ...r, versions: Number(r.versions ?? 0) }));
  }

  async history(itemId: string) {
    return this.where(this.ctx.db.selectFrom('kb_versions').select(['version', 'change', 'restored_from', 'source_mode', 'source', 'format', 'title', 'tokens', 'bytes', 'created_at']))
      .where('item_id', '=', itemId)
      .orderBy('version', 'desc')
      .execute();
  }

  /** The item's passages stored by `embedderId` (vectors reusable for unchanged text). */
  async chunksFor(itemId: string, embedderId: string): Promise<Array<{ heading_path: string[]; text: string; embedding: Buffer }>> {
    const rows = await this.where(this.ctx.db.selectFrom('kb_chunks').select(['heading_path', 'text', 'embedding'])).where('item_id', '=', itemId).where('embedder_id', '=', embedderId).execute();
    return rows.map((r) => ({ ...r, heading_path: readJson<string[]>(r.heading_path) }));
  }

  /** Passages by rowid with their item's title (search hits). */
  async hits(rowids: number[]): Promise<KbChunkRow[]> {
    if (rowids.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('kb_chunks as c')
      .innerJoin('kb_items as i', (j) => j.onRef('i.owner_id', '=', 'c.owner_id').onRef('i.project_id', '=', 'c.project_id').onRef('i.item_id', '=', 'c.item_id'))
      .select(['c.rowid', 'c.item_id', 'c.version', 'c.idx', 'c.page', 'c.heading_path', 'c.text', 'c.start_offset', 'c.end_offset', 'i.title'])
      .where('c.owner_id', '=', this.scope.ownerId)
      .where('c.project_id', '=', this.scope.projectId)
      .where('c.rowid', 'in', rowids)
      .execute();
    return rows.map((r) => ({ ...r, heading_path: readJson<string[]>(r.heading_path) }));
  }

  /**
   * Appends a version and makes it current, replacing the passages (call inside ctx.tx). Returns
   * null when `mustExist` and the item is gone.
   */
  async writeVersion(itemId: string, v: KbNewVersion, chunks: KbNewChunk[], embedderId: string, now: string, mustExist: boolean): Promise<{ version: number; created: boolean } | null> {
    const item = await this.item(itemId);
    if (mustExist && !item) return null;
    const next = ((await this.maxVersion(itemId)) ?? 0) + 1;
    const own = { owner_id: this.scope.ownerId, project_id: this.scope.projectId };
    if (item) {
      await this.where(this.ctx.db.updateTable('kb_items').set({ title: v.title, current_version: next, updated_at: now })).where('item_id', '=', itemId).execute();
    } else {
      await this.ctx.db.insertInto('kb_items').values({ ...own, item_id: itemId, title: v.title, current_version: next, created_at: now, updated_at: now }).execute();
    }
    await this.ctx.db
      .insertInto('kb_versions')
      .values({ ...own, ...v, item_id: itemId, version: next, metadata: this.ctx.dialect.json(v.metadata), created_at: now })
      .execute();
    await this.deleteChunks(itemId);
    const fts: Array<{ key: number; values: string[] }> = [];
    for (const c of chunks) {
      const r = await this.ctx.db
        .insertInto('kb_chunks')
        .values({
          ...own, item_id: itemId, version: next, idx: c.idx, page: c.page, heading_path: this.ctx.dialect.json(c.headingPath), text: c.text, tokens: c.tokens,
          start_offset: c.start, end_offset: c.end, embedding: c.embedding, embedder_id: embedderId,
        })
        .returning('rowid')
        .executeTakeFirstOrThrow();
      fts.push({ key: r.rowid, values: [c.ftsText] });
    }
    await this.ctx.dialect.ftsInsert(this.ctx.db, FTS_INDEXES.kbChunks, fts);
    return { version: next, created: !item };
  }

  /** Removes an item with its versions and passages; null when it does not exist. */
  async deleteItem(itemId: string): Promise<{ versions: number; chunks: number } | null> {
    if (!(await this.item(itemId))) return null;
    const versions = await this.countVersions(itemId);
    const chunks = await this.deleteChunks(itemId);
    await this.where(this.ctx.db.deleteFrom('kb_versions')).where('item_id', '=', itemId).execute();
    await this.where(this.ctx.db.deleteFrom('kb_items')).where('item_id', '=', itemId).execute();
    return { versions, chunks };
  }

  /** Deletes the item's passages; their keyword rows go with them (SQLite trigger 0011, PostgreSQL generated column). */
  private async deleteChunks(itemId: string): Promise<number> {
    const r = await this.where(this.ctx.db.deleteFrom('kb_chunks')).where('item_id', '=', itemId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
