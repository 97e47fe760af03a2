// CLI-output filtering: clean the terminal output, pick a detector (or take the caller's hint),
// compress, and report what was saved. Pure: no I/O.
import type { CliFilter } from './types.js';
import { cleanLinesSteps, runSync } from './clean.js';
import { gitDiff, gitLog, gitStatus } from './git.js';
import { pytest } from './pytest.js';
import { jest, mocha, vitest } from './js-tests.js';
import { goTest } from './go.js';
import { cargo } from './cargo.js';
import { eslint, makeGcc, tsc } from './compilers.js';
import { packageInstall } from './install.js';
import { genericLog } from './generic.js';
import { dependencyTree } from './deps.js';

export type { CliFilter } from './types.js';
export { cleanLines, looksBinary, runSync } from './clean.js';

/** Every detector, most specific first (earlier wins a tie). The generic log filter is last. */
export const CLI_FILTERS: readonly CliFilter[] = [gitDiff, gitLog, gitStatus, pytest, vitest, jest, mocha, goTest, cargo, tsc, eslint, makeGcc, packageInstall, dependencyTree, genericLog];

/** Seed-style hints that name a kind of output rather than a tool: resolved by detection within the group. */
const GROUP_HINTS: Record<string, string[]> = {
  test_output: ['pytest', 'vitest', 'jest', 'mocha', 'go_test', 'cargo'],
  tests: ['pytest', 'vitest', 'jest', 'mocha', 'go_test', 'cargo'],
  build_output: ['tsc', 'make_gcc', 'cargo', 'eslint'],
  compiler: ['tsc', 'make_gcc', 'cargo'],
  git: ['git_diff', 'git_log', 'git_status'],
};

const SCRIPT_RUNNERS = new Set(['npm', 'yarn', 'pnpm', 'bun']);

/** "auto" (or "detect") means: no hint. */
const AUTO_HINTS = new Set(['auto', 'detect', 'autodetect']);

function norm(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

const BY_NAME = new Map<string, CliFilter>();
for (const f of CLI_FILTERS) {
  BY_NAME.set(f.id, f);
  for (const a of f.aliases) BY_NAME.set(norm(a), f);
  BY_NAME.set(f.id.replace(/_/g, ' '), f);
  BY_NAME.set(f.id.replace(/_/g, '-'), f);
}

/** The hints a caller may pass (ids, aliases and group names), for error messages and docs. */
export function supportedHints(): string[] {
  return [...CLI_FILTERS.map((f) => f.id), ...Object.keys(GROUP_HINTS), 'auto'];
}

/**
 * Resolves a command hint: a detector id, an alias, a group ("test_output"), or a command line
 * ("npx jest --ci", "git diff HEAD~1", "python -m pytest -x"). Returns undefined if nothing matches.
 */
export function resolveHint(hint: string): { filters: CliFilter[] } | undefined {
  const h = norm(hint);
  if (AUTO_HINTS.has(h)) return { filters: [...CLI_FILTERS] };
  if (GROUP_HINTS[h]) return { filters: GROUP_HINTS[h]!.map((id) => BY_NAME.get(id)!) };
  const direct = BY_NAME.get(h);
  if (direct) return { filters: [direct] };
  // A command line: drop runners/wrappers and flags, then try the longest word prefix.
  const words = h
    .replace(/^(sudo|npx|pnpm exec|pnpm dlx|yarn dlx|bunx|uv run|poetry run|python3? -m|time)\s+/g, '')
    .split(' ')
    .filter((w) => !w.startsWith('-'));
  for (let n = Math.min(3, words.length); n >= 1; n--) {
    // "npm run build", "pnpm test": a script runner's output can be anything, so detect it.
    if (n === 1 && words.length > 1 && SCRIPT_RUNNERS.has(words[0]!)) return { filters: [...CLI_FILTERS] };
    const f = BY_NAME.get(words.slice(0, n).join(' '));
    if (f) return { filters: [f] };
  }
  return undefined;
}

export interface DetectionScore {
  id: string;
  score: number;
}

/** Scores every detector on cleaned lines (best first). Scanning is capped to keep detection cheap. */
export function scoreDetectors(lines: readonly string[], among: readonly CliFilter[] = CLI_FILTERS): DetectionScore[] {
  const sample = lines.length > 4000 ? [...lines.slice(0, 2000), ...lines.slice(-2000)] : lines;
  return among
    .map((f, i) => ({ id: f.id, score: f.detect(sample), i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ id, score }) => ({ id, score }));
}

/** Below this confidence (about two independent signature lines) the generic filter is safer. */
const MIN_CONFIDENCE = 0.5;

export function detect(lines: readonly string[], among: readonly CliFilter[] = CLI_FILTERS): CliFilter {
  const [best] = scoreDetectors(lines, among);
  if (!best || best.score < MIN_CONFIDENCE) return genericLog;
  return BY_NAME.get(best.id)!;
}

export interface FilterResult {
  filtered: string;
  detected_type: string;
  original_chars: number;
  filtered_chars: number;
  savings_pct: number;
  original_lines: number;
  filtered_lines: number;
}

export interface FilterOptions {
  /** A detector id, alias, group or command line; must have been checked with resolveHint. */
  hint?: string | null;
}

export function filterCliOutput(raw: string, opts: FilterOptions = {}): FilterResult {
  return runSync(filterCliOutputSteps(raw, opts));
}

/**
 * filterCliOutput as a generator that yields every few thousand lines, so a server can give the
 * event loop a turn between steps on multi-megabyte inputs. The return value is the result.
 */
export function* filterCliOutputSteps(raw: string, opts: FilterOptions = {}): Generator<undefined, FilterResult, unknown> {
  const lines = yield* cleanLinesSteps(raw);
  let filter: CliFilter;
  if (opts.hint) {
    const r = resolveHint(opts.hint);
    if (!r) throw new Error(`unknown command hint "${opts.hint}"`);
    filter = r.filters.length === 1 ? r.filters[0]! : detect(lines, r.filters);
  } else {
    filter = detect(lines);
  }
  let outLines = yield* filter.filter(lines);
  let filtered = outLines.join('\n');
  // A detector that makes things longer (tiny inputs plus markers) loses to plain cleaning. The
  // cleaned text's length is summed, not joined: on 100k tiny lines the join was a fifth of the time.
  let cleanedLength = Math.max(0, lines.length - 1);
  for (const l of lines) cleanedLength += l.length;
  if (filtered.length > cleanedLength) {
    filtered = lines.join('\n');
    outLines = lines;
  }
  const original = raw.length;
  return {
    filtered,
    detected_type: filter.id,
    original_chars: original,
    filtered_chars: filtered.length,
    savings_pct: original === 0 ? 0 : Math.max(0, Math.round((1000 * (original - filtered.length)) / original) / 10),
    original_lines: countLines(raw),
    filtered_lines: filtered === '' ? 0 : outLines.length,
  };
}

/** Lines as a reader counts them: a final newline does not start another line. */
function countLines(s: string): number {
  if (s === '') return 0;
  let n = 1;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return s.endsWith('\n') ? n - 1 : n;
}

export interface FilterDescription {
  id: string;
  family: string;
  title: string;
  hints: string[];
  keeps: string[];
  drops: string[];
}

export function describeFilters(): FilterDescription[] {
  return CLI_FILTERS.map((f) => ({ id: f.id, family: f.family, title: f.title, hints: [f.id, ...f.aliases], keeps: f.keeps, drops: f.drops }));
}
