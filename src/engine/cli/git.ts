// git diff, git log and git status.
import type { CliFilter } from './types.js';
import { Out, countMatches, scoreFrom, YIELD_EVERY } from './clean.js';

// Lock files and generated bundles: their changed lines are noise to a reader of the diff.
const GENERATED_RE = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|poetry\.lock|Gemfile\.lock|composer\.lock|go\.sum|[^/]+\.min\.(js|css)|[^/]+\.map)$/;

function diffPath(header: string): string {
  const m = /^diff --git a\/(.*) b\/(.*)$/.exec(header);
  return m ? m[2]! : header.replace(/^diff (--git|-u|-r)?\s*/, '');
}

export const gitDiff: CliFilter = {
  id: 'git_diff',
  family: 'git',
  title: 'git diff / unified diff',
  aliases: ['diff', 'git diff', 'git show', 'patch', 'unified_diff'],
  keeps: [
    'every file name (diff --git headers; ---/+++ lines when there is no git header)',
    'new/deleted/renamed/mode-change markers and "Binary files differ" lines',
    'every hunk header (@@ -a,b +c,d @@ with its function context)',
    'every added and removed line',
  ],
  drops: [
    'context lines (folded into a count)',
    'index lines and ---/+++ lines already named by the git header',
    'bodies of deleted files and of lock/generated files (replaced by a count of +/- lines)',
  ],
  detect(lines) {
    const headers = countMatches(lines, /^diff --git a\//, 3);
    const hunks = countMatches(lines, /^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/, 3);
    const plain = countMatches(lines, /^(---|\+\+\+) \S/, 2);
    if (!headers && !hunks) return 0;
    return scoreFrom(headers * 1.5 + hunks, plain);
  },
  *filter(lines) {
    const out = new Out();
    let file = '';
    let hasGitHeader = false;
    let folded: { plus: number; minus: number; why: string } | null = null;
    const endFold = () => {
      if (folded && (folded.plus || folded.minus)) out.note(`  [${folded.why}: +${folded.plus} -${folded.minus} lines not shown]`);
      folded = null;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (line.startsWith('diff ')) {
        endFold();
        file = diffPath(line);
        hasGitHeader = line.startsWith('diff --git ');
        out.keep(line);
        if (GENERATED_RE.test(file)) folded = { plus: 0, minus: 0, why: 'generated/lock file' };
        continue;
      }
      if (/^deleted file mode /.test(line)) {
        out.keep(line);
        folded = { plus: 0, minus: 0, why: 'deleted file' };
        continue;
      }
      if (/^(new file mode|old mode|new mode|similarity index|dissimilarity index|rename from|rename to|copy from|copy to|Binary files .* differ|GIT binary patch)/.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^index [0-9a-f]+\.\.[0-9a-f]+/.test(line)) {
        out.skip();
        continue;
      }
      if (/^(---|\+\+\+) /.test(line) && !folded) {
        if (hasGitHeader) out.skip();
        else out.keep(line);
        continue;
      }
      if (/^(---|\+\+\+) /.test(line)) continue;
      if (line.startsWith('@@')) {
        if (folded) continue;
        out.keep(line);
        continue;
      }
      if (folded) {
        if (line.startsWith('+')) folded.plus++;
        else if (line.startsWith('-')) folded.minus++;
        continue;
      }
      if (line.startsWith('+') || line.startsWith('-')) {
        out.keep(line);
      } else if (line.startsWith(' ') || line === '') {
        // Context is implied by the hunk header's line numbers.
        out.skip();
      } else if (line.startsWith('\\ No newline')) {
        out.keep(line);
      } else {
        // Anything else (a commit header from git show, a stat line) is kept: it is not diff body.
        out.keep(line);
      }
    }
    endFold();
    return out.done();
  },
};

/** A --stat row: " src/a.ts | 12 +++---" or " img.png | Bin 0 -> 1234 bytes". */
const STAT_ROW_RE = /^ (\S.*?) +\| +(\d+|Bin(?: \d+ -> \d+ bytes)?)/;

export const gitLog: CliFilter = {
  id: 'git_log',
  family: 'git',
  title: 'git log (default, medium or --stat format)',
  aliases: ['git log', 'log_git', 'commits'],
  keeps: [
    'one line per commit: short hash, date (year once in the header when all commits share it), author, subject (and "(merge)" for merges whose subject does not say so)',
    'the "N files changed" line of --stat output, and every file with its change count on one line below the commit',
  ],
  drops: ['commit bodies, full hashes, e-mail addresses, the +/- bars of --stat rows'],
  detect(lines) {
    const commits = countMatches(lines, /^commit [0-9a-f]{7,40}\b/, 5);
    const authors = countMatches(lines, /^Author: /, 5);
    if (!commits || !authors) return 0;
    return scoreFrom(commits + authors);
  },
  *filter(lines) {
    const out = new Out();
    type Commit = { hash: string; merge: boolean; author: string; date: string; subject: string; stat: string; files: string[]; bodyLines: number };
    let cur: Commit | null = null;
    // When every commit falls in one year, the year is said once in the header, not on every line.
    const years = new Set<string>();
    for (const l of lines) {
      if (/^(Date|AuthorDate): /.test(l)) years.add(normaliseGitDate(l.replace(/^\w+:\s+/, '')).slice(0, 5));
    }
    const [onlyYear] = years.size === 1 ? [...years] : [];
    const year = onlyYear && /^\d{4}-$/.test(onlyYear) ? onlyYear.slice(0, 4) : null;
    const emit = () => {
      if (!cur) return;
      const date = year && cur.date.startsWith(`${year}-`) ? cur.date.slice(5) : cur.date;
      let s = `${cur.hash.slice(0, 10)} ${date} ${cur.author}: ${cur.subject}`;
      // A merge whose subject does not already say so ("Merge pull request…", "Merge branch…").
      if (cur.merge && !/^Merge\b/i.test(cur.subject)) s += ' (merge)';
      if (cur.stat) s += ` [${cur.stat.trim()}]`;
      out.keep(s);
      // --stat: every file with its change count, on one line ("path 12, other 3"); the +/- bar is dropped.
      if (cur.files.length) out.keep(`    ${cur.files.join(', ')}`);
      // Bodies are omitted silently: the header note says so once.
      cur = null;
    };
    const stat = lines.some((l) => STAT_ROW_RE.test(l));
    out.note(`[git log${year ? `, all in ${year}` : ''}: one line per commit (hash ${year ? 'MM-DD' : 'date'} author: subject)${stat ? ', then its files with change counts' : ''}; commit bodies omitted]`);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      const m = /^commit ([0-9a-f]{7,40})(.*)$/.exec(line);
      if (m) {
        emit();
        cur = { hash: m[1]!, merge: false, author: '', date: '', subject: '', stat: '', files: [], bodyLines: 0 };
        continue;
      }
      if (!cur) {
        out.keep(line);
        continue;
      }
      if (/^Merge: /.test(line)) cur.merge = true;
      else if (/^Author: /.test(line)) cur.author = line.slice(8).replace(/\s*<[^>]*>\s*$/, '').trim();
      else if (/^(Date|AuthorDate): /.test(line)) cur.date = normaliseGitDate(line.replace(/^\w+:\s+/, ''));
      else if (/^(Commit|CommitDate): /.test(line)) continue;
      else if (/^ {4}/.test(line)) {
        if (!cur.subject) cur.subject = line.trim();
        else cur.bodyLines++;
      } else if (/^ \d+ files? changed/.test(line)) cur.stat = line;
      else if (STAT_ROW_RE.test(line)) {
        const r = STAT_ROW_RE.exec(line)!;
        cur.files.push(`${r[1]!.trim()} ${r[2]!.replace(/\s+/g, ' ')}`);
      }
      else if (line === '') continue;
      else cur.bodyLines++;
    }
    emit();
    return out.done();
  },
};

const MONTHS: Record<string, string> = { Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12' };

/** "Fri May 22 09:12:03 2026 -0500" → "2026-05-22"; ISO dates keep their date part; others pass through. */
export function normaliseGitDate(d: string): string {
  const m = /^\w{3} (\w{3}) (\d{1,2}) [\d:]+ (\d{4})/.exec(d);
  if (m && MONTHS[m[1]!]) return `${m[3]}-${MONTHS[m[1]!]}-${m[2]!.padStart(2, '0')}`;
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(d);
  return iso ? iso[1]! : d.trim();
}

export const gitStatus: CliFilter = {
  id: 'git_status',
  family: 'git',
  title: 'git status (long and porcelain formats)',
  aliases: ['git status', 'status'],
  keeps: ['branch and upstream state', 'every staged, unstaged, unmerged and untracked path with its state', 'the "nothing to commit" line'],
  drops: ['"(use git ... )" hints, blank lines', 'untracked paths beyond 40 (counted per top directory)'],
  detect(lines) {
    const head = countMatches(lines.slice(0, 5), /^(On branch |HEAD detached (at|from) |## \S|Not currently on any branch)/, 1);
    const sections = countMatches(lines, /^(Changes to be committed:|Changes not staged for commit:|Untracked files:|Unmerged paths:|nothing to commit|no changes added to commit)/, 4);
    const porcelain = countMatches(lines, /^[ MADRCU?!][ MADRCUT?!] \S/, 4);
    if (!head && !sections) return 0;
    return scoreFrom(head + sections + (head ? porcelain * 0.5 : 0));
  },
  *filter(lines) {
    const out = new Out();
    let section = '';
    const untracked: string[] = [];
    const flushUntracked = () => {
      if (!untracked.length) return;
      const shown = untracked.slice(0, 40);
      for (const p of shown) out.keep(p);
      if (untracked.length > shown.length) {
        const byDir = new Map<string, number>();
        for (const p of untracked.slice(40)) {
          const top = p.trim().split('/')[0] + (p.trim().includes('/') ? '/' : '');
          byDir.set(top, (byDir.get(top) ?? 0) + 1);
        }
        out.note(`\t… ${untracked.length - 40} more untracked: ${[...byDir].map(([d, n]) => `${d} ${n}`).join(', ')}`);
      }
      untracked.length = 0;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (/^\s+\(use "git .*\)$|^\s+\(fix conflicts .*\)$|^\s+\(all conflicts fixed.*\)$|^\s+\(commit or discard .*\)$/.test(line)) {
        out.drop('git hints');
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      if (/^[A-Z][\w ]+:$/.test(line) || /^(nothing|no changes) /.test(line)) {
        flushUntracked();
        section = line;
        out.keep(line);
        continue;
      }
      if (section === 'Untracked files:' && /^\t/.test(line)) {
        untracked.push(line);
        continue;
      }
      if (/^\?\? /.test(line)) {
        untracked.push(line);
        continue;
      }
      flushUntracked();
      out.keep(line);
    }
    flushUntracked();
    return out.done();
  },
};
