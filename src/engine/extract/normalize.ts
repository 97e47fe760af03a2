// Text clean-up shared by every extractor, so stored text diffs and chunks the same whatever its source.

/** Strip a BOM, unify line endings, drop trailing spaces, collapse runs of blank lines. */
export function normalizeText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000\u000b\u000c]/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Decode UTF-8 bytes (invalid sequences become U+FFFD rather than failing). */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** The first Markdown heading, or the first non-empty line, shortened: a usable title. */
export function guessTitle(text: string): string | null {
  const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/m.exec(text);
  const line = heading?.[1] ?? text.split('\n').find((l) => l.trim().length > 0)?.trim();
  if (!line) return null;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
