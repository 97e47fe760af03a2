// The day-to-day CLI: filter (pipe command output through the CLI filters), compress FILE|-, gain
// (savings by tool and day from the usage records) and doctor (what to fix). Real processes.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUILT_ARGS, ROOT, cliEnv, runCli, startServeProcess } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';

const dir = useTempDirs();

const fixture = (name: string) => fs.readFileSync(path.join(ROOT, 'test/fixtures/cli', name), 'utf8');

describe('ctxgate filter, compress and gain on one data dir', () => {
  const d = dir();

  it('filter: git log --stat through stdin comes out shorter, figures on stderr', () => {
    const log = fixture('git-log-stat.txt');
    const r = runCli(['filter'], d, {}, log);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeLessThan(log.length);
    const firstCommit = /^commit ([0-9a-f]{7,})/m.exec(log)![1]!;
    expect(r.stdout).toContain(firstCommit.slice(0, 7));
    expect(r.stderr).toMatch(/^ctxgate filter: git_log; \d+ → \d+ lines, \d+ → \d+ chars \([\d.]+% saved\)\n$/);
  });

  it('filter: --hint forces a detector, --json gives the whole result, empty input passes through', () => {
    const r = runCli(['filter', '--hint', 'pytest', '--json', '-q'], d, {}, fixture('pytest-fail.txt'));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ detected_type: 'pytest' });
    const empty = runCli(['filter'], d, {}, '');
    expect(empty.status).toBe(0);
    expect(empty.stdout).toBe('');
    const bad = runCli(['filter', '--bogus'], d, {}, 'x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--bogus/);
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('compress -: stdin in, compressed text out, stats on stderr', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const r = runCli(['compress', '-', '--fidelity', 'outline'], d, {}, doc);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeLessThan(doc.length / 2);
    expect(JSON.parse(r.stderr).compressed_tokens).toBeGreaterThan(0);
  });

  it('gain: tokens and money saved by tool and by day, from what was just recorded', () => {
    const r = runCli(['gain', '--json'], d);
    expect(r.status).toBe(0);
    const g = JSON.parse(r.stdout);
    const tools = g.by_tool.map((t: { group: string }) => t.group);
    expect(tools).toEqual(expect.arrayContaining(['filter_cli_output', 'compress_text']));
    expect(g.by_tool.every((t: { tokens_saved: number; usd_saved: number }) => t.tokens_saved > 0 && t.usd_saved > 0)).toBe(true);
    expect(g.by_day[0].group).toBe(new Date().toISOString().slice(0, 10));
    expect(g.tokens_saved).toBe(g.by_tool.reduce((a: number, t: { tokens_saved: number }) => a + t.tokens_saved, 0));
    expect(g.calls).toBe(3);
    const text = runCli(['gain', '--model', 'gpt-4o'], d);
    expect(text.stdout).toMatch(/ctxgate saved \d+ tokens in 3 calls since .* worth \$[\d.]+ at gpt-4o input prices/);
    expect(text.stdout).toMatch(/filter_cli_output/);
    expect(runCli(['gain', '--days', 'x'], d).stderr).toMatch(/--days must be a whole number/);
  });
});

describe('ctxgate doctor', () => {
  it('a running server, a valid key: nothing to fix', async () => {
    const d = dir();
    const srv = await startServeProcess(d);
    try {
      const key = fs.readFileSync(path.join(d, 'owner-key'), 'utf8').trim();
      const port = new URL(srv.url).port;
      const r = runCli(['doctor'], d, { CTXGATE_PORT: port, CTXGATE_KEY: key });
      expect(r.stdout).toMatch(/✓ data dir .*\(mode 0700\)/);
      expect(r.stdout).toMatch(/✓ key .*CTXGATE_KEY is valid: "owner", enterprise plan/);
      expect(r.stdout).toMatch(/✓ server .*answers at http:\/\/127\.0\.0\.1:\d+\/mcp \(health: ok\)/);
      expect(r.stdout).toMatch(/! owner key file .*still holds the owner key/);
      expect(r.stdout).toMatch(/Nothing to fix/);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain(key);
    } finally {
      srv.child.kill('SIGTERM');
    }
  });

  it('a revoked key is a problem with its fix, exit 1', () => {
    const d = dir();
    const created = JSON.parse(runCli(['keys', 'create', '--name', 'gone'], d).stdout);
    runCli(['keys', 'revoke', created.key_id], d);
    const r = runCli(['doctor'], d, { CTXGATE_PORT: '1', CTXGATE_KEY: created.key });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ key .*not a valid, unrevoked key/);
    expect(r.stdout).toMatch(/→ create one with `ctxgate keys create/);
    expect(r.stdout).not.toContain(created.key);
  });

  it('works from any directory: the default data dir is the ctxgate folder\'s data/, not the current one', () => {
    const elsewhere = dir();
    const env = cliEnv('unused');
    delete env.CTXGATE_DATA_DIR;
    const r = spawnSync(process.execPath, [...BUILT_ARGS, 'doctor'], { cwd: elsewhere, env: { ...env, CTXGATE_PORT: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain(`data dir`);
    expect(r.stdout).toContain(path.join(ROOT, 'data'));
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});
