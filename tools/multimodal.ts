// ingest_multimodal (documents toolset): files that are not plain text become searchable documents.
// The file is decoded and its text extracted here (src/engine/extract), then stored through the
// documents service exactly like ingest_context, so search_semantic, read_skeleton and
// get_context_block work on it. PDFs keep their page numbers as "## Page N" sections (so every
// chunk's heading_path names its page); images and audio need a caller-supplied caption/transcript.
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { LIMITS } from '../src/config.js';
import { extractDocument, type Extracted, type SourceFormat } from '../src/engine/extract/index.js';
import { InvalidInput, PayloadTooLarge } from '../src/errors.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { DocumentsService, type IngestResult } from '../src/services/documents.js';
import { decodeBase64 } from '../src/services/kb.js';
import { EXAMPLE_DIAGRAM_PNG, EXAMPLE_REPORT_PDF } from './example-files.js';

export const MULTIMODAL_FORMATS: readonly SourceFormat[] = ['pdf', 'docx', 'html', 'markdown', 'text', 'csv', 'json', 'image', 'audio'];

/** PDF text with a "## Page N" heading before each page that has text; spans point into the result. */
export function paginate(ex: Extracted): { text: string; pages: Array<{ page: number; start: number; end: number }> } {
  const pages: Array<{ page: number; start: number; end: number }> = [];
  let text = '';
  for (const p of ex.pages ?? []) {
    if (!p.hasText) continue;
    if (text) text += '\n\n';
    const start = text.length;
    text += `## Page ${p.page}\n\n${ex.text.slice(p.start, p.end)}`;
    pages.push({ page: p.page, start, end: text.length });
  }
  return { text, pages };
}

function planCap(ctx: ToolContext): number {
  const plan = ctx.caller?.plan ?? ctx.app.config.ownerPlan;
  return ctx.app.config.plans[plan].maxTextBytes;
}

const Out = z.object({
  secrets_redacted: SecretsRedactedField,
  doc_id: z.string(),
  file_id: z.string(),
  title: z.string().nullable(),
  status: z.enum(['created', 'unchanged', 'updated']),
  format: z.enum(['pdf', 'docx', 'html', 'markdown', 'text', 'csv', 'json', 'image', 'audio']).describe('What the file was recognised as.'),
  text_source: z.enum(['extracted', 'caption', 'transcript']).describe('Where the stored text came from.'),
  pages: z.number().int().nullable().describe('PDF page count.'),
  pages_with_text: z.number().int().nullable().describe('PDF pages that have a text layer.'),
  page_spans: z
    .array(z.object({ page: z.number().int(), start: z.number().int(), end: z.number().int() }))
    .nullable()
    .describe('PDF: where each page sits in the stored text (its chunks carry "Page N" in heading_path).'),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe('Format facts: rows/columns (CSV), records (JSON), dimensions (images) ...'),
  warnings: z.array(z.string()),
  tokens_before: z.number().int(),
  tokens_after: z.number().int(),
  tokens_saved: z.number().int(),
  savings_pct: z.number(),
  chunks: z.number().int(),
  chunks_embedded: z.number().int(),
  chunks_reused: z.number().int(),
  embedder: z.string(),
});

const ingestMultimodal = defineTool({
  name: 'ingest_multimodal',
  toolset: 'documents',
  secrets: 'redact',
  title: 'Ingest a PDF, DOCX, HTML, CSV/JSON, image or audio file',
  description: "Store a file (base64, at most 5 MB: PDF, DOCX, HTML, Markdown, CSV/JSON, or an image/audio with your caption or transcript) as a searchable document.",
  details: "PDF: text per page, page numbers kept; DOCX and HTML: main text, headings kept; CSV/JSON: schema and sample rows summarised. Images and audio are stored by the `caption` or `transcript` you supply (no OCR or speech recognition runs here). A scanned PDF without a text layer is reported (422) unless you supply its text as `transcript`. Afterwards use search_semantic, read_skeleton, get_context_block.",
  input: z.object({
    content: z.string().min(1).describe('The file, base64-encoded.'),
    filename: z.string().max(256).optional().describe('File name, used to recognise the type and as the default file_id, e.g. "q3-report.pdf".'),
    file_id: z.string().min(1).max(256).optional().describe('Stable name for the stored document (unique per project). Default: filename.'),
    mime_type: z.string().max(128).optional().describe('MIME type, when the name and bytes are not enough (e.g. "text/csv").'),
    caption: z.string().min(1).max(20_000).optional().describe('Images: the text in the image or a description of it. Required for images.'),
    transcript: z.string().min(1).optional().describe('Audio: what is said. Required for audio. Scanned PDFs: their text (e.g. from OCR).'),
    title: z.string().max(512).optional().describe('Title; default: from the file.'),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Any JSON object, stored with the document.'),
    replace: z.boolean().default(false).describe('If file_id already holds different content, replace it instead of failing with 409.'),
  }),
  output: Out,
  metered: true,
  annotations: { idempotentHint: true },
  rest: [{ method: 'POST', path: '/v1/documents/multimodal' }],
  examples: [
    { description: 'A PDF report', args: { filename: 'q3-report.pdf', content: EXAMPLE_REPORT_PDF } },
    { description: 'A diagram with a caption', args: { filename: 'architecture.png', content: EXAMPLE_DIAGRAM_PNG, caption: 'Request flow: client → gateway → MCP endpoint → tool registry → services → SQLite.' } },
    { description: 'A CSV export (complete: a header and two rows)', args: { filename: 'orders.csv', content: 'aWQsY3VzdG9tZXIsdG90YWwKMSxhY21lLDQyLjUwCjIsZ2xvYmV4LDE3LjAwCg==' } },
  ],
  handler: async (ctx, a) => {
    const fileId = a.file_id ?? a.filename;
    if (!fileId) throw new InvalidInput('file_id: give file_id or filename so the document has a name', { field: 'file_id' });
    const cap = LIMITS.kbFileBytes;
    if (Math.floor((a.content.replace(/\s+/g, '').length * 3) / 4) > cap + 2) {
      throw new PayloadTooLarge(`content: the file exceeds the cap of ${cap} bytes (${cap / 1024 / 1024} MB)`, { field: 'content', max_bytes: cap });
    }
    const bytes = decodeBase64(a.content, 'content');
    if (bytes.length > cap) throw new PayloadTooLarge(`content: ${bytes.length} bytes exceeds the cap of ${cap} bytes`, { field: 'content', max_bytes: cap });
    if (bytes.length === 0) throw new InvalidInput('content: the file is empty', { field: 'content' });

    const ex = await extractDocument({ bytes, filename: a.filename ?? a.file_id, mimeType: a.mime_type, accept: MULTIMODAL_FORMATS, caption: a.caption, transcript: a.transcript });
    let text = ex.text;
    let textSource: 'extracted' | 'caption' | 'transcript' = ex.format === 'image' ? 'caption' : ex.format === 'audio' ? 'transcript' : 'extracted';
    let spans: Array<{ page: number; start: number; end: number }> | null = null;
    if (ex.format === 'pdf') {
      const withText = ex.pages?.filter((p) => p.hasText).length ?? 0;
      if (withText === 0) {
        const supplied = (a.transcript ?? a.caption)?.trim();
        if (!supplied) {
          throw new InvalidInput(
            `content: the PDF has ${ex.pages?.length ?? 0} page(s) and no text layer (a scanned document?); nothing was stored. Supply its text as \`transcript\` (e.g. from OCR) to store it.`,
            { field: 'transcript', pages: ex.pages?.length ?? 0 },
            422,
            'no_text_layer',
          );
        }
        text = `# ${a.title ?? ex.title ?? fileId}\n\nScanned PDF (${ex.pages?.length ?? 0} pages, no text layer); text supplied by the caller:\n\n${supplied}`;
        textSource = a.transcript ? 'transcript' : 'caption';
      } else {
        const p = paginate(ex);
        text = p.text;
        spans = p.pages;
      }
    }
    const details = { ...ex.meta };
    const r: IngestResult = await ctx.app.service(DocumentsService).ingest(
      ctx.scope(),
      {
        fileId,
        text,
        title: a.title ?? ex.title,
        sourceType: ex.format,
        metadata: {
          ...a.metadata,
          source: { filename: a.filename ?? null, mime_type: a.mime_type ?? null, bytes: bytes.length, format: ex.format, text_source: textSource },
          ...(spans ? { pages: spans } : {}),
          ...(ex.warnings.length ? { warnings: ex.warnings } : {}),
          details,
        },
      },
      { maxBytes: planCap(ctx), onExisting: a.replace ? 'replace' : 'conflict', signal: ctx.signal },
    );
    ctx.meter({ tokensIn: r.tokens_before, tokensOut: r.tokens_after, cache: r.status === 'unchanged' ? 'exact' : null });
    return {
      ...r,
      format: ex.format,
      text_source: textSource,
      pages: ex.format === 'pdf' ? (ex.pages?.length ?? 0) : null,
      pages_with_text: ex.format === 'pdf' ? (ex.pages?.filter((p) => p.hasText).length ?? 0) : null,
      page_spans: spans,
      details,
      warnings: ex.warnings,
    };
  },
});

export const tools: AnyTool[] = [ingestMultimodal];
