// `ctxgate run`'s failure-line guard adds back, verbatim, every line reporting a failure that a filter
// folded. A failure word inside a path or a name (test/errors.test.ts, ✓ error-handling.test.ts) is not
// such a report, and neither is a commit message git prints: those used to be appended under
// "[ctxgate run: N failure line(s) the filter folded …]".
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUILT_ARGS, ROOT, cliEnv } from '../helpers/cli.js';
import { until, useTempDirs } from '../helpers/server.js';
import { databaseUrlFor } from '../helpers/database.js';

const dir = useTempDirs();

async function envFor(d: string): Promise<Record<string, string>> {
  const url = await databaseUrlFor(d);
  return cliEnv(d, { ...(url && { CTXGATE_DATABASE_URL: url }) });
}

function ctxgate(args: string[], env: Record<string, string>, cwd = ROOT) {
  const r = spawnSync(process.execPath, [...BUILT_ARGS, ...args], { cwd, env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/**
 * A filtered run's savings are recorded by a detached `ctxgate run --record` once the run has
 * returned: wait for it, so the data dir is not removed while it still writes (ENOTEMPTY).
 */
async function recorded(env: Record<string, string>): Promise<void> {
  await until(() => (JSON.parse(ctxgate(['gain', '--json'], env).stdout) as { by_tool: Array<{ group: string }> }).by_tool.some((t) => t.group === 'ctxgate_run'), {
    ms: 120_000,
    what: 'the detached recorder',
  });
}

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 'QA', GIT_AUTHOR_EMAIL: 'qa@example.com', GIT_COMMITTER_NAME: 'QA', GIT_COMMITTER_EMAIL: 'qa@example.com' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

describe('ctxgate run: failure lines', () => {
  it('git log --stat of commits touching errors.ts with "failed" in their messages adds nothing back', async () => {
    const d = dir();
    const env = await envFor(d);
    const repo = path.join(d, 'repo');
    fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
    git(repo, 'init', '-q');
    for (let i = 0; i < 15; i++) {
      fs.writeFileSync(path.join(repo, 'src', 'errors.ts'), `export const n = ${i};\n`);
      fs.writeFileSync(path.join(repo, 'src', 'fail-fast.ts'), `export const m = ${i};\n`);
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', `Retry ${i}: the upload failed when the disk was full`, '-m', `The job failed once under load; errors are now mapped.`);
    }
    const r = ctxgate(['run', '--', 'git', 'log', '--stat'], env, repo);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[ctxgate run: git_log filter showed/);
    expect(r.stdout).not.toMatch(/failure line\(s\)/);
    await recorded(env);
  }, 180_000);

  it('a passing test whose file is named after errors is not a failure; the real failure still is', async () => {
    const d = dir();
    const env = await envFor(d);
    const file = path.join(d, 'tests.sh');
    fs.writeFileSync(
      file,
      [
        '#!/bin/sh',
        'for i in $(seq 1 60); do echo " ✓ test/error-handling.test.ts > maps case $i 2ms"; echo " ✓ test/errors.test.ts > case $i 1ms"; done',
        'echo " FAIL  test/b.test.ts > breaks"',
        'echo "AssertionError: expected 2 to be 3"',
        'echo " Test Files  1 failed | 1 passed (2)"',
        'echo "      Tests  1 failed | 120 passed (121)"',
        'exit 1',
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
    const r = ctxgate(['run', '--', file], env);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('AssertionError: expected 2 to be 3');
    expect(lines.filter((l) => l.includes('error-handling.test.ts') || l.includes('errors.test.ts')).length).toBeLessThan(3);
    // It used to add all 120 passing lines back: "vitest filter showed 126 of 124 lines (-2 folded or dropped)".
    expect(r.stdout).toMatch(/\[ctxgate run: vitest filter showed \d of 124 lines \(1\d\d folded or dropped\)/);
    await recorded(env);
  }, 180_000);
});
