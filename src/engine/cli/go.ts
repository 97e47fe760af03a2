// go test (plain and -v).
import type { CliFilter } from './types.js';
import { Out, countMatches, isLibraryPath, scoreFrom, YIELD_EVERY } from './clean.js';

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
  drops: ['=== RUN / PAUSE / CONT rows', '--- PASS / --- SKIP rows', 'runtime and testing-package frames', '"no test files" packages (counted)'],
  detect(lines) {
    const strong = countMatches(lines, /^(=== RUN\s|--- (PASS|FAIL|SKIP): |ok\s+\S+\s+(\(cached\)|[\d.]+s)|FAIL\s+\S+\s+[\d.]+s|\?\s+\S+\s+\[no test files\])/, 4);
    return strong ? scoreFrom(strong) : 0;
  },
  *filter(lines) {
    const out = new Out();
    let inPanic = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (/^=== (RUN|PAUSE|CONT|NAME)\s/.test(line)) {
        out.skip();
        continue;
      }
      if (/^\s*--- (PASS|SKIP): /.test(line)) {
        out.drop('passing tests');
        continue;
      }
      if (/^\s*--- FAIL: /.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^PASS$/.test(line) || /^ok\s/.test(line) || /^FAIL(\s|$)/.test(line) || /^exit status \d+/.test(line) || /^coverage: /.test(line)) {
        inPanic = false;
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
          if (isLibraryPath(next) || /^(testing|runtime)\.|^panic\(|^created by testing\./.test(line)) out.drop('runtime frames', 2);
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
    return out.done();
  },
};
