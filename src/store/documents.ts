// Documents store: one project's documents and their chunks (DocumentsRepo), and what the retrieval
// index needs of the chunks (documentChunkSource: vectors, stale rows, full-text index). Chunks are
// embedded as their own text.
import type { Selectable } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import { prepared, preparedRows } from './prepared.js';
import { loadScopedVectors, saveScopedVectors, staleScopedRows, type RetrievalSource } from './retrieval.js';
import type { RepoContext } from './store.js';
import type { DocumentChunksTable, DocumentsTable } from './schema.js';

export const documentChunkSource: RetrievalSource<{ docId: string }> = {
  collection: 'documents',
  fts: FTS_INDEXES.documentChunks,
  loadVectors: (ctx, scope, embedderId) => loadScopedVectors(ctx, { table: 'document_chunks', id: 'rowid', columns: ['doc_id'] }, scope, embedderId, (r) => ({ docId: r.doc_id as string })),
  staleRows: (ctx, scope, embedderId, limit) => staleScopedRows(ctx, { table: 'document_chunks', id: 'rowid' }, scope, embedderId, limit),
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'document_chunks', id: 'rowid', guardText: true }, scope, embedderId, rows),
};

/** A document as services read it: metadata parsed. */
export type DocRow = Omit<Selectable<DocumentsTable>, 'rowid' | 'metadata'> & { metadata: Record<string, unknown> };
/** A chunk as services read it: heading trail parsed, the vector as stored bytes. */
export type ChunkRow = Omit<Selectable<DocumentChunksTable>, 'owner_id' | 'project_id' | 'heading_path'> & { heading_path: string[] };
export type DocSummaryRow = Omit<DocRow, 'metadata' | 'content'>;
/** What a new document or a refresh writes (the repository adds scope, ids and version). */
export type DocWrite = Pick<DocRow, 'title' | 'source_type' | 'metadata' | 'content' | 'content_hash' | 'tokens' | 'skeleton_tokens' | 'chunk_count'>;
export type ChunkWrite = Omit<ChunkRow, 'rowid' | 'doc_id'>;

const DOC_COLUMNS = ['id', 'owner_id', 'project_id', 'file_id', 'title', 'source_type', 'metadata', 'content', 'content_hash', 'tokens', 'skeleton_tokens', 'chunk_count', 'version', 'created_at', 'updated_at'] as const;
const SUMMARY_COLUMNS = ['id', 'owner_id', 'project_id', 'file_id', 'title', 'source_type', 'content_hash', 'tokens', 'skeleton_tokens', 'chunk_count', 'version', 'created_at', 'updated_at'] as const;
const CHUNK_COLUMNS = ['rowid', 'id', 'doc_id', 'idx', 'text', 'tokens', 'kind', 'heading_path', 'start_offset', 'end_offset', 'text_hash', 'embedding', 'embedder_id'] as const;

// An ingest's statements, compiled once (prepared.ts): every ingest runs each of them.
type InScope = { ownerId: string; projectId: string };
const docByFileId = prepared((db, p: InScope & { fileId: string }) =>
  db.selectFrom('documents').select(DOC_COLUMNS).where('owner_id', '=', p.ownerId).where('project_id', '=', p.projectId).where('file_id', '=', p.fileId),
);
const docVersion = prepared((db, p: InScope & { fileId: string }) =>
  db.selectFrom('documents').select(['version', 'content_hash']).where('owner_id', '=', p.ownerId).where('project_id', '=', p.projectId).where('file_id', '=', p.fileId),
);
type DocValues = Omit<DocWrite, 'metadata'> & { metadata: string };
const insertDoc = prepared((db, p: DocValues & InScope & { id: string; fileId: string; now: string }) =>
  db.insertInto('documents').values({
    id: p.id,
    owner_id: p.ownerId,
    project_id: p.projectId,
    file_id: p.fileId,
    title: p.title,
    source_type: p.source_type,
    metadata: p.metadata,
    content: p.content,
    content_hash: p.content_hash,
    tokens: p.tokens,
    skeleton_tokens: p.skeleton_tokens,
    chunk_count: p.chunk_count,
    version: 1,
    created_at: p.now,
    updated_at: p.now,
  }),
);
/** A chunk row as inserted: the keyword row and the scope's stamp follow by trigger (SQLite 0024; PostgreSQL generated column). */
type ChunkInsert = Omit<ChunkWrite, 'heading_path'> & { heading_path: string; owner_id: string; project_id: string; doc_id: string };
const insertChunks = preparedRows((db, rows: ChunkInsert[]) =>
  db.insertInto('document_chunks').values(
    rows.map((c) => ({
      id: c.id,
      owner_id: c.owner_id,
      project_id: c.project_id,
      doc_id: c.doc_id,
      idx: c.idx,
      text: c.text,
      tokens: c.tokens,
      kind: c.kind,
      heading_path: c.heading_path,
      start_offset: c.start_offset,
      end_offset: c.end_offset,
      text_hash: c.text_hash,
      embedding: c.embedding,
      embedder_id: c.embedder_id,
    })),
  ),
);

const toDoc = (r: Selectable<DocumentsTable> | Omit<Selectable<DocumentsTable>, 'rowid'>): DocRow => ({ ...(r as Omit<Selectable<DocumentsTable>, 'rowid'>), metadata: readJson<Record<string, unknown>>(r.metadata) });
const toChunk = <T extends { heading_path: unknown }>(r: T): T & { heading_path: string[] } => ({ ...r, heading_path: readJson<string[]>(r.heading_path) });

/** One project's stored documents and their chunks. */
export class DocumentsRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private docs() {
    return this.ctx.db.selectFrom('documents').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  private chunks() {
    return this.ctx.db.selectFrom('document_chunks').select(CHUNK_COLUMNS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  async byId(docId: string): Promise<DocRow | undefined> {
    const r = await this.docs().select(DOC_COLUMNS).where('id', '=', docId).executeTakeFirst();
    return r && toDoc(r);
  }

  async byFileId(fileId: string): Promise<DocRow | undefined> {
    const r = await docByFileId.first(this.ctx, { ...this.scope, fileId });
    return r && toDoc(r);
  }

  /** The version and content hash stored under file_id now (the optimistic check of a write). */
  async versionOf(fileId: string): Promise<{ version: number; content_hash: string } | undefined> {
    return docVersion.first(this.ctx, { ...this.scope, fileId });
  }

  async count(sourceType?: string): Promise<number> {
    let q = this.docs().select((eb) => eb.fn.countAll<number>().as('n'));
    if (sourceType) q = q.where('source_type', '=', sourceType);
    return Number((await q.executeTakeFirst())?.n ?? 0);
  }

  /** Newest first, without content or metadata. */
  async list(limit: number, offset: number, sourceType?: string): Promise<DocSummaryRow[]> {
    let q = this.docs().select(SUMMARY_COLUMNS);
    if (sourceType) q = q.where('source_type', '=', sourceType);
    return q.orderBy('created_at', 'desc').orderBy('rowid', 'desc').limit(limit).offset(offset).execute();
  }

  async chunk(chunkId: string): Promise<ChunkRow | undefined> {
    const r = await this.chunks().where('id', '=', chunkId).executeTakeFirst();
    return r && toChunk(r);
  }

  /** The document's chunks in order, or those with index in [from, to] (inclusive) when given. */
  async chunksOf(docId: string, range?: { from: number; to: number }): Promise<ChunkRow[]> {
    let q = this.chunks().where('doc_id', '=', docId);
    if (range) q = q.where('idx', '>=', range.from).where('idx', '<=', range.to);
    return (await q.orderBy('idx').execute()).map(toChunk);
  }

  /** Chunks by rowid with their document's file_id and title (search hits). */
  async hits(rowids: number[]): Promise<Array<ChunkRow & { file_id: string; title: string | null }>> {
    if (rowids.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('document_chunks as c')
      .innerJoin('documents as d', 'd.id', 'c.doc_id')
      .select(CHUNK_COLUMNS.map((c) => `c.${c}` as const))
      .select(['d.file_id', 'd.title'])
      .where('c.owner_id', '=', this.scope.ownerId)
      .where('c.project_id', '=', this.scope.projectId)
      .where('c.rowid', 'in', rowids)
      .execute();
    return rows.map(toChunk);
  }

  /** Inserts a document (version 1) or rewrites it (version + 1), replacing its chunks. Call inside ctx.tx. */
  async write(docId: string, fileId: string, doc: DocWrite, chunks: ChunkWrite[], existed: boolean, now: string): Promise<void> {
    const values = { ...doc, metadata: this.ctx.dialect.json(doc.metadata) };
    if (existed) {
      await this.deleteChunks(docId);
      await this.ctx.db
        .updateTable('documents')
        .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: now }))
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', this.scope.projectId)
        .where('id', '=', docId)
        .execute();
    } else {
      await insertDoc.run(this.ctx, { ...values, ...this.scope, id: docId, fileId, now });
    }
    const { ownerId, projectId } = this.scope;
    await insertChunks.run(
      this.ctx,
      chunks.map((c) => ({ ...c, heading_path: this.ctx.dialect.json(c.heading_path), owner_id: ownerId, project_id: projectId, doc_id: docId })),
    );
  }

  /** Removes a document and its chunks; how many chunks went. Call inside ctx.tx. */
  async delete(docId: string): Promise<number> {
    const n = await this.deleteChunks(docId);
    await this.ctx.db.deleteFrom('documents').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', '=', docId).execute();
    return n;
  }

  /** Deleting a chunk removes its keyword row and moves the scope's stamp (SQLite triggers 0011; PostgreSQL generated column). */
  private async deleteChunks(docId: string): Promise<number> {
    const r = await this.ctx.db.deleteFrom('document_chunks').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('doc_id', '=', docId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
