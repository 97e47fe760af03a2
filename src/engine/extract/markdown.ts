// Markdown and plain text: stored as written (normalised), with YAML front matter lifted into meta.
import { guessTitle, normalizeText } from './normalize.js';
import type { Extracted } from './types.js';

export function extractMarkdown(source: string): Extracted {
  let text = source.replace(/^\uFEFF/, '');
  let title: string | null = null;
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (fm) {
    const t = /^title:\s*["']?(.+?)["']?\s*$/m.exec(fm[1]!);
    if (t) title = t[1]!;
    text = text.slice(fm[0].length);
  }
  text = normalizeText(text);
  return {
    format: 'markdown',
    title: title ?? guessTitle(text),
    text,
    meta: { headings: (text.match(/^#{1,6} /gm) ?? []).length, front_matter: Boolean(fm) },
    warnings: [],
  };
}

export function extractPlainText(source: string): Extracted {
  const text = normalizeText(source);
  return { format: 'text', title: guessTitle(text), text, meta: { lines: text ? text.split('\n').length : 0 }, warnings: [] };
}
