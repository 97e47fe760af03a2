// The CLI: keys create/list/revoke on the data dir, first-start owner key, and graceful serve.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startServeProcess } from '../helpers/cli.js';
import { rest, tempDir } from '../helpers/server.js';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('ctxgate keys', () => {
  it('create prints one JSON object; list shows it without the secret; revoke stops it', async () => {
    const d = dir();
    const c = runCli(['keys', 'create', '--name', 'ci', '--plan', 'pro'], d);
    expect(c.status).toBe(0);
    const created = JSON.parse(c.stdout.trim());
    expect(Object.keys(created)).toEqual(expect.arrayContaining(['key', 'key_id', 'name', 'created_at']));
    expect(created.key).toMatch(/^gc_[A-Za-z0-9_-]{43}$/);
    expect(created.name).toBe('ci');
    const secret = fs.statSync(path.join(d, 'secret'));
    expect(secret.mode & 0o777).toBe(0o600);
    const list = runCli(['keys', 'list'], d);
    expect(list.stdout).toContain(created.key_id);
    expect(list.stdout).not.toContain(created.key);
    // The key works against a server on the same data dir until revoked.
    const srv = await startServeProcess(d);
    try {
      const base = srv.url.replace(/\/mcp$/, '');
      expect(srv.output()).not.toContain('first start');
      const ok = await rest({ baseUrl: base }, 'POST', '/v1/tools/list_toolsets', { key: created.key, body: {} });
      expect(ok.status).toBe(200);
      const rv = runCli(['keys', 'revoke', created.key_id], d);
      expect(rv.status).toBe(0);
      expect(JSON.parse(rv.stdout).revoked_at).toBeTruthy();
      const after = await rest({ baseUrl: base }, 'POST', '/v1/tools/list_toolsets', { key: created.key, body: {} });
      expect(after.status).toBe(401);
    } finally {
      srv.child.kill('SIGTERM');
    }
    const again = runCli(['keys', 'revoke', created.key_id], d);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already revoked/);
  });

  it('rejects a bad plan and a missing name with a message, not a stack trace', () => {
    const d = dir();
    const r = runCli(['keys', 'create', '--name', 'x', '--plan', 'gold'], d);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--plan must be one of free, pro, team, enterprise/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    const r2 = runCli(['keys', 'create'], d);
    expect(r2.stderr).toMatch(/--name/);
  });

  it('--user new makes a separate tenant; --project binds the key to a project', () => {
    const d = dir();
    const a = JSON.parse(runCli(['keys', 'create', '--name', 'a'], d).stdout);
    const b = JSON.parse(runCli(['keys', 'create', '--name', 'b', '--user', 'new'], d).stdout);
    expect(b.user_id).not.toBe(a.user_id);
    const bad = runCli(['keys', 'create', '--name', 'c', '--project', 'prj_nope'], d);
    expect(bad.stderr).toMatch(/no project with id prj_nope/);
  });
});

describe('ctxgate serve', () => {
  it('prints the owner key and a client config once on first start, and stops gracefully on SIGTERM', async () => {
    const d = dir();
    const srv = await startServeProcess(d);
    const out = srv.output();
    const key = /\n {2}(gc_[A-Za-z0-9_-]+)\n/.exec(out)?.[1];
    expect(key).toBeTruthy();
    expect(out).toContain(`"url": "${srv.url}"`);
    expect(out).toContain(`"Authorization": "Bearer ${key}"`);
    const base = srv.url.replace(/\/mcp$/, '');
    const r = await rest({ baseUrl: base }, 'POST', '/v1/tools/check_environment', { key, body: {} });
    expect(r.body.plan).toBe('enterprise');
    const exited = new Promise<number | null>((res) => srv.child.on('exit', (code) => res(code)));
    srv.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const second = await startServeProcess(d);
    expect(second.output()).not.toContain('first start');
    second.child.kill('SIGTERM');
  });
});
