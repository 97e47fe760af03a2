// Source-code excerpts that test runners and compilers print under a failure ("code frames").
// They repeat what the file:line already points at, so only the offending line is worth keeping.

/** `  > 66 |  expect(x)` (jest), `  66|  expect(x)` (vitest), ` 5 |  for (...)` (gcc, rustc). */
export const FRAME_SOURCE_RE = /^\s*(>\s*)?\d+\s*\|/;
/** `      |     ^~~~` caret/underline rows, and bare `   |` gutters. */
export const FRAME_GUTTER_RE = /^\s*\|\s*[\^~\-+_.|\s]*$/;

export function isFrameLine(line: string): boolean {
  return FRAME_SOURCE_RE.test(line) || FRAME_GUTTER_RE.test(line);
}

/** The line the frame marks: jest's `>` row, or the source row right above a caret row. */
export function isMarkedFrameLine(lines: readonly string[], i: number): boolean {
  const line = lines[i]!;
  if (/^\s*>\s*\d+\s*\|/.test(line)) return true;
  const next = lines[i + 1];
  return FRAME_SOURCE_RE.test(line) && next !== undefined && /^\s*\|\s*[\s~]*\^/.test(next);
}

/**
 * Remembers the source rows already shown, per file. Several failures often point at the same line
 * (one bug, many tests); after the first, the location line says where and the row is not repeated.
 */
export class ShownSource {
  private readonly seen = new Set<string>();
  /** True the first time this row of this file is offered (rows compare trimmed). */
  first(file: string, row: string): boolean {
    const key = `${file}\u0000${row.trim()}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}
