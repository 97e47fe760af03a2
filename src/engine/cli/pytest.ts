// pytest (any verbosity): keeps failures, errors and the summary; drops passing progress and code listings.
import type { CliFilter } from './types.js';
import { Out, countMatches, isLibraryPath, isToolchainNoise, scoreFrom, YIELD_EVERY } from './clean.js';

const BANNER_RE = /^={3,} (.+?) ={3,}$/;
const TEST_HEADER_RE = /^_{3,} (.+?) _{3,}$/;
/** `path/to/file.py:123: AssertionError`, `path/to/file.py:45: in func`, or a bare `file.py:250:` frame. */
const LOCATION_RE = /^\S.*?\.py:\d+:( \S|$)/;
/** Progress rows: `tests/x.py ....F.s [ 12%]`, continuation rows of dots, verbose `::test PASSED [ 3%]`. */
const DOTS_RE = /^(\S+\.py )?[.FEsxX]+\s*(\[\s*\d+%\])?$/;
const VERBOSE_RE = /^(\S+::\S.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b/;

export const pytest: CliFilter = {
  id: 'pytest',
  family: 'python',
  title: 'pytest',
  aliases: ['py.test', 'python -m pytest', 'python_test'],
  keeps: [
    'every failing/erroring test header (____ test_name ____)',
    'the failing source line (> ...) and every E assertion/exception line',
    'user-code traceback locations (file.py:line: ...) ; library frames are counted',
    'verbose FAILED/ERROR rows, the short test summary, the final counts line',
    'captured output of failing tests (first 15 lines of each section)',
  ],
  drops: ['PASSED rows and progress dots', 'session header (platform, rootdir, plugins)', 'source listings and local variables inside tracebacks', 'warnings summary beyond its first 10 lines'],
  detect(lines) {
    const strong = countMatches(lines, /^={3,} (test session starts|FAILURES|ERRORS|short test summary info|warnings summary)|^={3,} .*\b(passed|failed|error)s?\b.* in [\d.]+s/, 4);
    const weak = countMatches(lines, /^collected \d+ items?|::\S+ (PASSED|FAILED)|^FAILED \S+::/, 4);
    return strong || weak >= 2 ? scoreFrom(strong, weak) : 0;
  },
  *filter(lines) {
    const out = new Out();
    let section = 'header';
    let captured = 0;
    let warnings = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      const banner = BANNER_RE.exec(line);
      if (banner) {
        const title = banner[1]!;
        section = /test session starts/.test(title)
          ? 'header'
          : /^(FAILURES|ERRORS)$/.test(title)
            ? 'failures'
            : /warnings summary/.test(title)
              ? 'warnings'
              : /short test summary/.test(title)
                ? 'summary'
                : /\b(passed|failed|error|errors|skipped|deselected|no tests ran)\b/.test(title)
                  ? 'final'
                  : section;
        if (section === 'header') out.drop('session header');
        else out.keep(line);
        continue;
      }
      if (isToolchainNoise(line)) {
        out.drop('toolchain noise');
        continue;
      }
      if (section === 'header' || section === 'progress') {
        if (/^collected \d+ items?|^collecting .*collected \d+/.test(line)) {
          out.keep(line.replace(/^collecting \.\.\. /, ''));
          section = 'progress';
          continue;
        }
        const v = VERBOSE_RE.exec(line);
        if (v) {
          if (v[2] === 'FAILED' || v[2] === 'ERROR' || v[2] === 'XPASS') out.keep(line);
          else out.drop('passing tests');
          continue;
        }
        if (DOTS_RE.test(line)) {
          out.drop('progress');
          continue;
        }
        if (line === '') {
          out.drop('blank');
          continue;
        }
        if (/^(platform |cachedir:|rootdir:|plugins:|configfile:|inifile:|testpaths:|collecting |cachedir |hypothesis profile|benchmark:|Using |metadata:)/.test(line)) {
          out.drop(section === 'header' ? 'session header' : 'progress');
          continue;
        }
        // Anything else before the first section (a collection error, a usage error) is signal.
        out.keep(line);
        continue;
      }
      if (section === 'failures') {
        if (TEST_HEADER_RE.test(line) || /^_{3,} ERROR (at|collecting) .* _{3,}$/.test(line)) {
          out.keep(line);
          captured = 0;
          continue;
        }
        if (/^-{3,} Captured .* -{3,}$/.test(line)) {
          out.keep(line);
          captured = 15;
          continue;
        }
        if (captured > 0 && !/^(>|E |\S+\.py:\d+)/.test(line)) {
          captured--;
          if (line !== '') out.keep(line);
          continue;
        }
        if (/^>/.test(line) || /^E( |$)/.test(line)) {
          out.keep(line);
          continue;
        }
        if (LOCATION_RE.test(line)) {
          if (isLibraryPath(line)) out.drop('library frames');
          else out.keep(line);
          continue;
        }
        // Unindented prose that is not a "name = value" local is a message ("ImportError while
        // importing test module ...", "Hint: ..."): keep it.
        if (/^[^\s_>E]/.test(line) && !/^[A-Za-z_]\w*( = |, \w+ = )/.test(line) && !/^(_ )+_?$/.test(line)) {
          out.keep(line);
          continue;
        }
        // Source listings, locals and frame separators: the > line and the location already say where.
        out.skip();
        continue;
      }
      if (section === 'warnings') {
        if (warnings < 10 && line !== '') {
          warnings++;
          out.keep(line);
        } else out.drop(line === '' ? 'blank' : 'warnings');
        continue;
      }
      // summary and final sections: all of it is signal.
      out.keep(line);
    }
    return out.done();
  },
};
