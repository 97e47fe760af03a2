// Sources of a space: a conversation (messages in OpenAI or Anthropic form), the conversations of a
// ChatGPT or Claude export file (one source each), a document (text, Markdown, or any format the
// extractors read), or an uploaded file (spaces-uploads.ts) holding either. Everything is checked
// before anything is stored; the sources of one call are written in one transaction and then
// processed by a job (artifact extraction, spaces-artifacts.ts).
import type { AppDeps } from '../app-deps.js';
import type { Caller, Scope } from '../domain/scope.js';
import { ConversationError, messageText, normalizeMessages } from '../engine/conversation/index.js';
import type { TextMessage } from '../engine/artifacts.js';
import { detectExport, EXPORT_FORMATS, parseExport, type ExportFormat, type ExportedConversation } from '../engine/exports.js';
import { extractDocument, type SourceFormat } from '../engine/extract/index.js';
import { countTokensEachAsync } from '../engine/chunking.js';
import { BadRequest, exactlyOneOf, InvalidInput, NotFound, PayloadTooLarge } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import type { SourceRow } from '../store/spaces.js';
import { JobsService } from './jobs.js';
import { decodeBase64 } from './kb.js';
import { SpacesService } from './spaces.js';
import { UploadsService } from './spaces-uploads.js';

export const SOURCE_KINDS = ['conversation', 'document', 'upload'] as const;
export const DOCUMENT_FORMATS: readonly SourceFormat[] = ['text', 'markdown', 'html', 'pdf', 'docx', 'csv', 'json'];
export const PROCESS_JOB_KIND = 'process_space_sources';
export { EXPORT_FORMATS };

export interface CreateSourceInput {
  space_id: string;
  collection_id?: string;
  title?: string;
  messages?: unknown[];
  export_json?: string;
  export_format?: ExportFormat;
  text?: string;
  format?: 'text' | 'markdown';
  content_base64?: string;
  filename?: string;
  upload_id?: string;
}

/** What a source holds once parsed: conversation turns, or a document's text as one turn. */
interface Parsed {
  kind: 'conversation' | 'document';
  format: string;
  title: string | null;
  messages: TextMessage[];
}

const FIELDS = ['messages', 'export_json', 'text', 'content_base64', 'upload_id'] as const;

function conversationError(e: unknown): never {
  if (e instanceof ConversationError) throw new InvalidInput(e.message, { field: e.field });
  throw e;
}

export function fromMessages(raw: unknown[], field: string): TextMessage[] {
  if (raw.length === 0) throw new InvalidInput(`${field}: the conversation is empty (give at least one message)`, { field, rule: 'min_items' });
  let conv;
  try {
    conv = normalizeMessages(raw);
  } catch (e) {
    conversationError(e);
  }
  const out = conv.messages.map((m) => ({ role: m.role, text: messageText(m) })).filter((m) => m.text.trim());
  if (out.length === 0) throw new InvalidInput(`${field}: the conversation has no text`, { field, rule: 'empty' });
  return out;
}

function fromExport(json: string, format: ExportFormat | undefined, field: string): ExportedConversation[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new InvalidInput(`${field} is not valid JSON${at ? ` (syntax error at character ${at})` : ''}`, { field, rule: 'json' });
  }
  try {
    return parseExport(data, format ?? null, field);
  } catch (e) {
    conversationError(e);
  }
}

export class SourcesService {
  constructor(private readonly deps: AppDeps) {}

  private async parse(caller: Caller, scope: Scope, a: CreateSourceInput): Promise<{ parsed: Parsed[]; uploadId: string | null }> {
    const field = exactlyOneOf(a, FIELDS);
    const cap = this.deps.config.plans[caller.plan].maxTextBytes;
    const size = field === 'messages' ? Buffer.byteLength(JSON.stringify(a.messages)) : Buffer.byteLength(String(a[field]));
    if (size > cap * (field === 'content_base64' ? 4 / 3 : 1) + 4) {
      throw new PayloadTooLarge(`${field} is ${size} bytes; the ${caller.plan} plan accepts at most ${cap} bytes per source`, { field, limit: cap, unit: 'bytes', size, plan: caller.plan });
    }
    const title = a.title?.trim() || null;
    switch (field) {
      case 'messages':
        return { parsed: [{ kind: 'conversation', format: 'messages', title, messages: fromMessages(a.messages!, 'messages') }], uploadId: null };
      case 'export_json':
        return { parsed: fromExport(a.export_json!, a.export_format, 'export_json').map((c) => ({ kind: 'conversation', format: a.export_format ?? 'export', title: title ?? c.title, messages: c.messages })), uploadId: null };
      case 'text': {
        if (!a.text!.trim()) throw new InvalidInput('text: the document is empty', { field: 'text', rule: 'empty' });
        return { parsed: [{ kind: 'document', format: a.format ?? 'markdown', title, messages: [{ role: 'document', text: a.text! }] }], uploadId: null };
      }
      case 'content_base64':
        return { parsed: [await this.fromFile(decodeBase64(a.content_base64!, 'content_base64'), a.filename ?? null, null, title, 'content_base64')], uploadId: null };
      case 'upload_id': {
        const up = await this.deps.service(UploadsService).peek(caller, scope, a.upload_id!);
        const parsed = await this.fromFileOrExport(up.bytes, a.filename ?? up.filename, up.mimeType, title, a.export_format, 'upload_id');
        return { parsed, uploadId: a.upload_id! };
      }
    }
  }

  /** An uploaded file: a chat export when it is one, else a document. */
  private async fromFileOrExport(bytes: Buffer, filename: string | null, mimeType: string | null, title: string | null, exportFormat: ExportFormat | undefined, field: string): Promise<Parsed[]> {
    const looksJson = /\.json$/i.test(filename ?? '') || mimeType === 'application/json' || /^\s*[[{]/.test(bytes.subarray(0, 64).toString('utf8'));
    if (looksJson || exportFormat) {
      let data: unknown = undefined;
      try {
        data = JSON.parse(bytes.toString('utf8'));
      } catch {
        if (exportFormat) throw new InvalidInput(`${field}: the file is not valid JSON, so not a ${exportFormat} export`, { field, rule: 'json' });
      }
      if (data !== undefined && (exportFormat || detectExport(data))) {
        try {
          return parseExport(data, exportFormat ?? null, field).map((c) => ({ kind: 'conversation', format: exportFormat ?? 'export', title: title ?? c.title, messages: c.messages }));
        } catch (e) {
          conversationError(e);
        }
      }
    }
    return [await this.fromFile(bytes, filename, mimeType, title, field)];
  }

  private async fromFile(bytes: Buffer, filename: string | null, mimeType: string | null, title: string | null, field: string): Promise<Parsed> {
    if (bytes.length === 0) throw new InvalidInput(`${field}: the file is empty`, { field, rule: 'empty' });
    // An unsupported format is refused by the extractor itself (415 naming the accepted ones).
    const ex = await extractDocument({ bytes, filename, mimeType, accept: DOCUMENT_FORMATS, field });
    if (!ex.text.trim()) throw new InvalidInput(`${field}: no text could be extracted from the file`, { field, rule: 'empty' });
    return { kind: 'document', format: ex.format, title: title ?? ex.title ?? filename, messages: [{ role: 'document', text: ex.text }] };
  }

  /** Checks, stores the sources of one call in one transaction, and queues their processing. */
  async create(caller: Caller, scope: Scope, a: CreateSourceInput): Promise<{ sources: SourceRow[]; job_id: string }> {
    await this.deps.service(SpacesService).get(scope, a.space_id, 'space_id');
    if (a.collection_id) await this.deps.service(SpacesService).collection(scope, a.space_id, a.collection_id);
    const { parsed, uploadId } = await this.parse(caller, scope, a);
    const now = nowIso();
    // Counted cooperatively: a multi-MB source does not stall other clients.
    const tokens = await countTokensEachAsync(parsed.map((p) => p.messages.map((m) => m.text).join('\n\n')));
    const rows: Array<SourceRow & { content: unknown }> = parsed.map((p, i) => ({
      id: newId('src'),
      space_id: a.space_id,
      collection_id: a.collection_id ?? null,
      kind: uploadId ? 'upload' : p.kind,
      title: p.title,
      format: p.format,
      content: { kind: p.kind, messages: p.messages },
      message_count: p.kind === 'conversation' ? p.messages.length : 0,
      tokens: tokens[i]!,
      status: 'pending',
      job_id: null,
      error: null,
      artifacts_count: 0,
      created_at: now,
    }));
    await this.deps.store.tx(async (t) => {
      if (uploadId && !(await t.spaces(scope).consumeUpload(uploadId))) throw new BadRequest(`upload_id: upload ${uploadId.slice(0, 64)} was already used`, 'upload_used', { field: 'upload_id' });
      for (const r of rows) await t.spaces(scope).insertSource(r);
    });
    const job = await this.deps.service(JobsService).submit(caller, scope, { kind: PROCESS_JOB_KIND, items: rows.map((r) => ({ source_id: r.id })) });
    await this.deps.store.tx(async (t) => {
      for (const r of rows) await t.spaces(scope).setSourceStatus(r.id, { job_id: job.job_id });
    });
    return { sources: rows.map(({ content: _c, ...r }) => ({ ...r, job_id: job.job_id })), job_id: job.job_id };
  }

  list(scope: Scope, f: { space_id?: string; collection_id?: string; kind?: string; limit: number; offset: number }) {
    return this.deps.store.spaces(scope).listSources(f);
  }

  async get(scope: Scope, id: string, field = 'id'): Promise<SourceRow> {
    const s = await this.deps.store.spaces(scope).getSource(id);
    if (!s) throw new NotFound(`${field}: no source ${id.slice(0, 64)} in this project`, { field });
    return s;
  }

  /** The turns a source holds (conversation messages, or the document as one turn). */
  async messages(scope: Scope, id: string, field = 'source_id'): Promise<{ source: SourceRow; messages: TextMessage[] }> {
    const source = await this.get(scope, id, field);
    const content = (await this.deps.store.spaces(scope).sourceContent(id)) as { messages: TextMessage[] };
    return { source, messages: content.messages };
  }

  async delete(scope: Scope, id: string): Promise<void> {
    await this.get(scope, id);
    await this.deps.store.tx((t) => t.spaces(scope).deleteSource(id));
  }
}
