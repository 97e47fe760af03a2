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
import { reciprocalRankFusion } from '../engine/bm25.js';
import { chunkTextAsync } from '../engine/chunking.js';
import type { Embedder } from '../engine/embeddings/types.js';
import { blobToVector, dot, vectorToBlob } from '../engine/embeddings/vector.js';
import { describeFormats, extractDocument, normalizeText, type Extracted, type PageSpan, type SourceFormat } from '../engine/extract/index.js';
import { countTokens } from '../engine/tokens.js';
import { BadRequest, InvalidInput, NotFound, PayloadTooLarge } from '../errors.js';
import type { Scope } from '../registry/define.js';
import { nowIso, newId } from '../store/db.js';
import { ftsQuery } from './documents.js';
import { fetchUrl } from './url-fetch.js';

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

interface ItemRow { owner_id: string; project_id: string; item_id: string; title: string | null; current_version: number; created_at: string; updated_at: string }
interface VersionRow {
  item_id: string; version: number; change: 'ingest' | 'edit' | 'restore'; restored_from: number | null; source_mode: KbMode; source: string | null;
  format: string; title: string | null; content: string; content_hash: string; bytes: number; tokens: number; metadata: string; created_at: string;
}
interface ChunkRow { rowid: number; item_id: string; version: number; idx: number; page: number | null; heading_path: string; text: string; start_offset: number; end_offset: number }

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

/** A project's passage vectors in one contiguous matrix, so a query does not re-read every BLOB. */
interface VectorSet { embedderId: string; rowids: number[]; itemIds: string[]; dim: number; matrix: Float32Array }
const VECTOR_CACHE_SCOPES = 64;

export class KbService {
  /** Overridable for tests of slow servers; production uses url-fetch's default. */
  urlFetchTimeoutMs: number | undefined;
  /** Per-scope vector sets; dropped on every write to that scope (this process is the only KB writer). */
  private readonly vectorCache = new Map<string, VectorSet>();

  /** A deleted project's vectors leave process memory with it (called by ProjectsService.delete). */
  forgetScope(scope: Scope): void {
    this.invalidate(scope);
  }

  constructor(private readonly deps: AppDeps) {}

  // ------------------------------------------------------------------ writes

  async ingest(scope: Scope, input: KbIngestInput, opts: { signal?: AbortSignal } = {}): Promise<KbWriteResult> {
    const itemId = input.itemId == null || input.itemId === '' ? newId('kb') : checkItemId(input.itemId);
    const prepared = await this.prepare(input, opts.signal);
    if (!prepared.text.trim()) {
      throw new InvalidInput('content: no text to store after extraction', { field: 'content' });
    }
    return this.write(scope, itemId, prepared, { change: 'ingest', mustExist: false, signal: opts.signal });
  }

  async edit(scope: Scope, itemId: string, content: string, title?: string | null, opts: { signal?: AbortSignal } = {}): Promise<KbWriteResult> {
    checkItemId(itemId);
    const current = this.currentVersion(scope, itemId);
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
    this.currentVersion(scope, itemId);
    const v = this.versionRow(scope, itemId, version);
    const meta = JSON.parse(v.metadata) as { pages?: PageSpan[] } & Record<string, unknown>;
    const r = await this.write(
      scope,
      itemId,
      { text: v.content, title: v.title, format: v.format, sourceMode: v.source_mode, source: v.source, pages: meta.pages ?? null, meta, warnings: [] },
      { change: 'restore', restoredFrom: version, mustExist: true, signal: opts.signal },
    );
    return { ...r, restored_from: version };
  }

  delete(scope: Scope, itemId: string): { item_id: string; deleted: true; versions_removed: number; chunks_removed: number } {
    checkItemId(itemId);
    const { db } = this.deps;
    const { ownerId, projectId } = scope;
    return db.transaction(() => {
      const item = db.prepare('SELECT item_id FROM kb_items WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(ownerId, projectId, itemId);
      if (!item) throw this.notFound(itemId);
      const versions = (db.prepare('SELECT COUNT(*) AS n FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(ownerId, projectId, itemId) as { n: number }).n;
      const chunks = this.deleteChunks(scope, itemId);
      db.prepare('DELETE FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ?').run(ownerId, projectId, itemId);
      db.prepare('DELETE FROM kb_items WHERE owner_id = ? AND project_id = ? AND item_id = ?').run(ownerId, projectId, itemId);
      this.invalidate(scope);
      return { item_id: itemId, deleted: true as const, versions_removed: versions, chunks_removed: chunks };
    })();
  }

  // ------------------------------------------------------------------ reads

  get(scope: Scope, itemId: string, version?: number | null): KbItem {
    checkItemId(itemId);
    const summary = this.summary(scope, itemId);
    const v = version == null ? this.versionRow(scope, itemId, summary.version) : this.versionRow(scope, itemId, version);
    const meta = JSON.parse(v.metadata) as { pages?: PageSpan[] } & Record<string, unknown>;
    const { pages, ...rest } = meta;
    return {
      ...summary,
      content: v.content,
      returned_version: v.version,
      pages: pages ? pages.map((p) => ({ page: p.page, start: p.start, end: p.end, has_text: p.hasText })) : null,
      metadata: rest,
    };
  }

  list(scope: Scope, opts: { limit: number; offset: number }): { items: KbItemSummary[]; total: number; limit: number; offset: number } {
    const { db } = this.deps;
    const total = (db.prepare('SELECT COUNT(*) AS n FROM kb_items WHERE owner_id = ? AND project_id = ?').get(scope.ownerId, scope.projectId) as { n: number }).n;
    const rows = db
      .prepare(
        `SELECT i.*, v.format, v.source_mode, v.source, v.tokens, v.bytes,
                (SELECT COUNT(*) FROM kb_versions x WHERE x.owner_id = i.owner_id AND x.project_id = i.project_id AND x.item_id = i.item_id) AS versions
         FROM kb_items i JOIN kb_versions v
           ON v.owner_id = i.owner_id AND v.project_id = i.project_id AND v.item_id = i.item_id AND v.version = i.current_version
         WHERE i.owner_id = ? AND i.project_id = ?
         ORDER BY i.updated_at DESC, i.item_id LIMIT ? OFFSET ?`,
      )
      .all(scope.ownerId, scope.projectId, opts.limit, opts.offset) as Array<ItemRow & VersionRow & { versions: number }>;
    return { items: rows.map((r) => this.toSummary(r, r, r.versions)), total, limit: opts.limit, offset: opts.offset };
  }

  history(scope: Scope, itemId: string): { item_id: string; current_version: number; versions: KbVersionInfo[] } {
    checkItemId(itemId);
    const item = this.itemRow(scope, itemId);
    const rows = this.deps.db
      .prepare(
        `SELECT version, change, restored_from, source_mode, source, format, title, tokens, bytes, created_at
         FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ? ORDER BY version DESC`,
      )
      .all(scope.ownerId, scope.projectId, itemId) as VersionRow[];
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
  diff(scope: Scope, itemId: string, opts: { from?: number | null; to?: number | null } = {}): KbDiff {
    checkItemId(itemId);
    const item = this.itemRow(scope, itemId);
    const to = opts.to ?? item.current_version;
    const toRow = this.versionRow(scope, itemId, to, 'to_version');
    let from = opts.from ?? null;
    if (from == null) {
      const prev = this.deps.db
        .prepare('SELECT MAX(version) AS v FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ? AND version < ?')
        .get(scope.ownerId, scope.projectId, itemId, to) as { v: number | null };
      from = prev.v ?? 0;
    }
    // Version 0 is the empty document before the first ingest: the first version diffs as all-added.
    const fromText = from === 0 ? '' : this.versionRow(scope, itemId, from, 'from_version').content;
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
    const pool = Math.max(args.topK * 4, 50);
    let ranked: Array<{ rowid: number; score: number }>;
    let embedderId: string | null = null;
    if (args.mode === 'keyword') {
      ranked = this.keywordRank(scope, q, itemIds, args.topK);
    } else {
      const embedder = await this.deps.embedder();
      embedderId = embedder.id;
      const semantic = await this.semanticRank(scope, q, itemIds, args.mode === 'semantic' ? args.topK : pool, embedder);
      if (args.mode === 'semantic') ranked = semantic;
      else {
        const keyword = this.keywordRank(scope, q, itemIds, pool);
        ranked = reciprocalRankFusion([semantic.map((r) => r.rowid), keyword.map((r) => r.rowid)])
          .slice(0, args.topK)
          .map((r) => ({ rowid: r.id, score: r.score }));
      }
    }
    const items = (this.deps.db.prepare('SELECT COUNT(*) AS n FROM kb_items WHERE owner_id = ? AND project_id = ?').get(scope.ownerId, scope.projectId) as { n: number }).n;
    return { query: q, mode: args.mode, results: this.hydrate(scope, ranked), items_searched: itemIds ? Math.min(items, itemIds.length) : items, embedder: embedderId };
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
    how: { change: 'ingest' | 'edit' | 'restore'; restoredFrom?: number; mustExist: boolean; signal?: AbortSignal },
  ): Promise<KbWriteResult> {
    const { db } = this.deps;
    const { ownerId, projectId } = scope;
    const hash = sha256(p.text);
    const bytes = Buffer.byteLength(p.text, 'utf8');
    const base = { item_id: itemId, format: p.format, source_mode: p.sourceMode, source: p.source, bytes, pages: p.pages ? p.pages.length : null, warnings: p.warnings };

    // Unchanged content: no version, no re-embedding.
    const existing = this.maybeCurrent(scope, itemId);
    if (existing && existing.content_hash === hash && (p.title ?? null) === (existing.title ?? null)) {
      return { ...base, version: existing.version, status: 'unchanged', title: existing.title, tokens: existing.tokens, chunks: this.chunkCount(scope, itemId) };
    }
    if (how.mustExist && !existing) throw this.notFound(itemId);

    const chunks = await chunkForStore(p.text, p.pages);
    const tokens = countTokens(p.text);
    const embedder = await this.deps.embedder();
    const vectors = await this.embedChunks(scope, itemId, p.title, chunks, embedder, how.signal);
    const meta = JSON.stringify({ ...p.meta, ...(p.pages ? { pages: p.pages } : {}), ...(p.warnings.length ? { warnings: p.warnings } : {}) });

    const version = db.transaction(() => {
      const now = nowIso();
      const item = db.prepare('SELECT current_version FROM kb_items WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(ownerId, projectId, itemId) as { current_version: number } | undefined;
      if (how.mustExist && !item) throw this.notFound(itemId);
      const last = (db.prepare('SELECT MAX(version) AS v FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(ownerId, projectId, itemId) as { v: number | null }).v ?? 0;
      const v = last + 1;
      if (item) {
        db.prepare('UPDATE kb_items SET title = ?, current_version = ?, updated_at = ? WHERE owner_id = ? AND project_id = ? AND item_id = ?').run(p.title, v, now, ownerId, projectId, itemId);
      } else {
        db.prepare('INSERT INTO kb_items (owner_id, project_id, item_id, title, current_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(ownerId, projectId, itemId, p.title, v, now, now);
      }
      db.prepare(
        `INSERT INTO kb_versions (owner_id, project_id, item_id, version, change, restored_from, source_mode, source, format, title, content, content_hash, bytes, tokens, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(ownerId, projectId, itemId, v, how.change, how.restoredFrom ?? null, p.sourceMode, p.source, p.format, p.title, p.text, hash, bytes, tokens, meta, now);
      this.deleteChunks(scope, itemId);
      const ins = db.prepare(
        `INSERT INTO kb_chunks (owner_id, project_id, item_id, version, idx, page, heading_path, text, tokens, start_offset, end_offset, embedding, embedder_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const insFts = db.prepare('INSERT INTO kb_chunks_fts (rowid, text) VALUES (?, ?)');
      chunks.forEach((c, i) => {
        const r = ins.run(ownerId, projectId, itemId, v, c.idx, c.page, JSON.stringify(c.headingPath), c.text, c.tokens, c.start, c.end, vectorToBlob(vectors[i]!), embedder.id);
        insFts.run(r.lastInsertRowid, [p.title, ...c.headingPath, c.text].filter(Boolean).join('\n'));
      });
      return { v, created: !item };
    })();
    this.invalidate(scope);
    return { ...base, version: version.v, status: version.created ? 'created' : 'updated', title: p.title, tokens, chunks: chunks.length };
  }

  /** Vectors for the new chunks, reusing the stored ones whose text (and context) did not change. */
  private async embedChunks(scope: Scope, itemId: string, title: string | null, chunks: PreparedChunk[], embedder: Embedder, signal?: AbortSignal): Promise<Float32Array[]> {
    const inputs = chunks.map((c) => embeddingText(title, c));
    const reuse = new Map<string, Float32Array>();
    const prev = this.deps.db
      .prepare('SELECT heading_path, text, embedding FROM kb_chunks WHERE owner_id = ? AND project_id = ? AND item_id = ? AND embedder_id = ?')
      .all(scope.ownerId, scope.projectId, itemId, embedder.id) as Array<{ heading_path: string; text: string; embedding: Buffer }>;
    const prevTitle = prev.length ? (this.maybeCurrent(scope, itemId)?.title ?? null) : null;
    for (const r of prev) reuse.set(embeddingText(prevTitle, { headingPath: JSON.parse(r.heading_path) as string[], text: r.text }), blobToVector(r.embedding));
    const out: Array<Float32Array | undefined> = inputs.map((t) => reuse.get(t));
    const todo = out.map((v, i) => (v ? -1 : i)).filter((i) => i >= 0);
    for (let s = 0; s < todo.length; s += EMBED_BATCH) {
      if (signal?.aborted) throw new BadRequest('the request was cancelled; nothing was stored', 'cancelled');
      const batch = todo.slice(s, s + EMBED_BATCH);
      const vecs = await embedder.embed(batch.map((i) => inputs[i]!));
      batch.forEach((i, k) => (out[i] = vecs[k]!));
    }
    return out as Float32Array[];
  }

  private deleteChunks(scope: Scope, itemId: string): number {
    const { db } = this.deps;
    db.prepare('DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT rowid FROM kb_chunks WHERE owner_id = ? AND project_id = ? AND item_id = ?)').run(scope.ownerId, scope.projectId, itemId);
    return db.prepare('DELETE FROM kb_chunks WHERE owner_id = ? AND project_id = ? AND item_id = ?').run(scope.ownerId, scope.projectId, itemId).changes;
  }

  private keywordRank(scope: Scope, query: string, itemIds: string[] | null, k: number): Array<{ rowid: number; score: number }> {
    const match = ftsQuery(query);
    if (!match) return [];
    const filter = itemIds ? ` AND c.item_id IN (${itemIds.map(() => '?').join(',')})` : '';
    return this.deps.db
      .prepare(
        `SELECT c.rowid AS rowid, -bm25(kb_chunks_fts) AS score
         FROM kb_chunks_fts JOIN kb_chunks c ON c.rowid = kb_chunks_fts.rowid
         WHERE kb_chunks_fts MATCH ? AND c.owner_id = ? AND c.project_id = ?${filter}
         ORDER BY score DESC LIMIT ?`,
      )
      .all(match, scope.ownerId, scope.projectId, ...(itemIds ?? []), k) as Array<{ rowid: number; score: number }>;
  }

  private async semanticRank(scope: Scope, query: string, itemIds: string[] | null, k: number, embedder: Embedder): Promise<Array<{ rowid: number; score: number }>> {
    await this.reembedStale(scope, embedder);
    const [qv] = await embedder.embed([query]);
    const set = this.vectorSet(scope, embedder);
    const only = itemIds ? new Set(itemIds) : null;
    const scored: Array<{ rowid: number; score: number }> = [];
    for (let r = 0, off = 0; r < set.rowids.length; r++, off += set.dim) {
      if (only && !only.has(set.itemIds[r]!)) continue;
      scored.push({ rowid: set.rowids[r]!, score: dot(qv!, set.matrix.subarray(off, off + set.dim)) });
    }
    return topK(scored, k);
  }

  private vectorSet(scope: Scope, embedder: Embedder): VectorSet {
    const key = `${scope.ownerId}\u0000${scope.projectId}`;
    const hit = this.vectorCache.get(key);
    if (hit && hit.embedderId === embedder.id) {
      // Re-insert: the Map's order doubles as least-recently-used order.
      this.vectorCache.delete(key);
      this.vectorCache.set(key, hit);
      return hit;
    }
    const rows = this.deps.db
      .prepare('SELECT rowid, item_id, embedding FROM kb_chunks WHERE owner_id = ? AND project_id = ? AND embedder_id = ? ORDER BY rowid')
      .all(scope.ownerId, scope.projectId, embedder.id) as Array<{ rowid: number; item_id: string; embedding: Buffer }>;
    const dim = embedder.dim;
    const matrix = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => matrix.set(blobToVector(r.embedding), i * dim));
    const set: VectorSet = { embedderId: embedder.id, rowids: rows.map((r) => r.rowid), itemIds: rows.map((r) => r.item_id), dim, matrix };
    this.vectorCache.set(key, set);
    if (this.vectorCache.size > VECTOR_CACHE_SCOPES) this.vectorCache.delete(this.vectorCache.keys().next().value!);
    return set;
  }

  private invalidate(scope: Scope): void {
    this.vectorCache.delete(`${scope.ownerId}\u0000${scope.projectId}`);
  }

  /** Chunks embedded by a previous embedder are re-embedded before they are compared. */
  private async reembedStale(scope: Scope, embedder: Embedder): Promise<void> {
    const { db } = this.deps;
    const stale = db
      .prepare(
        `SELECT c.rowid, c.heading_path, c.text, i.title FROM kb_chunks c JOIN kb_items i ON i.owner_id = c.owner_id AND i.project_id = c.project_id AND i.item_id = c.item_id
         WHERE c.owner_id = ? AND c.project_id = ? AND c.embedder_id != ?`,
      )
      .all(scope.ownerId, scope.projectId, embedder.id) as Array<{ rowid: number; heading_path: string; text: string; title: string | null }>;
    if (stale.length === 0) return;
    const upd = db.prepare('UPDATE kb_chunks SET embedding = ?, embedder_id = ? WHERE rowid = ? AND owner_id = ? AND project_id = ?');
    for (let s = 0; s < stale.length; s += EMBED_BATCH) {
      const batch = stale.slice(s, s + EMBED_BATCH);
      const vecs = await embedder.embed(batch.map((r) => embeddingText(r.title, { headingPath: JSON.parse(r.heading_path) as string[], text: r.text })));
      db.transaction(() => batch.forEach((r, k) => upd.run(vectorToBlob(vecs[k]!), embedder.id, r.rowid, scope.ownerId, scope.projectId)))();
    }
    this.invalidate(scope);
    this.deps.log.info({ chunks: stale.length, embedder: embedder.id }, 'kb: re-embedded chunks stored by another embedder');
  }

  private hydrate(scope: Scope, ranked: Array<{ rowid: number; score: number }>): KbHit[] {
    if (ranked.length === 0) return [];
    const rows = this.deps.db
      .prepare(
        `SELECT c.rowid, c.item_id, c.version, c.idx, c.page, c.heading_path, c.text, c.start_offset, c.end_offset, i.title
         FROM kb_chunks c JOIN kb_items i ON i.owner_id = c.owner_id AND i.project_id = c.project_id AND i.item_id = c.item_id
         WHERE c.owner_id = ? AND c.project_id = ? AND c.rowid IN (${ranked.map(() => '?').join(',')})`,
      )
      .all(scope.ownerId, scope.projectId, ...ranked.map((r) => r.rowid)) as Array<ChunkRow & { title: string | null }>;
    const byRow = new Map(rows.map((r) => [r.rowid, r]));
    return ranked
      .filter((r) => byRow.has(r.rowid))
      .map((r) => {
        const c = byRow.get(r.rowid)!;
        return {
          item_id: c.item_id, version: c.version, title: c.title, passage: c.text, score: Math.round(r.score * 1e6) / 1e6,
          chunk_index: c.idx, page: c.page, heading_path: JSON.parse(c.heading_path) as string[], start: c.start_offset, end: c.end_offset,
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
    return new NotFound(`item_id: no knowledge-base item "${itemId}" in this project`, { item_id: itemId });
  }

  private itemRow(scope: Scope, itemId: string): ItemRow {
    const row = this.deps.db.prepare('SELECT * FROM kb_items WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(scope.ownerId, scope.projectId, itemId) as ItemRow | undefined;
    if (!row) throw this.notFound(itemId);
    return row;
  }

  private versionRow(scope: Scope, itemId: string, version: number, field = 'version'): VersionRow {
    const row = this.deps.db
      .prepare('SELECT * FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ? AND version = ?')
      .get(scope.ownerId, scope.projectId, itemId, version) as VersionRow | undefined;
    if (!row) {
      const max = (this.deps.db.prepare('SELECT MAX(version) AS v FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(scope.ownerId, scope.projectId, itemId) as { v: number | null }).v;
      if (max == null) throw this.notFound(itemId);
      throw new NotFound(`${field}: item "${itemId}" has no version ${version} (versions 1–${max})`, { item_id: itemId, field, latest_version: max });
    }
    return row;
  }

  private maybeCurrent(scope: Scope, itemId: string): VersionRow | null {
    return (this.deps.db
      .prepare(
        `SELECT v.* FROM kb_items i JOIN kb_versions v ON v.owner_id = i.owner_id AND v.project_id = i.project_id AND v.item_id = i.item_id AND v.version = i.current_version
         WHERE i.owner_id = ? AND i.project_id = ? AND i.item_id = ?`,
      )
      .get(scope.ownerId, scope.projectId, itemId) as VersionRow | undefined) ?? null;
  }

  private currentVersion(scope: Scope, itemId: string): VersionRow {
    const v = this.maybeCurrent(scope, itemId);
    if (!v) throw this.notFound(itemId);
    return v;
  }

  private chunkCount(scope: Scope, itemId: string): number {
    return (this.deps.db.prepare('SELECT COUNT(*) AS n FROM kb_chunks WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(scope.ownerId, scope.projectId, itemId) as { n: number }).n;
  }

  private summary(scope: Scope, itemId: string): KbItemSummary {
    const item = this.itemRow(scope, itemId);
    const v = this.versionRow(scope, itemId, item.current_version);
    const n = (this.deps.db.prepare('SELECT COUNT(*) AS n FROM kb_versions WHERE owner_id = ? AND project_id = ? AND item_id = ?').get(scope.ownerId, scope.projectId, itemId) as { n: number }).n;
    return this.toSummary(item, v, n);
  }

  private toSummary(item: ItemRow, v: Pick<VersionRow, 'format' | 'source_mode' | 'source' | 'tokens' | 'bytes'>, versions: number): KbItemSummary {
    return {
      item_id: item.item_id, title: item.title, version: item.current_version, versions, format: v.format, source_mode: v.source_mode, source: v.source,
      tokens: v.tokens, bytes: v.bytes, created_at: item.created_at, updated_at: item.updated_at,
    };
  }
}

/** The k best by score (ties by rowid), without sorting the whole list when it is long. */
export function topK<T extends { rowid: number; score: number }>(scored: T[], k: number): T[] {
  const cmp = (a: T, b: T) => b.score - a.score || a.rowid - b.rowid;
  if (scored.length <= k * 4) return scored.sort(cmp).slice(0, k);
  const best: T[] = [];
  for (const s of scored) {
    if (best.length < k) {
      best.push(s);
      if (best.length === k) best.sort(cmp);
    } else if (cmp(s, best[k - 1]!) < 0) {
      let i = k - 1;
      while (i > 0 && cmp(s, best[i - 1]!) < 0) i--;
      best.splice(i, 0, s);
      best.pop();
    }
  }
  return best.sort(cmp);
}

export { describeFormats };
