// `ctxgate run` and `ctxgate show` through the real CLI: exit codes (0, 1, 2, 127, a signal), small
// output passed through byte for byte, long output filtered with every failure line verbatim and one
// footer line, the raw bytes back from `ctxgate show`, and the savings in `ctxgate gain`.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUILT_ARGS, ROOT, cliEnv } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';
import { databaseUrlFor } from '../helpers/database.js';

const dir = useTempDirs();

async function envFor(d: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const url = await databaseUrlFor(d);
  return cliEnv(d, { ...(url && { CTXGATE_DATABASE_URL: url }), ...extra });
}

function ctxgate(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [...BUILT_ARGS, ...args], { cwd: ROOT, env, timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** A script that prints a long vitest-like run: many passing lines, one failure, a summary, an error on stderr. */
function noisyTest(d: string): string {
  const file = path.join(d, 'noisy-test.sh');
  fs.writeFileSync(
    file,
    [
      '#!/bin/sh',
      'for i in $(seq 1 80); do echo " ✓ test/a.test.ts > suite > passes case $i 3ms"; done',
      'echo " FAIL  test/b.test.ts > suite > breaks on empty input"',
      'echo "AssertionError: expected 2 to be 3 // Object.is equality"',
      'echo " ❯ test/b.test.ts:12:5"',
      'echo " Test Files  1 failed | 1 passed (2)"',
      'echo "      Tests  1 failed | 80 passed (81)"',
      'echo "Error: teardown failed: connection refused" >&2',
      'exit 1',
    ].join('\n') + '\n',
    { mode: 0o755 },
  );
  return file;
}

describe('ctxgate run', () => {
  it('keeps the exit code: 0, 1, 2, 127 for a command not found, and a signal', async () => {
    const d = dir();
    const env = await envFor(d);
    expect(ctxgate(['run', '--', 'true'], env).status).toBe(0);
    expect(ctxgate(['run', '--', 'false'], env).status).toBe(1);
    expect(ctxgate(['run', '--', 'sh', '-c', 'exit 2'], env).status).toBe(2);
    const nf = ctxgate(['run', '--', 'no-such-command-ctxgate'], env);
    expect(nf.status).toBe(127);
    expect(nf.stderr).toContain('no-such-command-ctxgate: command not found');
    // The command kills itself with SIGTERM: ctxgate dies of the same signal.
    const sig = ctxgate(['run', '--', 'sh', '-c', 'echo before; kill -TERM $$'], env);
    expect(sig.status).toBeNull();
    expect(sig.signal).toBe('SIGTERM');
    expect(sig.stdout.toString()).toBe('before\n');
  });

  it('passes small output through byte for byte (stderr interleaved, ANSI and no final newline kept)', async () => {
    const d = dir();
    const env = await envFor(d);
    const script = "printf '\\033[32mok\\033[0m line 1\\n'; printf 'to stderr\\n' >&2; printf 'tab\\there \\303\\251 no newline'";
    const r = ctxgate(['run', '--', 'sh', '-c', script], env);
    expect(r.status).toBe(0);
    const expected = Buffer.from('\x1b[32mok\x1b[0m line 1\nto stderr\ntab\there \xc3\xa9 no newline', 'latin1');
    expect(Buffer.compare(r.stdout, expected)).toBe(0);
    // The raw output is kept all the same, and `show` returns it exactly.
    const list = ctxgate(['show'], env).stdout.toString();
    const id = list.match(/run_[0-9a-z]+/)![0];
    expect(Buffer.compare(ctxgate(['show', id], env).stdout, expected)).toBe(0);
  });

  it('filters long output: failure lines verbatim, one footer line, raw bytes from show, savings in gain', async () => {
    const d = dir();
    const env = await envFor(d);
    const script = noisyTest(d);
    const raw = spawnSync('sh', ['-c', `${script} 2>&1`]).stdout;
    const r = ctxgate(['run', '--', script], env);
    expect(r.status).toBe(1);
    const out = r.stdout.toString();
    for (const line of [
      ' FAIL  test/b.test.ts > suite > breaks on empty input',
      'AssertionError: expected 2 to be 3 // Object.is equality',
      ' ❯ test/b.test.ts:12:5',
      '      Tests  1 failed | 80 passed (81)',
      'Error: teardown failed: connection refused',
    ]) {
      expect(out.split('\n')).toContain(line);
    }
    expect(out.split('\n').length).toBeLessThan(20);
    // Nothing invented: every line shown is a line of the output, or a bracketed ctxgate marker.
    const rawLines = new Set(raw.toString().split('\n').map((l) => l.trimEnd()));
    for (const l of out.trimEnd().split('\n')) expect(rawLines.has(l) || /^\[… .*\]$|^\[ctxgate run: /.test(l.trim())).toBe(true);
    const lines = out.trimEnd().split('\n');
    const foot = lines[lines.length - 1]!;
    expect(foot).toMatch(/^\[ctxgate run: vitest filter showed \d+ of 86 lines \(\d+ folded or dropped\); exit 1; full output: ctxgate show (run_[0-9a-z]+)\]$/);
    const id = foot.match(/ctxgate show (run_[0-9a-z]+)/)![1]!;
    const shown = ctxgate(['show', id], env);
    expect(shown.status).toBe(0);
    expect(Buffer.compare(shown.stdout, raw)).toBe(0);
    const meta = JSON.parse(ctxgate(['show', id, '--meta'], env).stdout.toString());
    expect(meta).toMatchObject({ id, exit_code: 1, signal: null, lines: 86, shown: 'filtered', detector: 'vitest', truncated: false });
    // The savings are recorded by a detached process once the command has returned.
    let row: { calls: number; tokens_saved: number } | undefined;
    for (let i = 0; i < 60 && !row; i++) {
      const gain = JSON.parse(ctxgate(['gain', '--json'], env).stdout.toString());
      row = gain.by_tool.find((t: { group: string }) => t.group === 'ctxgate_run');
      if (!row) await new Promise((r) => setTimeout(r, 500));
    }
    expect(row!.calls).toBe(1);
    expect(row!.tokens_saved).toBeGreaterThan(100);
  }, 180_000); // many CLI processes; under a loaded suite the detached recorder can take a while

  it('--lines sets the threshold; past the per-run cap the log keeps head and tail and says so', async () => {
    const d = dir();
    const env = await envFor(d, { CTXGATE_RUN_LOG_MAX_BYTES: '4096' });
    const small = ctxgate(['run', '--lines', '200', '--', 'seq', '1', '150'], env);
    expect(small.stdout.toString()).toBe(Array.from({ length: 150 }, (_, i) => `${i + 1}\n`).join(''));
    const big = ctxgate(['run', '--', 'seq', '1', '5000'], env);
    expect(big.status).toBe(0);
    const foot = big.stdout.toString().trimEnd().split('\n').pop()!;
    expect(foot).toMatch(/bytes beyond the log cap not kept/);
    const id = foot.match(/run_[0-9a-z]+/)![0];
    const shown = ctxgate(['show', id], env);
    expect(shown.stdout.length).toBe(4096);
    expect(shown.stdout.toString().startsWith('1\n2\n3\n')).toBe(true);
    expect(shown.stdout.toString().endsWith('4999\n5000\n')).toBe(true);
    expect(shown.stderr).toMatch(/the log kept the first 2048 and the last 2048/);
  });

  it('show refuses an id that is not one, names a missing run, and bad run options fail with a message', async () => {
    const d = dir();
    const env = await envFor(d);
    const bad = ctxgate(['show', '../../etc/passwd'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a run id/);
    const missing = ctxgate(['show', 'run_zzzzzzzz'], env);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no kept output for run_zzzzzzzz/);
    expect(ctxgate(['run', '--lines', 'x', '--', 'true'], env).stderr).toMatch(/--lines must be a whole number/);
    expect(ctxgate(['run'], env).stderr).toMatch(/no command given/);
  });
});
