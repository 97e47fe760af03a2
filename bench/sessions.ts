// An initialize flood against the real server with its default session limits: how many sessions
// stay open and how much the server's memory grows. Before the limits, 5,000 keyless initializes
// made 5,000 sessions (+213 MB). The server runs as a separate process (the built CLI), so the RSS
// measured is the server's alone.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/paths.js';

const FLOOD = Number(process.env.BENCH_FLOOD ?? 5000);
const cli = path.join(projectRoot, 'dist/src/cli.js');
if (!fs.existsSync(cli) || !process.env.BENCH_NO_BUILD) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
  if (b.status !== 0) throw new Error('npm run build failed');
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-'));
const child = spawn(process.execPath, [cli, 'serve'], { env: { ...process.env, CTXGATE_DATA_DIR: dataDir, CTXGATE_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    const m = /"url":"([^"]+)"/.exec(buf);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (c) => reject(new Error(`exited ${c}`)));
});
const base = url.replace(/\/mcp$/, '');
await new Promise((r) => setTimeout(r, 1500));
const before = rssMb(child.pid!);
const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } });
const statuses: Record<string, number> = {};
for (let i = 0; i < FLOOD; i += 50) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(50, FLOOD - i) }, () =>
      fetch(`${url}?response=json`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: init }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }),
    ),
  );
  for (const s of batch) statuses[s] = (statuses[s] ?? 0) + 1;
}
const health = (await (await fetch(`${base}/health`)).json()) as { mcp_sessions: number };
const after = rssMb(child.pid!);
child.kill('SIGTERM');
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    { bench: 'sessions', keyless_initializes: FLOOD, responses: statuses, open_sessions_after: health.mcp_sessions, rss_before_mb: Math.round(before), rss_after_mb: Math.round(after), rss_growth_mb: Math.round(after - before) },
    null,
    2,
  ),
);
