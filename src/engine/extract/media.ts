// Images and audio: we do no OCR or speech recognition, so the text stored is the caption or
// transcript the caller supplies, alongside what the bytes tell us (type, size, dimensions).
import { InvalidInput } from '../../errors.js';
import { normalizeText } from './normalize.js';
import type { Extracted } from './types.js';

/** Width × height from PNG, GIF or JPEG headers; null for anything else. */
export function imageDimensions(b: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50) return { width: dv.getUint32(16), height: dv.getUint32(20) };
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49) return { width: dv.getUint16(6, true), height: dv.getUint16(8, true) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk JPEG segments to the first start-of-frame marker.
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1]!;
      const len = dv.getUint16(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: dv.getUint16(i + 7), height: dv.getUint16(i + 5) };
      }
      i += 2 + len;
    }
  }
  return null;
}

export function extractMedia(
  kind: 'image' | 'audio',
  bytes: Uint8Array,
  mimeType: string | null,
  name: string | null,
  supplied: { caption?: string | null; transcript?: string | null },
): Extracted {
  const field = kind === 'image' ? 'caption' : 'transcript';
  const given = (kind === 'image' ? (supplied.caption ?? supplied.transcript) : (supplied.transcript ?? supplied.caption))?.trim();
  if (!given) {
    throw new InvalidInput(
      kind === 'image'
        ? `${field}: images are stored by their description; no OCR or vision model runs here. Supply \`caption\` with the text or a description of the image.`
        : `${field}: audio is stored by its words; no speech recognition runs here. Supply \`transcript\` with what is said.`,
      { field, format: kind, mime_type: mimeType },
      422,
      `${field}_required`,
    );
  }
  const dims = kind === 'image' ? imageDimensions(bytes) : null;
  const title = name ?? (kind === 'image' ? 'Image' : 'Audio');
  const facts = [mimeType ?? kind, `${bytes.length} bytes`, dims ? `${dims.width}×${dims.height}` : null].filter(Boolean).join(', ');
  const text = normalizeText(`# ${title}\n\n${kind === 'image' ? 'Image' : 'Audio'} (${facts}). ${kind === 'image' ? 'Caption' : 'Transcript'} supplied by the caller:\n\n${given}`);
  return {
    format: kind,
    title,
    text,
    meta: { mime_type: mimeType, bytes: bytes.length, width: dims?.width ?? null, height: dims?.height ?? null, text_source: field },
    warnings: [],
  };
}
