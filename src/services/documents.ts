// Stored documents: chunked, embedded and indexed for keyword search, in the store (DocumentsRepo).
//
// CONTRACT for other services (e.g. multimodal ingest storing text extracted from PDF/DOCX):
//
//   const docs = deps.service(DocumentsService);
//   const r = await docs.ingest(scope, {
//     fileId: 'specs/handbook.pdf',          // unique per project; 1–256 chars, no control characters
//     text: extractedText,                   // non-empty; Markdown headings are used as structure
//     title: 'Handbook',                     // optional
//     sourceType: 'pdf',                     // optional, default 'text' (free-form label, ≤ 32 chars)
//     metadata: { pages: 12 },               // optional JSON object, stored and returned as is
//   }, { maxBytes: deps.config.plans[caller.plan].maxTextBytes, onExisting: 'replace', signal });
//   // r: IngestResult = { doc_id, file_id, title, status: 'created' | 'unchanged' | 'updated',
//   //      tokens_before, tokens_after, tokens_saved, savings_pct, chunks, chunks_embedded,
//   //      chunks_reused, embedder }
//
//   - Same file_id + identical text (and title/metadata) → no work, status 'unchanged', same doc_id.
//   - Same file_id + different text → onExisting 'conflict' (default) throws Conflict (409);
//     'replace' refreshes the document in place (same doc_id; unchanged chunks keep their vectors).
//     Same text with a new title / metadata / sourceType updates those (status 'updated').
//   - Errors: InvalidInput (422) naming the field; PayloadTooLarge (413) naming the cap.
//   - The caller meters: ctx.meter({ tokensIn: r.tokens_before, tokensOut: r.tokens_after })
//     unless r.status === 'unchanged'.
//   - The document is then visible to search_semantic, read_skeleton, get_context_block, etc.
import { createHash } from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { chunkTextAsync, countTokensAsync, type Chunk } from '../engine/chunking.js';
import { buildSkeletonAsync, compressionStats, type CompressionStats, type Fidelity, type OutputStyle, type Section } from '../engine/compress.js';
import { blobToVector, vectorToBlob } from '../engine/embeddings/vector.js';
import type { Embedder } from '../engine/embeddings/types.js';
import { findModel, modelIds } from '../engine/tokens.js';
import { BadRequest, Conflict, InvalidInput, NotFound, PayloadTooLarge } from '../errors.js';
import type { Scope } from '../domain/scope.js';
import { newId, nowIso } from '../store/db.js';
import { documentChunkSource, type ChunkRow, type DocRow, type DocSummaryRow } from '../store/documents.js';
import { RetrievalIndex } from '../store/retrieval.js';
import type { JobKind } from './jobs.js';
import { excerpt } from '../registry/schema.js';

export interface StoreDocumentInput {
  fileId: string;
  text: string;
  title?: string | null;
  sourceType?: string;
  metadata?: Record<string, unknown>;
}

export interface StoreOptions {
  /** Largest text accepted, in UTF-8 bytes (the caller's plan cap). */
  maxBytes?: number;
  /** What to do when file_id already holds different content. */
  onExisting?: 'conflict' | 'replace';
  signal?: AbortSignal;
  /** Reports the steps of a large document (chunked, each embedding batch, ranked, stored): MCP progress. */
  progress?: (done: number, total: number, message: string) => void;
}

export interface IngestResult {
  doc_id: string;
  file_id: string;
  title: string | null;
  status: 'created' | 'unchanged' | 'updated';
  tokens_before: number;
  tokens_after: number;
  tokens_saved: number;
  savings_pct: number;
  chunks: number;
  chunks_embedded: number;
  chunks_reused: number;
  embedder: string;
}

/** A document is named by its doc_id or by its file_id (exactly one). */
export interface DocRef {
  docId?: string | null;
  fileId?: string | null;
}

export interface DocumentSummary {
  doc_id: string;
  file_id: string;
  title: string | null;
  source_type: string;
  tokens: number;
  skeleton_tokens: number;
  chunks: number;
  version: number;
  content_hash: string;
  created_at: string;
  updated_at: string;
}

export interface DocumentDetail extends DocumentSummary {
  metadata: Record<string, unknown>;
  content: string | null;
}

export interface ChunkView {
  chunk_id: string;
  doc_id: string;
  file_id: string;
  index: number;
  text: string;
  tokens: number;
  kind: string;
  heading_path: string[];
  start: number;
  end: number;
}

export interface SkeletonResult {
  doc_id: string;
  file_id: string;
  title: string | null;
  fidelity: Fidelity;
  output_style: OutputStyle;
  query: string | null;
  skeleton: string;
  sections: Section[];
  kept_chunks: number;
  total_chunks: number;
  passthrough: boolean;
  stats: CompressionStats;
}

export type SearchMode = 'semantic' | 'keyword' | 'hybrid';

export interface SearchHit extends ChunkView {
  title: string | null;
  score: number;
}

const FILE_ID_MAX = 256;
const TITLE_MAX = 512;
const SOURCE_TYPE_MAX = 32;
const EMBED_BATCH = 64;
/** Above this size, store() yields to the event loop between its synchronous engine steps and reports progress (the knowledge base too). */
export const LARGE_DOC_CHARS = 50_000;
/** tokens_after of an ingest is the skeleton at this fidelity (read_skeleton's default). */
export const DEFAULT_FIDELITY: Fidelity = 'balanced';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function checkFileId(fileId: unknown, field: string): string {
  if (typeof fileId !== 'string' || fileId.trim() === '') throw new InvalidInput(`${field} must be a non-empty string`, { field });
  if (fileId.length > FILE_ID_MAX) throw new InvalidInput(`${field} must be at most ${FILE_ID_MAX} characters`, { field });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(fileId)) throw new InvalidInput(`${field} must not contain control characters`, { field });
  return fileId;
}

/** Everything about the input that decides the stored result: a re-ingest with the same hash is a no-op. */
function contentHash(input: StoreDocumentInput): string {
  return sha256(JSON.stringify([input.text, input.title ?? null, input.sourceType ?? 'text', input.metadata ?? {}]));
}

function toChunkView(r: ChunkRow, fileId: string): ChunkView {
  return {
    chunk_id: r.id,
    doc_id: r.doc_id,
    file_id: fileId,
    index: r.idx,
    text: r.text,
    tokens: r.tokens,
    kind: r.kind,
    heading_path: r.heading_path,
    start: r.start_offset,
    end: r.end_offset,
  };
}

function summary(r: DocSummaryRow): DocumentSummary {
  return {
    doc_id: r.id,
    file_id: r.file_id,
    title: r.title,
    source_type: r.source_type,
    tokens: r.tokens,
    skeleton_tokens: r.skeleton_tokens,
    chunks: r.chunk_count,
    version: r.version,
    content_hash: r.content_hash,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Job kind of batch_ingest_documents: one item = one document, ingested like ingest_context. */
export const INGEST_JOB_KIND = 'ingest_documents';

interface IngestJobItem {
  input: StoreDocumentInput;
  onExisting: 'conflict' | 'replace';
}

export class DocumentsService {
  /** Keyword, vector and hybrid search over the chunks (the one retrieval index). */
  private readonly index: RetrievalIndex<{ docId: string }>;

  constructor(private readonly deps: AppDeps) {
    this.index = new RetrievalIndex(deps, documentChunkSource);
  }

  // ---------------------------------------------------------------- writes

  async ingest(scope: Scope, input: StoreDocumentInput, opts: StoreOptions = {}): Promise<IngestResult> {
    const clean = this.checkInput(input, opts);
    const existing = await this.findRow(scope, { fileId: clean.fileId });
    const hash = contentHash(clean);
    const embedder = await this.deps.embedder();
    if (existing && existing.content_hash === hash) {
      return this.resultFor(existing, 'unchanged', 0, existing.chunk_count, embedder);
    }
    // Only a different text is a conflict; a new title or metadata for the same text just updates them.
    if (existing && existing.content !== clean.text && (opts.onExisting ?? 'conflict') === 'conflict') {
      throw new Conflict(
        `file_id "${clean.fileId}" already holds a different version of this document (doc_id ${existing.id}); call refresh_document to replace it`,
        { field: 'file_id', doc_id: existing.id },
      );
    }
    return this.store(scope, clean, hash, existing ?? null, embedder, opts);
  }

  /** Replace a stored document's content; chunks whose text is unchanged keep their stored vectors. */
  async refresh(scope: Scope, ref: DocRef, input: Omit<StoreDocumentInput, 'fileId'>, opts: Omit<StoreOptions, 'onExisting'> = {}): Promise<IngestResult> {
    const existing = await this.resolve(scope, ref);
    const merged: StoreDocumentInput = {
      fileId: existing.file_id,
      text: input.text,
      title: input.title === undefined ? existing.title : input.title,
      sourceType: input.sourceType ?? existing.source_type,
      metadata: input.metadata ?? existing.metadata,
    };
    const clean = this.checkInput(merged, opts);
    const hash = contentHash(clean);
    const embedder = await this.deps.embedder();
    if (existing.content_hash === hash) return this.resultFor(existing, 'unchanged', 0, existing.chunk_count, embedder);
    return this.store(scope, clean, hash, existing, embedder, opts);
  }

  async delete(scope: Scope, ref: DocRef): Promise<{ deleted: true; doc_id: string; file_id: string; chunks_deleted: number }> {
    const doc = await this.resolve(scope, ref);
    const chunks = await this.deps.store.tx((t) => t.documents(scope).delete(doc.id));
    return { deleted: true, doc_id: doc.id, file_id: doc.file_id, chunks_deleted: chunks };
  }

  // ---------------------------------------------------------------- reads

  async list(scope: Scope, opts: { limit: number; offset: number; sourceType?: string }): Promise<{ documents: DocumentSummary[]; total: number }> {
    const repo = this.deps.store.documents(scope);
    const [total, rows] = [await repo.count(opts.sourceType), await repo.list(opts.limit, opts.offset, opts.sourceType)];
    return { documents: rows.map(summary), total };
  }

  async get(scope: Scope, ref: DocRef, includeContent = false): Promise<DocumentDetail> {
    const r = await this.resolve(scope, ref);
    return { ...summary(r), metadata: r.metadata, content: includeContent ? r.content : null };
  }

  /** One chunk, with up to `neighbors` chunks on each side from the same document. */
  async block(
    scope: Scope,
    chunkId: string,
    neighbors: number,
  ): Promise<{ chunk: ChunkView; before: ChunkView[]; after: ChunkView[]; title: string | null; chunks_in_document: number }> {
    const repo = this.deps.store.documents(scope);
    const c = await repo.chunk(chunkId);
    if (!c) throw new NotFound(`chunk_id ${chunkId} not found in this project`, { field: 'chunk_id' });
    const doc = await this.resolve(scope, { docId: c.doc_id });
    const around = neighbors > 0 ? (await repo.chunksOf(c.doc_id, { from: c.idx - neighbors, to: c.idx + neighbors })).filter((r) => r.idx !== c.idx) : [];
    return {
      chunk: toChunkView(c, doc.file_id),
      before: around.filter((r) => r.idx < c.idx).map((r) => toChunkView(r, doc.file_id)),
      after: around.filter((r) => r.idx > c.idx).map((r) => toChunkView(r, doc.file_id)),
      title: doc.title,
      chunks_in_document: doc.chunk_count,
    };
  }

  async search(
    scope: Scope,
    opts: { query: string; mode: SearchMode; ref?: DocRef; topK: number; minScore?: number },
  ): Promise<{ results: SearchHit[]; searched_documents: number; embedder: string | null }> {
    const doc = opts.ref && (opts.ref.docId || opts.ref.fileId) ? await this.resolve(scope, opts.ref) : null;
    if (opts.query.trim() === '') throw new InvalidInput('query must be a non-empty string', { field: 'query' });
    const { hits, embedder } = await this.index.search({
      scopes: [scope],
      query: opts.query,
      mode: opts.mode,
      k: opts.topK,
      accept: doc ? (_id, m) => m.docId === doc.id : undefined,
      where: doc ? { column: 'doc_id', values: [doc.id] } : undefined,
    });
    let ranked = hits.map((h) => ({ rowid: h.id, score: h.score }));
    const embedderId = embedder;
    if (opts.minScore !== undefined) ranked = ranked.filter((r) => r.score >= opts.minScore!);
    const searched = doc ? 1 : await this.deps.store.documents(scope).count();
    return { results: await this.hydrate(scope, ranked), searched_documents: searched, embedder: embedderId };
  }

  /**
   * The compressed outline of a stored document, ranked by the same engine as compress_text
   * (buildSkeleton over the stored chunks and vectors; query-guided when a query is given).
   */
  async skeleton(
    scope: Scope,
    ref: DocRef,
    opts: { fidelity?: Fidelity; outputStyle?: OutputStyle; query?: string | null; costModel?: string | null },
  ): Promise<SkeletonResult> {
    if (opts.costModel && !findModel(opts.costModel)) {
      throw new BadRequest(`Invalid cost_model ${excerpt(opts.costModel, 40)}. Valid: [${modelIds().map((m) => `'${m}'`).join(', ')}]`, 'invalid_value', {
        field: 'cost_model',
        valid: modelIds(),
      });
    }
    const { doc, chunks, vectors, embedder } = await this.chunksWithVectors(scope, ref);
    const query = opts.query?.trim() || null;
    const queryVector = query ? (await embedder.embed([query]))[0]! : null;
    const fidelity = opts.fidelity ?? DEFAULT_FIDELITY;
    const sk = await buildSkeletonAsync({
      chunks,
      vectors,
      fidelity,
      outputStyle: opts.outputStyle ?? 'prose',
      query,
      queryVector,
      source: doc.content,
      originalTokens: doc.tokens,
    });
    return {
      doc_id: doc.id,
      file_id: doc.file_id,
      title: doc.title,
      fidelity,
      output_style: opts.outputStyle ?? 'prose',
      query,
      skeleton: sk.text,
      sections: sk.sections,
      kept_chunks: sk.keptChunks.length,
      total_chunks: chunks.length,
      passthrough: sk.passthrough,
      stats: compressionStats(doc.tokens, sk.tokens, opts.costModel),
    };
  }

  /** Chunks and their current vectors in document order (re-embedding any made by another embedder). */
  async chunksWithVectors(scope: Scope, ref: DocRef): Promise<{ doc: DocRow; chunks: Chunk[]; vectors: Float32Array[]; embedder: Embedder }> {
    const doc = await this.resolve(scope, ref);
    const embedder = await this.deps.embedder();
    await this.index.reembed(scope, embedder);
    const rows = await this.deps.store.documents(scope).chunksOf(doc.id);
    return {
      doc,
      chunks: rows.map((r) => ({
        index: r.idx,
        text: r.text,
        tokens: r.tokens,
        kind: r.kind as Chunk['kind'],
        headingPath: r.heading_path,
        start: r.start_offset,
        end: r.end_offset,
      })),
      vectors: rows.map((r) => blobToVector(r.embedding)),
      embedder,
    };
  }

  async resolve(scope: Scope, ref: DocRef): Promise<DocRow> {
    const hasDoc = typeof ref.docId === 'string' && ref.docId !== '';
    const hasFile = typeof ref.fileId === 'string' && ref.fileId !== '';
    if (hasDoc === hasFile) throw new InvalidInput('give exactly one of doc_id or file_id', { field: hasDoc ? 'file_id' : 'doc_id' });
    const r = await this.findRow(scope, ref);
    if (!r) {
      throw hasDoc
        ? new NotFound(`doc_id ${ref.docId} not found in this project`, { field: 'doc_id' })
        : new NotFound(`file_id "${ref.fileId}" not found in this project`, { field: 'file_id' });
    }
    return r;
  }

  // ---------------------------------------------------------------- internals

  private findRow(scope: Scope, ref: DocRef): Promise<DocRow | undefined> {
    const repo = this.deps.store.documents(scope);
    return ref.docId ? repo.byId(ref.docId) : repo.byFileId(ref.fileId!);
  }

  /**
   * Validate a document before any work (batch submission checks every item up front). `prefix`
   * names the field's place in the request, e.g. "documents[3]." → "documents[3].content".
   */
  checkInput(input: StoreDocumentInput, opts: Pick<StoreOptions, 'maxBytes'>, prefix = ''): StoreDocumentInput {
    const fileId = checkFileId(input.fileId, `${prefix}file_id`);
    if (typeof input.text !== 'string' || input.text.trim() === '') {
      throw new InvalidInput(`${prefix}content must be a non-empty string`, { field: `${prefix}content` });
    }
    const bytes = Buffer.byteLength(input.text, 'utf8');
    if (opts.maxBytes !== undefined && bytes > opts.maxBytes) {
      throw new PayloadTooLarge(`${prefix}content is ${bytes} bytes; the cap for this plan is ${opts.maxBytes} bytes`, {
        field: `${prefix}content`,
        max_bytes: opts.maxBytes,
        bytes,
      });
    }
    const title = input.title ?? null;
    if (title !== null && (typeof title !== 'string' || title.length > TITLE_MAX)) {
      throw new InvalidInput(`${prefix}title must be a string of at most ${TITLE_MAX} characters`, { field: `${prefix}title` });
    }
    const sourceType = input.sourceType ?? 'text';
    if (typeof sourceType !== 'string' || !/^[a-z0-9][a-z0-9_.+-]*$/i.test(sourceType) || sourceType.length > SOURCE_TYPE_MAX) {
      throw new InvalidInput(`${prefix}source_type must be a short label (letters, digits, . _ + -; at most ${SOURCE_TYPE_MAX} characters)`, {
        field: `${prefix}source_type`,
      });
    }
    const metadata = input.metadata ?? {};
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new InvalidInput(`${prefix}metadata must be a JSON object`, { field: `${prefix}metadata` });
    }
    return { fileId, text: input.text, title, sourceType, metadata };
  }

  private resultFor(doc: Pick<DocSummaryRow, 'id' | 'file_id' | 'title' | 'tokens' | 'skeleton_tokens' | 'chunk_count'>, status: IngestResult['status'], embedded: number, reused: number, embedder: Embedder): IngestResult {
    const saved = Math.max(0, doc.tokens - doc.skeleton_tokens);
    return {
      doc_id: doc.id,
      file_id: doc.file_id,
      title: doc.title,
      status,
      tokens_before: doc.tokens,
      tokens_after: doc.skeleton_tokens,
      tokens_saved: saved,
      savings_pct: doc.tokens === 0 ? 0 : Math.round((1000 * saved) / doc.tokens) / 10,
      chunks: doc.chunk_count,
      chunks_embedded: embedded,
      chunks_reused: reused,
      embedder: embedder.id,
    };
  }

  /** Chunk, embed (reusing stored vectors for unchanged chunk text) and write everything in one transaction. */
  private async store(scope: Scope, input: StoreDocumentInput, hash: string, existing: DocRow | null, embedder: Embedder, opts: Pick<StoreOptions, 'signal' | 'progress'>): Promise<IngestResult> {
    const signal = opts.signal;
    const chunks = await chunkTextAsync(input.text);
    const hashes = chunks.map((c) => sha256(c.text));
    if (input.text.length > LARGE_DOC_CHARS) await yieldToLoop();

    // Reuse: previous chunks of this document with the same text and the active embedder keep their
    // vector (and their chunk id, so ids held by agents stay valid for unchanged text).
    const previous = existing ? await this.deps.store.documents(scope).chunksOf(existing.id) : [];
    const reusable = new Map<string, ChunkRow[]>();
    for (const p of previous) {
      if (p.embedder_id !== embedder.id) continue;
      const list = reusable.get(p.text_hash) ?? [];
      list.push(p);
      reusable.set(p.text_hash, list);
    }
    const plan = hashes.map((h) => reusable.get(h)?.shift() ?? null);
    const toEmbed = chunks.map((c, i) => (plan[i] ? -1 : i)).filter((i) => i >= 0);
    // Steps of a large document, reported as progress: chunked, each chunk embedded, ranked, stored.
    const steps = toEmbed.length + 3;
    const report = input.text.length > LARGE_DOC_CHARS ? opts.progress : undefined;
    report?.(1, steps, `chunked: ${chunks.length} chunks, ${toEmbed.length} to embed`);
    const fresh = new Map<number, Float32Array>();
    for (let b = 0; b < toEmbed.length; b += EMBED_BATCH) {
      signal?.throwIfAborted();
      const batch = toEmbed.slice(b, b + EMBED_BATCH);
      const vecs = await embedder.embed(batch.map((i) => chunks[i]!.text));
      batch.forEach((i, k) => fresh.set(i, vecs[k]!));
      report?.(1 + b + batch.length, steps, `embedded ${b + batch.length} of ${toEmbed.length} chunks`);
      // Large documents: let other requests run between embedding batches.
      if (toEmbed.length > EMBED_BATCH) await yieldToLoop();
    }
    const vectors = chunks.map((_, i) => (plan[i] ? blobToVector(plan[i]!.embedding) : fresh.get(i)!));

    // Counting and ranking run cooperatively (yielding every few ms): a large document must not stall
    // other clients (a 5 MB one used to hold the event loop for 25 s).
    const tokens = await countTokensAsync(input.text);
    const skeletonTokens = Math.min(tokens, await this.skeletonTokensFor(chunks, vectors, input.text, tokens));
    signal?.throwIfAborted();
    report?.(steps - 1, steps, 'skeleton ranked; storing');

    const now = nowIso();
    const docId = existing?.id ?? newId('doc');
    const outcome = await this.deps.store.tx(async (t): Promise<'stored' | 'same'> => {
      const repo = t.documents(scope);
      // The embedding above awaited: another request may have written this file_id meanwhile.
      const current = await repo.versionOf(input.fileId);
      if ((current?.version ?? null) !== (existing?.version ?? null)) {
        if (current?.content_hash === hash) return 'same';
        throw new Conflict(`file_id "${input.fileId}" was changed by a concurrent request; retry`, { field: 'file_id' });
      }
      const doc = {
        title: input.title ?? null,
        source_type: input.sourceType!,
        metadata: input.metadata ?? {},
        content: input.text,
        content_hash: hash,
        tokens,
        skeleton_tokens: skeletonTokens,
        chunk_count: chunks.length,
      };
      const rows = chunks.map((c, i) => {
        const reused = plan[i];
        return {
          // Unchanged text keeps its chunk id, so ids held by agents stay valid.
          id: reused?.id ?? newId('chk'),
          idx: i,
          text: c.text,
          tokens: c.tokens,
          kind: c.kind,
          heading_path: c.headingPath,
          start_offset: c.start,
          end_offset: c.end,
          text_hash: hashes[i]!,
          embedding: reused ? reused.embedding : vectorToBlob(vectors[i]!),
          embedder_id: embedder.id,
        };
      });
      await repo.write(docId, input.fileId, doc, rows, existing !== null, now);
      return 'stored';
    });
    report?.(steps, steps, 'stored');
    if (outcome === 'same') {
      const row = (await this.findRow(scope, { fileId: input.fileId }))!;
      return this.resultFor(row, 'unchanged', 0, row.chunk_count, embedder);
    }
    // What was just written (no read back).
    const row = { id: docId, file_id: input.fileId, title: input.title ?? null, tokens, skeleton_tokens: skeletonTokens, chunk_count: chunks.length };
    return this.resultFor(row, existing ? 'updated' : 'created', toEmbed.length, chunks.length - toEmbed.length, embedder);
  }

  /** Tokens of the default (balanced) skeleton: what read_skeleton returns without options. */
  private async skeletonTokensFor(chunks: Chunk[], vectors: Float32Array[], source: string, tokens: number): Promise<number> {
    return (await buildSkeletonAsync({ chunks, vectors, fidelity: DEFAULT_FIDELITY, source, originalTokens: tokens })).tokens;
  }

  private async hydrate(scope: Scope, ranked: Array<{ rowid: number; score: number }>): Promise<SearchHit[]> {
    if (ranked.length === 0) return [];
    const rows = await this.deps.store.documents(scope).hits(ranked.map((r) => r.rowid));
    const byRow = new Map(rows.map((r) => [r.rowid, r]));
    return ranked
      .filter((r) => byRow.has(r.rowid))
      .map((r) => {
        const row = byRow.get(r.rowid)!;
        return { ...toChunkView(row, row.file_id), title: row.title, score: Math.round(r.score * 1e6) / 1e6 };
      });
  }
}

/** The batch-ingest job kind (registered by the app's wiring under INGEST_JOB_KIND). */
export const ingestJobKind: JobKind<IngestJobItem, IngestResult> = {
  tool: 'batch_ingest_documents',
  run: async (deps, item) => {
    const r = await deps.service(DocumentsService).ingest(item.scope, item.input.input, {
      maxBytes: deps.config.plans[item.caller.plan].maxTextBytes,
      onExisting: item.input.onExisting,
      signal: item.signal,
    });
    // Metered like ingest_context: a no-op re-ingest is recorded but not counted against the quota.
    return { result: r, meter: { tokensIn: r.tokens_before, tokensOut: r.tokens_after, cache: r.status === 'unchanged' ? 'exact' : null } };
  },
};
