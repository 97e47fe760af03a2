// The shared clean-up and the generic log filter, on small inputs whose right answer is known.
import { describe, expect, it } from 'vitest';
import { cleanLines, filterCliOutput, looksBinary, resolveHint, runSync } from '../../src/engine/cli/index.js';
import { genericLog, lineShape, splitTimestamp } from '../../src/engine/cli/generic.js';
import { eslint } from '../../src/engine/cli/compilers.js';
import { readFixture } from '../fixtures/cli/signals.js';

describe('cleanLines', () => {
  it('strips colour, cursor and OSC hyperlink escapes', () => {
    const raw = '\x1b[1m\x1b[31mFAIL\x1b[39m\x1b[22m src/a.test.ts\n\x1b]8;;https://x.dev\x07link\x1b]8;;\x07 \x1b[2K\x1b[1Gdone';
    expect(cleanLines(raw)).toEqual(['FAIL src/a.test.ts', 'link done']);
  });

  it('keeps only the last redraw of a carriage-return progress line', () => {
    // Real apt output (fixture) redraws "(Reading database ... N%" with \r.
    const lines = cleanLines(readFixture('apt-install-log.txt'));
    expect(lines.some((l) => l.includes('5%') && l.includes('Reading database'))).toBe(false);
    expect(lines.some((l) => /^\(Reading database \.\.\. \d+ files and directories currently installed\.\)$/.test(l))).toBe(true);
  });

  it('normalises CRLF and trims trailing blanks', () => {
    expect(cleanLines('a  \r\nb\r\n\r\n\n')).toEqual(['a', 'b']);
  });
});

describe('looksBinary', () => {
  it('flags NUL bytes and control-heavy content, not ANSI-coloured text', () => {
    expect(looksBinary('PK\u0003\u0004\u0000\u0000')).toBe(true);
    expect(looksBinary('\u0001\u0002\u0003\u0004abc')).toBe(true);
    expect(looksBinary(readFixture('jest-fail.txt'))).toBe(false);
    expect(looksBinary('plain text\twith tabs\n')).toBe(false);
  });
});

describe('generic log filter', () => {
  it('folds identical lines with a count and same-shaped lines with first/last', () => {
    const raw = ['start', ...Array(5).fill('retrying connection'), ...Array.from({ length: 6 }, (_, i) => `downloaded chunk ${i + 1}/6`), 'end'].join('\n');
    const out = filterCliOutput(raw, { hint: 'log' }).filtered.split('\n');
    expect(out).toEqual(['start', 'retrying connection [×5]', 'downloaded chunk 1/6', '  [+4 similar lines]', 'downloaded chunk 6/6', 'end']);
  });

  it('normalises leading timestamps to HH:MM:SS and reports the date once', () => {
    const raw = ['2026-11-23T17:51:14.123Z INFO boot', '2026-11-23T17:51:15.456Z INFO ready', '2026-11-23T17:51:16.789Z ERROR disk full'].join('\n');
    // The filter itself (filterCliOutput returns the plain cleaned text when that is shorter).
    const out = runSync(genericLog.filter(cleanLines(raw)));
    expect(out[0]).toBe('[log dates: 2026-11-23; times shown as HH:MM:SS]');
    expect(out).toContain('17:51:16 ERROR disk full');
    expect(splitTimestamp('Nov 23 17:51:14 host sshd[1]: x')).toEqual({ date: null, time: '17:51:14', rest: 'host sshd[1]: x' });
    expect(lineShape('chunk 12 of 0xdeadbeef1')).toBe(lineShape('chunk 99 of 0xfeedface2'));
  });

  it('on a long log keeps the head, the tail and the neighbourhood of every error', () => {
    const body = Array.from({ length: 300 }, (_, i) => (i === 150 ? 'ERROR: shard 7 failed to replicate' : `step ${i} ok ${'x'.repeat(i % 7)} ${i % 3 ? 'alpha' : 'beta gamma'}`));
    const out = filterCliOutput(body.join('\n'), { hint: 'log' }).filtered;
    expect(out).toContain('ERROR: shard 7 failed to replicate');
    expect(out).toContain('step 0 ok');
    expect(out).toContain('step 299 ok');
    expect(out).toMatch(/\[… \d+ ordinary lines\]/);
  });
});

describe('git filters, structural rules', () => {
  it('folds the body of a deleted file and of lock files but keeps their headers', () => {
    const raw = [
      'diff --git a/old.txt b/old.txt',
      'deleted file mode 100644',
      'index 1111111..0000000',
      '--- a/old.txt',
      '+++ /dev/null',
      '@@ -1,3 +0,0 @@',
      '-one',
      '-two',
      '-three',
      'diff --git a/package-lock.json b/package-lock.json',
      'index 2222222..3333333 100644',
      '--- a/package-lock.json',
      '+++ b/package-lock.json',
      '@@ -10,7 +10,7 @@',
      '     "x": {',
      '-      "version": "1.0.0"',
      '+      "version": "1.0.1"',
      '     }',
      'diff --git a/src/a.ts b/src/a.ts',
      'index 4444444..5555555 100644',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -1,4 +1,4 @@ export function a() {',
      ' const keep = 1;',
      '-const x = 1;',
      '+const x = 2;',
      ' return x;',
    ].join('\n');
    const out = filterCliOutput(raw).filtered.split('\n');
    expect(out).toEqual([
      'diff --git a/old.txt b/old.txt',
      'deleted file mode 100644',
      '  [deleted file: +0 -3 lines not shown]',
      'diff --git a/package-lock.json b/package-lock.json',
      '  [generated/lock file: +1 -1 lines not shown]',
      'diff --git a/src/a.ts b/src/a.ts',
      '@@ -1,4 +1,4 @@ export function a() {',
      '-const x = 1;',
      '+const x = 2;',
    ]);
  });

  it('keeps the first 40 untracked paths and counts the rest by directory', () => {
    const raw = ['On branch main', 'Untracked files:', '  (use "git add <file>..." to include in what will be committed)', ...Array.from({ length: 50 }, (_, i) => `\tgen/file${i}.txt`), ''].join('\n');
    const out = filterCliOutput(raw).filtered.split('\n');
    expect(out).toContain('\tgen/file39.txt');
    expect(out).not.toContain('\tgen/file40.txt');
    expect(out.at(-1)).toBe('\t… 10 more untracked: gen/ 10');
  });
});

describe('command hints', () => {
  it('accepts ids, aliases, groups, auto and command lines; rejects unknown ones', () => {
    expect(resolveHint('git_diff')?.filters.map((f) => f.id)).toEqual(['git_diff']);
    expect(resolveHint('npm ci')?.filters.map((f) => f.id)).toEqual(['npm_install']);
    expect(resolveHint('npx vitest run --coverage')?.filters.map((f) => f.id)).toEqual(['vitest']);
    expect(resolveHint('test_output')?.filters.length).toBeGreaterThan(3);
    expect(resolveHint('auto')?.filters.length).toBeGreaterThan(10);
    expect(resolveHint('photoshop')).toBeUndefined();
  });
});

describe('script-runner command lines', () => {
  it('auto-detects "npm run …" / "pnpm test" instead of assuming an install', () => {
    expect(resolveHint('npm run build')?.filters.length).toBeGreaterThan(10);
    expect(filterCliOutput(readFixture('vitest-fail.txt'), { hint: 'pnpm test' }).detected_type).toBe('vitest');
    expect(resolveHint('npm ci')?.filters.map((f) => f.id)).toEqual(['npm_install']);
    expect(resolveHint('yarn')?.filters.map((f) => f.id)).toEqual(['npm_install']);
  });
});

describe('unrecognised lines are kept, not mistaken for structure', () => {
  it('eslint: a message line is not taken for a file heading and dropped', () => {
    const raw = ['/repo/src/a.js', '  3:7  error  x is not defined  no-undef', '  4:1  warning  Unexpected var  no-var', 'error: lint step failed with exit code 1', '', '✖ 2 problems (1 error, 1 warning)'].join('\n');
    // The filter itself: on an input this small filterCliOutput returns the cleaned text instead.
    const out = runSync(eslint.filter(cleanLines(raw)));
    expect(out).toContain('error: lint step failed with exit code 1');
    expect(out).toContain('/repo/src/a.js');
    expect(out).toContain('  3:7  error  x is not defined  no-undef');
    // Warnings are grouped by rule and message with every location, not folded into a count.
    expect(out.at(-1)).toBe('warning no-var: Unexpected var ×1: /repo/src/a.js 4:1');
  });
});

describe('step-wise filtering', () => {
  it('yields between slices and line batches on big inputs, and not at all on small ones', async () => {
    const { filterCliOutputSteps } = await import('../../src/engine/cli/index.js');
    const count = (raw: string) => {
      const steps = filterCliOutputSteps(raw);
      let yields = 0;
      for (let r = steps.next(); !r.done; r = steps.next()) yields++;
      return yields;
    };
    const big = readFixture('npm-install-verbose.txt').repeat(20); // ~2.6 MB, 26k lines
    expect(count(big)).toBeGreaterThanOrEqual(8);
    expect(count(readFixture('jest-fail.txt'))).toBe(0);
  });
});

describe('auto-detection needs more than one stray line', () => {
  it('a log with a single test-summary-looking line stays generic, so nothing is dropped as test noise', () => {
    const raw = ['deploy: starting', '  step 1: pulled image', 'Tests: 5 passed, 5 total', '  step 2: restarted service'].join('\n');
    const res = filterCliOutput(raw);
    expect(res.detected_type).toBe('generic');
    expect(res.filtered).toContain('  step 1: pulled image');
  });
});
