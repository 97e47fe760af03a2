// A real HAProxy in front of the replicas, where the machine has one (Debian: apt-get install haproxy).
// The configuration is the README's ("Running several replicas"), with this test's ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { until } from '../helpers/server.js';

export function haproxyBinary(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export function haproxyConfig(listen: string, servers: string[]): string {
  return `global
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  # MCP GET streams stay open: long client/server timeouts; keep-alive between requests is short.
  timeout client 1h
  timeout server 1h
  timeout http-keep-alive 10s
  # A refused connection (replica gone) is retried on another replica.
  retries 2
  option redispatch

frontend ctxgate
  bind ${listen}
  default_backend replicas

backend replicas
  balance roundrobin
  # /ready is 503 while a replica drains (SIGTERM) or cannot reach the store or Redis.
  option httpchk GET /ready
  http-check expect status 200
  default-server check inter 1s fall 2 rise 1
${servers.map((s, i) => `  server r${i} ${s}`).join('\n')}
`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface HaproxyHandle {
  url: string;
  stop(): Promise<void>;
}

/** Starts haproxy in the foreground in front of `servers` (host:port); resolves once it accepts connections. */
export async function startHaproxy(bin: string, servers: string[]): Promise<HaproxyHandle> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-haproxy-'));
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, haproxyConfig(`127.0.0.1:${port}`, servers));
  const child: ChildProcess = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${err}`);
      return new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    },
    { ms: 10_000, what: () => `haproxy listening (${err})` },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
