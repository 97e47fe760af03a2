// JavaScript test runners: jest, vitest and mocha.
import type { CliFilter } from './types.js';
import { Out, countMatches, isLibraryPath, isRuntimeFrame, isToolchainNoise, scoreFrom, YIELD_EVERY } from './clean.js';
import { isFrameLine, isMarkedFrameLine, ShownSource } from './frames.js';

const STACK_RE = /^\s*at\s/;
const PASS_MARK_RE = /^\s*(✓|✔|√)\s/;
const FAIL_MARK_RE = /^\s*(✕|×|✗|✖)\s/;

/**
 * A stack row: kept when it points at the user's code; Node-internal frames elided silently (never
 * where a bug is); dependency frames (node_modules) counted in a marker.
 */
function stackRow(out: Out, line: string): void {
  if (isRuntimeFrame(line)) out.skip();
  else if (isLibraryPath(line)) out.drop('library stack frames');
  else out.keep(line);
}

/**
 * Inside a failure block: code frames reduced to the marked line, library frames dropped, the rest
 * kept. `shown`, when given, decides whether a marked source row is new (not printed for an earlier
 * failure at the same location).
 */
function failureRow(out: Out, lines: readonly string[], i: number, shown?: (row: string) => boolean): void {
  const line = lines[i]!;
  if (STACK_RE.test(line)) return stackRow(out, line);
  if (isFrameLine(line)) {
    // Context rows of a code frame are implied by the marked line and the location. The kept row
    // loses its left padding, which only aligned it with the dropped rows' wider line numbers.
    if (isMarkedFrameLine(lines, i) && (!shown || shown(line))) out.keep(line.trimStart());
    else out.skip();
    return;
  }
  if (line.trim() === '') return out.drop('blank');
  out.keep(line);
}

export const jest: CliFilter = {
  id: 'jest',
  family: 'js-tests',
  title: 'jest',
  aliases: ['npx jest', 'jest_test'],
  keeps: [
    'FAIL suite lines and ✕ failing test rows',
    'every ● failure block: full test name, assertion message, expected/received diff',
    'the offending source line of each code frame and user-code stack frames',
    'the Test Suites / Tests / Snapshots / Time summary',
  ],
  drops: ['PASS suite lines and ✓ passing rows', 'describe headings', 'code-frame context and library stack frames', 'console.log blocks (counted)'],
  detect(lines) {
    const summary = countMatches(lines, /^(Test Suites|Tests|Snapshots):\s+.*\btotal$/, 3);
    const suites = countMatches(lines, /^\s*(PASS|FAIL)\s+\S+\.(test|spec)\.[cm]?[jt]sx?\b|^\s*(PASS|FAIL)\s+\S+/, 3);
    const bullets = countMatches(lines, /^\s*● .+ › /, 3);
    if (!summary && !bullets) return 0;
    return scoreFrom(summary + bullets * 0.5, suites);
  },
  *filter(lines) {
    const out = new Out();
    let mode: 'listing' | 'failure' | 'console' = 'listing';
    // Every ✕ row has a ● block with the full name below; the row is then a duplicate.
    const detailed = lines.some((l) => /^\s*● (?!Console$)\S/.test(l));
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (isToolchainNoise(line)) {
        // Runtime/npm configuration warnings printed before any test output: nothing to act on.
        out.skip();
        continue;
      }
      if (/^\s*PASS\s+\S/.test(line)) {
        mode = 'listing';
        out.drop('passing suites');
        continue;
      }
      if (/^\s*FAIL\s+\S/.test(line)) {
        mode = 'listing';
        out.keep(line);
        continue;
      }
      if (/^Snapshots:\s+0 total$/.test(line) || /^Ran all test suites/.test(line)) {
        out.skip();
        continue;
      }
      if (/^(Test Suites|Tests|Snapshots|Time):\s/.test(line) || /^(Jest|A worker process|Force exiting)/.test(line)) {
        mode = 'listing';
        out.keep(line);
        continue;
      }
      if (/^\s*● Console$/.test(line)) {
        mode = 'console';
        out.drop('console output');
        continue;
      }
      if (/^\s*● /.test(line)) {
        mode = 'failure';
        out.keep(line);
        continue;
      }
      if (mode === 'console') {
        out.drop('console output');
        continue;
      }
      if (mode === 'failure') {
        failureRow(out, lines, i);
        continue;
      }
      if (FAIL_MARK_RE.test(line)) {
        // Each failing row reappears below as a detailed ● block: elided without a marker.
        if (detailed) out.skip();
        else out.keep(line);
      } else if (PASS_MARK_RE.test(line)) out.drop('passing tests');
      else if (line.trim() === '') out.drop('blank');
      else if (/^\s*(○|✎)\s/.test(line)) out.drop('skipped/todo tests');
      else if (/^\s+\S/.test(line)) out.drop('describe headings');
      else out.keep(line);
    }
    return out.done();
  },
};

export const vitest: CliFilter = {
  id: 'vitest',
  family: 'js-tests',
  title: 'vitest',
  aliases: ['npx vitest', 'vitest run', 'vitest_test'],
  keeps: [
    '❯ files with failures and × failing test rows with their → messages',
    'every FAIL block: full test name, error message, expected/received diff, user-code ❯ locations',
    'the offending source line of each code frame',
    'Test Files / Tests / Errors / Duration summary lines',
  ],
  drops: ['✓ passing files and tests, skipped rows (counted)', '× failing rows of the listing (each has a detailed block)', 'RUN banner, ⎯ separators, code-frame context, library frames', 'a code frame already shown for the same file:line', 'stdout/stderr blocks of passing tests'],
  detect(lines) {
    const banner = countMatches(lines.slice(0, 20), /^\s*(RUN|DEV)\s+v\d+\.\d+\.\d+/, 1);
    const summary = countMatches(lines, /^\s*(Test Files|Tests)\s{2,}\d+ (passed|failed)/, 2);
    const failed = countMatches(lines, /^⎯+ (Failed Tests|Unhandled Errors?) \d+ ⎯+$/, 1);
    if (!banner && !summary) return 0;
    return scoreFrom(banner + summary + failed);
  },
  *filter(lines) {
    const out = new Out();
    let mode: 'listing' | 'failure' | 'console' = 'listing';
    // When the run prints a detailed block per failure, the one-line rows above it are duplicates.
    const detailed = lines.some((l) => /^⎯+ Failed Tests \d+ ⎯+$/.test(l));
    // The code frame under a ❯ location shows that location's source row: once per file:line.
    const shownSource = new ShownSource();
    let location = '';
    const shown = (row: string) => location === '' || shownSource.first(location, row);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (isToolchainNoise(line)) {
        // Runtime/npm configuration warnings printed before any test output: nothing to act on.
        out.skip();
        continue;
      }
      if (/^\s*(RUN|DEV)\s+v\d/.test(line) || /^⎯+(\[\d+\/\d+\])?⎯*$/.test(line) || /^\s*Start at\s/.test(line)) {
        out.skip();
        continue;
      }
      if (/^⎯+ .+ ⎯+$/.test(line)) {
        mode = 'failure';
        out.keep(line);
        continue;
      }
      if (/^\s*(Test Files|Tests|Errors|Duration|Type Errors)\s{2,}/.test(line)) {
        mode = 'listing';
        // The per-phase timing breakdown after the total duration is noise.
        out.keep(/^\s*Duration\s/.test(line) ? line.replace(/ \(transform .*\)$/, '') : line);
        continue;
      }
      if (/^(stdout|stderr) \| /.test(line)) {
        mode = 'console';
        out.drop('console output');
        continue;
      }
      if (mode === 'console') {
        if (line.trim() === '') mode = 'listing';
        out.drop('console output');
        continue;
      }
      if (mode === 'failure') {
        if (/^\s*FAIL\s/.test(line)) location = '';
        if (/^\s*❯\s/.test(line)) {
          location = /(\S+:\d+):\d+$/.exec(line)?.[1] ?? line;
          stackRow(out, line);
          continue;
        }
        failureRow(out, lines, i, shown);
        continue;
      }
      if (PASS_MARK_RE.test(line)) out.drop('passing tests');
      // Each failing row (and its → message) reappears below as a detailed FAIL block.
      else if (detailed && (FAIL_MARK_RE.test(line) || /^\s+→ /.test(line))) out.skip();
      else if (/^\s*↓\s/.test(line)) out.drop('skipped tests');
      else if (line.trim() === '') out.drop('blank');
      else out.keep(line);
    }
    return out.done();
  },
};

export const mocha: CliFilter = {
  id: 'mocha',
  family: 'js-tests',
  title: 'mocha (spec reporter)',
  aliases: ['npx mocha', 'mocha_test'],
  keeps: ['numbered failing rows (N) test)', 'passing / failing / pending counts', 'every failure: suite and test name, error, diff, user-code stack frames'],
  drops: ['suite headings and numbered failing rows of the listing (detailed below)', '✔ passing rows and pending rows (counted)', 'node-internal stack frames (silently) and library frames (counted)', 'the inverted "+ expected - actual" copy of a diff already shown'],
  detect(lines) {
    const counts = countMatches(lines, /^\s*\d+ (passing|failing|pending)( \(\d+(ms|s|m)\))?$/, 3);
    const ticks = countMatches(lines, /^\s+(✔|✓) \S/, 3);
    if (!counts) return 0;
    return scoreFrom(counts * 1.2, ticks);
  },
  *filter(lines) {
    const out = new Out();
    let inFailures = false;
    let ownDiff = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (isToolchainNoise(line)) {
        // Runtime/npm configuration warnings printed before any test output: nothing to act on.
        out.skip();
        continue;
      }
      if (/^\s*\d+ (passing|failing|pending)\b/.test(line)) {
        if (/failing/.test(line)) inFailures = true;
        out.keep(line.trim());
        continue;
      }
      if (inFailures) {
        // mocha repeats the assertion's own diff as "+ expected - actual": keep one copy.
        if (/^\s+\+ expected - actual$/.test(line) && ownDiff) {
          // The same difference again in the other orientation: elided without a marker.
          while (i + 1 < lines.length && lines[i + 1]!.trim() === '') i++;
          while (i + 1 < lines.length && lines[i + 1]!.trim() !== '' && !/^\s+at\s/.test(lines[i + 1]!)) i++;
          out.skip();
          continue;
        }
        if (/^\s+\d+\) \S/.test(line)) ownDiff = false;
        if (/^\+ actual - expected$/.test(line)) ownDiff = true;
        failureRow(out, lines, i);
        continue;
      }
      // Failing rows reappear below as numbered failure blocks that also name their suites; the
      // headings of passing suites say nothing once their rows are counted.
      if (/^\s+\d+\) \S/.test(line)) out.skip();
      else if (PASS_MARK_RE.test(line)) out.drop('passing tests');
      else if (line.trim() === '') out.drop('blank');
      else if (/^\s+- \S/.test(line)) out.drop('pending tests');
      else if (/^\s+\S/.test(line)) out.skip();
      else out.keep(line);
    }
    return out.done();
  },
};
