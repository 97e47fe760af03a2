// Floods (issue 10): repeated diagnostics grouped with every location, native build logs without
// their compile lines, git log --stat with its files, dependency trees with every top-level entry and
// every problem line. Inputs are real captures (test/fixtures/cli/floods/README.md).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanLines, filterCliOutput, runSync } from '../../src/engine/cli/index.js';
import { groupDiagnostics, parseTsc } from '../../src/engine/cli/diagnostics.js';
import { readFixture } from '../fixtures/cli/signals.js';

const FLOODS = path.join(import.meta.dirname, '..', 'fixtures', 'cli', 'floods');
const flood = (f: string) => fs.readFileSync(path.join(FLOODS, f), 'utf8');

describe('grouped diagnostics', () => {
  it('tsc: a repeated code and message is shown once, and every location is still listed', () => {
    const raw = readFixture('tsc-pretty-fail.txt');
    const res = filterCliOutput(raw);
    expect(res.detected_type).toBe('tsc');
    const diag = /^(\S+?):(\d+):(\d+) - (error TS\d+: .*)$/;
    const input = cleanLines(raw).map((l) => diag.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    expect(input.length).toBeGreaterThan(20);
    const out = res.filtered.split('\n');
    const groups = out.filter((l) => l.startsWith('  [same diagnostic'));
    expect(groups.length).toBeGreaterThan(0);
    for (const m of input) {
      const verbatim = out.includes(m[0]);
      const listed = out.includes(out.find((l) => l.endsWith(m[4]!)) ?? '\u0000') && groups.some((g) => g.split('; ').some((p) => p.includes(`${m[1]} `) && p.includes(`(${m[2]},${m[3]})`)));
      expect(verbatim || listed, m[0]).toBe(true);
    }
    // Each message text appears once per group, not once per location.
    const messages = out.filter((l) => diag.test(l)).map((l) => diag.exec(l)![4]);
    expect(messages.length).toBeLessThan(input.length);
  });

  it('leaves diagnostics repeated fewer than three times alone, and never merges different elaborations', () => {
    const lines = ['a.ts(1,1): error TS1: Same.', 'a.ts(2,1): error TS1: Same.', 'b.ts(3,1): error TS2: Other.', '  because X', 'b.ts(4,1): error TS2: Other.', '  because Y', 'b.ts(5,1): error TS2: Other.', '  because X'];
    expect(groupDiagnostics(lines, parseTsc)).toEqual(lines);
    const many = Array.from({ length: 5 }, (_, i) => `src/f${i % 2}.ts(${i + 1},2): error TS2304: Cannot find name 'x'.`);
    expect(groupDiagnostics(many, parseTsc)).toEqual([many[0], "  [same diagnostic at 4 more locations: src/f1.ts (2,2) (4,2); src/f0.ts (3,2) (5,2)]"]);
  });
});

describe('native build logs', () => {
  it('cmake + make: compile lines and configure checks collapse (counted); warnings and the final result stay', () => {
    const raw = flood('cmake-build-warnings.txt');
    const res = filterCliOutput(raw);
    expect(res.detected_type).toBe('make_gcc');
    const out = res.filtered;
    expect(out).not.toMatch(/Building C object/);
    expect(out).toMatch(/\[… \d+ (cmake configure checks|omitted: [^\]]*cmake configure checks)/);
    expect(out).toContain('-- Build files have been written to: /home/dev/addon/build');
    expect(out.trim().split('\n').at(-1)).toBe('[100%] Built target tool');
    // Every warning location survives, verbatim or in its group.
    for (const l of cleanLines(raw).filter((x) => /: warning: /.test(x))) {
      const [, file, loc] = /^(\S+?):(\d+:\d+): /.exec(l)!;
      expect(out.includes(l) || out.split('\n').some((o) => o.includes('[same diagnostic') && o.includes(`${file} `) && o.includes(`:${loc}`)), l).toBe(true);
    }
    expect(res.savings_pct).toBeGreaterThan(40);
  });

  it('node-gyp: CXX/SOLINK steps and gyp info lines collapse; gyp ERR! and the compiler error stay', () => {
    const raw = [
      'gyp info it worked if it ends with ok',
      'gyp info using node-gyp@10.1.0',
      'gyp info using node@20.20.2 | linux | x64',
      'gyp info spawn make',
      'gyp info spawn args [ \'BUILDTYPE=Release\', \'-C\', \'build\' ]',
      "make: Entering directory '/home/dev/addon/build'",
      ...Array.from({ length: 30 }, (_, i) => `  CXX(target) Release/obj.target/addon/src/file${i}.o`),
      "../src/file30.cc:12:5: error: 'napi_value' was not declared in this scope",
      'make: *** [addon.target.mk:120: Release/obj.target/addon/src/file30.o] Error 1',
      "make: Leaving directory '/home/dev/addon/build'",
      'gyp ERR! build error',
      'gyp ERR! stack Error: `make` failed with exit code: 2',
      'gyp ERR! not ok',
    ].join('\n');
    const out = filterCliOutput(raw).filtered;
    expect(out).not.toContain('CXX(target)');
    expect(out).toMatch(/\[… 35 omitted: compile lines, gyp info lines/);
    for (const keep of ["../src/file30.cc:12:5: error: 'napi_value' was not declared in this scope", 'gyp ERR! build error', 'gyp ERR! not ok', 'make: *** [addon.target.mk:120: Release/obj.target/addon/src/file30.o] Error 1', 'gyp info it worked if it ends with ok']) expect(out).toContain(keep);
  });
});

describe('git log --stat', () => {
  it('keeps every file name with its change count', () => {
    for (const f of [readFixture('git-log-stat.txt'), flood('git-log-stat-ctxgate.txt')]) {
      const res = filterCliOutput(f);
      expect(res.detected_type).toBe('git_log');
      const rows = cleanLines(f).map((l) => /^ (\S.*?) +\| +(\d+)/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
      expect(rows.length).toBeGreaterThan(5);
      for (const r of rows) expect(res.filtered).toContain(`${r[1]} ${r[2]}`);
      expect(res.savings_pct).toBeGreaterThan(30);
    }
  });
});

describe('dependency trees and listings', () => {
  it('npm ls --all: root, every top-level entry and every problem line survive; repeats collapse with a count', () => {
    const raw = flood('npm-ls-all.txt');
    const res = filterCliOutput(raw, { hint: 'npm ls --all' });
    expect(res.detected_type).toBe('dependency_tree');
    const out = new Set(res.filtered.split('\n'));
    const lines = cleanLines(raw);
    expect(out.has('ctxgate@0.1.0 /work/wt/compression')).toBe(true);
    const top = lines.filter((l) => /^[├└]─[─┬] /.test(l));
    const problems = lines.filter((l) => /UNMET|invalid|missing|extraneous/.test(l));
    expect(top.length).toBeGreaterThan(5);
    expect(problems.length).toBeGreaterThan(5);
    for (const l of [...top, ...problems]) expect(out.has(l), l).toBe(true);
    expect(res.filtered).toMatch(/\[… \d+ repeated deep branches\]/);
    expect(res.filtered_lines).toBeLessThan(lines.length);
    // A marker stands for two rows or more (for one it saves nothing: the row is kept), and counts
    // rows and branches in grammatical English.
    const markers = res.filtered.split('\n').filter((l) => l.startsWith('[…'));
    for (const m of markers) {
      const g = /^\[… (\d+) (?:repeated deep branches|lines of (\d+) repeated deep branch(es)?)\]$/.exec(m);
      expect(g, m).not.toBeNull();
      expect(Number(g![1]), m).toBeGreaterThan(1);
      if (g![2]) expect(Number(g![2]) === 1, m).toBe(!g![3]);
    }
    // Every row removed is covered by a marker: kept + counted = non-blank input rows.
    const counted = markers.reduce((n, m) => n + Number(/\d+/.exec(m)![0]), 0);
    expect(res.filtered.split('\n').length - markers.length + counted).toBe(lines.filter((l) => l.trim()).length);
  });

  it('cargo tree: root and every top-level crate survive; branches marked (*) collapse with a count', () => {
    const raw = flood('cargo-tree.txt');
    const res = filterCliOutput(raw, { hint: 'cargo tree' });
    expect(res.detected_type).toBe('dependency_tree');
    const out = new Set(res.filtered.split('\n'));
    const lines = cleanLines(raw);
    expect(out.has('app v0.1.0 (/home/dev/ws/app)')).toBe(true);
    const top = lines.filter((l) => /^[├└]── /.test(l));
    expect(top.length).toBe(10);
    for (const l of top) expect(out.has(l), l).toBe(true);
    expect(res.filtered).toMatch(/\[… \d+ repeated deep branches?\]/);
    expect(res.filtered_lines).toBeLessThan(lines.length);
  });

  it('auto-detects npm ls, and keeps every row of pip list', () => {
    expect(filterCliOutput(flood('npm-ls-all.txt')).detected_type).toBe('dependency_tree');
    const raw = flood('pip-list.txt');
    const res = filterCliOutput(raw, { hint: 'pip list' });
    for (const l of cleanLines(raw).filter((x) => x.trim())) expect(res.filtered.split('\n')).toContain(l);
  });
});
