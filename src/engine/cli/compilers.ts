// Compilers and linters: tsc, eslint, make with gcc/clang.
import type { CliFilter } from './types.js';
import { Out, countMatches, isToolchainNoise, scoreFrom, YIELD_EVERY } from './clean.js';
import { isFrameLine } from './frames.js';

const TSC_PLAIN_RE = /^\S.*\(\d+,\d+\): (error|warning) TS\d+: /;
const TSC_PRETTY_RE = /^\S.*:\d+:\d+ - (error|warning) TS\d+: /;

export const tsc: CliFilter = {
  id: 'tsc',
  family: 'compilers',
  title: 'TypeScript compiler (tsc, plain and --pretty)',
  aliases: ['typescript', 'npx tsc', 'tsc --noEmit', 'vue-tsc'],
  keeps: ['every error/warning line with file:line:col and TS code', 'its indented elaboration lines (first 6)', '"Found N errors" and the per-file error table', 'watch-mode status lines'],
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
    return out.done();
  },
};

/** A bare path ending in a file extension: how stylish opens each file's group. */
const FILE_HEADING_RE = /^[^\s✖].*\.[A-Za-z0-9]{1,8}$/;
const ESLINT_ROW_RE = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*?)(?:\s{2,}(\S+))?$/;

export const eslint: CliFilter = {
  id: 'eslint',
  family: 'compilers',
  title: 'ESLint (stylish, unix and compact formats)',
  aliases: ['npx eslint', 'lint', 'npm run lint', 'linter'],
  keeps: ['every error with its file and line:col, message and rule (stylish rows kept verbatim under their file)', 'the ✖ N problems summary and the fixable line', 'fatal parse errors'],
  drops: ['warnings (folded into per-rule counts, with the files they occur in counted)', 'files that only have warnings (counted)'],
  detect(lines) {
    const rows = countMatches(lines, /^\s+\d+:\d+\s+(error|warning)\s+\S/, 4);
    const summary = countMatches(lines, /^✖ \d+ problems? \(\d+ errors?, \d+ warnings?\)/, 1);
    const unix = countMatches(lines, /^\S+:\d+:\d+: .* \[(Error|Warning)\/[\w@/-]+\]$/, 4);
    return rows || summary || unix ? scoreFrom(summary * 2 + (rows ? 1 : 0) + (unix ? 1 : 0), rows + unix) : 0;
  },
  *filter(lines) {
    const out = new Out();
    const warnRules = new Map<string, number>();
    const warnFiles = new Set<string>();
    let file: string | null = null;
    let fileShown = false;
    let warnings = 0;
    const warn = (rule: string, f: string) => {
      warnings++;
      warnRules.set(rule, (warnRules.get(rule) ?? 0) + 1);
      warnFiles.add(f);
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
          warn(row[5] ?? '(no rule)', file);
          out.drop('warnings');
        }
        continue;
      }
      const unix = /^(\S+):\d+:\d+: .* \[(Error|Warning)\/([\w@/-]+)\]$/.exec(line);
      if (unix) {
        if (unix[2] === 'Error') out.keep(line);
        else {
          warn(unix[3]!, unix[1]!);
          out.drop('warnings');
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
      const rules = [...warnRules].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ×${n}`);
      out.note(`[${warnings} warning${warnings === 1 ? '' : 's'} folded, in ${warnFiles.size} file${warnFiles.size === 1 ? '' : 's'}: ${rules.join(', ')}]`);
    }
    return out.done();
  },
};

const CC_DIAG_RE = /^(\S.*?):(\d+)(:\d+)?: (fatal error|error|warning|note): /;
const CLANG_CARET_RE = /^\s*[~^][\s~^]*$/;

export const makeGcc: CliFilter = {
  id: 'make_gcc',
  family: 'compilers',
  title: 'make with gcc / clang (and other file:line:col compilers)',
  aliases: ['make', 'gcc', 'g++', 'clang', 'clang++', 'cc', 'c++', 'cmake', 'ninja', 'c'],
  keeps: [
    'every error / fatal error / warning line with file:line:col, and notes that follow an error',
    '"In function" / "In file included from" context lines',
    'linker errors (undefined reference, ld:, collect2:)',
    'make: *** [...] Error N lines, "not remade because of errors", Nothing to be done',
  ],
  drops: ['compiler command lines (counted)', 'code frames (source line, caret and fix-it rows)', 'make Entering/Leaving directory rows', 'build progress percentages'],
  detect(lines) {
    const diags = countMatches(lines, CC_DIAG_RE, 4);
    const make = countMatches(lines, /^make(\[\d+\])?: (\*\*\*|Entering|Leaving|Nothing to be done|Target )/, 3);
    const cmds = countMatches(lines, /^(\S*\/)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(-\d+)? .*-c /, 3);
    if (!diags && !make) return 0;
    // .py/.rs/.go/.ts locations belong to other detectors.
    const foreign = countMatches(lines, /^\S+\.(py|rs|go|tsx?|jsx?):\d+/, 3);
    return Math.max(0, scoreFrom(diags + make, cmds) - foreign * 0.2);
  },
  *filter(lines) {
    const out = new Out();
    let lastSeverity = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
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
    return out.done();
  },
};
