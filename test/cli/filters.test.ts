// Every real fixture: the right detector claims it, every failure signal survives verbatim, and the
// output is smaller by at least the floor recorded here (targets and measured figures: bench/cli.ts).
import { describe, expect, it } from 'vitest';
import { FIXTURES, missingSignals, readFixture } from '../fixtures/cli/signals.js';
import { cleanLines, filterCliOutput, scoreDetectors } from '../../src/engine/cli/index.js';

/**
 * Savings floors. Passing runs and installs must reach 90%, verbose outputs 70%. Fixtures below
 * their kind's target are listed with a regression floor just under today's figure and a reason.
 */
const FLOOR: Record<string, number> = {
  passing: 90,
  failing: 70,
  verbose: 70,
  dense: 0,
};
const BELOW_TARGET: Record<string, { floor: number; why: string }> = {
  'pytest-fail.txt': { floor: 60, why: 'keeping every E, > and location line verbatim allows at most 65.5%' },
  'mocha-fail.txt': { floor: 56, why: 'the required lines alone allow at most 67.7%' },
  'go-test-fail.txt': { floor: 62, why: 'the required lines alone allow at most 67.3%' },
  'cargo-build-fail.txt': { floor: 57, why: 'three rustc errors whose labelled source lines are the message' },
  'make-gcc-fail.txt': { floor: 45, why: 'the required lines alone allow at most 57.3%' },
  'make-clang-fail.txt': { floor: 45, why: '31 lines, mostly diagnostics' },
  'tsc-pretty-fail.txt': { floor: 52, why: '190 errors kept verbatim allow at most 58.5%' },
  'git-diff.txt': { floor: 34, why: 'changed lines, hunk headers and file names are 64.5% of this release diff' },
  'git-log.txt': { floor: 65, why: 'every commit keeps hash, date, author and subject' },
  'git-log-stat.txt': { floor: 50, why: 'every commit keeps its subject, its files-changed line and each file with its change count' },
};

describe('filter_cli_output engine on real fixtures', () => {
  for (const fx of FIXTURES) {
    describe(fx.file, () => {
      const raw = readFixture(fx.file);
      const res = filterCliOutput(raw);

      it(`is detected as ${fx.type}`, () => {
        expect(res.detected_type).toBe(fx.type);
        // Generic is the fallback: it wins only when every specific detector scores low.
        const [best] = scoreDetectors(cleanLines(raw));
        if (fx.type === 'generic') expect(best!.score).toBeLessThan(0.5);
        else expect(best!.id).toBe(fx.type);
      });

      it('keeps every failure signal verbatim', () => {
        const { required, missing } = missingSignals(fx, raw, res.filtered);
        expect(missing).toEqual([]);
        if (fx.lines?.length || fx.extract) expect(required).toBeGreaterThan(0);
      });

      const below = BELOW_TARGET[fx.file];
      const floor = below?.floor ?? FLOOR[fx.kind]!;
      it(`saves at least ${floor}%${below ? ` (${below.why})` : ''}`, () => {
        expect(res.savings_pct).toBeGreaterThanOrEqual(floor);
        expect(res.filtered_chars).toBe(res.filtered.length);
        expect(res.original_chars).toBe(raw.length);
      });

      it('is stable: filtering the filtered output changes little and loses no signal', () => {
        const again = filterCliOutput(res.filtered, { hint: fx.type });
        expect(missingSignals(fx, raw, again.filtered).missing).toEqual([]);
      });
    });
  }

  it('forces a detector with a hint, including a command line', () => {
    const raw = readFixture('jest-fail.txt');
    expect(filterCliOutput(raw, { hint: 'generic' }).detected_type).toBe('generic');
    expect(filterCliOutput(readFixture('pytest-fail.txt'), { hint: 'python -m pytest -x tests/' }).detected_type).toBe('pytest');
    expect(filterCliOutput(readFixture('git-diff.txt'), { hint: 'git diff HEAD~1' }).detected_type).toBe('git_diff');
    expect(filterCliOutput(readFixture('cargo-test-fail.txt'), { hint: 'cargo test --lib' }).detected_type).toBe('cargo');
  });

  it('does not take prose for npm install output: "added to the …" lines are not "added 12 packages"', () => {
    // As in CMake's help pages: two such lines made the install filter claim the text (0.7).
    const prose = [
      'The named directories are',
      'added to the INCLUDE_DIRECTORIES target property for each target.',
      'Duplicates are',
      'removed first.  This is useful for providing lists of source files',
      'added to the set of available commands.  Usually, this is done once.',
    ];
    expect(scoreDetectors(cleanLines(prose.join('\n'))).find((d) => d.id === 'npm_install')!.score).toBe(0);
    expect(scoreDetectors(cleanLines('up to date, audited 219 packages in 1s\nfound 0 vulnerabilities\n'))[0]!.id).toBe('npm_install');
    expect(scoreDetectors(cleanLines('added 1 package, and audited 2 packages in 1s\nfound 0 vulnerabilities\n'))[0]!.id).toBe('npm_install');
  });

  it('resolves the seed group hint test_output to the matching runner', () => {
    expect(filterCliOutput(readFixture('mocha-fail.txt'), { hint: 'test_output' }).detected_type).toBe('mocha');
    expect(filterCliOutput(readFixture('go-test-fail.txt'), { hint: 'test_output' }).detected_type).toBe('go_test');
  });
});
