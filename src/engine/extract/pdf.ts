// PDF text per page via unpdf (PDF.js). Page numbers are kept as spans over the joined text, so a
// passage found later can say which page it came from. Pages without a text layer are reported.
import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import { BadRequest } from '../../errors.js';
import { normalizeText } from './normalize.js';
import type { Extracted, PageSpan } from './types.js';

/** Separator between pages in the joined text: a blank line is enough for chunkers to split on. */
const PAGE_SEPARATOR = '\n\n';

export async function extractPdf(bytes: Uint8Array): Promise<Extracted> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // PDF.js may detach the buffer it is given: hand it a copy. verbosity 0 silences its console warnings.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (name === 'PasswordException') {
      throw new BadRequest('file: the PDF is encrypted with a password; send an unencrypted copy', 'encrypted_pdf');
    }
    throw new BadRequest(`file: not a readable PDF (${(err as Error).message || name || 'parse error'})`, 'corrupt_pdf');
  }
  try {
    let pageTexts: string[];
    try {
      pageTexts = (await extractText(pdf, { mergePages: false })).text;
    } catch (err) {
      throw new BadRequest(`file: the PDF could not be read past its header (${(err as Error).message})`, 'corrupt_pdf');
    }
    let title: string | null = null;
    try {
      const meta = await getMeta(pdf);
      const t = meta.info?.Title;
      if (typeof t === 'string' && t.trim()) title = t.trim();
    } catch {
      // Metadata is optional; a PDF whose info dictionary is broken still has text.
    }
    const pages: PageSpan[] = [];
    let text = '';
    pageTexts.forEach((raw, i) => {
      const pageText = normalizeText(raw);
      if (text.length > 0 && pageText.length > 0) text += PAGE_SEPARATOR;
      const start = text.length;
      text += pageText;
      pages.push({ page: i + 1, start, end: text.length, hasText: pageText.length > 0 });
    });
    const empty = pages.filter((p) => !p.hasText).map((p) => p.page);
    const warnings: string[] = [];
    if (empty.length > 0 && empty.length < pages.length) {
      warnings.push(`pages without a text layer (scanned images?), not searchable: ${compactRanges(empty)}`);
    }
    return {
      format: 'pdf',
      title,
      text,
      pages,
      meta: { pages: pages.length, pages_with_text: pages.length - empty.length, has_text_layer: empty.length < pages.length },
      warnings,
    };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

/** [1,2,3,5] → "1-3, 5". */
export function compactRanges(nums: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    out.push(j > i ? `${nums[i]}-${nums[j]}` : `${nums[i]}`);
    i = j + 1;
  }
  return out.join(', ');
}
