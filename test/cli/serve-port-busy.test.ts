// A first `ctxgate serve` on a busy port exits with a message naming the port and CTXGATE_PORT, and
// creates no owner key: it used to make the key, fail to listen with node's bare EADDRINUSE, and the
// next start found a key and showed none (the owner key was lost).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServeProcess } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';
import { databaseUrlFor } from '../helpers/database.js';

const dir = useTempDirs();
let busy: net.Server;
let port: number;
beforeAll(async () => {
  busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  port = (busy.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
});

describe('ctxgate serve on a busy port', () => {
  it('says which port and what to set, keeps no key, and the next start shows the owner key', async () => {
    const d = path.join(dir(), 'data');
    const url = await databaseUrlFor(d);
    const env: Record<string, string> = url ? { CTXGATE_DATABASE_URL: url } : {};
    const r = runCli(['serve'], d, { ...env, CTXGATE_PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ctxgate: port ${port} on 127.0.0.1 is already in use`);
    expect(r.stderr).toContain('CTXGATE_PORT');
    expect(fs.existsSync(path.join(d, 'owner-key'))).toBe(false);
    // On a free port the first real start still creates the owner key and leaves it in the file.
    const s = await startServeProcess(d, env);
    try {
      const key = fs.readFileSync(path.join(d, 'owner-key'), 'utf8').trim();
      expect(key).toMatch(/^gc_/);
      const health = await fetch(s.url.replace(/\/mcp$/, '') + '/v1/tools/check_environment', { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: '{}' });
      expect(health.status).toBe(200);
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((resolve) => s.child.once('exit', resolve));
    }
  }, 120_000);
});
