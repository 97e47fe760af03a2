// `ctxgate run -- CMD ARGS…`: runs a command, shows its output (untouched when short, filtered by the
// detector that fits the command line when long), keeps the raw bytes for `ctxgate show ID`, and exits
// as the command did. Loaded on every wrapped command, so it imports only node built-ins and the
// run log up front; the filters, tokenizer and store load only when output is long enough to filter.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Config } from '../config.js';
import { ensurePrivateDir } from '../paths.js';
import { BoundedCapture, RunLog, newRunId, type RunMeta } from '../services/run-log.js';

const USAGE = 'usage: ctxgate run [--lines N] -- CMD [ARGS…]';

/** The tool name savings are recorded under (what `ctxgate gain` shows). */
export const RUN_USAGE_TOOL = 'ctxgate_run';

/**
 * Lines that report a failure: a filter must keep each of them verbatim. Checked after filtering,
 * so a detector that folded one cannot hide it. A word inside a path or a name is not a report:
 * `test/errors.test.ts`, `--fail-fast`, `✓ error-handling.test.ts` are not failures.
 */
const FAILURE_LINE = /(?<![\w/.-])(error|errors|failed|failure|fail|fatal|panic(ked)?|exception|traceback|assert(ion)?(error)?)(?![\w-]|\.\w)|✗|✘|×|^E\s{2,}|^FAIL\b|^ERR!/i;
/**
 * git prints what it read (commit messages, file names, diff lines): a word there is the project's
 * text, not a failure of the command. Only git's own diagnostics report one.
 */
const GIT_FAILURE_LINE = /^(fatal|error):/;

function die(message: string, code = 2): never {
  process.stderr.write(`ctxgate run: ${message}\n`);
  process.exit(code);
}

function parseRunArgs(argv: string[], config: Config): { lines: number; command: string[] } {
  let lines = config.run.passthroughLines;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--lines') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) die(`--lines must be a whole number of lines (0 or more), got "${argv[i] ?? ''}"`);
      lines = n;
      continue;
    }
    if (a.startsWith('-')) die(`unknown option "${a}"\n${USAGE}`);
    break; // the command itself, without a "--"
  }
  const command = argv.slice(i);
  if (command.length === 0) die(`no command given\n${USAGE}`);
  return { lines, command };
}

/** Whether the shell would find `cmd` (a path, or a name on PATH), without running anything. */
function findable(cmd: string): boolean {
  const ok = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd);
  // Shell builtins and keywords an agent may wrap (`ctxgate run -- cd x`) are not files: let sh decide.
  if (/^(cd|export|set|ulimit|umask|\.|source|eval|exec|test|\[|true|false|echo|printf|command|type)$/.test(cmd)) return true;
  return (process.env.PATH ?? '').split(':').some((dir) => ok(path.join(dir || '.', cmd)));
}

/** One line per run that was filtered: what was dropped and how to read all of it. */
function footer(meta: RunMeta): string {
  const dropped = meta.lines - meta.shown_lines;
  const status = meta.signal ? `killed by ${meta.signal}` : `exit ${meta.exit_code}`;
  return `[ctxgate run: ${meta.detector} filter showed ${meta.shown_lines} of ${meta.lines} lines (${dropped} folded or dropped)${meta.truncated ? `, ${meta.bytes - meta.kept_bytes} bytes beyond the log cap not kept` : ''}; ${status}; full output: ctxgate show ${meta.id}]\n`;
}

interface Filtered {
  text: string;
  detector: string;
  shownLines: number;
}

/** The project's CLI filters (the engine behind filter_cli_output and `ctxgate filter`), plus the failure-line guard. */
async function filterOutput(raw: string, command: string[]): Promise<Filtered | undefined> {
  const { filterCliOutput, resolveHint, looksBinary, cleanLines } = await import('../engine/cli/index.js');
  // Binary output is not terminal text: no detector applies, and it is shown as it came.
  if (looksBinary(raw)) return undefined;
  const line = command.join(' ');
  const res = filterCliOutput(raw, { hint: resolveHint(line) ? line : null });
  const kept = new Set(res.filtered.split('\n'));
  const failure = res.detected_type.startsWith('git_') ? GIT_FAILURE_LINE : FAILURE_LINE;
  const missing = cleanLines(raw).filter((l) => failure.test(l) && !kept.has(l));
  let text = res.filtered;
  // Every failure line survives verbatim: any a detector folded are added back, under a marker.
  if (missing.length) text += `\n[ctxgate run: ${missing.length} failure line(s) the filter folded, verbatim:]\n${[...new Set(missing)].join('\n')}`;
  return { text: text.endsWith('\n') || text === '' ? text : text + '\n', detector: res.detected_type, shownLines: text === '' ? 0 : text.split('\n').length };
}

/**
 * Records the tokens a filtered run saved in the usage store, as the local owner (`ctxgate gain`).
 * Opens only the store: building the whole app (every tool) would cost seconds per wrapped command.
 * On a data dir that has no owner yet, the app is built once to create it, as every command does.
 */
async function recordSavings(config: Config, raw: string, shown: string): Promise<void> {
  const [{ openStore }, { countTokens }, { UsageService }, { localOwnerCaller }] = await Promise.all([
    import('../store/store.js'),
    import('../engine/tokens.js'),
    import('../services/usage.js'),
    import('../domain/scope.js'),
  ]);
  const tokens = (s: string) => (s.length <= 256 * 1024 ? countTokens(s) : Math.ceil(s.length / 4));
  const metering = { tokensIn: tokens(raw), tokensOut: tokens(shown) };
  ensurePrivateDir(config.dataDir);
  const store = await openStore(config);
  try {
    const user = await store.users().first();
    const project = user && (await store.projects({ ownerId: user.id }).getDefault());
    if (user && project) {
      await new UsageService({ store, config }).record(localOwnerCaller(user.id, project.id, config.ownerPlan), RUN_USAGE_TOOL, metering);
      return;
    }
  } finally {
    await store.close();
  }
  const [{ createApp }, { createLogger }, { ownerCaller }] = await Promise.all([import('../app.js'), import('../log.js'), import('./common.js')]);
  const app = await createApp(config, createLogger('silent', 'stderr'));
  try {
    await app.deps.service(UsageService).record(await ownerCaller(app), RUN_USAGE_TOOL, metering);
  } finally {
    await app.close();
  }
}

/** The text the filter reads: the output, or when the log cap cut it, the two kept halves with the cut marked. */
function filterInput(meta: RunMeta, raw: Buffer): string {
  if (!meta.truncated) return raw.toString('utf8');
  const cut = `\n[ctxgate run: ${meta.bytes - meta.kept_bytes} bytes of output not kept here]\n`;
  return raw.subarray(0, meta.head_bytes).toString('utf8') + cut + raw.subarray(meta.head_bytes).toString('utf8');
}

/**
 * Counting tokens needs the tokenizer's tables (about a second to load), so the savings of a filtered
 * run are recorded by a detached `ctxgate run --record ID` after the command has returned: the
 * agent waits for the command's output, not for the bookkeeping.
 */
function recordInBackground(id: string): void {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', '--record', id], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
}

/** `ctxgate run --record ID`: the same filter over the kept output, and its savings into the usage store. */
async function recordRun(config: Config, id: string | undefined): Promise<void> {
  const log = runLog(config);
  const meta = id ? log.meta(id) : undefined;
  const file = id ? log.rawPath(id) : undefined;
  if (!meta || !file || meta.shown !== 'filtered') die(`--record: no filtered run ${id ?? ''}`);
  const text = filterInput(meta, fs.readFileSync(file));
  const filtered = await filterOutput(text, meta.argv);
  if (filtered) await recordSavings(config, text, filtered.text + footer(meta));
}

export function runLog(config: Config): RunLog {
  return new RunLog(config.dataDir, { maxBytes: config.run.logMaxBytes, totalBytes: config.run.logTotalBytes, maxAgeDays: config.run.logMaxAgeDays });
}

/** Writes to stdout; a reader that went away (`| head`) is not an error: the exit code stays the command's. */
function write(data: string | Buffer): Promise<void> {
  process.stdout.on('error', () => {});
  return new Promise((resolve) => process.stdout.write(data, () => resolve()));
}

export async function runCmd(config: Config, argv: string[]): Promise<void> {
  if (argv[0] === '--record') return recordRun(config, argv[1]);
  const { lines: threshold, command } = parseRunArgs(argv, config);
  const [cmd, ...args] = command as [string, ...string[]];
  if (!findable(cmd)) die(`${cmd}: command not found`, 127);

  const id = newRunId();
  const started = Date.now();
  const capture = new BoundedCapture(Math.max(1024, config.run.logMaxBytes));
  // One pipe for both streams (sh dup's stderr onto it before exec), so the log has them interleaved
  // exactly as the command wrote them; exec leaves no shell between us and the command.
  const child = spawn('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', cmd, ...args], { stdio: ['inherit', 'pipe', 'inherit'] });
  // Ctrl-C reaches the command through the terminal's process group; a SIGTERM or SIGHUP sent to us
  // alone (an agent's timeout) is passed on, and we exit once the command has.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  child.stdout!.on('data', (c: Buffer) => capture.push(c));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  }).catch((e: Error) => die(`could not start ${cmd}: ${e.message}`, 126));

  const raw = capture.bytes();
  const meta: RunMeta = {
    id,
    argv: command,
    cwd: process.cwd(),
    started_at: new Date(started).toISOString(),
    duration_ms: Date.now() - started,
    exit_code: code,
    signal,
    bytes: capture.total,
    kept_bytes: raw.length,
    truncated: capture.truncated,
    head_bytes: capture.headBytes,
    lines: capture.lineCount(),
    shown: 'passthrough',
    detector: null,
    shown_lines: capture.lineCount(),
  };
  const log = runLog(config);

  let filtered: Filtered | undefined;
  if (meta.lines > threshold || meta.truncated) filtered = await filterOutput(filterInput(meta, raw), command);
  if (filtered) Object.assign(meta, { shown: 'filtered', detector: filtered.detector, shown_lines: filtered.shownLines });
  try {
    log.save(meta, raw);
  } catch (e) {
    process.stderr.write(`ctxgate run: could not keep the raw output in ${log.dir}: ${(e as Error).message}\n`);
  }

  if (filtered) {
    await write(filtered.text + footer(meta));
    recordInBackground(id);
  } else if (raw.length) {
    await write(raw);
  }

  process.off('SIGTERM', forward);
  process.off('SIGHUP', forward);
  process.off('SIGINT', ignore);
  if (signal) {
    // Die the way the command died, so a caller sees the same signal (a shell then reports 128+N).
    process.kill(process.pid, signal);
    await new Promise((r) => setTimeout(r, 100));
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  }
  process.exitCode = code ?? 1;
}
