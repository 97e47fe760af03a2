// Dependency trees and listings: npm ls (--all), pnpm/yarn list, cargo tree, pipdeptree, pip list /
// pip freeze. The root, every top-level entry and every problem line (UNMET, invalid, missing,
// extraneous, conflicts) survive verbatim, problem lines with the branch that leads to them; only
// repeated deep branches (marked deduped / (*), or a package@version already shown) are collapsed.
import type { CliFilter } from './types.js';
import { Out, countMatches, scoreFrom, YIELD_EVERY } from './clean.js';
import { plural } from '../plural.js';

// A tree row: a prefix of guides ("│ ", "|   ", spaces) then a branch ("├── ", "└─┬ ", "+-- ", "`-- ").
const BRANCH_RE = /^([\s│|]*)(?:[├└]─[─┬]|[+`\\]--|[├└]──)\s?/;
const PROBLEM_RE = /\b(UNMET|invalid|missing|extraneous|ERR!|error|conflict|incompatible|overridden|not satisfied)\b/i;
const REPEAT_RE = /\bdeduped\b|\(\*\)|\(circular\)/;

export const dependencyTree: CliFilter = {
  id: 'dependency_tree',
  family: 'install',
  title: 'Dependency trees and listings (npm ls, cargo tree, pipdeptree, pip list, pip freeze)',
  aliases: ['npm ls', 'npm list', 'npm ls --all', 'pnpm ls', 'pnpm list', 'yarn list', 'cargo tree', 'pipdeptree', 'pip list', 'pip freeze', 'pip3 list', 'gradle dependencies', 'mvn dependency:tree'],
  keeps: [
    'the root line(s) and every top-level entry',
    'every problem line (UNMET, invalid, missing, extraneous, conflicts, errors) with the branch leading to it',
    'deeper entries the first time a package@version appears',
    'every row of flat listings (pip list, pip freeze)',
  ],
  drops: ['repeated deep branches: entries marked deduped or (*), and a package@version already shown with its subtree (counted)'],
  detect(lines) {
    const tree = countMatches(lines, BRANCH_RE, 8);
    const pip = countMatches(lines.slice(0, 3), /^Package\s+Version\b|^-{6,}\s+-{5,}/, 2) + (countMatches(lines, /^[A-Za-z0-9_.-]+==\S+$/, 8) >= 8 ? 2 : 0);
    if (!tree && !pip) return 0;
    return scoreFrom(tree + pip * 2);
  },
  *filter(lines) {
    const out = new Out();
    // Depth by prefix width: the distinct widths in order are levels 1, 2, 3 …
    const width = lines.map((l) => {
      const m = BRANCH_RE.exec(l);
      return m ? m[1]!.length : -1;
    });
    const widths = [...new Set(width.filter((w) => w >= 0))].sort((a, b) => a - b);
    const depth = width.map((w) => (w < 0 ? 0 : widths.indexOf(w) + 1));
    const keep = new Uint8Array(lines.length);
    const root = new Uint8Array(lines.length); // where a collapsed branch starts
    const seen = new Set<string>();
    let skipBelow = Infinity; // collapsing a repeated subtree: rows deeper than this are inside it
    const parent: number[] = [];
    const stack: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      const d = depth[i]!;
      while (stack.length && depth[stack[stack.length - 1]!]! >= d) stack.pop();
      parent[i] = stack.length ? stack[stack.length - 1]! : -1;
      stack.push(i);
      if (d <= skipBelow) skipBelow = Infinity;
      if (lines[i]!.trim() === '') continue;
      const entry = lines[i]!.replace(BRANCH_RE, '').trim();
      if (d <= 1) {
        keep[i] = 1;
        seen.add(entry);
        continue;
      }
      if (skipBelow < d) continue;
      if (REPEAT_RE.test(entry) || seen.has(entry)) {
        skipBelow = d;
        root[i] = 1;
        continue;
      }
      seen.add(entry);
      keep[i] = 1;
    }
    // Problem lines, wherever they are, with the branch that leads to them.
    for (let i = 0; i < lines.length; i++) {
      if (!PROBLEM_RE.test(lines[i]!)) continue;
      for (let k = i; k >= 0 && !keep[k]; k = parent[k]!) keep[k] = 1;
    }
    // Each run of dropped rows becomes one marker naming its lines and branches, but only where it
    // saves lines: a single row is kept as it is (its marker would take the same one line).
    for (let i = 0; i < lines.length; ) {
      if (keep[i]) {
        out.keep(lines[i++]!);
        continue;
      }
      let end = i;
      let rows = 0;
      let branches = 0;
      for (; end < lines.length && !keep[end]; end++) {
        if (lines[end]!.trim() === '') continue;
        rows++;
        branches += root[end]!;
      }
      if (rows === 1) {
        for (; i < end; i++) if (lines[i]!.trim() !== '') out.keep(lines[i]!);
        continue;
      }
      // A run that starts inside a branch (after a kept problem row) is the rest of that branch.
      branches = Math.max(1, branches);
      out.drop('blank', end - i - rows);
      out.drop(rows === branches ? 'repeated deep branches' : `lines of ${plural(branches, 'repeated deep branch', 'repeated deep branches')}`, rows);
      i = end;
    }
    return out.done();
  },
};
