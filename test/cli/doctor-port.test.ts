// `ctxgate doctor`'s port line tells the truth: free, in use by another program, out of this user's
// reach (a port below the unprivileged start without CAP_NET_BIND_SERVICE), or an address this
// machine does not have. Real processes; the privileged case drops the capability with setpriv when
// the tests run as root.
import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { BUILT_ARGS, ROOT, cliEnv, runCli } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';

const dir = useTempDirs();
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

const servers: net.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('ctxgate doctor: the port', () => {
  it('a free port is free', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const r = runCli(['doctor'], dir(), { CTXGATE_PORT: String(port) });
    expect(r.stdout).toMatch(new RegExp(`✓ port +127\\.0\\.0\\.1:${port} is free`));
  });

  it('a port another program holds (not HTTP) is "in use by another program", exit 1', async () => {
    const port = await listen(net.createServer((socket) => socket.destroy()));
    const r = runCli(['doctor'], dir(), { CTXGATE_PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`✗ port +127\\.0\\.0\\.1:${port} is in use by another program`));
    expect(r.stdout).toMatch(/→ stop it, or set CTXGATE_PORT to a free port/);
  });

  it.skipIf(isRoot && !hasSetpriv)('port 1 without the privilege to bind it "needs privileges", not "free" nor "in use"', () => {
    const d = dir();
    // As root, drop CAP_NET_BIND_SERVICE from the bounding set: the process is then as unprivileged
    // for low ports as any user.
    const args = [...BUILT_ARGS, 'doctor'];
    const r = isRoot
      ? spawnSync('setpriv', ['--bounding-set', '-net_bind_service', process.execPath, ...args], { cwd: ROOT, env: cliEnv(d, { CTXGATE_PORT: '1' }), encoding: 'utf8', timeout: 60_000 })
      : spawnSync(process.execPath, args, { cwd: ROOT, env: cliEnv(d, { CTXGATE_PORT: '1' }), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✗ port +127\.0\.0\.1:1 needs privileges this user lacks \(ports below \d+ need root or CAP_NET_BIND_SERVICE\)/);
    expect(r.stdout).toMatch(/→ set CTXGATE_PORT to \d+ or above/);
  });

  it('a host that is not an address of this machine says so (and asks nobody there)', () => {
    const r = runCli(['doctor'], dir(), { CTXGATE_HOST: '192.0.2.1', CTXGATE_PORT: '8787' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ port +192\.0\.2\.1 is not an address of this machine/);
  });
});
