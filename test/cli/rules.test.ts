// One test per compaction rule, each on a small excerpt of a real fixture (test/fixtures/cli/). The
// filters are called directly (filterCliOutput would return the plain cleaned text when a tiny input
// plus markers comes out longer).
import { describe, expect, it } from 'vitest';
import { cleanLines, runSync } from '../../src/engine/cli/index.js';
import { cargo } from '../../src/engine/cli/cargo.js';
import { gitLog } from '../../src/engine/cli/git.js';
import { goTest } from '../../src/engine/cli/go.js';
import { mocha, vitest } from '../../src/engine/cli/js-tests.js';
import type { CliFilter } from '../../src/engine/cli/types.js';
import { readFixture } from '../fixtures/cli/signals.js';

const run = (f: CliFilter, text: string[]) => runSync(f.filter(cleanLines(text.join('\n'))));

/** Lines `from`..`to` (inclusive) of a cleaned fixture, located by their first and last text. */
function excerpt(file: string, from: string, to: string): string[] {
  const lines = cleanLines(readFixture(file));
  const a = lines.indexOf(from);
  const b = lines.indexOf(to, a);
  if (a < 0 || b < 0) throw new Error(`excerpt of ${file} not found`);
  return lines.slice(a, b + 1);
}

describe('JS stack frames', () => {
  it('drops Node-internal frames without a marker, counts dependency frames, keeps user frames', () => {
    // mocha-fail.txt, failure 2; the node_modules frame is added to show the contrast.
    const block = excerpt('mocha-fail.txt', '  2) groupBy', '      at process.processImmediate (node:internal/timers:483:21)');
    block.splice(-1, 0, '      at Runner.runTest (node_modules/mocha/lib/runner.js:752:10)');
    const out = run(mocha, ['  1 failing', '', ...block]);
    expect(out).toContain('      at groupBy (file:///tmp/clifix/js/src/textkit.js:78:17)');
    expect(out).toContain('      at Context.<anonymous> (file:///tmp/clifix/js/test-mocha/textkit.spec.js:114:32)');
    expect(out.join('\n')).not.toContain('node:internal');
    expect(out.at(-1)).toBe('[… 1 library stack frames]');
  });
});

describe('mocha', () => {
  it('keeps the assertion diff once and drops its inverted "+ expected - actual" copy silently', () => {
    const block = excerpt('mocha-fail.txt', '  1) parseDuration', '      at Context.<anonymous> (file:///tmp/clifix/js/test-mocha/textkit.spec.js:66:12)');
    const out = run(mocha, ['  1 failing', '', ...block]);
    expect(out).toEqual([
      '1 failing',
      '  1) parseDuration',
      '       parses compound specs:',
      '      AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:',
      '+ actual - expected',
      '+ 3780000',
      '- 5400000',
      '      at Context.<anonymous> (file:///tmp/clifix/js/test-mocha/textkit.spec.js:66:12)',
    ]);
  });
});

describe('vitest', () => {
  const groupBy = excerpt('vitest-fail.txt', ' FAIL  test-vitest/textkit.test.js > groupBy > groups by key', ' ❯ test-vitest/textkit.test.js:117:23');

  it('shows a code frame once per location: a second failure at the same line keeps only its ❯ locations', () => {
    const out = run(vitest, ['⎯⎯⎯⎯⎯⎯⎯ Failed Tests 2 ⎯⎯⎯⎯⎯⎯⎯', ...groupBy]);
    expect(out.filter((l) => l === '78|     out.get(key).push(item);')).toHaveLength(1);
    expect(out.filter((l) => l === ' ❯ groupBy src/textkit.js:78:17')).toHaveLength(2);
    expect(out).toContain(' ❯ test-vitest/textkit.test.js:117:23');
    // The context rows around the marked one are gone, and so is the padding that aligned them.
    expect(out.some((l) => /^\s*7[679]\|/.test(l))).toBe(false);
  });

  it('drops passing rows with a count, and failing rows (detailed below) and npm config warnings silently', () => {
    // From the npm warning at the top down to the Failed Tests header.
    const lines = cleanLines(readFixture('vitest-fail.txt'));
    const out = run(vitest, lines.slice(0, lines.indexOf('⎯⎯⎯⎯⎯⎯⎯ Failed Tests 4 ⎯⎯⎯⎯⎯⎯⎯') + 1));
    expect(out).toEqual([' ❯ test-vitest/textkit.test.js (34 tests | 4 failed) 47ms', '[… 30 passing tests]', '⎯⎯⎯⎯⎯⎯⎯ Failed Tests 4 ⎯⎯⎯⎯⎯⎯⎯']);
  });
});

describe('cargo', () => {
  it('quotes a source row once per file: the next diagnostic on that row keeps its location and label', () => {
    const diag = excerpt('cargo-build-fail.txt', 'error[E0308]: mismatched types', '   = help: the trait `Mul<u32>` is not implemented for `u64`');
    const out = run(cargo, [...diag, '', 'For more information about an error, try `rustc --explain E0277`.']);
    expect(out).toEqual([
      'error[E0308]: mismatched types',
      '  --> src/lib.rs:51:17',
      '51 |     Ok(n * ms * scale)',
      '   |                 ^^^^^ expected `u64`, found `u32`',
      'error[E0277]: cannot multiply `u64` by `u32`',
      '  --> src/lib.rs:51:15',
      '   |               ^ no implementation for `u64 * u32`',
      '   = help: the trait `Mul<u32>` is not implemented for `u64`',
    ]);
  });

  it('drops standard-library backtrace frames and the RUST_BACKTRACE note silently, keeping the crate frames', () => {
    const bt = excerpt('cargo-test-fail.txt', 'stack backtrace:', 'note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.');
    const out = run(cargo, bt);
    expect(out).toEqual(['stack backtrace:', '   4: durations::tests::round_trips', '             at ./src/lib.rs:124:43', '   5: durations::tests::round_trips::{{closure}}', '             at ./src/lib.rs:122:21']);
  });
});

describe('go test', () => {
  it('drops runtime/testing frames silently and counts passing subtests once, above the package result', () => {
    const lines = cleanLines(readFixture('go-test-fail.txt'));
    const out = run(goTest, lines.slice(lines.indexOf('=== RUN   TestTop')));
    expect(out).toEqual([
      '--- FAIL: TestTop (0.00s)',
      '    --- FAIL: TestTop/more_than_available (0.00s)',
      'panic: runtime error: slice bounds out of range [:10] with capacity 5 [recovered]',
      '\tpanic: runtime error: slice bounds out of range [:10] with capacity 5',
      'goroutine 30 [running]:',
      'example.com/wordfreq.Top(0xc00008e960, 0xa)',
      '\t/tmp/clifix/go/wordfreq/wordfreq.go:38 +0x206',
      'example.com/wordfreq.TestTop.func1(0xc000097d40)',
      '\t/tmp/clifix/go/wordfreq/wordfreq_test.go:46 +0x47',
      '[… 2 passing tests]',
      'FAIL\texample.com/wordfreq\t0.025s',
      'FAIL',
    ]);
  });
});

describe('git log', () => {
  const head = excerpt('git-log.txt', 'commit 64be96ceb2a6e836f76f069f4a96d2394d59fd0c', '    Changes for version 11.1.0');

  it('states a shared year once and does not tag merges whose subject already says "Merge"', () => {
    const out = run(gitLog, head);
    expect(out).toEqual([
      '[git log, all in 2026: one line per commit (hash MM-DD author: subject); commit bodies omitted]',
      '64be96ceb2 05-22 Bo Bayles: Merge pull request #1159 from more-itertools/version-11.1.0',
      '03a08ec245 05-18 Bo Bayles: Changes for version 11.1.0',
    ]);
  });

  it('keeps full dates when the commits span years, and tags a merge with a free-form subject', () => {
    const older = head.map((l) => l.replace('Mon May 18 15:52:12 2026', 'Mon May 18 15:52:12 2025'));
    const renamed = older.map((l) => l.replace('Merge pull request #1159 from more-itertools/version-11.1.0', 'Release 11.1.0'));
    const out = run(gitLog, renamed);
    expect(out[1]).toBe('64be96ceb2 2026-05-22 Bo Bayles: Release 11.1.0 (merge)');
    expect(out[2]).toBe('03a08ec245 2025-05-18 Bo Bayles: Changes for version 11.1.0');
  });
});
