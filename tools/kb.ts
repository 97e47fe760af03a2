// kb toolset: the per-project knowledge base (src/services/kb.ts). Items are keyed by
// (item_id, project): the project always comes from the caller's key.
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { LIMITS } from '../src/config.js';
import { Forbidden } from '../src/errors.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import type { Scope } from '../src/domain/scope.js';
import { KB_MODES, KB_SEARCH_MODES, KbService } from '../src/services/kb.js';
import { EXAMPLE_HANDBOOK_PDF } from './example-files.js';

const ItemId = z
  .string()
  .min(1)
  .max(128)
  .describe('Your id for the item, unique within the project: 1–128 letters, digits or . _ : @ - (e.g. "adr-007", "runbooks.deploy").');
const ProjectId = z
  .string()
  .min(1)
  .max(128)
  .describe('Optional, for compatibility: the project is the one your API key belongs to; a different value is refused.');
const Version = z.number().int().min(1).describe('A version number from gc_kb_history (1 = first ingest).');

/** The caller's scope; a project_id argument may only repeat it (a key never reaches another project). */
function scopeOf(ctx: ToolContext, projectId?: string): Scope {
  const scope = ctx.scope();
  if (projectId !== undefined && projectId !== scope.projectId) {
    throw new Forbidden(`project_id: this API key belongs to project ${scope.projectId}; use a key of project ${projectId} to reach its knowledge base`, { field: 'project_id' });
  }
  return scope;
}

const kb = (ctx: ToolContext) => ctx.app.service(KbService);

const WriteOut = z.object({
  secrets_redacted: SecretsRedactedField,
  item_id: z.string(),
  version: z.number().int().describe('The current version after this call.'),
  status: z.enum(['created', 'updated', 'unchanged']).describe('unchanged: the content was identical, so no version was added.'),
  title: z.string().nullable(),
  format: z.string().describe('pdf | docx | html | markdown | text'),
  source_mode: z.enum(KB_MODES),
  source: z.string().nullable().describe('The fetched URL (after redirects) or the file name.'),
  tokens: z.number().int().describe('Tokens of the stored text (o200k_base).'),
  bytes: z.number().int().describe('UTF-8 bytes of the stored text.'),
  chunks: z.number().int().describe('Searchable passages.'),
  pages: z.number().int().nullable().describe('PDF page count.'),
  warnings: z.array(z.string()),
});

const SummaryOut = z.object({
  item_id: z.string(),
  title: z.string().nullable(),
  version: z.number().int().describe('Current version.'),
  versions: z.number().int().describe('How many versions exist.'),
  format: z.string(),
  source_mode: z.enum(KB_MODES),
  source: z.string().nullable(),
  tokens: z.number().int(),
  bytes: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

const ingest = defineTool({
  name: 'gc_kb_ingest',
  toolset: 'kb',
  secrets: 'redact',
  title: 'Add to the knowledge base',
  description: "Store a document in the project knowledge base under item_id, from text, a URL or a file, searchable with gc_kb_query.",
  details: "URLs are fetched server-side; files are base64 (PDF, TXT, MD, DOCX or HTML, at most 5 MB). Ingesting an existing item_id adds a new version; identical content changes nothing.",
  input: z.object({
    item_id: ItemId.optional().describe('Your id for the item (unique within the project). Omitted: one is generated (kb_...).'),
    mode: z.enum(KB_MODES).default('text').describe('text: `content` is the text. url: `content` is an http(s) URL to fetch. file: `content` is the file as base64.'),
    content: z.string().min(1).describe('The text, the URL, or the base64 file, per `mode`.'),
    title: z.string().max(512).optional().describe('Title; default: from the document (PDF metadata, HTML <title>, first heading).'),
    filename: z.string().max(256).optional().describe('File name (mode file), used to recognise the type, e.g. "handbook.pdf".'),
    mime_type: z.string().max(128).optional().describe('MIME type of the file (mode file), e.g. "application/pdf".'),
    project_id: ProjectId.optional(),
  }),
  output: WriteOut,
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: true },
  rest: [{ method: 'POST', path: '/v1/kb/ingest' }],
  examples: [
    { description: 'Store a note', args: { item_id: 'adr-007', mode: 'text', content: '# ADR 7: Use SQLite\n\nWe store everything in one SQLite file because ...' } },
    { description: 'Fetch a page', args: { item_id: 'nextjs-caching', mode: 'url', content: 'https://nextjs.org/docs/app/building-your-application/caching' } },
    { description: 'Upload a PDF', args: { item_id: 'handbook', mode: 'file', filename: 'handbook.pdf', content: EXAMPLE_HANDBOOK_PDF } },
  ],
  handler: async (ctx, a) =>
    kb(ctx).ingest(scopeOf(ctx, a.project_id), { itemId: a.item_id, mode: a.mode, content: a.content, title: a.title, filename: a.filename, mimeType: a.mime_type }, { signal: ctx.signal, progress: (d, t, m) => void ctx.progress(d, t, m) }),
});

const query = defineTool({
  name: 'gc_kb_query',
  toolset: 'kb',
  title: 'Search the knowledge base',
  description:
    'Search the project knowledge base in natural language. Returns the best passages with their item_id, version, page (PDFs) and section headings. ' +
    'mode hybrid (default) fuses meaning and keywords; semantic uses embeddings only; keyword uses BM25 only.',
  input: z.object({
    query: z.string().min(1).max(2000).describe('What you are looking for, e.g. "how often are the membranes replaced?"'),
    top_k: z.number().int().min(1).max(50).default(5).describe('How many passages to return.'),
    mode: z.enum(KB_SEARCH_MODES).default('hybrid').describe('hybrid | semantic | keyword'),
    item_ids: z.array(ItemId).max(100).optional().describe('Only search these items.'),
    project_id: ProjectId.optional(),
  }),
  output: z.object({
    query: z.string(),
    mode: z.enum(KB_SEARCH_MODES),
    results: z.array(
      z.object({
        item_id: z.string(),
        version: z.number().int(),
        title: z.string().nullable(),
        passage: z.string(),
        score: z.number().describe('Cosine similarity (semantic), BM25 (keyword) or fused rank score (hybrid): comparable within one call only.'),
        chunk_index: z.number().int(),
        page: z.number().int().nullable().describe('PDF page the passage is on.'),
        heading_path: z.array(z.string()),
        start: z.number().int().describe('Character offset of the passage in the item text (gc_kb_get).'),
        end: z.number().int(),
      }),
    ),
    items_searched: z.number().int(),
    embedder: z.string().nullable(),
  }),
  render: (o) =>
    `[gc_kb_query: ${o.results.length} passages for "${o.query}" (${o.mode}) in ${o.items_searched} items]` +
    o.results
      .map((r) => `\n\n## ${r.title ?? r.item_id} v${r.version}${r.page !== null ? `, page ${r.page}` : ''}${r.heading_path.length ? ' › ' + r.heading_path.join(' › ') : ''} (${r.item_id})\n${r.passage}`)
      .join(''),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'POST', path: '/v1/kb/query' }],
  examples: [{ description: 'Ask a question', args: { query: 'who leads the monthly fire drills?', top_k: 3 } }],
  handler: async (ctx, a) => kb(ctx).query(scopeOf(ctx, a.project_id), { query: a.query, topK: a.top_k, mode: a.mode, itemIds: a.item_ids }),
});

const get = defineTool({
  name: 'gc_kb_get',
  toolset: 'kb',
  title: 'Get a knowledge-base item',
  description: 'The full text of one item (the current version, or `version`), with its metadata and, for PDFs, where each page starts.',
  input: z.object({ item_id: ItemId, version: Version.optional(), project_id: ProjectId.optional() }),
  output: SummaryOut.extend({
    content: z.string(),
    returned_version: z.number().int(),
    pages: z.array(z.object({ page: z.number().int(), start: z.number().int(), end: z.number().int(), has_text: z.boolean() })).nullable(),
    metadata: z.record(z.string(), z.unknown()),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/kb/items/:item_id' }],
  examples: [{ description: 'Read an item', args: { item_id: 'adr-007' } }],
  render: (o) => `${o.title ? `# ${o.title}\n` : ''}(item ${o.item_id}, version ${o.returned_version} of ${o.versions})\n\n${o.content}`,
  handler: (ctx, a) => kb(ctx).get(scopeOf(ctx, a.project_id), a.item_id, a.version),
});

const list = defineTool({
  name: 'gc_kb_list',
  toolset: 'kb',
  title: 'List knowledge-base items',
  description: 'The items of the project knowledge base, most recently updated first, paginated.',
  input: z.object({
    limit: z.number().int().min(1).max(200).default(50).describe('Page size.'),
    offset: z.number().int().min(0).default(0).describe('Items to skip.'),
    project_id: ProjectId.optional(),
  }),
  output: z.object({ items: z.array(SummaryOut), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/kb/items' }],
  examples: [{ description: 'First page', args: { limit: 20 } }],
  handler: (ctx, a) => kb(ctx).list(scopeOf(ctx, a.project_id), { limit: a.limit, offset: a.offset }),
});

const edit = defineTool({
  name: 'gc_kb_edit',
  toolset: 'kb',
  secrets: 'redact',
  title: 'Edit a knowledge-base item',
  description: 'Replace the text of an existing item. Every edit that changes something is a new version (see gc_kb_history, gc_kb_diff, gc_kb_restore).',
  input: z.object({
    item_id: ItemId,
    content: z.string().min(1).describe(`The new full text (at most ${LIMITS.kbFileBytes} bytes).`),
    title: z.string().max(512).optional().describe('New title; default: keep the current one.'),
    project_id: ProjectId.optional(),
  }),
  output: WriteOut,
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [{ method: 'PUT', path: '/v1/kb/items/:item_id' }],
  examples: [{ description: 'Update a note', args: { item_id: 'adr-007', content: '# ADR 7: Use SQLite (accepted)\n\n...' } }],
  handler: (ctx, a) => kb(ctx).edit(scopeOf(ctx, a.project_id), a.item_id, a.content, a.title, { signal: ctx.signal }),
});

const DiffLine = z.object({
  op: z.enum(['add', 'remove', 'context']),
  text: z.string(),
  old_line: z.number().int().nullable().describe('Line number in from_version (null for added lines).'),
  new_line: z.number().int().nullable().describe('Line number in to_version (null for removed lines).'),
});

const diff = defineTool({
  name: 'gc_kb_diff',
  toolset: 'kb',
  title: 'Diff knowledge-base versions',
  description:
    'Structured line diff of an item: by default the current version against the one before it; choose with from_version / to_version. ' +
    'Version 0 is the empty document, so the first version diffs as all-added.',
  input: z.object({
    item_id: ItemId,
    from_version: z.number().int().min(0).optional().describe('Older side (default: the version before to_version; 0 = empty).'),
    to_version: Version.optional().describe('Newer side, a version from gc_kb_history (default: the current version).'),
    project_id: ProjectId.optional(),
  }),
  output: z.object({
    item_id: z.string(),
    from_version: z.number().int(),
    to_version: z.number().int(),
    identical: z.boolean(),
    stats: z.object({ added: z.number().int(), removed: z.number().int(), hunks: z.number().int() }),
    hunks: z.array(z.object({ old_start: z.number().int(), old_lines: z.number().int(), new_start: z.number().int(), new_lines: z.number().int(), lines: z.array(DiffLine) })),
    unified: z.string().describe('The same diff in unified format.'),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/kb/items/:item_id/diff' }],
  examples: [{ description: 'What changed last', args: { item_id: 'adr-007' } }, { description: 'Two given versions', args: { item_id: 'adr-007', from_version: 1, to_version: 3 } }],
  render: (o) => `${o.stats.added} added, ${o.stats.removed} removed (v${o.from_version} → v${o.to_version})\n${o.unified}`,
  handler: (ctx, a) => kb(ctx).diff(scopeOf(ctx, a.project_id), a.item_id, { from: a.from_version, to: a.to_version }),
});

const history = defineTool({
  name: 'gc_kb_history',
  toolset: 'kb',
  title: 'Version history of an item',
  description: 'Every version of an item, newest first: how it changed (ingest, edit, restore), its source, size and time.',
  input: z.object({ item_id: ItemId, project_id: ProjectId.optional() }),
  output: z.object({
    item_id: z.string(),
    current_version: z.number().int(),
    versions: z.array(
      z.object({
        version: z.number().int(),
        change: z.enum(['ingest', 'edit', 'restore']),
        restored_from: z.number().int().nullable(),
        source_mode: z.enum(KB_MODES),
        source: z.string().nullable(),
        format: z.string(),
        title: z.string().nullable(),
        tokens: z.number().int(),
        bytes: z.number().int(),
        created_at: z.string(),
        current: z.boolean(),
      }),
    ),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/kb/items/:item_id/history' }],
  examples: [{ description: 'List versions', args: { item_id: 'adr-007' } }],
  handler: (ctx, a) => kb(ctx).history(scopeOf(ctx, a.project_id), a.item_id),
});

const restore = defineTool({
  name: 'gc_kb_restore',
  toolset: 'kb',
  title: 'Restore an earlier version',
  description: 'Roll a knowledge-base item back: an earlier version becomes current again. History is kept: the restore is itself a new version (change "restore").',
  input: z.object({ item_id: ItemId, version: Version, project_id: ProjectId.optional() }),
  output: WriteOut.extend({ restored_from: z.number().int() }),
  annotations: { readOnlyHint: false },
  rest: [{ method: 'POST', path: '/v1/kb/items/:item_id/restore' }],
  examples: [{ description: 'Back to version 2', args: { item_id: 'adr-007', version: 2 } }],
  handler: (ctx, a) => kb(ctx).restore(scopeOf(ctx, a.project_id), a.item_id, a.version, { signal: ctx.signal }),
});

const del = defineTool({
  name: 'gc_kb_delete',
  toolset: 'kb',
  title: 'Delete a knowledge-base item',
  description: 'Remove an item with all its versions and passages.',
  input: z.object({ item_id: ItemId, project_id: ProjectId.optional() }),
  output: z.object({ item_id: z.string(), deleted: z.literal(true), versions_removed: z.number().int(), chunks_removed: z.number().int() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  rest: [{ method: 'DELETE', path: '/v1/kb/items/:item_id' }],
  examples: [{ description: 'Delete an item', args: { item_id: 'adr-007' } }],
  handler: (ctx, a) => kb(ctx).delete(scopeOf(ctx, a.project_id), a.item_id),
});

export const tools: AnyTool[] = [ingest, query, get, list, edit, diff, history, restore, del];
