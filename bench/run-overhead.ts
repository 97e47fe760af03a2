// What `ctxgate run -- true` adds over `true` (median of 50 wall times), with and without a running
// `ctxgate serve` on the same data dir; what the agent hook costs per shell command; and the import
// cost of the lean entry versus the whole app, a filtered run (git log) against the command alone, and
// the start-up of `ctxgate filter` in a pipe (it opens the app and meters through the tool pipeline).
// Uses the built CLI (dist/, rebuilt when stale), as an installed ctxgate runs. Prints one JSON object.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const N = Number(process.env.RUNS ?? 50);

spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-if-stale.mjs')], { stdio: 'inherit' });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-run-bench-'));
const env = { ...process.env, CTXGATE_DATA_DIR: dataDir, CTXGATE_LOG_LEVEL: 'info', CTXGATE_PORT: '0' };

function wall(cmd: string, args: string[], input?: string): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(100 * (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2)) / 100;
}

/** Interleaved, so a busy moment of the machine hits both sides alike. */
function overhead(): { true_ms: number; run_true_ms: number; node_empty_ms: number; added_ms: number; added_over_node_ms: number } {
  const t: number[] = [];
  const r: number[] = [];
  const n: number[] = [];
  const bin = spawnSync('sh', ['-c', 'command -v true'], { encoding: 'utf8' }).stdout.trim() || '/bin/true';
  for (let i = 0; i < N; i++) {
    t.push(wall(bin, []));
    r.push(wall(process.execPath, [CLI, 'run', '--', 'true']));
    n.push(wall(process.execPath, ['-e', '0']));
  }
  const [tm, rm, nm] = [median(t), median(r), median(n)];
  return { true_ms: tm, run_true_ms: rm, node_empty_ms: nm, added_ms: Math.round(100 * (rm - tm)) / 100, added_over_node_ms: Math.round(100 * (rm - nm)) / 100 };
}

function importCost(target: string, runs = 7): number {
  const code = `const t=performance.now();await import(${JSON.stringify(target)});process.stdout.write(String(performance.now()-t))`;
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
    xs.push(Number(r.stdout));
  }
  return median(xs);
}

async function withServer<T>(fn: () => T): Promise<T> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"listening"')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
  try {
    return fn();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const hookInput = JSON.stringify({ session_id: 's', cwd: ROOT, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'npm test' } });
const hook: number[] = [];
for (let i = 0; i < N; i++) hook.push(wall(process.execPath, [CLI, 'hook', 'claude-code'], hookInput));

// A filtered run: long output through the detector, the raw log written, the footer printed (the
// savings are recorded afterwards by a detached process, off the command's time).
const gitLog = ['log', '-n', '200', '--stat'];
const direct: number[] = [];
const filtered: number[] = [];
for (let i = 0; i < 10; i++) {
  direct.push(wall('git', ['-C', ROOT, ...gitLog]));
  filtered.push(wall(process.execPath, [CLI, 'run', '--', 'git', '-C', ROOT, ...gitLog]));
}

// `cmd | ctxgate filter`: a one-line input (start-up, the app, the tokenizer for metering, the store
// write) and a git log of 20 commits, against an empty node start.
const gitLog20 = spawnSync('git', ['-C', ROOT, 'log', '-n', '20', '--stat'], { encoding: 'utf8' }).stdout;
const pipe = { tiny: [] as number[], git: [] as number[], node: [] as number[] };
const FILTER_RUNS = Number(process.env.FILTER_RUNS ?? 10);
for (let i = 0; i < FILTER_RUNS; i++) {
  pipe.tiny.push(wall(process.execPath, [CLI, 'filter', '-q'], 'hello\n'));
  pipe.git.push(wall(process.execPath, [CLI, 'filter', '-q'], gitLog20));
  pipe.node.push(wall(process.execPath, ['-e', '0']));
}

const without = overhead();
const withSrv = await withServer(overhead);
const result = {
  runs: N,
  node: process.version,
  cpus: os.cpus().length,
  loadavg_1m: Number(os.loadavg()[0]!.toFixed(2)),
  without_server: without,
  with_server: withSrv,
  hook_claude_code_ms: median(hook),
  filtered_git_log_200_stat: { direct_ms: median(direct), run_ms: median(filtered), runs: 10 },
  filter_pipe: { one_line_ms: median(pipe.tiny), git_log_20_stat_ms: median(pipe.git), git_log_20_stat_bytes: Buffer.byteLength(gitLog20), node_empty_ms: median(pipe.node), runs: FILTER_RUNS },
  import_ms: {
    'dist/src/cli/run.js (what run loads)': importCost(path.join(ROOT, 'dist/src/cli/run.js')),
    'dist/src/cli/hook.js (what hook loads)': importCost(path.join(ROOT, 'dist/src/cli/hook.js')),
    'dist/src/app.js (the whole app, what run loaded before)': importCost(path.join(ROOT, 'dist/src/app.js')),
  },
  note: 'added_ms = median(ctxgate run -- true) - median(true); added_over_node_ms subtracts an empty node start instead (what no Node CLI can avoid).',
};
fs.rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
