// documents toolset: ingest, read, search and manage stored documents (src/services/documents.ts).
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { LIMITS } from '../src/config.js';
import { InvalidInput } from '../src/errors.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { FIDELITIES, OUTPUT_STYLES } from '../src/engine/compress.js';
import { DEFAULT_FIDELITY, DocumentsService, INGEST_JOB_KIND, type IngestResult } from '../src/services/documents.js';
import { JobsService } from '../src/services/jobs.js';
import { JobItemOut, JobStatusOut } from './jobs.js';

const FileId = z.string().min(1).max(256).describe('Your stable name for the document (unique per project), e.g. a path: "docs/auth.md".');
const DocId = z.string().min(1).max(64).describe('Document id returned by ingest_context (doc_...).');
const Content = z.string().min(1).describe('The document text (Markdown structure is used: headings, lists, code blocks, tables).');
const Title = z.string().max(512).describe('Human-readable title.');
const Metadata = z.record(z.string(), z.unknown()).describe('Any JSON object, stored and returned with the document.');

const IngestOut = z.object({
  secrets_redacted: SecretsRedactedField,
  doc_id: z.string(),
  file_id: z.string(),
  title: z.string().nullable(),
  status: z.enum(['created', 'unchanged', 'updated']).describe('unchanged: identical content was already stored; nothing was redone.'),
  tokens_before: z.number().int().describe('Tokens of the full document (o200k_base).'),
  tokens_after: z.number().int().describe('Tokens of its balanced skeleton (what read_skeleton returns by default).'),
  tokens_saved: z.number().int(),
  savings_pct: z.number(),
  chunks: z.number().int(),
  chunks_embedded: z.number().int().describe('Chunks embedded by this call.'),
  chunks_reused: z.number().int().describe('Chunks whose stored embedding was kept because their text did not change.'),
  embedder: z.string().describe('Embedding provider id the vectors come from.'),
});

const DocSummaryOut = z.object({
  doc_id: z.string(),
  file_id: z.string(),
  title: z.string().nullable(),
  source_type: z.string(),
  tokens: z.number().int(),
  skeleton_tokens: z.number().int(),
  chunks: z.number().int(),
  version: z.number().int().describe('1 on ingest, +1 on every refresh that changed the content.'),
  content_hash: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

const ChunkOut = z.object({
  chunk_id: z.string(),
  doc_id: z.string(),
  file_id: z.string(),
  index: z.number().int().describe('Position of the chunk in its document (0-based).'),
  text: z.string(),
  tokens: z.number().int(),
  kind: z.string().describe('heading | paragraph | list | code | table | mixed'),
  heading_path: z.array(z.string()).describe('Section titles in effect, outermost first.'),
  start: z.number().int().describe('Character offset of the chunk in the document.'),
  end: z.number().int(),
});

/** doc_id or file_id, exactly one (checked by the service, which names the field). */
const docRef = {
  doc_id: DocId.optional().describe('Document id (doc_...) from ingest_context. Give doc_id or file_id.'),
  file_id: z.string().min(1).max(256).optional().describe('The file_id the document was ingested under. Give doc_id or file_id.'),
};

function planCap(ctx: ToolContext): number {
  const plan = ctx.caller?.plan ?? ctx.app.config.ownerPlan;
  return ctx.app.config.plans[plan].maxTextBytes;
}

/** Ingest is metered; a no-op re-ingest is recorded like a cache hit (not counted against the quota). */
function meterIngest(ctx: ToolContext, r: IngestResult): void {
  ctx.meter({ tokensIn: r.tokens_before, tokensOut: r.tokens_after, cache: r.status === 'unchanged' ? 'exact' : null });
}

const ingestContext = defineTool({
  name: 'ingest_context',
  toolset: 'documents',
  secrets: 'redact',
  title: 'Ingest a document',
  description: "Store a document under a file_id, chunked, embedded and indexed for read_skeleton, search_semantic and get_context_block.",
  details: "Re-ingesting identical content is a no-op returning the same doc_id; different content under an existing file_id updates that document (as refresh_document does) unless replace: false, which answers 409 instead. A document over 50,000 characters reports MCP progress: chunked, each embedding batch, ranked, stored.",
  input: z.object({
    file_id: FileId,
    content: Content,
    title: Title.optional(),
    metadata: Metadata.optional(),
    replace: z.boolean().default(true).describe('If file_id already holds different content: true (default) updates it like refresh_document; false answers 409.'),
  }),
  output: IngestOut,
  metered: true,
  annotations: { idempotentHint: true },
  rest: [{ method: 'POST', path: '/v1/documents' }],
  restStatus: 200,
  examples: [
    {
      description: 'Store a README',
      args: { file_id: 'readme', title: 'Project README', content: '# My Project\n\nInstall with `npm i my-project`.\n\n## Usage\n...' },
    },
  ],
  handler: async (ctx, a) => {
    const r = await ctx.app.service(DocumentsService).ingest(
      ctx.scope(),
      { fileId: a.file_id, text: a.content, title: a.title, metadata: a.metadata },
      { maxBytes: planCap(ctx), onExisting: a.replace ? 'replace' : 'conflict', signal: ctx.signal, progress: (d, t, m) => void ctx.progress(d, t, m) },
    );
    meterIngest(ctx, r);
    return r;
  },
});

const refreshDocument = defineTool({
  name: 'refresh_document',
  toolset: 'documents',
  secrets: 'redact',
  title: 'Refresh a document',
  description: "Re-ingest a stored document whose source changed, re-embedding only the chunks that changed.",
  details: "Unchanged chunks keep their embeddings and chunk ids. Identical content is a no-op.",
  input: z.object({
    ...docRef,
    content: Content,
    title: Title.optional().describe('New title (omit to keep the current one).'),
    metadata: Metadata.optional().describe('New metadata (omit to keep the current one).'),
  }),
  output: IngestOut,
  metered: true,
  annotations: { idempotentHint: true },
  rest: [{ method: 'PUT', path: '/v1/documents/:doc_id' }],
  examples: [{ description: 'Refresh by file_id', args: { file_id: 'readme', content: '# My Project\n\nNow with a changed install section.' } }],
  handler: async (ctx, a) => {
    const r = await ctx.app
      .service(DocumentsService)
      .refresh(ctx.scope(), { docId: a.doc_id, fileId: a.file_id }, { text: a.content, title: a.title, metadata: a.metadata }, { maxBytes: planCap(ctx), signal: ctx.signal, progress: (d, t, m) => void ctx.progress(d, t, m) });
    meterIngest(ctx, r);
    return r;
  },
});

const StatsOut = z.object({
  original_tokens: z.number().int(),
  compressed_tokens: z.number().int(),
  tokens_saved: z.number().int(),
  savings_pct: z.number(),
  compression_ratio: z.number(),
  estimated_cost_saved: z.string().nullable().describe('e.g. "$0.0421", only when cost_model is given.'),
  estimated_cost_saved_usd: z.number(),
  cost_model: z.string(),
});

const readSkeleton = defineTool({
  name: 'read_skeleton',
  toolset: 'documents',
  title: 'Read a document skeleton',
  description:
    'The compressed outline of a stored document at a fidelity (abstract 5% · outline 10% · balanced 20% · detailed 40% of tokens · raw), ' +
    'ranked exactly like compress_text; with a query, the parts relevant to it are favoured.',
  input: z.object({
    ...docRef,
    fidelity: z.enum(FIDELITIES).default(DEFAULT_FIDELITY).describe('abstract | outline | balanced | detailed | raw'),
    output_style: z.enum(OUTPUT_STYLES).default('prose').describe('prose | bullets | structured (JSON sections)'),
    query: z.string().max(4000).optional().describe('Query-guided mode: keep what is relevant to this question.'),
    cost_model: z.string().max(100).optional().describe('Model name for the cost estimate, e.g. claude-sonnet-4-6.'),
  }),
  output: z.object({
    doc_id: z.string(),
    file_id: z.string(),
    title: z.string().nullable(),
    fidelity: z.enum(FIDELITIES),
    output_style: z.enum(OUTPUT_STYLES),
    query: z.string().nullable(),
    skeleton: z.string().describe('The compressed outline, in original document order.'),
    sections: z.array(z.object({ label: z.string(), content: z.string() })).describe('Kept content grouped by section path.'),
    kept_chunks: z.number().int(),
    total_chunks: z.number().int(),
    passthrough: z.boolean().describe('True when the document came back unchanged (raw, or too small to shrink).'),
    stats: StatsOut,
  }),
  metered: true,
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/documents/:doc_id/skeleton' }],
  render: (o) =>
    `[read_skeleton: ${o.title ?? o.file_id} (${o.doc_id}), ${o.fidelity}${o.query ? ', query-guided' : ''}; ${o.kept_chunks}/${o.total_chunks} chunks, ${o.stats.original_tokens} → ${o.stats.compressed_tokens} tokens, ${o.stats.savings_pct}% saved]\n${o.skeleton}`,
  examples: [
    { description: 'Balanced outline', args: { doc_id: 'doc_abc123' } },
    { description: 'Focused on a question', args: { file_id: 'readme', fidelity: 'outline', query: 'how do I configure authentication?' } },
  ],
  handler: async (ctx, a) => {
    const r = await ctx.app.service(DocumentsService).skeleton(
      ctx.scope(),
      { docId: a.doc_id, fileId: a.file_id },
      { fidelity: a.fidelity, outputStyle: a.output_style, query: a.query, costModel: a.cost_model },
    );
    ctx.meter({ tokensIn: r.stats.original_tokens, tokensOut: r.stats.compressed_tokens, fidelity: r.fidelity });
    return r;
  },
});

const SearchMode = z.enum(['semantic', 'keyword', 'hybrid']);

const searchSemantic = defineTool({
  name: 'search_semantic',
  toolset: 'documents',
  title: 'Search stored documents',
  description:
    'Top-k chunks for a query across all stored documents of the project, or within one (doc_id / file_id). ' +
    'mode: semantic (embedding similarity), keyword (BM25 over a full-text index: exact identifiers), hybrid (both, fused by Reciprocal Rank Fusion).',
  input: z.object({
    query: z.string().min(1).max(4000).describe('What to look for, in words or identifiers.'),
    doc_id: DocId.optional().describe('Search only this document (doc_..., from ingest_context). Omit doc_id and file_id to search every document of the project.'),
    file_id: z.string().min(1).max(256).optional().describe('Search only the document ingested under this file_id.'),
    top_k: z.number().int().min(1).max(50).default(5).describe('How many chunks to return (1–50).'),
    mode: SearchMode.default('semantic').describe('semantic | keyword | hybrid'),
    min_score: z.number().optional().describe('Drop results scoring below this (semantic: cosine in [-1, 1]; keyword: BM25; hybrid: RRF).'),
  }),
  output: z.object({
    query: z.string(),
    mode: SearchMode,
    results: z.array(ChunkOut.extend({ title: z.string().nullable(), score: z.number() })),
    searched_documents: z.number().int(),
    embedder: z.string().nullable().describe('Embedding provider used (null for keyword mode).'),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'POST', path: '/v1/search' }],
  render: (o) =>
    `[search_semantic: ${o.results.length} chunks for "${o.query}" (${o.mode}) in ${o.searched_documents} documents]` +
    o.results.map((r) => `\n\n## ${r.title ?? r.file_id}${r.heading_path.length ? ' › ' + r.heading_path.join(' › ') : ''} (${r.chunk_id}, score ${Math.round(r.score * 1000) / 1000})\n${r.text}`).join(''),
  examples: [
    { description: 'Search one document', args: { query: 'how does authentication work', doc_id: 'doc_abc123', top_k: 3 } },
    { description: 'Find an identifier everywhere', args: { query: 'refreshAccessToken', mode: 'hybrid', top_k: 5 } },
  ],
  handler: async (ctx, a) => {
    const r = await ctx.app
      .service(DocumentsService)
      .search(ctx.scope(), { query: a.query, mode: a.mode, ref: { docId: a.doc_id, fileId: a.file_id }, topK: a.top_k, minScore: a.min_score });
    return { query: a.query, mode: a.mode, ...r };
  },
});

const getContextBlock = defineTool({
  name: 'get_context_block',
  toolset: 'documents',
  title: 'Get a chunk',
  description: 'One stored chunk by id (from search_semantic), optionally with its neighbouring chunks for surrounding context.',
  input: z.object({
    chunk_id: z.string().min(1).max(64).describe('Chunk id (chk_...) from search_semantic.'),
    neighbors: z.number().int().min(0).max(10).default(0).describe('Chunks to include on each side (0–10).'),
  }),
  output: z.object({
    chunk: ChunkOut,
    before: z.array(ChunkOut).describe('Preceding chunks, in document order.'),
    after: z.array(ChunkOut).describe('Following chunks, in document order.'),
    title: z.string().nullable(),
    chunks_in_document: z.number().int(),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/chunks/:chunk_id' }],
  render: (o) =>
    `[get_context_block: ${o.chunk.chunk_id}, chunk ${o.chunk.index + 1} of ${o.chunks_in_document} in ${o.title ?? o.chunk.file_id}; ${o.before.length} before, ${o.after.length} after]\n` +
    [...o.before, o.chunk, ...o.after].map((c) => c.text).join('\n\n'),
  examples: [{ description: 'A chunk with one neighbour each side', args: { chunk_id: 'chk_Zp1x9c2WcQm0aB7e', neighbors: 1 } }],
  handler: (ctx, a) => ctx.app.service(DocumentsService).block(ctx.scope(), a.chunk_id, a.neighbors),
});

const listDocuments = defineTool({
  name: 'list_documents',
  toolset: 'documents',
  title: 'List documents',
  description: 'Stored documents of this project, newest first, paginated.',
  input: z.object({
    limit: z.number().int().min(1).max(100).default(20).describe('Page size (1–100).'),
    offset: z.number().int().min(0).default(0).describe('Documents to skip (for paging).'),
    source_type: z.string().max(32).optional().describe('Only documents of this source type (text, pdf, docx ...).'),
  }),
  output: z.object({
    documents: z.array(DocSummaryOut),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    has_more: z.boolean(),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/documents' }],
  examples: [{ description: 'First page', args: { limit: 20 } }],
  handler: async (ctx, a) => {
    const { documents, total } = await ctx.app.service(DocumentsService).list(ctx.scope(), { limit: a.limit, offset: a.offset, sourceType: a.source_type });
    return { documents, total, limit: a.limit, offset: a.offset, has_more: a.offset + documents.length < total };
  },
});

const getDocument = defineTool({
  name: 'get_document',
  toolset: 'documents',
  title: 'Get a document',
  description: 'A stored document\'s metadata by doc_id or file_id; with include_content, its full text.',
  input: z.object({
    ...docRef,
    include_content: z.boolean().default(false).describe('Also return the full stored text.'),
  }),
  output: DocSummaryOut.extend({ metadata: z.record(z.string(), z.unknown()), content: z.string().nullable() }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/documents/:doc_id' }],
  examples: [{ description: 'By file_id', args: { file_id: 'readme' } }],
  handler: (ctx, a) => ctx.app.service(DocumentsService).get(ctx.scope(), { docId: a.doc_id, fileId: a.file_id }, a.include_content),
});

const deleteDocument = defineTool({
  name: 'delete_document',
  toolset: 'documents',
  title: 'Delete a document',
  description: 'Remove a stored document with its chunks, vectors and full-text rows (one transaction).',
  input: z.object({ ...docRef }),
  output: z.object({ deleted: z.literal(true), doc_id: z.string(), file_id: z.string(), chunks_deleted: z.number().int() }),
  annotations: { destructiveHint: true, idempotentHint: false },
  rest: [{ method: 'DELETE', path: '/v1/documents/:doc_id' }],
  examples: [{ description: 'By doc_id', args: { doc_id: 'doc_abc123' } }],
  handler: (ctx, a) => ctx.app.service(DocumentsService).delete(ctx.scope(), { docId: a.doc_id, fileId: a.file_id }),
});

const batchIngestDocuments = defineTool({
  name: 'batch_ingest_documents',
  toolset: 'documents',
  secrets: 'redact',
  title: 'Batch ingest documents',
  description: `Ingest up to ${LIMITS.batchDocuments} documents as one background job and return its id at once (poll with get_batch_job).`,
  details: "Every document is checked before the job is created. REST: GET /v1/batch-queue/{job_id}. With wait: true the call stays open, sends progress notifications and returns the finished job.",
  input: z.object({
    documents: z
      .array(
        z.object({
          file_id: FileId,
          content: Content,
          title: Title.optional(),
          metadata: Metadata.optional(),
        }),
      )
      .min(1)
      .max(LIMITS.batchDocuments)
      .describe(`1–${LIMITS.batchDocuments} documents, each ingested like ingest_context.`),
    replace: z.boolean().default(false).describe('Replace documents whose file_id already holds different content (else that item fails with a conflict).'),
    wait: z.boolean().default(false).describe('Keep the call open until the job finishes, with progress notifications.'),
  }),
  output: JobStatusOut.extend({ results: z.array(JobItemOut).optional().describe('Per-document outcomes (when wait: true).'), secrets_redacted: SecretsRedactedField }),
  metered: true,
  restStatus: 202,
  examples: [
    {
      description: 'Two documents in the background',
      args: { documents: [{ file_id: 'docs/a.md', content: '# A\n\nFirst.' }, { file_id: 'docs/b.md', content: '# B\n\nSecond.' }] },
    },
  ],
  handler: async (ctx, a) => {
    const scope = ctx.scope();
    const docs = ctx.app.service(DocumentsService);
    const maxBytes = planCap(ctx);
    const seen = new Set<string>();
    const items = a.documents.map((d, i) => {
      if (seen.has(d.file_id)) throw new InvalidInput(`documents[${i}].file_id "${d.file_id}" appears twice in this batch`, { field: `documents[${i}].file_id` });
      seen.add(d.file_id);
      return docs.checkInput({ fileId: d.file_id, text: d.content, title: d.title, metadata: d.metadata }, { maxBytes }, `documents[${i}].`);
    });
    const jobs = ctx.app.service(JobsService);
    const job = await jobs.submit(ctx.caller!, scope, {
      kind: INGEST_JOB_KIND,
      items: items.map((input) => ({ input, onExisting: a.replace ? 'replace' : 'conflict' })),
    });
    const total = job.documents_count;
    await ctx.progress(0, total, `queued as ${job.job_id}`);
    if (!a.wait) return job;
    const done = await jobs.waitFor(
      scope,
      job.job_id,
      (v) => void ctx.progress(v.completed_count + v.failed_count, total, `${v.completed_count} ingested, ${v.failed_count} failed of ${total}`),
      ctx.signal,
    );
    return { ...done, results: (await jobs.items(scope, job.job_id)) as z.input<typeof JobItemOut>[] };
  },
});

export const tools: AnyTool[] = [
  ingestContext,
  readSkeleton,
  searchSemantic,
  getContextBlock,
  batchIngestDocuments,
  refreshDocument,
  listDocuments,
  getDocument,
  deleteDocument,
];
