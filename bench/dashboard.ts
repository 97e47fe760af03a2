// Dashboard figures (issue 20): the bundle's size (raw and gzipped, what the browser downloads) and
// the time to first render of Overview in headless Chromium on this machine — from navigation start
// to the savings chart drawn with its data, for a tab that already holds its key (a fresh browser
// context each run, so no HTTP cache). A real server over a temp data dir with some compressions.
// Needs Debian's chromium (or CTXGATE_CHROMIUM); without it only the sizes are reported.
// Prints one JSON object.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { AccountsService } from '../src/services/accounts.js';
import { KeysService } from '../src/services/keys.js';
import { startHttpServer } from '../src/server/http.js';

const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 15);
const CHROMIUM = [process.env.CTXGATE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && fs.existsSync(p));

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: s.length, mean_ms: r(s.reduce((a, b) => a + b, 0) / s.length), p50_ms: r(q(0.5)), p95_ms: r(q(0.95)), min_ms: r(s[0]!), max_ms: r(s[s.length - 1]!) };
};

async function main() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-dash-'));
  const b = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build-dashboard.mjs'), out], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(b.stderr);
  const files = ['index.html', 'app.js', 'app.css', 'icon.svg'];
  const sizes = Object.fromEntries(files.map((f) => {
    const body = fs.readFileSync(path.join(out, f));
    return [f, { bytes: body.length, gzip_bytes: zlib.gzipSync(body, { level: 9 }).length }];
  }));
  const total = { bytes: files.reduce((s, f) => s + sizes[f]!.bytes, 0), gzip_bytes: files.reduce((s, f) => s + sizes[f]!.gzip_bytes, 0) };
  fs.rmSync(out, { recursive: true, force: true });
  const result: Record<string, unknown> = { bundle: { files: sizes, total, budget_gzip_bytes: 300 * 1024, command: 'node scripts/build-dashboard.mjs DIR; gzip -9 each file' }, load: os.loadavg().map((l) => Math.round(l * 100) / 100), cpus: os.cpus().length };
  if (!CHROMIUM) {
    result.first_render = null;
    result.note = 'no Chromium found (set CTXGATE_CHROMIUM): sizes only';
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const { chromium } = await import('playwright-core');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-dash-data-'));
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', allowedHosts: [] });
  const log = createLogger('silent', 'stderr');
  const app = await createApp(config, log);
  const owner = (await app.deps.service(AccountsService).owner()).user;
  const key = (await app.deps.service(KeysService).create({ name: 'bench', plan: 'enterprise', ownerId: owner.id })).key;
  const http = await startHttpServer(app, log);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    for (let i = 0; i < 20; i++) {
      const text = `# Note ${i}\n\n` + Array.from({ length: 10 }, (_, j) => `Paragraph ${j} of note ${i} explains step ${j} of the release process in some detail.`).join('\n\n');
      const r = await fetch(`${http.url}/v1/compress`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ text, use_cache: false }) });
      if (!r.ok) throw new Error(`compress: ${r.status}`);
    }
    const times: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addInitScript((k) => (globalThis as any).sessionStorage.setItem('ctxgate.key', k), key);
      const page = await context.newPage();
      await page.goto(http.url + '/');
      const handle = await page.waitForFunction(() => {
        const d = (globalThis as any).document;
        return d.querySelector('main[data-page="overview"]:not([aria-busy]) .chart canvas') && d.querySelector('#recent-compressions tbody tr') ? (globalThis as any).performance.now() : false;
      }, undefined, { polling: 5, timeout: 30_000 });
      const t = (await handle.jsonValue()) as number;
      if (i > 0) times.push(t); // the first run warms the server (token encoder, code paths)
      await context.close();
    }
    result.first_render = { ...stats(times), what: 'navigation start → Overview chart and recent list drawn (sign-in from sessionStorage, 6 REST calls), fresh browser context each run, after 1 warm-up run', chromium: CHROMIUM };
  } finally {
    await browser.close();
    await http.close();
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
