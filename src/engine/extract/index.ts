// Entry point of text extraction: detect the format, refuse what the caller does not accept (415
// naming what is accepted), and hand the bytes to the right extractor. Pure: bytes in, text out.
import { UnsupportedMediaType } from '../../errors.js';
import { redactSecrets, secretsWarning } from '../secrets.js';
import { detectFormat, FORMAT_MIME } from './detect.js';
import { extractDocx } from './docx.js';
import { extractHtml } from './html.js';
import { extractMarkdown, extractPlainText } from './markdown.js';
import { decodeUtf8 } from './normalize.js';
import { extractMedia } from './media.js';
import { extractPdf } from './pdf.js';
import { extractCsv, extractJson } from './tabular.js';
import type { Extracted, SourceFormat } from './types.js';

export type { Extracted, PageSpan, SourceFormat } from './types.js';
export { detectFormat, FORMAT_MIME } from './detect.js';
export { htmlToMarkdown } from './html.js';
export { normalizeText } from './normalize.js';

export interface ExtractInput {
  bytes: Uint8Array;
  filename?: string | null;
  mimeType?: string | null;
  /** Formats this caller accepts; anything else is a 415 naming them. */
  accept: readonly SourceFormat[];
  caption?: string | null;
  transcript?: string | null;
  /** The argument that carried the bytes, named by a refusal (default "content"). */
  field?: string;
}

const LABEL: Record<SourceFormat, string> = {
  pdf: 'PDF', docx: 'DOCX', html: 'HTML', markdown: 'Markdown', text: 'TXT', csv: 'CSV', json: 'JSON', image: 'images', audio: 'audio',
};

export function describeFormats(formats: readonly SourceFormat[]): string {
  return formats.map((f) => LABEL[f]).join(', ');
}

function stem(filename: string | null | undefined): string | null {
  if (!filename) return null;
  const base = filename.split(/[\\/]/).pop() ?? filename;
  return base || null;
}

/**
 * Extracted text is stored, so secret values in it are redacted here (the 'redact' half of the one
 * secrets rule in src/engine/secrets.ts) and the warnings say so. PDFs redact page by page inside
 * the extractor, so their page spans stay true.
 */
export function redactExtracted(ex: Extracted): Extracted {
  const r = redactSecrets(ex.text);
  if (!r.classes.length) return ex;
  return { ...ex, text: r.text, warnings: [...ex.warnings, secretsWarning(r.classes)] };
}

export async function extractDocument(input: ExtractInput): Promise<Extracted> {
  const ex = await extractAny(input);
  return ex.format === 'pdf' ? ex : redactExtracted(ex);
}

async function extractAny(input: ExtractInput): Promise<Extracted> {
  const detected = detectFormat(input);
  if (!detected.format || !input.accept.includes(detected.format)) {
    const what = detected.format ? LABEL[detected.format] : (detected.mimeType ?? 'unrecognised binary data');
    // The field is the argument that carried the bytes; a declared type is shown cut short.
    throw new UnsupportedMediaType(`file: ${what.slice(0, 80)} is not supported here; supported types: ${describeFormats(input.accept)}`, {
      field: input.field ?? 'content',
      rule: 'media_type',
      supported: input.accept.map((f) => FORMAT_MIME[f]),
      detected: detected.mimeType?.slice(0, 80) ?? null,
    });
  }
  const name = stem(input.filename);
  const b = input.bytes;
  switch (detected.format) {
    case 'pdf':
      return extractPdf(b);
    case 'docx':
      return extractDocx(b);
    case 'html':
      return extractHtml(decodeUtf8(b));
    case 'markdown':
      return extractMarkdown(decodeUtf8(b));
    case 'text':
      return extractPlainText(decodeUtf8(b));
    case 'csv':
      return extractCsv(decodeUtf8(b), name);
    case 'json':
      return extractJson(decodeUtf8(b), name);
    case 'image':
    case 'audio':
      return extractMedia(detected.format, b, detected.mimeType, name, input);
  }
}
