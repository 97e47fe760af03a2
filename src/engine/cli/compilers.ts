// Compilers and linters: tsc, eslint, make with gcc/clang.
import type { CliFilter } from './types.js';
import { Out, countMatches, isToolchainNoise, scoreFrom, YIELD_EVERY } from './clean.js';
import { isFrameLine } from './frames.js';
import { groupDiagnostics, parseCc, parseEslintUnix, parseTsc } from './diagnostics.js';
import { plural } from '../plural.js';

const TSC_PLAIN_RE = /^\S.*\(\d+,\d+\): (error|warning) TS\d+: /;
const TSC_PRETTY_RE = /^\S.*:\d+:\d+ - (error|warning) TS\d+: /;

export const tsc: CliFilter = {
  id: 'tsc',
  family: 'compilers',
  title: 'TypeScript compiler (tsc, plain and --pretty)',
  aliases: ['typescript', 'npx tsc', 'tsc --noEmit', 'vue-tsc'],
  keeps: ['every error/warning line with file:line:col and TS code; a code+message repeated 3+ times once, then every other location listed compactly', 'its indented elaboration lines (first 6)', '"Found N errors" and the per-file error table', 'watch-mode status lines'],
  drops: ['pretty code frames (source line and ~~~ underline)', 'elaborations beyond 6 lines per error (counted)'],
  detect(lines) {
    const errs = countMatches(lines, new RegExp(`${TSC_PLAIN_RE.source}|${TSC_PRETTY_RE.source}`), 4);
    const found = countMatches(lines, /^Found \d+ errors?( in \d+ files?)?\.|^Found \d+ error in /, 1);
    return errs || found ? scoreFrom(errs + found * 2) : 0;
  },
  *filter(lines) {
    const out = new Out();
    let elaboration = -1;
    let table = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (isToolchainNoise(line)) {
        out.drop('toolchain noise');
        continue;
      }
      if (TSC_PLAIN_RE.test(line) || TSC_PRETTY_RE.test(line)) {
        elaboration = 0;
        out.keep(line);
        continue;
      }
      if (/^Found \d+ errors?/.test(line) || /^\[?\d{1,2}:\d{2}:\d{2}( [AP]M)?\]? /.test(line)) {
        elaboration = -1;
        out.keep(line);
        continue;
      }
      if (/^Errors\s+Files$/.test(line)) {
        table = true;
        out.keep(line);
        continue;
      }
      if (table && /^\s+\d+\s+\S/.test(line)) {
        out.keep(line);
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      // Pretty frames: "12 const x = ..." then an underline row of ~.
      if (/^\d+\s/.test(line) || /^\s*~+\s*$/.test(line) || /^\s+$/.test(line)) {
        // Pretty frames repeat the location of the error line above.
        out.skip();
        continue;
      }
      if (elaboration >= 0 && /^\s{2,}\S/.test(line)) {
        if (elaboration < 6) out.keep(line);
        else out.drop('long elaborations');
        elaboration++;
        continue;
      }
      out.keep(line);
    }
    return groupDiagnostics(out.done(), parseTsc);
  },
};

function count(byFile: Map<string, string[]>): number {
  let n = 0;
  for (const ats of byFile.values()) n += ats.length;
  return n;
}

/** A bare path ending in a file extension: how stylish opens each file's group. */
const FILE_HEADING_RE = /^[^\s✖].*\.[A-Za-z0-9]{1,8}$/;
const ESLINT_ROW_RE = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*?)(?:\s{2,}(\S+))?$/;

export const eslint: CliFilter = {
  id: 'eslint',
  family: 'compilers',
  title: 'ESLint (stylish, unix and compact formats)',
  aliases: ['npx eslint', 'lint', 'npm run lint', 'linter'],
  keeps: ['every error with its file and line:col, message and rule (stylish rows kept verbatim under their file)', 'the ✖ N problems summary and the fixable line', 'fatal parse errors'],
  drops: ['warning rows, regrouped: one line per rule and message listing every file and line:col', 'headings of files that only have warnings (their paths are in the warning lines)'],
  detect(lines) {
    const rows = countMatches(lines, /^\s+\d+:\d+\s+(error|warning)\s+\S/, 4);
    const summary = countMatches(lines, /^✖ \d+ problems? \(\d+ errors?, \d+ warnings?\)/, 1);
    const unix = countMatches(lines, /^\S+:\d+:\d+: .* \[(Error|Warning)\/[\w@/-]+\]$/, 4);
    return rows || summary || unix ? scoreFrom(summary * 2 + (rows ? 1 : 0) + (unix ? 1 : 0), rows + unix) : 0;
  },
  *filter(lines) {
    const out = new Out();
    // Warnings grouped by rule and message, every location kept: "file 3:5 9:1; other 4:4".
    const warnGroups = new Map<string, Map<string, string[]>>();
    let file: string | null = null;
    let fileShown = false;
    let warnings = 0;
    const warn = (rule: string, message: string, f: string, at: string) => {
      warnings++;
      const k = `${rule}: ${message}`;
      let g = warnGroups.get(k);
      if (!g) warnGroups.set(k, (g = new Map()));
      g.set(f, [...(g.get(f) ?? []), at]);
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (isToolchainNoise(line)) {
        out.drop('toolchain noise');
        continue;
      }
      const row = ESLINT_ROW_RE.exec(line);
      if (row && file !== null) {
        if (row[3] === 'error') {
          if (!fileShown) {
            out.keep(file);
            fileShown = true;
          }
          out.keep(line);
        } else {
          warn(row[5] ?? '(no rule)', row[4]!.trim(), file, `${row[1]}:${row[2]}`);
          out.skip();
        }
        continue;
      }
      const unix = /^(\S+):(\d+:\d+): (.*) \[(Error|Warning)\/([\w@/-]+)\]$/.exec(line);
      if (unix) {
        if (unix[4] === 'Error') out.keep(line);
        else {
          warn(unix[5]!, unix[3]!, unix[1]!, unix[2]!);
          out.skip();
        }
        continue;
      }
      if (/^✖ \d+ problems?|^\s*\d+ errors? and \d+ warnings? potentially fixable/.test(line)) {
        out.keep(line);
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      if (FILE_HEADING_RE.test(line) && !line.includes(': ')) {
        // A file heading (stylish groups rows under the file path); shown only above an error.
        file = line;
        fileShown = false;
        out.skip();
        continue;
      }
      out.keep(line);
    }
    if (warnings) {
      out.note(`[${plural(warnings, 'warning')}, grouped by rule and message, every location listed:]`);
      const groups = [...warnGroups].sort((a, b) => count(b[1]) - count(a[1]));
      for (const [k, byFile] of groups) out.note(`warning ${k} ×${count(byFile)}: ${[...byFile].map(([f, ats]) => `${f} ${ats.join(' ')}`).join('; ')}`);
    }
    return groupDiagnostics(out.done(), parseEslintUnix);
  },
};

/** node-gyp's make steps ("  CXX(target) Release/obj.target/addon/src/a.o") and cmake's progress. */
const COMPILE_STEP_RE = /^\s+(?:CXX|CC|SOLINK_MODULE|SOLINK|LINK|AR|COPY|ACTION|TOUCH|RULE|STAMP)\((?:target|host)\) \S|^\s+(?:COPY|TOUCH|ACTION) \S/;
const NATIVE_BUILD_RE = /^gyp (info|ERR!|WARN) |^-- (The (C|CXX) compiler identification|Configuring done|Generating done|Build files have been written)|^\[\s*\d+%\] (Building|Linking|Built target) |^\s+(CXX|CC|SOLINK_MODULE)\(target\) /;

const CC_DIAG_RE = /^(\S.*?):(\d+)(:\d+)?: (fatal error|error|warning|note): /;
const CLANG_CARET_RE = /^\s*[~^][\s~^]*$/;

export const makeGcc: CliFilter = {
  id: 'make_gcc',
  family: 'compilers',
  title: 'make with gcc / clang, cmake and node-gyp builds (and other file:line:col compilers)',
  aliases: ['make', 'gcc', 'g++', 'clang', 'clang++', 'cc', 'c++', 'cmake', 'ninja', 'c', 'node-gyp', 'node-gyp rebuild', 'cmake --build', 'native build'],
  keeps: [
    'every error / fatal error / warning line with file:line:col, and notes that follow an error',
    '"In function" / "In file included from" context lines',
    'linker errors (undefined reference, ld:, collect2:)',
    'make: *** [...] Error N lines, "not remade because of errors", Nothing to be done',
    'a diagnostic repeated 3+ times with the same message: once, then every other location compactly',
    'CMake Warning/Error messages whole, cmake configure lines that report a problem or the outcome, gyp ERR!/WARN and gyp info ok, the last "Built target" line',
  ],
  drops: ['compiler command lines and node-gyp CXX/CC/SOLINK/COPY steps (counted)', 'cmake configure checks and gyp info lines (counted)', 'code frames (source line, caret and fix-it rows)', 'make Entering/Leaving directory rows', 'build progress percentages'],
  detect(lines) {
    const diags = countMatches(lines, CC_DIAG_RE, 4);
    const make = countMatches(lines, /^make(\[\d+\])?: (\*\*\*|Entering|Leaving|Nothing to be done|Target )/, 3) + countMatches(lines, NATIVE_BUILD_RE, 4);
    const cmds = countMatches(lines, /^(\S*\/)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(-\d+)? .*-c /, 3);
    if (!diags && !make) return 0;
    // .py/.rs/.go/.ts locations belong to other detectors.
    const foreign = countMatches(lines, /^\S+\.(py|rs|go|tsx?|jsx?):\d+/, 3);
    return Math.max(0, scoreFrom(diags + make, cmds) - foreign * 0.2);
  },
  *filter(lines) {
    const out = new Out();
    let lastSeverity = '';
    // Only the last "Built target" line is the result; the others are progress.
    let lastBuilt = -1;
    for (let i = 0; i < lines.length; i++) if (/^\[\s*\d+%\] Built target /.test(lines[i]!)) lastBuilt = i;
    let cmakeMessage = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      // "CMake Warning/Error at file:line": the indented message below it is kept whole.
      if (/^CMake (Warning|Error|Deprecation Warning)\b/.test(line)) {
        cmakeMessage = true;
        out.keep(line);
        continue;
      }
      if (cmakeMessage) {
        if (line.trim() === '' || /^\s/.test(line)) {
          if (line.trim() !== '') out.keep(line);
          continue;
        }
        cmakeMessage = false;
      }
      if (COMPILE_STEP_RE.test(line)) {
        out.drop('compile lines');
        continue;
      }
      if (/^gyp (ERR!|WARN)|^gyp info (ok|it worked)/.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^gyp info /.test(line)) {
        out.drop('gyp info lines');
        continue;
      }
      if (/^-- /.test(line)) {
        if (/warn|error|not found|could not|fail|missing|Build files have been written|Configuring (done|incomplete)|Generating done/i.test(line)) out.keep(line);
        else out.drop('cmake configure checks');
        continue;
      }
      if (/^\[\s*\d+%\] Built target /.test(line)) {
        if (i === lastBuilt) out.keep(line);
        else out.drop('build progress');
        continue;
      }
      // clang frames have no gutter: the source line, a caret row, sometimes a fix-it row.
      if (CLANG_CARET_RE.test(lines[i + 1] ?? '') && !CC_DIAG_RE.test(line)) {
        out.skip();
        continue;
      }
      if (CLANG_CARET_RE.test(line)) {
        const next = lines[i + 1] ?? '';
        if (/^\s+\S{1,40}$/.test(next) && !next.includes(':')) i++;
        out.skip();
        continue;
      }
      const d = CC_DIAG_RE.exec(line);
      if (d) {
        const sev = d[4]!;
        if (sev === 'note' && lastSeverity === 'warning') out.drop('notes on warnings');
        else out.keep(line);
        if (sev !== 'note') lastSeverity = sev;
        continue;
      }
      if (/: In (function|member function|constructor|destructor|instantiation of) |: At (top level|global scope):$|^In file included from |^\s+from \S+:\d+[,:]$/.test(line)) {
        out.keep(line);
        continue;
      }
      if (/undefined reference to|multiple definition of|^(\S*\/)?ld(\.\w+)?: |^collect2: |linker command failed|^clang(\+\+)?: error: /.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^make(\[\d+\])?: (Entering|Leaving) directory/.test(line)) {
        out.drop('make directory changes');
        continue;
      }
      if (/^make(\[\d+\])?: /.test(line)) {
        out.keep(line);
        continue;
      }
      if (isFrameLine(line) || /^\s+\|/.test(line)) {
        // The diagnostic line above already names file:line:col.
        out.skip();
        continue;
      }
      if (/^(\S*\/)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ar|ranlib|ld|libtool|mkdir|rm|cp|install)(-\d+)?\s/.test(line)) {
        out.drop('commands');
        continue;
      }
      if (/^\[\s*\d+%\]\s/.test(line) || /^\[\d+\/\d+\]\s/.test(line)) {
        if (/error|fail/i.test(line)) out.keep(line);
        else out.drop('build progress');
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      out.keep(line);
    }
    return groupDiagnostics(out.done(), parseCc);
  },
};
