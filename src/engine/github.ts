// GitHub inbound (issue 18, point 5), the pure parts: the X-Hub-Signature-256 check, which files a
// push leaves changed, path patterns, a unified diff's files and changed lines, and the pull-request
// comment. No I/O here; src/services/github.ts fetches and stores.
import crypto from 'node:crypto';
import { plural } from './plural.js';

/** `sha256=<hex HMAC-SHA256(secret, raw body)>`, GitHub's X-Hub-Signature-256. */
export function githubSignature(secret: string, raw: Buffer | string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(raw).digest('hex');
}

/** Whether `header` is the signature of `raw` under `secret`, compared in constant time. */
export function verifyGithubSignature(secret: string, raw: Buffer, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(githubSignature(secret, raw), 'utf8');
  const given = Buffer.from(header.toLowerCase(), 'utf8');
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

export interface PushCommit {
  added?: string[];
  modified?: string[];
  removed?: string[];
}

/**
 * What a push leaves changed, from its commits in order: a path's last state wins (added then
 * removed in one push is removed; removed then added again is changed).
 */
export function pushChanges(commits: readonly PushCommit[]): { changed: string[]; removed: string[] } {
  const state = new Map<string, 'changed' | 'removed'>();
  for (const c of commits) {
    for (const p of [...(c.added ?? []), ...(c.modified ?? [])]) state.set(p, 'changed');
    for (const p of c.removed ?? []) state.set(p, 'removed');
  }
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [p, s] of state) (s === 'changed' ? changed : removed).push(p);
  return { changed: changed.sort(), removed: removed.sort() };
}

/** A path pattern: `**` any run of segments, `*` within one segment, `?` one character; else literal. */
export function pathPattern(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchesAny(path: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => pathPattern(p).test(path));
}

export interface DiffFile {
  path: string;
  /** The path before a rename. */
  old_path: string | null;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  additions: number;
  deletions: number;
  binary: boolean;
  /** New-side line numbers the change touches: added lines, and where lines were removed. */
  touched: number[];
}

/** The files of a unified diff (`git diff`, GitHub's application/vnd.github.diff). */
export function parseUnifiedDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  let f: DiffFile | null = null;
  let newLine = 0;
  let inHunk = false;
  for (const line of diff.split('\n')) {
    const head = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
    if (head) {
      f = { path: head[2]!, old_path: head[1] !== head[2] ? head[1]! : null, status: head[1] !== head[2] ? 'renamed' : 'modified', additions: 0, deletions: 0, binary: false, touched: [] };
      files.push(f);
      inHunk = false;
      continue;
    }
    if (!f) continue;
    if (!inHunk) {
      if (line.startsWith('new file mode')) f.status = 'added';
      else if (line.startsWith('deleted file mode')) f.status = 'removed';
      else if (line.startsWith('rename from ')) f.old_path = line.slice('rename from '.length);
      else if (line.startsWith('rename to ')) {
        f.path = line.slice('rename to '.length);
        f.status = 'renamed';
      } else if (/^Binary files .* differ$/.test(line) || line === 'GIT binary patch') f.binary = true;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      newLine = Number(hunk[1]);
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    if (line.startsWith('+')) {
      f.additions++;
      if (f.touched[f.touched.length - 1] !== newLine) f.touched.push(newLine);
      newLine++;
    } else if (line.startsWith('-')) {
      f.deletions++;
      if (f.touched[f.touched.length - 1] !== newLine) f.touched.push(newLine);
    } else if (line.startsWith(' ')) newLine++;
  }
  return files;
}

/** Definitions (1-based inclusive line spans) that contain a touched line; innermost first within a line. */
export function touchedDefinitions<D extends { startLine: number; endLine: number }>(defs: readonly D[], touched: readonly number[]): D[] {
  if (!touched.length) return [];
  const sorted = [...touched].sort((a, b) => a - b);
  return defs.filter((d) => {
    // First touched line at or after the definition's start.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < d.startLine) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && sorted[lo]! <= d.endLine;
  });
}

export interface PullRequestSummary {
  repository: string;
  number: number;
  title: string;
  head_sha: string;
  files: Array<{ path: string; status: DiffFile['status']; additions: number; deletions: number; symbols: string[] }>;
  diff_tokens: number;
  summary_tokens: number;
  savings_pct: number;
  /** Files that depend on the changed symbols, most affected first. */
  blast_radius: Array<{ path: string; score: number; via: string[] }>;
  compressed_diff: string;
  /** Set when the diff was longer than the comment can carry. */
  truncated: boolean;
}

/** GitHub caps an issue comment at 65,536 characters; stay well below. */
export const COMMENT_MAX_CHARS = 60_000;

/** The pull-request comment (GitHub-flavoured Markdown). */
export function pullRequestComment(s: PullRequestSummary): string {
  const adds = s.files.reduce((n, f) => n + f.additions, 0);
  const dels = s.files.reduce((n, f) => n + f.deletions, 0);
  const out: string[] = [
    `### ctxgate: compressed diff of #${s.number}`,
    '',
    `${plural(s.files.length, 'file')} changed (+${adds} −${dels}) · diff ${s.diff_tokens} tokens → summary ${s.summary_tokens} tokens (${s.savings_pct}% saved)`,
    '',
    '| file | change | + | − | changed symbols |',
    '|---|---|---:|---:|---|',
    ...s.files.slice(0, 100).map((f) => `| \`${f.path}\` | ${f.status} | ${f.additions} | ${f.deletions} | ${f.symbols.slice(0, 8).map((x) => `\`${x}\``).join(', ')} |`),
  ];
  if (s.files.length > 100) out.push(`| … ${s.files.length - 100} more | | | | |`);
  out.push('');
  if (s.blast_radius.length) {
    out.push('**Blast radius** (files that use the changed symbols):', '');
    for (const b of s.blast_radius) out.push(`- \`${b.path}\` (${b.via.map((v) => `\`${v}\``).join(', ')})`);
    out.push('');
  }
  const fence = s.compressed_diff.includes('```') ? '~~~~' : '```';
  let body = s.compressed_diff;
  const room = COMMENT_MAX_CHARS - out.join('\n').length - 200;
  if (body.length > room) body = body.slice(0, Math.max(0, room)) + '\n[… cut to fit a comment]';
  out.push('<details><summary>Compressed diff</summary>', '', fence + 'diff', body, fence, '', '</details>');
  return out.join('\n');
}
