// Spaces store (0015): spaces, nested collections, sources, versioned artifacts (a retrieval
// collection: keyword rows by trigger, vectors made lazily by the index), snapshots and upload slots
// of one project. Every query is bound to the repository's scope.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import { loadScopedVectors, saveScopedVectors, staleScopedRows, type RetrievalSource } from './retrieval.js';
import type { ArtifactsTable, SpaceCollectionsTable, SpaceSnapshotsTable, SpaceSourcesTable, SpacesTable, SpaceUploadsTable } from './schema.js';
import type { RepoContext } from './store.js';

type Unscoped<T> = Omit<T, 'owner_id' | 'project_id'>;
export type SpaceRow = Unscoped<Selectable<SpacesTable>>;
export type CollectionRow = Unscoped<Selectable<SpaceCollectionsTable>>;
export type SourceRow = Unscoped<Omit<Selectable<SpaceSourcesTable>, 'content'>>;
export type ArtifactRow = Unscoped<Omit<Selectable<ArtifactsTable>, 'embedding' | 'embedder_id' | 'text'>>;
export type NewArtifact = Omit<ArtifactRow, 'rowid'> & { text: string };
export type SnapshotRow = Unscoped<Omit<Selectable<SpaceSnapshotsTable>, 'state'>> & { state: unknown };
export type UploadRow = Unscoped<Omit<Selectable<SpaceUploadsTable>, 'bytes'>>;

export interface ArtifactMeta {
  space: string;
  collection: string | null;
  source: string;
  kind: string;
  language: string | null;
}

export interface ArtifactFilter {
  space_id?: string;
  collection_id?: string;
  source_id?: string;
  kind?: string;
  language?: string;
}

const SOURCE_COLUMNS = ['id', 'space_id', 'collection_id', 'kind', 'title', 'format', 'message_count', 'tokens', 'status', 'job_id', 'error', 'artifacts_count', 'created_at'] as const;
const ARTIFACT_COLUMNS = [
  'rowid', 'id', 'space_id', 'collection_id', 'source_id', 'kind', 'subtype', 'language', 'name', 'lineage', 'version', 'previous_id', 'content', 'content_hash', 'message_index', 'role', 'created_at',
] as const;
const SNAPSHOT_COLUMNS = ['id', 'space_id', 'source_id', 'title', 'budget_tokens', 'tokens_in', 'tokens_out', 'markdown', 'created_at'] as const;
const UPLOAD_COLUMNS = ['id', 'key_id', 'filename', 'mime_type', 'max_bytes', 'expires_at', 'status', 'size', 'created_at'] as const;

/** The artifacts of a scope as a retrieval collection (filters: space, collection, source, kind, language). */
export const artifactSource: RetrievalSource<ArtifactMeta> = {
  collection: 'artifacts',
  fts: FTS_INDEXES.artifacts,
  loadVectors: (ctx, scope, embedderId) =>
    loadScopedVectors(ctx, { table: 'artifacts', id: 'rowid', columns: ['space_id', 'collection_id', 'source_id', 'kind', 'language'] }, scope, embedderId, (r) => ({
      space: r.space_id as string,
      collection: r.collection_id as string | null,
      source: r.source_id as string,
      kind: r.kind as string,
      language: r.language as string | null,
    })),
  staleRows: (ctx, scope, embedderId, limit) => staleScopedRows(ctx, { table: 'artifacts', id: 'rowid' }, scope, embedderId, limit),
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'artifacts', id: 'rowid', guardText: true }, scope, embedderId, rows),
};

export class SpacesRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private get own() {
    return { owner_id: this.scope.ownerId, project_id: this.scope.projectId };
  }

  // Spaces ------------------------------------------------------------------------------------------
  async insertSpace(row: SpaceRow): Promise<void> {
    await this.ctx.db.insertInto('spaces').values({ ...this.own, ...row }).execute();
  }

  async listSpaces(): Promise<SpaceRow[]> {
    return this.ctx.db.selectFrom('spaces').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(['id', 'name', 'description', 'created_at', 'updated_at']).orderBy('created_at').orderBy('id').execute();
  }

  async getSpace(id: string): Promise<SpaceRow | undefined> {
    return this.ctx.db.selectFrom('spaces').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(['id', 'name', 'description', 'created_at', 'updated_at']).where('id', '=', id).executeTakeFirst();
  }

  async updateSpace(id: string, patch: Partial<Pick<SpaceRow, 'name' | 'description' | 'updated_at'>>): Promise<boolean> {
    const r = await this.ctx.db.updateTable('spaces').set(patch).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Deletes a space and everything in it (collections, sources, artifacts, snapshots of it). */
  async deleteSpace(id: string): Promise<boolean> {
    const w = <T extends 'space_collections' | 'space_sources' | 'artifacts' | 'space_snapshots'>(table: T) =>
      this.ctx.db.deleteFrom(table as 'artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('space_id', '=', id);
    await w('artifacts').execute();
    await w('space_sources').execute();
    await w('space_collections').execute();
    await w('space_snapshots').execute();
    const r = await this.ctx.db.deleteFrom('spaces').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // Collections -------------------------------------------------------------------------------------
  async insertCollection(row: CollectionRow): Promise<void> {
    await this.ctx.db.insertInto('space_collections').values({ ...this.own, ...row }).execute();
  }

  async collections(spaceId: string): Promise<CollectionRow[]> {
    return this.ctx.db.selectFrom('space_collections').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId)
      .select(['id', 'space_id', 'parent_id', 'name', 'created_at'])
      .where('space_id', '=', spaceId)
      .orderBy('created_at')
      .orderBy('id')
      .execute() as Promise<CollectionRow[]>;
  }

  async getCollection(id: string): Promise<CollectionRow | undefined> {
    return this.ctx.db.selectFrom('space_collections').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(['id', 'space_id', 'parent_id', 'name', 'created_at']).where('id', '=', id).executeTakeFirst() as Promise<CollectionRow | undefined>;
  }

  /** Deletes the collections (and their sources with their artifacts and snapshots). */
  async deleteCollections(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const w = <T extends 'space_sources' | 'artifacts'>(table: T) =>
      this.ctx.db.deleteFrom(table as 'artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('collection_id', 'in', ids);
    await w('artifacts').execute();
    const sources = this.ctx.db.selectFrom('space_sources').select('id').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('collection_id', 'in', ids);
    await this.ctx.db.deleteFrom('space_snapshots').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('source_id', 'in', sources).execute();
    await w('space_sources').execute();
    await this.ctx.db.deleteFrom('space_collections').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', 'in', ids).execute();
  }

  async countSourcesIn(collectionIds: string[]): Promise<number> {
    if (!collectionIds.length) return 0;
    const r = await this.ctx.db.selectFrom('space_sources').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select((eb) => eb.fn.countAll<number>().as('n')).where('collection_id', 'in', collectionIds).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // Sources -----------------------------------------------------------------------------------------
  async insertSource(row: SourceRow & { content: unknown }): Promise<void> {
    await this.ctx.db.insertInto('space_sources').values({ ...this.own, ...row, content: this.ctx.dialect.json(row.content) }).execute();
  }

  async listSources(f: { space_id?: string; collection_id?: string; kind?: string; limit: number; offset: number }): Promise<{ rows: SourceRow[]; total: number }> {
    let q = this.ctx.db.selectFrom('space_sources').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    if (f.space_id) q = q.where('space_id', '=', f.space_id);
    if (f.collection_id) q = q.where('collection_id', '=', f.collection_id);
    if (f.kind) q = q.where('kind', '=', f.kind as 'conversation');
    const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await q.select(SOURCE_COLUMNS).orderBy('created_at').orderBy('id').limit(f.limit).offset(f.offset).execute();
    return { rows: rows as SourceRow[], total: Number(total.n) };
  }

  async getSource(id: string): Promise<SourceRow | undefined> {
    return this.ctx.db.selectFrom('space_sources').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(SOURCE_COLUMNS).where('id', '=', id).executeTakeFirst() as Promise<SourceRow | undefined>;
  }

  async sourceContent(id: string): Promise<unknown | undefined> {
    const r = await this.ctx.db.selectFrom('space_sources').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select('content').where('id', '=', id).executeTakeFirst();
    return r ? readJson(r.content) : undefined;
  }

  async setSourceStatus(id: string, patch: Partial<Pick<SourceRow, 'status' | 'error' | 'artifacts_count' | 'job_id'>>): Promise<void> {
    await this.ctx.db.updateTable('space_sources').set(patch).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).execute();
  }

  /** Deletes a source with its artifacts and the snapshots made from it (they quote it verbatim). */
  async deleteSource(id: string): Promise<boolean> {
    await this.ctx.db.deleteFrom('space_snapshots').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('source_id', '=', id).execute();
    await this.ctx.db.deleteFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('source_id', '=', id).execute();
    const r = await this.ctx.db.deleteFrom('space_sources').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // Artifacts ---------------------------------------------------------------------------------------
  async deleteArtifactsOf(sourceId: string): Promise<void> {
    await this.ctx.db.deleteFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('source_id', '=', sourceId).execute();
  }

  /** The newest version of a lineage in a space. */
  async latestOf(spaceId: string, lineage: string): Promise<ArtifactRow | undefined> {
    return this.ctx.db.selectFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(ARTIFACT_COLUMNS).where('space_id', '=', spaceId).where('lineage', '=', lineage).orderBy('version', 'desc').limit(1).executeTakeFirst() as Promise<ArtifactRow | undefined>;
  }

  async insertArtifact(a: NewArtifact): Promise<void> {
    await this.ctx.db.insertInto('artifacts').values({ ...this.own, ...a, embedding: Buffer.alloc(0), embedder_id: '' }).execute();
  }

  async listArtifacts(f: ArtifactFilter & { limit: number; offset: number; latestOnly?: boolean }): Promise<{ rows: ArtifactRow[]; total: number }> {
    let q = this.ctx.db.selectFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    if (f.space_id) q = q.where('space_id', '=', f.space_id);
    if (f.collection_id) q = q.where('collection_id', '=', f.collection_id);
    if (f.source_id) q = q.where('source_id', '=', f.source_id);
    if (f.kind) q = q.where('kind', '=', f.kind);
    if (f.language) q = q.where('language', '=', f.language);
    const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await q.select(ARTIFACT_COLUMNS).orderBy('rowid').limit(f.limit).offset(f.offset).execute();
    return { rows: rows as ArtifactRow[], total: Number(total.n) };
  }

  async getArtifact(id: string): Promise<ArtifactRow | undefined> {
    return this.ctx.db.selectFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(ARTIFACT_COLUMNS).where('id', '=', id).executeTakeFirst() as Promise<ArtifactRow | undefined>;
  }

  async artifactsByRowids(rowids: number[]): Promise<ArtifactRow[]> {
    if (!rowids.length) return [];
    return this.ctx.db.selectFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(ARTIFACT_COLUMNS).where('rowid', 'in', rowids).execute() as Promise<ArtifactRow[]>;
  }

  async versions(spaceId: string, lineage: string): Promise<ArtifactRow[]> {
    return this.ctx.db.selectFrom('artifacts').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(ARTIFACT_COLUMNS).where('space_id', '=', spaceId).where('lineage', '=', lineage).orderBy('version').execute() as Promise<ArtifactRow[]>;
  }

  // Snapshots ---------------------------------------------------------------------------------------
  async insertSnapshot(row: SnapshotRow): Promise<void> {
    await this.ctx.db.insertInto('space_snapshots').values({ ...this.own, ...row, state: this.ctx.dialect.json(row.state) }).execute();
  }

  async getSnapshot(id: string): Promise<SnapshotRow | undefined> {
    const r = await this.ctx.db.selectFrom('space_snapshots').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select([...SNAPSHOT_COLUMNS, 'state']).where('id', '=', id).executeTakeFirst();
    return r ? { ...(r as unknown as SnapshotRow), state: readJson(r.state) } : undefined;
  }

  async listSnapshots(f: { space_id?: string; source_id?: string; limit: number; offset: number }): Promise<{ rows: Array<Omit<SnapshotRow, 'state' | 'markdown'>>; total: number }> {
    let q = this.ctx.db.selectFrom('space_snapshots').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
    if (f.space_id) q = q.where('space_id', '=', f.space_id);
    if (f.source_id) q = q.where('source_id', '=', f.source_id);
    const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await q.select(['id', 'space_id', 'source_id', 'title', 'budget_tokens', 'tokens_in', 'tokens_out', 'created_at']).orderBy('created_at', 'desc').orderBy('id').limit(f.limit).offset(f.offset).execute();
    return { rows: rows as Array<Omit<SnapshotRow, 'state' | 'markdown'>>, total: Number(total.n) };
  }

  // Uploads -----------------------------------------------------------------------------------------
  async insertUpload(row: Omit<UploadRow, 'size' | 'status'>): Promise<void> {
    await this.ctx.db.insertInto('space_uploads').values({ ...this.own, ...row, status: 'pending', size: null, bytes: null }).execute();
  }

  async getUpload(id: string): Promise<UploadRow | undefined> {
    return this.ctx.db.selectFrom('space_uploads').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).select(UPLOAD_COLUMNS).where('id', '=', id).executeTakeFirst() as Promise<UploadRow | undefined>;
  }

  /** Stores the bytes of a pending upload; false when it was not pending (reused URL). */
  async receiveUpload(id: string, bytes: Buffer, mimeType: string | null): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('space_uploads')
      .set({ status: 'received', size: bytes.length, bytes, mime_type: mimeType })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async uploadBytes(id: string): Promise<Buffer | undefined> {
    const r = await this.ctx.db.selectFrom('space_uploads').select('bytes').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', id).where('status', '=', 'received').executeTakeFirst();
    return r?.bytes ? Buffer.from(r.bytes) : undefined;
  }

  /** Marks a received upload used and drops its bytes; false when it was not in the received state (used twice). */
  async consumeUpload(id: string): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('space_uploads')
      .set({ status: 'used', bytes: null })
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .where('status', '=', 'received')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
