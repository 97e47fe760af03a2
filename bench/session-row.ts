// What an MCP request saves when its session row need not be read again (issue 12). Every request
// on a session needs the row (another replica or process may have enabled toolsets or ended it); a
// process that can tell nothing else has committed since the last read (SQLite's data_version) uses
// the row it read before. The fast path replaces one store read (McpSessionsRepo.get) with one
// store.externalVersion(): both are timed here on the real store, alternating, beside the cost of a
// whole request (ping, the cheapest, through the SDK client over HTTP; client and server in this process).
// Prints one JSON object. Env: BENCH_READS (default 20000), BENCH_REQUESTS (default 1000).
import os from 'node:os';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startHttpServer } from '../src/server/http.js';
import { KeysService } from '../src/services/keys.js';
import { AccountsService } from '../src/services/accounts.js';
import { connectMcp, tempDir } from '../test/helpers/server.js';
import { latencyStats, round3 } from './corpus/sentences.js';
import fs from 'node:fs';

const READS = Number(process.env.BENCH_READS ?? 20_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);

const cpuMs = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

const dataDir = tempDir('ctxgate-bench-session-');
const log = createLogger('silent');
const app = await createApp(loadConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', embedder: 'offline' }), log);
const http = await startHttpServer(app, log);
try {
  const owner = (await app.deps.service(AccountsService).owner()).user;
  const key = await app.deps.service(KeysService).create({ name: 'bench', plan: 'enterprise', ownerId: owner.id });
  const client = await connectMcp({ mcpUrl: `${http.url}/mcp` }, { key: key.key });
  const sid = (client.transport as unknown as { sessionId: string }).sessionId;
  const { store } = app.deps;

  // A whole request, as a client sees it (most of it is not the store).
  for (let i = 0; i < 50; i++) await client.ping();
  const wall: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await client.ping();
    wall.push(performance.now() - t);
  }
  const requestCpuMs = cpuMs(c0) / REQUESTS;

  // The two alternatives, alternating in blocks so load changes hit both alike.
  const repo = store.mcpSessions();
  const cost = { read: { cpu: 0, wall: 0 }, version: { cpu: 0, wall: 0 } };
  for (let i = 0; i < 200; i++) {
    await repo.get(sid);
    store.externalVersion();
  }
  const BLOCK = 1000;
  for (let done = 0; done < READS; done += BLOCK) {
    let c = process.cpuUsage();
    let t = performance.now();
    for (let i = 0; i < BLOCK; i++) await repo.get(sid);
    cost.read.wall += performance.now() - t;
    cost.read.cpu += cpuMs(c);
    c = process.cpuUsage();
    t = performance.now();
    for (let i = 0; i < BLOCK; i++) store.externalVersion();
    cost.version.wall += performance.now() - t;
    cost.version.cpu += cpuMs(c);
  }
  const us = (ms: number) => round3((1000 * ms) / READS);
  const requestWall = latencyStats(wall);
  await client.close();
  const result = {
    bench: 'session-row',
    backend: store.backend,
    request_ping: { requests: REQUESTS, wall_median_ms: requestWall.median_ms, wall_p95_ms: requestWall.p95_ms, cpu_per_request_ms: round3(requestCpuMs), note: 'client and server in one process' },
    skipped_row_read_us: { cpu: us(cost.read.cpu), wall: us(cost.read.wall) },
    version_check_us: { cpu: us(cost.version.cpu), wall: us(cost.version.wall), value: store.externalVersion() },
    saving_per_request_us: { cpu: us(cost.read.cpu - cost.version.cpu), wall: us(cost.read.wall - cost.version.wall) },
    saving_share_of_request_cpu_pct: Math.round((1000 * (cost.read.cpu - cost.version.cpu)) / READS / requestCpuMs) / 10,
    machine: { cpus: os.cpus().length, loadavg_1m: round3(os.loadavg()[0]!), node: process.version },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await http.close();
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
