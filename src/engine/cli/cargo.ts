// cargo build / check / test (rustc diagnostics and libtest output).
import type { CliFilter } from './types.js';
import { Out, countMatches, isLibraryPath, scoreFrom, YIELD_EVERY } from './clean.js';
import { ShownSource } from './frames.js';

const PROGRESS_RE = /^\s*(Compiling|Checking|Downloaded|Downloading|Updating|Locking|Adding|Fresh|Blocking|Documenting|Packaging|Verifying|Installing|Building)\s/;

export const cargo: CliFilter = {
  id: 'cargo',
  family: 'rust',
  title: 'cargo build / check / test',
  aliases: ['cargo build', 'cargo test', 'cargo check', 'cargo clippy', 'rustc', 'rust'],
  keeps: [
    'every error[...] / warning[...] line with its --> file:line:col and the labelled source line',
    '= note / = help lines of user-code diagnostics',
    'failing tests: test ... FAILED rows, ---- name stdout ---- blocks, panic location and message, user-code backtrace frames',
    'the failures: list, every test result: line, "error: could not compile" / "error: test failed" lines, Finished line',
  ],
  drops: ['Compiling/Checking/Downloaded progress', 'test ... ok rows and "running N tests"', 'standard-library backtrace frames (silently) and diagnostic notes pointing into /rustc or the registry', 'bare | gutters', 'a source row already quoted by an earlier diagnostic in the same file', 'rustc --explain hints'],
  detect(lines) {
    const strong = countMatches(lines, /^\s*(Compiling|Finished|Running|Doc-tests) \S|^test result: |^error\[E\d{4}\]|^running \d+ tests?$/, 4);
    const weak = countMatches(lines, /^test \S+ \.\.\. (ok|FAILED|ignored)$|^\s+--> \S+\.rs:\d+/, 4);
    return strong ? scoreFrom(strong, weak) : weak >= 3 ? 0.4 : 0;
  },
  *filter(lines) {
    const out = new Out();
    let inBacktrace = false;
    let inLibraryNote = false;
    const hasTestResults = lines.some((l) => /^test result: /.test(l));
    // Several diagnostics often quote the same source row (one bad expression, many errors): it is
    // shown once per file; later diagnostics keep their --> location and labelled caret rows.
    const shownSource = new ShownSource();
    let file = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (PROGRESS_RE.test(line)) {
        out.skip();
        continue;
      }
      if (/^\s*(Finished|Running|Doc-tests)\s/.test(line)) {
        inBacktrace = false;
        // Finished is the outcome of a build; in a test run the test result lines are.
        if (/^\s*Finished\s/.test(line) && !hasTestResults) out.keep(line);
        else out.skip();
        continue;
      }
      if (/^running \d+ tests?$/.test(line) || /^test result: ok\. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out/.test(line)) {
        // Empty test binaries (doc-tests of a crate without doc examples) say nothing.
        out.skip();
        continue;
      }
      if (/^test \S.* \.\.\. (ok|ignored)$/.test(line)) {
        out.drop('passing tests');
        continue;
      }
      if (/^stack backtrace:$/.test(line)) {
        inBacktrace = true;
        out.keep(line);
        continue;
      }
      if (inBacktrace) {
        const frame = /^\s+\d+: (.*)$/.exec(line);
        if (frame) {
          const at = lines[i + 1] ?? '';
          const hasAt = /^\s+at \S/.test(at);
          if (/^(std|core|alloc|__rustc|test)::|^<.* as core::/.test(frame[1]!) || (hasAt && /\/rustc\/[0-9a-f]+/.test(at))) {
            // The standard library's and test harness's own frames: elided silently.
            out.skip();
          } else if (hasAt && isLibraryPath(at)) {
            out.drop('dependency frames', 2);
          } else {
            out.keep(line);
            if (hasAt) out.keep(at);
          }
          if (hasAt) i++;
          continue;
        }
        if (/^note: Some details are omitted/.test(line)) {
          out.skip();
          continue;
        }
        inBacktrace = false;
      }
      // Diagnostic sub-blocks that point into the standard library or the registry.
      if (/^\s*(-->|:::) /.test(line)) {
        inLibraryNote = isLibraryPath(line);
        if (inLibraryNote) out.drop('std/registry locations');
        else {
          file = /(?:-->|:::)\s+(.+?):\d+(?::\d+)?$/.exec(line)?.[1] ?? '';
          out.keep(line);
        }
        continue;
      }
      if (inLibraryNote) {
        if (/^\s*(\||= note:|= help:|\d+\s*\|)/.test(line)) {
          out.drop('std/registry locations');
          continue;
        }
        inLibraryNote = false;
      }
      if (/^\s*\d+\s+\|/.test(line) && file !== '' && !shownSource.first(file, line)) {
        out.skip();
        continue;
      }
      if (/^\s*\|\s*$/.test(line) || /^\.\.\.$/.test(line) || /^\s*\|\s*[\^\-~+]+\s*$/.test(line)) {
        // Bare gutters and unlabelled caret rows say nothing the location line does not.
        out.skip();
        continue;
      }
      if (/^help: the following other types implement trait/.test(line) && isLibraryPath(lines[i + 1] ?? '')) {
        out.drop('std/registry locations');
        continue;
      }
      if (/^Some errors have detailed explanations: /.test(line)) {
        out.skip();
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      if (/^For more information about (this|an) error, try /.test(line)) {
        // A pointer to rustc's long-form docs for the error code already shown: nothing lost.
        out.skip();
        continue;
      }
      out.keep(line);
    }
    return out.done();
  },
};
