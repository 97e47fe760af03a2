// DOCX via mammoth: Word styles map to HTML headings, which Turndown turns into `#` lines, so the
// document's outline survives. Images are dropped (noted in warnings), tables kept as text.
import { LIMITS } from '../../config.js';
import { BadRequest } from '../../errors.js';
import { htmlToMarkdown } from './html.js';
import { guessTitle, normalizeText } from './normalize.js';
import type { Extracted } from './types.js';
import { assertArchiveWithinLimits } from './zip-guard.js';

export async function extractDocx(bytes: Uint8Array): Promise<Extracted> {
  // Sizes first: mammoth inflates whole entries into memory, so a bomb must be refused before it runs.
  assertArchiveWithinLimits(bytes, { maxExpandedBytes: LIMITS.extraction.expandedBytes, maxEntries: LIMITS.extraction.entries }, 'DOCX');
  let html: string;
  const warnings: string[] = [];
  let images = 0;
  // Loaded on first use (a few hundred modules), not with the app.
  const { default: mammoth } = await import('mammoth');
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        // Count images instead of inlining them as base64 data URIs into the stored text.
        convertImage: mammoth.images.imgElement(async () => {
          images++;
          return { src: '' };
        }),
      },
    );
    html = result.value;
  } catch (err) {
    throw new BadRequest(`file: not a readable DOCX (${(err as Error).message.split('\n')[0]})`, 'corrupt_docx');
  }
  const text = normalizeText(htmlToMarkdown(html).replace(/!\[\]\(\)/g, ''));
  if (images > 0) warnings.push(`${images} embedded image(s) dropped: only text is stored`);
  return {
    format: 'docx',
    title: guessTitle(text),
    text,
    meta: { headings: (text.match(/^#{1,6} /gm) ?? []).length, images },
    warnings,
  };
}
