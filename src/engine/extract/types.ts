// Shapes shared by the extractors: what a file turns into before it is chunked and stored.

/** Formats we extract text from. `image` and `audio` carry only caller-supplied text. */
export type SourceFormat = 'pdf' | 'docx' | 'html' | 'markdown' | 'text' | 'csv' | 'json' | 'image' | 'audio';

/** One page of a paginated source, 1-based, with its character range in `Extracted.text`. */
export interface PageSpan {
  page: number;
  start: number;
  end: number;
  /** False when the page has no text layer (a scanned image). */
  hasText: boolean;
}

export interface Extracted {
  format: SourceFormat;
  /** Document title where the source has one (HTML <title>, first heading, PDF metadata). */
  title: string | null;
  /** The text to store and search: Markdown-flavoured, headings kept as `#` lines. */
  text: string;
  /** PDFs only: where each page's text sits inside `text`. */
  pages?: PageSpan[];
  /** Format-specific facts worth returning (page count, rows, columns, dimensions ...). */
  meta: Record<string, string | number | boolean | null>;
  /** Things the caller should know that did not stop extraction (empty pages, dropped images). */
  warnings: string[];
}
