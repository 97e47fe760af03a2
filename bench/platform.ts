// Platform figures: cold start (spawn → listening, → first /health), idle RSS, tools/list payload bytes
// per profile. Measures the built server (what `npm start` runs).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { projectRoot } from '../src/paths.js';

const cli = path.join(projectRoot, 'dist/src/cli.js');
if (!fs.existsSync(cli) || !process.env.BENCH_NO_BUILD) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
  if (b.status !== 0) throw new Error('npm run build failed');
}

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

async function coldStart() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-'));
  // Create the data dir's store first, so the measured start is a restart, not a first install.
  spawnSync(process.execPath, [cli, 'keys', 'create', '--name', 'bench', '--plan', 'enterprise'], { env: { ...process.env, CTXGATE_DATA_DIR: dataDir } });
  const created = JSON.parse(
    spawnSync(process.execPath, [cli, 'keys', 'create', '--name', 'bench2', '--plan', 'enterprise'], { env: { ...process.env, CTXGATE_DATA_DIR: dataDir }, encoding: 'utf8' }).stdout,
  ) as { key: string };
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'serve'], { env: { ...process.env, CTXGATE_DATA_DIR: dataDir, CTXGATE_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const m = /"msg":"listening".*?"url":"([^"]+)"|"url":"([^"]+)".*?"msg":"listening"/.exec(buf);
      if (m) resolve(m[1] ?? m[2]!);
    });
    child.on('exit', (c) => reject(new Error(`exited ${c}`)));
  });
  const listeningMs = performance.now() - t0;
  const base = url.replace(/\/mcp$/, '');
  await fetch(`${base}/health`).then((r) => r.json());
  const healthMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1500));
  const idleRssMb = rssKb(child.pid!) / 1024;

  const payload: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const profile of ['core', 'free', 'full']) {
    const transport = new StreamableHTTPClientTransport(new URL(`${url}?profile=${profile}&response=json`), {
      requestInit: { headers: { Authorization: `Bearer ${created.key}` } },
    });
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(transport);
    // Raw bytes of the tools/list result as sent on the wire.
    const res = await fetch(`${url}?response=json`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${created.key}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': transport.sessionId!,
        'Mcp-Protocol-Version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
    });
    const text = await res.text();
    payload[profile] = Buffer.byteLength(text);
    counts[profile] = (JSON.parse(text) as { result: { tools: unknown[] } }).result.tools.length;
    await client.close();
  }
  const afterSessionsRssMb = rssKb(child.pid!) / 1024;
  child.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { listeningMs, healthMs, idleRssMb, afterSessionsRssMb, payload, counts };
}

const runs = [];
for (let i = 0; i < 3; i++) runs.push(await coldStart());
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify(
    {
      bench: 'platform',
      node: process.version,
      runs: runs.length,
      cold_start_to_listening_ms: Math.round(median(runs.map((r) => r.listeningMs))),
      cold_start_to_first_health_ms: Math.round(median(runs.map((r) => r.healthMs))),
      idle_rss_mb: Number(median(runs.map((r) => r.idleRssMb)).toFixed(1)),
      rss_after_3_sessions_mb: Number(median(runs.map((r) => r.afterSessionsRssMb)).toFixed(1)),
      tools_list_bytes: runs[0]!.payload,
      tools_list_count: runs[0]!.counts,
    },
    null,
    2,
  ),
);
process.exit(0);
