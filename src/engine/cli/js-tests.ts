// JavaScript test runners: jest, vitest and mocha.
import type { CliFilter } from './types.js';
import { Out, countMatches, isLibraryPath, isToolchainNoise, scoreFrom, YIELD_EVERY } from './clean.js';
import { isFrameLine, isMarkedFrameLine } from './frames.js';

const STACK_RE = /^\s*at\s/;
const PASS_MARK_RE = /^\s*(✓|✔|√)\s/;
const FAIL_MARK_RE = /^\s*(✕|×|✗|✖)\s/;

/** A stack row: kept when it points at the user's code, counted otherwise. */
function stackRow(out: Out, line: string): void {
  if (isLibraryPath(line)) out.drop('library stack frames');
  else out.keep(line);
}

/** Inside a failure block: code frames reduced to the marked line, library frames dropped, the rest kept. */
function failureRow(out: Out, lines: readonly string[], i: number): void {
  const line = lines[i]!;
  if (STACK_RE.test(line)) return stackRow(out, line);
  if (isFrameLine(line)) {
    // Context rows of a code frame are implied by the marked line and the location.
    if (isMarkedFrameLine(lines, i)) out.keep(line);
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
        out.drop('toolchain noise');
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
        if (detailed) out.drop('failing rows (detailed below)');
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
  drops: ['✓ passing files and tests, skipped rows', 'RUN banner, ⎯ separators, code-frame context, library frames', 'stdout/stderr blocks of passing tests'],
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
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (isToolchainNoise(line)) {
        out.drop('toolchain noise');
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
        if (/^\s*❯\s/.test(line)) {
          if (isLibraryPath(line)) out.drop('library stack frames');
          else out.keep(line);
          continue;
        }
        failureRow(out, lines, i);
        continue;
      }
      if (PASS_MARK_RE.test(line)) out.drop('passing tests');
      else if (detailed && (FAIL_MARK_RE.test(line) || /^\s+→ /.test(line))) out.drop('failing rows (detailed below)');
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
  drops: ['suite headings and ✔ passing rows, pending rows', 'library and node-internal stack frames'],
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
        out.drop('toolchain noise');
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
          let n = 1;
          while (i + 1 < lines.length && lines[i + 1]!.trim() === '') i++;
          while (i + 1 < lines.length && lines[i + 1]!.trim() !== '' && !/^\s+at\s/.test(lines[i + 1]!)) {
            i++;
            n++;
          }
          out.drop('lines of duplicate diff', n);
          continue;
        }
        if (/^\s+\d+\) \S/.test(line)) ownDiff = false;
        if (/^\+ actual - expected$/.test(line)) ownDiff = true;
        failureRow(out, lines, i);
        continue;
      }
      if (/^\s+\d+\) \S/.test(line)) out.drop('failing rows (detailed below)');
      else if (PASS_MARK_RE.test(line)) out.drop('passing tests');
      else if (line.trim() === '') out.drop('blank');
      else if (/^\s+- \S/.test(line)) out.drop('pending tests');
      else if (/^\s+\S/.test(line)) out.drop('suite headings');
      else out.keep(line);
    }
    return out.done();
  },
};
