// HTML → main text as Markdown. Readability (on a linkedom DOM) drops navigation, ads and footers;
// Turndown keeps headings as `#` lines, lists and code blocks, so structure survives into chunks.
// The three libraries (several hundred modules) load on first use, not with the app: every CLI
// command that opens the app (`ctxgate filter` in a pipe) would otherwise pay for them.
import { createRequire } from 'node:module';
import type { Readability } from '@mozilla/readability';
import type TurndownService from 'turndown';
import { normalizeText } from './normalize.js';
import type { Extracted } from './types.js';

const require = createRequire(import.meta.url);
const parseHTML: typeof import('linkedom').parseHTML = (html) => (require('linkedom') as typeof import('linkedom')).parseHTML(html);
const readability = () => (require('@mozilla/readability') as typeof import('@mozilla/readability')).Readability;

let turndown: TurndownService | null = null;

export function htmlToMarkdown(html: string): string {
  if (!turndown) {
    const Turndown = require('turndown') as typeof TurndownService;
    turndown = new Turndown({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
    // Scripts, styles and embedded objects carry no readable text.
    turndown.remove(['script', 'style', 'noscript', 'iframe', 'object', 'svg', 'canvas', 'template'] as never);
    // Tables as pipe rows (Turndown alone flattens them to one cell per line, losing the pairing).
    turndown.addRule('tableCell', {
      filter: ['th', 'td'],
      replacement: (content) => ` ${content.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')} |`,
    });
    turndown.addRule('tableRow', { filter: 'tr', replacement: (content) => `|${content}\n` });
    turndown.addRule('table', { filter: 'table', replacement: (content) => `\n\n${content.replace(/\n{2,}/g, '\n').trim()}\n\n` });
  }
  return normalizeText(turndown.turndown(html));
}

export function extractHtml(html: string): Extracted {
  const { document } = parseHTML(html);
  const docTitle = document.querySelector('title')?.textContent?.trim() || null;
  const h1 = document.querySelector('h1')?.textContent?.trim() || null;
  let article: ReturnType<Readability['parse']> = null;
  const Readable = readability();
  try {
    // charThreshold low: short reference pages are still articles worth keeping.
    article = new Readable(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 200, keepClasses: false }).parse();
  } catch {
    article = null;
  }
  const warnings: string[] = [];
  let body: string;
  if (article?.content && (article.textContent ?? '').trim().length > 0) {
    body = htmlToMarkdown(article.content);
  } else {
    // Readability found no article: fall back to the whole body, which Turndown still structures.
    const { document: fresh } = parseHTML(html);
    body = htmlToMarkdown(fresh.body?.innerHTML ?? html);
    warnings.push('no main article detected; kept the whole page body');
  }
  const title = article?.title?.trim() || docTitle || h1;
  // Readability usually lifts the page's <h1> into `title`: put it back as the top heading.
  if (title && !body.startsWith('# ')) body = `# ${title}\n\n${body}`;
  return {
    format: 'html',
    title: title ?? null,
    text: normalizeText(body),
    meta: { headings: (body.match(/^#{1,6} /gm) ?? []).length, byline: article?.byline?.trim() || null, lang: article?.lang ?? null },
    warnings,
  };
}
