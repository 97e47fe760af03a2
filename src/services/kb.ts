// Project knowledge base: versioned items keyed by (owner, project, item_id), searchable by meaning.
//
// Every ingest/edit/restore that changes content appends a version (kb_versions) and re-chunks the
// current content (kb_chunks + kb_chunks_fts) in ONE transaction; extraction, chunking and
// embedding happen before it, so a failure (corrupt PDF, fetch refused, embedder error) stores nothing.
// Identical content is a no-op (status 'unchanged', no empty version). Every statement filters by
// owner_id AND project_id, so an item_id can only ever reach the caller's own project.
import { createHash } from 'node:crypto';
import { structuredPatch } from 'diff';
import type { AppDeps } from '../app-deps.js';
import { LIMITS } from '../config.js';
import { chunkTextAsync, countTokensAsync } from '../engine/chunking.js';
import type { Embedder } from '../engine/embeddings/types.js';
import { blobToVector, vectorToBlob } from '../engine/embeddings/vector.js';
import { describeFormats, extractDocument, normalizeText, type Extracted, type PageSpan, type SourceFormat } from '../engine/extract/index.js';
import { BadRequest, InvalidInput, NotFound, PayloadTooLarge } from '../errors.js';
import type { Scope } from '../domain/scope.js';
import { nowIso, newId } from '../store/db.js';
import { kbChunkSource, type KbItemRow, type KbRepo, type KbVersionRow } from '../store/kb.js';
import { RetrievalIndex } from '../store/retrieval.js';
import { fetchUrl } from './url-fetch.js';
import { LARGE_DOC_CHARS, type StoreOptions } from './documents.js';

type Progress = NonNullable<StoreOptions['progress']>;

export const KB_MODES = ['text', 'url', 'file'] as const;
export type KbMode = (typeof KB_MODES)[number];
export const KB_SEARCH_MODES = ['semantic', 'keyword', 'hybrid'] as const;
export type KbSearchMode = (typeof KB_SEARCH_MODES)[number];

/** File types gc_kb_ingest accepts (mode file and url). */
export const KB_FILE_FORMATS: readonly SourceFormat[] = ['pdf', 'text', 'markdown', 'docx', 'html'];
/** Content types a KB URL fetch accepts. */
export const KB_URL_TYPES = [
  'text/html', 'application/xhtml+xml', 'text/plain', 'text/markdown', 'text/x-markdown', 'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
] as const;

export const ITEM_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const EMBED_BATCH = 64;

export interface KbIngestInput {
  itemId?: string | null;
  mode: KbMode;
  /** text: the text; url: the URL; file: base64 of the file. */
  content: string;
  title?: string | null;
  filename?: string | null;
  mimeType?: string | null;
}

export interface KbWriteResult {
  item_id: string;
  version: number;
  status: 'created' | 'updated' | 'unchanged';
  title: string | null;
  format: string;
  source_mode: KbMode;
  source: string | null;
  tokens: number;
  bytes: number;
  chunks: number;
  pages: number | null;
  warnings: string[];
}

export interface KbItemSummary {
  item_id: string;
  title: string | null;
  version: number;
  versions: number;
  format: string;
  source_mode: KbMode;
  source: string | null;
  tokens: number;
  bytes: number;
  created_at: string;
  updated_at: string;
}

export interface KbItem extends KbItemSummary {
  content: string;
  /** The version returned (the current one unless asked otherwise). */
  returned_version: number;
  pages: Array<{ page: number; start: number; end: number; has_text: boolean }> | null;
  metadata: Record<string, unknown>;
}

export interface KbHit {
  item_id: string;
  version: number;
  title: string | null;
  passage: string;
  score: number;
  chunk_index: number;
  page: number | null;
  heading_path: string[];
  start: number;
  end: number;
}

export interface KbDiffLine { op: 'add' | 'remove' | 'context'; text: string; old_line: number | null; new_line: number | null }
export interface KbDiff {
  item_id: string;
  from_version: number;
  to_version: number;
  identical: boolean;
  stats: { added: number; removed: number; hunks: number };
  hunks: Array<{ old_start: number; old_lines: number; new_start: number; new_lines: number; lines: KbDiffLine[] }>;
  unified: string;
}

export interface KbVersionInfo {
  version: number;
  change: 'ingest' | 'edit' | 'restore';
  restored_from: number | null;
  source_mode: KbMode;
  source: string | null;
  format: string;
  title: string | null;
  tokens: number;
  bytes: number;
  created_at: string;
  current: boolean;
}

type ItemRow = KbItemRow;
type VersionRow = KbVersionRow;

interface PreparedContent {
  text: string;
  title: string | null;
  format: string;
  sourceMode: KbMode;
  source: string | null;
  pages: PageSpan[] | null;
  meta: Record<string, unknown>;
  warnings: string[];
}

interface PreparedChunk { idx: number; page: number | null; headingPath: string[]; text: string; tokens: number; start: number; end: number }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function checkItemId(id: unknown, field = 'item_id'): string {
  if (typeof id !== 'string' || !ITEM_ID_RE.test(id)) {
    throw new InvalidInput(`${field}: expected 1–128 characters of letters, digits and . _ : @ - (starting with a letter or digit), got ${JSON.stringify(id)?.slice(0, 80)}`, { field });
  }
  return id;
}

/** Strict base64 (standard or URL-safe alphabet, optional padding, whitespace ignored). */
export function decodeBase64(s: string, field: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (clean.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new BadRequest(`${field}: not valid base64`, 'invalid_base64', { field });
  }
  return Buffer.from(clean.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Split extracted text into passages; PDFs page by page so every passage knows its page. */
export async function chunkForStore(text: string, pages: PageSpan[] | null): Promise<PreparedChunk[]> {
  const segments = pages && pages.length > 0 ? pages.filter((p) => p.hasText).map((p) => ({ page: p.page, start: p.start, end: p.end })) : [{ page: null as number | null, start: 0, end: text.length }];
  const out: PreparedChunk[] = [];
  for (const seg of segments) {
    const slice = text.slice(seg.start, seg.end);
    if (!slice.trim()) continue;
    for (const c of await chunkTextAsync(slice)) {
      if (!c.text.trim()) continue;
      out.push({ idx: out.length, page: seg.page, headingPath: c.headingPath, text: c.text, tokens: c.tokens, start: seg.start + c.start, end: seg.start + c.end });
    }
  }
  return out;
}

/** What gets embedded: the heading trail gives a short passage the context it sits in. */
export function embeddingText(title: string | null, c: { headingPath: string[]; text: string }): string {
  const trail = [title, ...c.headingPath].filter((s): s is string => !!s && !c.text.startsWith(`# ${s}`));
  return trail.length ? `${trail.join(' > ')}\n${c.text}` : c.text;
}

export function lineDiff(oldText: string, newText: string): Pick<KbDiff, 'identical' | 'stats' | 'hunks'> & { patch: ReturnType<typeof structuredPatch> } {
  const patch = structuredPatch('a', 'b', withNewline(oldText), withNewline(newText), undefined, undefined, { context: 3 });
  let added = 0;
  let removed = 0;
  const hunks = patch.hunks.map((h) => {
    let o = h.oldStart;
    let n = h.newStart;
    const lines: KbDiffLine[] = [];
    for (const l of h.lines) {
      if (l.startsWith('\\')) continue; // "\ No newline at end of file"
      const op = l[0] === '+' ? 'add' : l[0] === '-' ? 'remove' : 'context';
      const text = l.slice(1);
      if (op === 'add') {
        added++;
        lines.push({ op, text, old_line: null, new_line: n++ });
      } else if (op === 'remove') {
        removed++;
        lines.push({ op, text, old_line: o++, new_line: null });
      } else lines.push({ op, text, old_line: o++, new_line: n++ });
    }
    return { old_start: h.oldStart, old_lines: h.oldLines, new_start: h.newStart, new_lines: h.newLines, lines };
  });
  return { identical: hunks.length === 0, stats: { added, removed, hunks: hunks.length }, hunks, patch };
}

const withNewline = (s: string) => (s.length === 0 || s.endsWith('\n') ? s : `${s}\n`);

function unifiedText(itemId: string, from: number, to: number, hunks: KbDiff['hunks']): string {
  const out = [`--- ${itemId}@v${from}`, `+++ ${itemId}@v${to}`];
  for (const h of hunks) {
    out.push(`@@ -${h.old_start},${h.old_lines} +${h.new_start},${h.new_lines} @@`);
    for (const l of h.lines) out.push(`${l.op === 'add' ? '+' : l.op === 'remove' ? '-' : ' '}${l.text}`);
  }
  return out.join('\n');
}

export class KbService {
  /** Overridable for tests of slow servers; production uses url-fetch's default. */
  urlFetchTimeoutMs: number | undefined;
  /** Keyword, vector and hybrid search over the current versions' passages (the one retrieval index). */
  private readonly index: RetrievalIndex<{ itemId: string }>;

  constructor(private readonly deps: AppDeps) {
    this.index = new RetrievalIndex(deps, kbChunkSource(embeddingText));
  }

  // ------------------------------------------------------------------ writes

  async ingest(scope: Scope, input: KbIngestInput, opts: { signal?: AbortSignal; progress?: Progress } = {}): Promise<KbWriteResult> {
    const itemId = input.itemId == null || input.itemId === '' ? newId('kb') : checkItemId(input.itemId);
    const prepared = await this.prepare(input, opts.signal);
    if (!prepared.text.trim()) {
      throw new InvalidInput('content: no text to store after extraction', { field: 'content' });
    }
    return this.write(scope, itemId, prepared, { change: 'ingest', mustExist: false, signal: opts.signal, progress: opts.progress });
  }

  async edit(scope: Scope, itemId: string, content: string, title?: string | null, opts: { signal?: AbortSignal } = {}): Promise<KbWriteResult> {
    checkItemId(itemId);
    const current = await this.currentVersion(scope, itemId);
    this.checkTextSize(content, 'content');
    const text = normalizeText(content);
    if (!text) throw new InvalidInput('content: must not be empty; use gc_kb_delete to remove an item', { field: 'content' });
    return this.write(
      scope,
      itemId,
      { text, title: title ?? current.title, format: current.format === 'pdf' || current.format === 'docx' || current.format === 'html' ? 'markdown' : current.format, sourceMode: 'text', source: null, pages: null, meta: {}, warnings: [] },
      { change: 'edit', mustExist: true, signal: opts.signal },
    );
  }

  async restore(scope: Scope, itemId: string, version: number, opts: { signal?: AbortSignal } = {}): Promise<KbWriteResult & { restored_from: number }> {
    checkItemId(itemId);
    await this.currentVersion(scope, itemId);
    const v = await this.versionRow(scope, itemId, version);
    const meta = v.metadata as { pages?: PageSpan[] } & Record<string, unknown>;
    const r = await this.write(
      scope,
      itemId,
      { text: v.content, title: v.title, format: v.format, sourceMode: v.source_mode, source: v.source, pages: meta.pages ?? null, meta, warnings: [] },
      { change: 'restore', restoredFrom: version, mustExist: true, signal: opts.signal },
    );
    return { ...r, restored_from: version };
  }

  async delete(scope: Scope, itemId: string): Promise<{ item_id: string; deleted: true; versions_removed: number; chunks_removed: number }> {
    checkItemId(itemId);
    const gone = await this.deps.store.tx((t) => t.kb(scope).deleteItem(itemId));
    if (!gone) throw this.notFound(itemId);
    return { item_id: itemId, deleted: true, versions_removed: gone.versions, chunks_removed: gone.chunks };
  }

  // ------------------------------------------------------------------ reads

  async get(scope: Scope, itemId: string, version?: number | null): Promise<KbItem> {
    checkItemId(itemId);
    const summary = await this.summary(scope, itemId);
    const v = await this.versionRow(scope, itemId, version ?? summary.version);
    const meta = v.metadata as { pages?: PageSpan[] } & Record<string, unknown>;
    const { pages, ...rest } = meta;
    return {
      ...summary,
      content: v.content,
      returned_version: v.version,
      pages: pages ? pages.map((p) => ({ page: p.page, start: p.start, end: p.end, has_text: p.hasText })) : null,
      metadata: rest,
    };
  }

  async list(scope: Scope, opts: { limit: number; offset: number }): Promise<{ items: KbItemSummary[]; total: number; limit: number; offset: number }> {
    const repo = this.deps.store.kb(scope);
    const total = await repo.countItems();
    const rows = await repo.list(opts.limit, opts.offset);
    return { items: rows.map((r) => this.toSummary(r, r, r.versions)), total, limit: opts.limit, offset: opts.offset };
  }

  async history(scope: Scope, itemId: string): Promise<{ item_id: string; current_version: number; versions: KbVersionInfo[] }> {
    checkItemId(itemId);
    const item = await this.itemRow(scope, itemId);
    const rows = await this.deps.store.kb(scope).history(itemId);
    return {
      item_id: itemId,
      current_version: item.current_version,
      versions: rows.map((r) => ({
        version: r.version, change: r.change, restored_from: r.restored_from, source_mode: r.source_mode, source: r.source, format: r.format,
        title: r.title, tokens: r.tokens, bytes: r.bytes, created_at: r.created_at, current: r.version === item.current_version,
      })),
    };
  }

  /** Line diff of `to` (default: current) against `from` (default: the version before `to`). */
  async diff(scope: Scope, itemId: string, opts: { from?: number | null; to?: number | null } = {}): Promise<KbDiff> {
    checkItemId(itemId);
    const item = await this.itemRow(scope, itemId);
    const to = opts.to ?? item.current_version;
    const toRow = await this.versionRow(scope, itemId, to, 'to_version');
    const from = opts.from ?? (await this.deps.store.kb(scope).maxVersion(itemId, to)) ?? 0;
    // Version 0 is the empty document before the first ingest: the first version diffs as all-added.
    const fromText = from === 0 ? '' : (await this.versionRow(scope, itemId, from, 'from_version')).content;
    const d = lineDiff(fromText, toRow.content);
    return { item_id: itemId, from_version: from, to_version: to, identical: d.identical, stats: d.stats, hunks: d.hunks, unified: unifiedText(itemId, from, to, d.hunks) };
  }

  async query(
    scope: Scope,
    args: { query: string; topK: number; mode: KbSearchMode; itemIds?: string[] | null },
  ): Promise<{ query: string; mode: KbSearchMode; results: KbHit[]; items_searched: number; embedder: string | null }> {
    const q = args.query.trim();
    if (!q) throw new InvalidInput('query: must not be empty', { field: 'query' });
    const itemIds = args.itemIds?.map((id) => checkItemId(id, 'item_ids')) ?? null;
    const only = itemIds ? new Set(itemIds) : null;
    const { hits, embedder } = await this.index.search({
      scopes: [scope],
      query: q,
      mode: args.mode,
      k: args.topK,
      accept: only ? (_id, m) => only.has(m.itemId) : undefined,
      where: itemIds ? { column: 'item_id', values: itemIds } : undefined,
    });
    const ranked = hits.map((h) => ({ rowid: h.id, score: h.score }));
    const embedderId = embedder;
    const items = await this.deps.store.kb(scope).countItems();
    return { query: q, mode: args.mode, results: await this.hydrate(scope, ranked), items_searched: itemIds ? Math.min(items, itemIds.length) : items, embedder: embedderId };
  }

  // ------------------------------------------------------------------ internals

  /** Turn the ingest input into text: decode, fetch or pass through, then extract. Stores nothing. */
  private async prepare(input: KbIngestInput, signal?: AbortSignal): Promise<PreparedContent> {
    const cap = LIMITS.kbFileBytes;
    if (input.mode === 'text') {
      this.checkTextSize(input.content, 'content');
      const text = normalizeText(input.content);
      const looksMarkdown = /^#{1,6}\s/m.test(text);
      return { text, title: input.title ?? null, format: looksMarkdown ? 'markdown' : 'text', sourceMode: 'text', source: null, pages: null, meta: {}, warnings: [] };
    }
    let bytes: Uint8Array;
    let filename = input.filename ?? null;
    let mimeType = input.mimeType ?? null;
    let source: string | null;
    if (input.mode === 'file') {
      // Reject an oversize upload before decoding it: 4 base64 characters carry 3 bytes.
      if (Math.floor((input.content.replace(/\s+/g, '').length * 3) / 4) > cap + 2) throw this.tooLarge(cap, 'content');
      bytes = decodeBase64(input.content, 'content');
      if (bytes.length > cap) throw this.tooLarge(cap, 'content');
      if (bytes.length === 0) throw new InvalidInput('content: the file is empty', { field: 'content' });
      source = filename;
    } else {
      const fetched = await fetchUrl(input.content.trim(), {
        allowlist: this.deps.config.urlAllowlist,
        maxBytes: cap,
        acceptTypes: KB_URL_TYPES,
        timeoutMs: this.urlFetchTimeoutMs,
        signal,
        field: 'content',
      });
      bytes = fetched.body;
      mimeType = fetched.contentType;
      source = fetched.finalUrl;
      filename ??= decodeURIComponent(new URL(fetched.finalUrl).pathname.split('/').pop() || '') || null;
      if (fetched.charset && fetched.charset !== 'utf-8' && fetched.charset !== 'utf8' && mimeType.startsWith('text/')) {
        // Re-encode legacy charsets so the extractors can assume UTF-8.
        try {
          bytes = Buffer.from(new TextDecoder(fetched.charset).decode(bytes), 'utf8');
        } catch {
          /* unknown label: keep the bytes and decode as UTF-8 */
        }
      }
    }
    const ex: Extracted = await extractDocument({ bytes, filename, mimeType, accept: KB_FILE_FORMATS });
    if (ex.format === 'pdf' && ex.pages && ex.pages.every((p) => !p.hasText)) {
      throw new InvalidInput(
        `content: the PDF has ${ex.pages.length} page(s) and no text layer (a scan?); nothing was stored. Run OCR and ingest the text with mode "text".`,
        { field: 'content', pages: ex.pages.length },
        422,
        'no_text_layer',
      );
    }
    return { text: ex.text, title: input.title ?? ex.title, format: ex.format, sourceMode: input.mode, source, pages: ex.pages ?? null, meta: ex.meta, warnings: ex.warnings };
  }

  private async write(
    scope: Scope,
    itemId: string,
    p: PreparedContent,
    how: { change: 'ingest' | 'edit' | 'restore'; restoredFrom?: number; mustExist: boolean; signal?: AbortSignal; progress?: Progress },
  ): Promise<KbWriteResult> {
    const hash = sha256(p.text);
    const bytes = Buffer.byteLength(p.text, 'utf8');
    const base = { item_id: itemId, format: p.format, source_mode: p.sourceMode, source: p.source, bytes, pages: p.pages ? p.pages.length : null, warnings: p.warnings };
    const repo = this.deps.store.kb(scope);

    // Unchanged content: no version, no re-embedding.
    const existing = await repo.current(itemId);
    if (existing && existing.content_hash === hash && (p.title ?? null) === (existing.title ?? null)) {
      return { ...base, version: existing.version, status: 'unchanged', title: existing.title, tokens: existing.tokens, chunks: await repo.countChunks(itemId) };
    }
    if (how.mustExist && !existing) throw this.notFound(itemId);

    const chunks = await chunkForStore(p.text, p.pages);
    const tokens = await countTokensAsync(p.text); // cooperative: a multi-MB file does not stall other clients
    const embedder = await this.deps.embedder();
    // A large text reports its steps as progress: chunked and counted, each embedding batch, stored.
    const report = p.text.length > LARGE_DOC_CHARS ? how.progress : undefined;
    let steps = 0;
    const vectors = await this.embedChunks(repo, itemId, p.title, chunks, embedder, how.signal, (done, toEmbed) => {
      steps = toEmbed + 2;
      report?.(1 + done, steps, done === 0 ? `chunked: ${chunks.length} chunks, ${tokens} tokens, ${toEmbed} to embed` : `embedded ${done} of ${toEmbed} chunks`);
    });
    const metadata = { ...p.meta, ...(p.pages ? { pages: p.pages } : {}), ...(p.warnings.length ? { warnings: p.warnings } : {}) };
    const rows = chunks.map((c, i) => ({ ...c, embedding: vectorToBlob(vectors[i]!), ftsText: [p.title, ...c.headingPath, c.text].filter(Boolean).join('\n') }));
    const version = {
      change: how.change, restored_from: how.restoredFrom ?? null, source_mode: p.sourceMode, source: p.source, format: p.format, title: p.title,
      content: p.text, content_hash: hash, bytes, tokens, metadata,
    };
    const written = await this.deps.store.tx((t) => t.kb(scope).writeVersion(itemId, version, rows, embedder.id, nowIso(), how.mustExist));
    if (!written) throw this.notFound(itemId);
    report?.(steps, steps, 'stored');
    return { ...base, version: written.version, status: written.created ? 'created' : 'updated', title: p.title, tokens, chunks: chunks.length };
  }

  /** Vectors for the new chunks, reusing the stored ones whose text (and context) did not change. */
  private async embedChunks(
    repo: KbRepo, itemId: string, title: string | null, chunks: PreparedChunk[], embedder: Embedder, signal?: AbortSignal,
    onBatch?: (embedded: number, toEmbed: number) => void,
  ): Promise<Float32Array[]> {
    const inputs = chunks.map((c) => embeddingText(title, c));
    const reuse = new Map<string, Float32Array>();
    const prev = await repo.chunksFor(itemId, embedder.id);
    const prevTitle = prev.length ? ((await repo.current(itemId))?.title ?? null) : null;
    for (const r of prev) reuse.set(embeddingText(prevTitle, { headingPath: r.heading_path, text: r.text }), blobToVector(r.embedding));
    const out: Array<Float32Array | undefined> = inputs.map((t) => reuse.get(t));
    const todo = out.map((v, i) => (v ? -1 : i)).filter((i) => i >= 0);
    onBatch?.(0, todo.length);
    for (let s = 0; s < todo.length; s += EMBED_BATCH) {
      if (signal?.aborted) throw new BadRequest('the request was cancelled; nothing was stored', 'cancelled');
      const batch = todo.slice(s, s + EMBED_BATCH);
      const vecs = await embedder.embed(batch.map((i) => inputs[i]!));
      batch.forEach((i, k) => (out[i] = vecs[k]!));
      onBatch?.(s + batch.length, todo.length);
    }
    return out as Float32Array[];
  }

  private async hydrate(scope: Scope, ranked: Array<{ rowid: number; score: number }>): Promise<KbHit[]> {
    const byRow = new Map((await this.deps.store.kb(scope).hits(ranked.map((r) => r.rowid))).map((r) => [r.rowid, r]));
    return ranked
      .filter((r) => byRow.has(r.rowid))
      .map((r) => {
        const c = byRow.get(r.rowid)!;
        return {
          item_id: c.item_id, version: c.version, title: c.title, passage: c.text, score: Math.round(r.score * 1e6) / 1e6,
          chunk_index: c.idx, page: c.page, heading_path: c.heading_path, start: c.start_offset, end: c.end_offset,
        };
      });
  }

  private checkTextSize(text: string, field: string): void {
    const n = Buffer.byteLength(text, 'utf8');
    if (n > LIMITS.kbFileBytes) throw this.tooLarge(LIMITS.kbFileBytes, field, n);
  }

  private tooLarge(cap: number, field: string, got?: number): PayloadTooLarge {
    return new PayloadTooLarge(`${field}: ${got ? `${got} bytes exceeds` : 'exceeds'} the knowledge-base cap of ${cap} bytes (${cap / 1024 / 1024} MB); split the document`, { field, max_bytes: cap });
  }

  private notFound(itemId: string): NotFound {
    return new NotFound(`item_id: no knowledge-base item "${itemId}" in this project`, { field: 'item_id', item_id: itemId });
  }

  private async itemRow(scope: Scope, itemId: string): Promise<ItemRow> {
    const row = await this.deps.store.kb(scope).item(itemId);
    if (!row) throw this.notFound(itemId);
    return row;
  }

  private async versionRow(scope: Scope, itemId: string, version: number, field = 'version'): Promise<VersionRow> {
    const repo = this.deps.store.kb(scope);
    const row = await repo.version(itemId, version);
    if (!row) {
      const max = await repo.maxVersion(itemId);
      if (max == null) throw this.notFound(itemId);
      throw new NotFound(`${field}: item "${itemId}" has no version ${version} (versions 1–${max})`, { item_id: itemId, field, latest_version: max });
    }
    return row;
  }

  private async currentVersion(scope: Scope, itemId: string): Promise<VersionRow> {
    const v = await this.deps.store.kb(scope).current(itemId);
    if (!v) throw this.notFound(itemId);
    return v;
  }

  private async summary(scope: Scope, itemId: string): Promise<KbItemSummary> {
    const item = await this.itemRow(scope, itemId);
    const v = await this.versionRow(scope, itemId, item.current_version);
    return this.toSummary(item, v, await this.deps.store.kb(scope).countVersions(itemId));
  }

  private toSummary(item: ItemRow, v: Pick<VersionRow, 'format' | 'source_mode' | 'source' | 'tokens' | 'bytes'>, versions: number): KbItemSummary {
    return {
      item_id: item.item_id, title: item.title, version: item.current_version, versions, format: v.format, source_mode: v.source_mode, source: v.source,
      tokens: v.tokens, bytes: v.bytes, created_at: item.created_at, updated_at: item.updated_at,
    };
  }
}

export { describeFormats };
