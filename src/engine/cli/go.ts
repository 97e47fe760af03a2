// go test (plain and -v).
import type { CliFilter } from './types.js';
import { Out, countMatches, isLibraryPath, isRuntimeFrame, scoreFrom, YIELD_EVERY } from './clean.js';
import { plural } from '../plural.js';

export const goTest: CliFilter = {
  id: 'go_test',
  family: 'go',
  title: 'go test',
  aliases: ['go test', 'gotest', 'go'],
  keeps: [
    '--- FAIL rows (tests and subtests) and the t.Error/t.Fatal lines they printed (file_test.go:N: ...)',
    'panics: the panic message, goroutine header and user-code frames (function + file:line)',
    'build errors (file.go:line:col: ...)',
    'per-package ok / FAIL lines, coverage lines and the final PASS/FAIL/exit status',
  ],
  drops: ['=== RUN / PAUSE / CONT rows', '--- PASS rows (counted once, above their package result) and --- SKIP rows', 'runtime, standard-library and testing-package frames (silently)', '"no test files" packages (counted)'],
  detect(lines) {
    const strong = countMatches(lines, /^(=== RUN\s|--- (PASS|FAIL|SKIP): |ok\s+\S+\s+(\(cached\)|[\d.]+s)|FAIL\s+\S+\s+[\d.]+s|\?\s+\S+\s+\[no test files\])/, 4);
    return strong ? scoreFrom(strong) : 0;
  },
  *filter(lines) {
    const out = new Out();
    let inPanic = false;
    // Passing tests are counted, and the count is given once, above their package's result line
    // (go -v interleaves --- PASS rows with the failing ones, which would scatter the markers).
    let passing = 0;
    const flushPassing = () => {
      if (passing) out.note(`[… ${plural(passing, 'passing test')}]`);
      passing = 0;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (/^=== (RUN|PAUSE|CONT|NAME)\s/.test(line)) {
        out.skip();
        continue;
      }
      if (/^\s*--- PASS: /.test(line)) {
        passing++;
        out.skip();
        continue;
      }
      if (/^\s*--- SKIP: /.test(line)) {
        out.drop('skipped tests');
        continue;
      }
      if (/^\s*--- FAIL: /.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^PASS$/.test(line) || /^ok\s/.test(line) || /^FAIL(\s|$)/.test(line) || /^exit status \d+/.test(line) || /^coverage: /.test(line)) {
        inPanic = false;
        if (/^(ok|FAIL)\s+\S+\s|^(PASS|FAIL)$/.test(line)) flushPassing();
        out.keep(line);
        continue;
      }
      if (/^\?\s+\S+\s+\[no test files\]/.test(line)) {
        out.drop('packages without tests');
        continue;
      }
      if (/^panic: |^fatal error: |^\s+panic: /.test(line)) {
        inPanic = true;
        out.keep(line);
        continue;
      }
      if (inPanic) {
        if (/^goroutine \d+ \[/.test(line)) {
          out.keep(line);
          continue;
        }
        // Frames come in pairs: "pkg.Func(args)" then "\t/path/file.go:N +0x..".
        if (/^\t\S+\.go:\d+/.test(line)) continue; // handled with its function row below
        const next = lines[i + 1] ?? '';
        if (/^\t\S+\.go:\d+/.test(next)) {
          // The runtime's and testing package's own frames are elided silently; other library
          // frames (module cache, vendored code) are counted.
          if (isRuntimeFrame(next) || /^(testing|runtime)\.|^panic\(|^created by testing\./.test(line)) {
            out.skip();
            out.skip();
          } else if (isLibraryPath(next)) out.drop('library frames', 2);
          else {
            out.keep(line);
            out.keep(next);
          }
          continue;
        }
        if (line.trim() === '') {
          out.drop('blank');
          continue;
        }
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      // t.Log/t.Error output, build errors, anything else the tests printed.
      out.keep(line);
    }
    flushPassing();
    return out.done();
  },
};
