// The CLI: keys create/list/revoke on the data dir, first-start owner key, and graceful serve.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BUILT_ARGS, ROOT, cliEnv, runCli, startServeProcess } from '../helpers/cli.js';
import { rest, until, useTempDirs } from '../helpers/server.js';

const dir = useTempDirs();

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
      // `keys list` prints REST's field names (list_api_keys is the contract) with the same values.
      const restKey = await until(async () => {
        const r = await rest({ baseUrl: base }, 'POST', '/v1/tools/list_api_keys', { key: created.key, body: {} });
        const k = (r.body.keys as Array<Record<string, unknown>>).find((x) => x.key_id === created.key_id);
        return k?.last_used ? k : undefined;
      });
      const cliKey = (JSON.parse(runCli(['keys', 'list'], d).stdout) as Array<Record<string, unknown>>).find((x) => x.key_id === created.key_id);
      expect(cliKey).toMatchObject(restKey);
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
  it('without a terminal, writes the owner key once to a 0600 file and logs only its path; stops gracefully on SIGTERM', async () => {
    const d = dir();
    const srv = await startServeProcess(d);
    const out = srv.output();
    const file = path.join(d, 'owner-key');
    const key = fs.readFileSync(file, 'utf8').trim();
    expect(key).toMatch(/^gc_[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(out).not.toContain(key);
    const line = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((j) => j.file === file);
    expect(line.msg).toMatch(/owner API key/);
    const base = srv.url.replace(/\/mcp$/, '');
    const r = await rest({ baseUrl: base }, 'POST', '/v1/tools/check_environment', { key, body: {} });
    expect(r.body.plan).toBe('enterprise');
    const exited = new Promise<number | null>((res) => srv.child.on('exit', (code) => res(code)));
    srv.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    fs.rmSync(file);
    const second = await startServeProcess(d);
    expect(second.output()).not.toMatch(/owner API key/);
    expect(fs.existsSync(file)).toBe(false);
    second.child.kill('SIGTERM');
  });

  it('on a terminal, prints the key once with the ${CTXGATE_KEY} form for project files', async () => {
    const d = dir();
    // script(1) gives the server a pseudo-terminal as stdout, as a person starting it would.
    const cmd = [process.execPath, ...BUILT_ARGS, 'serve'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env: cliEnv(d, { CTXGATE_PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 60_000);
      child.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('"msg":"listening"')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const key = /\n {2}(gc_[A-Za-z0-9_-]{43})\r?\n/.exec(out)?.[1];
    expect(key).toBeTruthy();
    expect(out).toContain(`export CTXGATE_KEY=${key}`);
    expect(out).toContain('"Authorization": "Bearer ${CTXGATE_KEY}"');
    expect(out).toContain("--header 'Authorization: Bearer ${CTXGATE_KEY}'");
    expect(out).not.toContain(`Bearer ${key}`);
    expect(fs.existsSync(path.join(d, 'owner-key'))).toBe(false);
  });

  it('creates the data dir 0700 and the database 0600, and tightens a looser existing dir with a log line', async () => {
    const d = dir();
    fs.chmodSync(d, 0o755);
    const r = runCli(['keys', 'list'], d);
    expect(r.status).toBe(0);
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(d).filter((f) => f.startsWith('ctxgate.db'))) expect(fs.statSync(path.join(d, f)).mode & 0o777, f).toBe(0o600);
    fs.chmodSync(d, 0o755);
    const srv = await startServeProcess(d);
    srv.child.kill('SIGTERM');
    const tightened = srv.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((j) => /tightened/.test(j.msg));
    expect(tightened).toMatchObject({ mode: '0755', now: '0700' });
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
    const fresh = path.join(d, 'nested', 'data');
    expect(runCli(['keys', 'list'], fresh).status).toBe(0);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(fresh).filter((f) => f.startsWith('ctxgate.db'))) expect(fs.statSync(path.join(fresh, f)).mode & 0o777, f).toBe(0o600);
  });
});
