// Which format a file is, from its bytes first (magic numbers cannot lie about a renamed file),
// then from the declared MIME type, then from the file name's extension.
import type { SourceFormat } from './types.js';

export interface DetectInput {
  bytes: Uint8Array;
  filename?: string | null;
  mimeType?: string | null;
}

export interface Detected {
  format: SourceFormat | null;
  /** Best MIME type for what was detected (or what the caller declared). */
  mimeType: string | null;
  /** What gave the answer, for error messages. */
  by: 'magic' | 'mime' | 'extension' | 'content' | 'none';
}

const MIME: Record<string, SourceFormat> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'text/json': 'json',
};

const EXT: Record<string, SourceFormat> = {
  pdf: 'pdf', docx: 'docx', html: 'html', htm: 'html', xhtml: 'html', md: 'markdown', markdown: 'markdown',
  mdx: 'markdown', txt: 'text', text: 'text', log: 'text', rst: 'text', csv: 'csv', json: 'json',
  png: 'image', jpg: 'image', jpeg: 'image', gif: 'image', webp: 'image', bmp: 'image', tif: 'image', tiff: 'image',
  mp3: 'audio', wav: 'audio', ogg: 'audio', oga: 'audio', flac: 'audio', m4a: 'audio', aac: 'audio', webm: 'audio', opus: 'audio',
};

export const FORMAT_MIME: Record<SourceFormat, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  image: 'image/*',
  audio: 'audio/*',
};

function startsWith(b: Uint8Array, sig: number[], offset = 0): boolean {
  if (b.length < offset + sig.length) return false;
  return sig.every((v, i) => b[offset + i] === v);
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** Image/audio MIME type from magic bytes, or null. */
export function sniffMedia(b: Uint8Array): string | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WAVE'), 8)) return 'audio/wav';
  if (startsWith(b, ascii('BM'))) return 'image/bmp';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (startsWith(b, ascii('ID3')) || (b.length > 1 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (startsWith(b, ascii('OggS'))) return 'audio/ogg';
  if (startsWith(b, ascii('fLaC'))) return 'audio/flac';
  if (startsWith(b, ascii('ftyp'), 4) && (startsWith(b, ascii('M4A'), 8) || startsWith(b, ascii('mp4'), 8) || startsWith(b, ascii('isom'), 8))) return 'audio/mp4';
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return 'audio/webm';
  return null;
}

/** True when the bytes look like text (valid UTF-8 without NULs in the first 8 KB). */
export function looksLikeText(b: Uint8Array): boolean {
  const head = b.subarray(0, 8192);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.length < b.length ? trimPartialUtf8(head) : head);
    return true;
  } catch {
    return false;
  }
}

// A cut at 8 KB can split a multi-byte character; drop the incomplete tail before strict decoding.
function trimPartialUtf8(b: Uint8Array): Uint8Array {
  let end = b.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const c = b[end - i]!;
    if ((c & 0xc0) === 0x80) continue;
    if ((c & 0xc0) === 0xc0) end = end - i;
    break;
  }
  return b.subarray(0, end);
}

function extOf(filename: string | null | undefined): string | null {
  if (!filename) return null;
  const m = /\.([A-Za-z0-9]+)$/.exec(filename);
  return m ? m[1]!.toLowerCase() : null;
}

export function detectFormat({ bytes, filename, mimeType }: DetectInput): Detected {
  if (startsWith(bytes, ascii('%PDF-'))) return { format: 'pdf', mimeType: FORMAT_MIME.pdf, by: 'magic' };
  const media = sniffMedia(bytes);
  if (media) return { format: media.startsWith('image/') ? 'image' : 'audio', mimeType: media, by: 'magic' };
  const declared = mimeType?.split(';')[0]!.trim().toLowerCase() || null;
  const ext = extOf(filename);
  // A ZIP container: DOCX when declared or named so (other ZIPs, e.g. XLSX, are not supported).
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    if (declared === FORMAT_MIME.docx || ext === 'docx') return { format: 'docx', mimeType: FORMAT_MIME.docx, by: declared === FORMAT_MIME.docx ? 'mime' : 'extension' };
    return { format: null, mimeType: declared ?? 'application/zip', by: 'magic' };
  }
  if (declared && MIME[declared]) return { format: MIME[declared]!, mimeType: declared, by: 'mime' };
  if (declared?.startsWith('image/')) return { format: 'image', mimeType: declared, by: 'mime' };
  if (declared?.startsWith('audio/')) return { format: 'audio', mimeType: declared, by: 'mime' };
  if (ext && EXT[ext]) {
    const format = EXT[ext]!;
    return { format, mimeType: format === 'image' || format === 'audio' ? declared : FORMAT_MIME[format], by: 'extension' };
  }
  if (declared && declared !== 'application/octet-stream') return { format: null, mimeType: declared, by: 'mime' };
  if (looksLikeText(bytes)) {
    const head = new TextDecoder().decode(bytes.subarray(0, 2048)).trimStart().toLowerCase();
    if (head.startsWith('<!doctype html') || head.startsWith('<html')) return { format: 'html', mimeType: FORMAT_MIME.html, by: 'content' };
    return { format: 'text', mimeType: FORMAT_MIME.text, by: 'content' };
  }
  return { format: null, mimeType: declared, by: 'none' };
}
