// compress_text speed and savings. Document: ~5,000 tokens of real third-party Markdown (READMEs of
// packages in node_modules, cut at a block boundary; paths in the output). Measured through REST on
// the real server (offline embedder), engine-level without HTTP, the exact-cache-hit path, and the
// event-loop delay other clients see during a ~1 MB compression (CMake docs Debian ships).
// Prints one JSON object. Env: BENCH_RUNS (default 30).
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { chunkText, parseBlocks } from '../src/engine/chunking.js';
import { buildSkeleton } from '../src/engine/compress.js';
import { countTokens } from '../src/engine/tokens.js';
import { projectRoot } from '../src/paths.js';
import { rest, startTestServer } from '../test/helpers/server.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const READMES = ['semver', 'diff', 'debug', 'qs', 'picomatch', 'minipass'].map((p) => path.join(projectRoot, 'node_modules', p, 'README.md'));

function stats(xs: number[]): { median: number; p95: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: Math.round(at(0.5) * 10) / 10, p95: Math.round(at(0.95) * 10) / 10, min: Math.round(s[0]! * 10) / 10 };
}

function markdownDoc(target: number): { text: string; sources: string[] } {
  let text = '';
  const sources: string[] = [];
  for (const f of READMES) {
    if (!fs.existsSync(f)) continue;
    sources.push(f);
    text += fs.readFileSync(f, 'utf8') + '\n\n';
    if (countTokens(text) > target) break;
  }
  // Cut at the block boundary nearest the target.
  let end = text.length;
  for (const b of parseBlocks(text)) {
    if (countTokens(text.slice(0, b.end)) >= target) {
      end = b.end;
      break;
    }
  }
  return { text: text.slice(0, end), sources };
}

function bigDoc(bytes: number): { text: string; source: string } {
  const share = fs.readdirSync('/usr/share').filter((d) => /^cmake-[\d.]+$/.test(d)).sort().pop();
  if (!share) return { text: '', source: 'none (cmake-data not installed)' };
  const root = path.join('/usr/share', share, 'Help');
  let text = '';
  for (const sub of ['manual', 'command', 'module', 'variable', 'prop_tgt']) {
    const dir = path.join(root, sub);
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.rst')).sort()) {
      text += fs.readFileSync(path.join(dir, f), 'utf8') + '\n\n';
      if (text.length >= bytes) return { text: text.slice(0, bytes), source: root };
    }
  }
  return { text, source: root };
}

const server = await startTestServer();
try {
  const key = server.ownerKey;
  const { text, sources } = markdownDoc(5000);
  const tokens = countTokens(text);
  const call = (body: Record<string, unknown>) => rest(server, 'POST', '/v1/compress', { key, body });

  // Warm-up: tokenizer tables, embedder load, JIT.
  for (let i = 0; i < 5; i++) await call({ text, fidelity: 'balanced', use_cache: false });

  const restMs: number[] = [];
  let last: any = null;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await call({ text, fidelity: 'balanced', use_cache: false });
    restMs.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`compress failed: ${r.status} ${JSON.stringify(r.body)}`);
    last = r.body;
  }

  await call({ text, fidelity: 'outline' });
  const hitMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await call({ text, fidelity: 'outline' });
    hitMs.push(performance.now() - t0);
    if (r.headers.get('x-cache-hit') !== 'true') throw new Error('expected an exact cache hit');
  }

  // The same hit without HTTP (service call), and a trivial REST call for the transport's own cost.
  const { CompressionService } = await import('../src/services/compression.js');
  const svc = server.deps.service(CompressionService);
  const { AccountsService } = await import('../src/services/accounts.js');
  const scope = {
    ownerId: server.owner.user_id,
    projectId: server.owner.project_id ?? (await server.deps.service(AccountsService).defaultProject(server.owner.user_id)).id,
  };
  const serviceHitMs: number[] = [];
  const pingMs: number[] = [];
  {
    await svc.compress(scope, 'enterprise', { text, fidelity: 'outline' });
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = await svc.compress(scope, 'enterprise', { text, fidelity: 'outline' });
      serviceHitMs.push(performance.now() - t0);
      if (!r.cache.hit) throw new Error('expected a service-level cache hit');
    }
  }
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await rest(server, 'POST', '/v1/tools/get_compression_presets', { body: {} });
    pingMs.push(performance.now() - t0);
  }

  const savings: Record<string, number> = {};
  for (const f of ['abstract', 'outline', 'balanced', 'detailed']) savings[f] = (await call({ text, fidelity: f, use_cache: false })).body.stats.savings_pct;

  // Engine only (no HTTP, no cache, no store): chunk + embed + rank + assemble.
  const embedder = await server.deps.embedder();
  const engineMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const chunks = chunkText(text);
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    buildSkeleton({ chunks, vectors, fidelity: 'balanced', source: text });
    engineMs.push(performance.now() - t0);
  }

  // Event-loop delay seen by other clients during one ~1 MB compression.
  const big = bigDoc(1_000_000);
  let loop: Record<string, unknown> = { skipped: big.source };
  if (big.text) {
    const h = monitorEventLoopDelay({ resolution: 5 });
    const pings: number[] = [];
    let done = false;
    h.enable();
    const pinger = (async () => {
      while (!done) {
        const t0 = performance.now();
        await rest(server, 'POST', '/v1/tools/get_compression_presets', { body: {} });
        pings.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const t0 = performance.now();
    const r = await call({ text: big.text, fidelity: 'balanced', use_cache: false });
    const ms = performance.now() - t0;
    done = true;
    await pinger;
    h.disable();
    loop = {
      source: big.source,
      bytes: Buffer.byteLength(big.text),
      tokens: r.body.stats?.original_tokens,
      chunks: r.body.stats?.chunks,
      total_ms: Math.round(ms),
      event_loop_delay_max_ms: Math.round(h.max / 1e6),
      event_loop_delay_p99_ms: Math.round(h.percentile(99) / 1e6),
      concurrent_ping: { count: pings.length, ...stats(pings) },
    };
  }

  console.log(
    JSON.stringify({
      document: { sources, tokens, chunks: last.stats.chunks },
      embedder: last.embedder,
      runs: RUNS,
      rest_balanced_ms: stats(restMs),
      engine_balanced_ms: stats(engineMs),
      exact_cache_hit_ms: stats(hitMs),
      exact_cache_hit_service_ms: stats(serviceHitMs),
      trivial_rest_call_ms: stats(pingMs),
      savings_pct: savings,
      targets: { rest_median_ms: 90, cache_hit_ms: 10, balanced_savings_pct: 75 },
      one_mb: loop,
      load_average: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
    }),
  );
} finally {
  await server.close();
}
