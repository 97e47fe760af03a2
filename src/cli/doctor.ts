// `ctxgate doctor`: checks what a working setup needs — Node, the data dir, the key, the embedder and
// the port — and prints, for each problem, what to do about it. Exit 1 when something must be fixed.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createApp, VERSION } from '../app.js';
import type { Config } from '../config.js';
import { packCandidates } from '../engine/embeddings/offline.js';
import { createLogger } from '../log.js';
import { projectRoot } from '../paths.js';
import { embedderHealth } from '../server/http.js';
import { KeysService } from '../services/keys.js';
import { storeName } from './common.js';
import { OWNER_KEY_FILE } from './serve.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  name: string;
  level: Level;
  detail: string;
  fix?: string;
}

const MARK: Record<Level, string> = { ok: '✓', warn: '!', fail: '✗' };

function nodeCheck(): Check {
  const [maj, min] = process.versions.node.split('.').map(Number) as [number, number];
  const ok = maj > 20 || (maj === 20 && min >= 10);
  return ok
    ? { name: 'node', level: 'ok', detail: `Node ${process.versions.node}` }
    : { name: 'node', level: 'fail', detail: `Node ${process.versions.node} is too old`, fix: 'install Node 20.10 or newer (nvm install 20)' };
}

function dataDirCheck(config: Config): Check {
  const dir = config.dataDir;
  if (!fs.existsSync(dir)) return { name: 'data dir', level: 'warn', detail: `${dir} does not exist yet`, fix: 'run `ctxgate serve` once (it creates the dir, mode 0700), or set CTXGATE_DATA_DIR' };
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { name: 'data dir', level: 'fail', detail: `${dir} is not readable and writable by this user`, fix: `chown it to this user, or set CTXGATE_DATA_DIR to a dir you own` };
  }
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    return { name: 'data dir', level: 'warn', detail: `${dir} is mode 0${mode.toString(8)}: other users can read tenants' data`, fix: `chmod 700 ${dir} (ctxgate serve also tightens it at start)` };
  }
  return { name: 'data dir', level: 'ok', detail: `${dir} (mode 0${mode.toString(8)})` };
}

/**
 * The key checks need the store. On SQLite they only run when the store file exists (doctor creates
 * nothing); a PostgreSQL database is made by its operator, so it is opened (as serve would) and an
 * unreachable one is a failure to fix.
 */
async function keyChecks(config: Config): Promise<Check[]> {
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, 'ctxgate.db'))) {
    return [{ name: 'key', level: 'warn', detail: 'no store yet, so no keys', fix: '`ctxgate serve` creates the owner key on first start' }];
  }
  const out: Check[] = [];
  let app;
  try {
    app = await createApp(config, createLogger('silent', 'stderr'));
  } catch (e) {
    return [{ name: 'store', level: 'fail', detail: (e as Error).message, fix: 'check CTXGATE_DATABASE_URL and that PostgreSQL is running' }];
  }
  try {
    const keys = app.deps.service(KeysService);
    const presented = process.env.CTXGATE_KEY?.trim();
    if (presented) {
      const caller = await keys.authenticate(presented);
      out.push(
        caller
          ? { name: 'key', level: 'ok', detail: `CTXGATE_KEY is valid: "${caller.keyName}", ${caller.plan} plan, project ${caller.projectId}` }
          : {
              name: 'key',
              level: 'fail',
              detail: `CTXGATE_KEY is not a valid, unrevoked key for ${storeName(config)} (revoked, mistyped, or made for another store)`,
              fix: 'create one with `ctxgate keys create --name NAME --plan pro` and export it as CTXGATE_KEY',
            },
      );
    } else {
      out.push({
        name: 'key',
        level: 'warn',
        detail: `CTXGATE_KEY is not set (${await keys.count()} key(s) in the store); stdio then acts as the local owner, HTTP clients send no key`,
        fix: 'export CTXGATE_KEY=gc_... (the owner key from the first start, or `ctxgate keys create --name NAME`)',
      });
    }
  } finally {
    void app.close();
  }
  if (fs.existsSync(path.join(config.dataDir, OWNER_KEY_FILE))) {
    out.push({ name: 'owner key file', level: 'warn', detail: `${path.join(config.dataDir, OWNER_KEY_FILE)} still holds the owner key`, fix: 'copy the key into your environment or secrets manager, then delete the file' });
  }
  return out;
}

function embedderCheck(config: Config): Check {
  let h;
  try {
    h = embedderHealth(config, null);
  } catch (e) {
    return { name: 'embedder', level: 'fail', detail: (e as Error).message, fix: 'set CTXGATE_EMBEDDER to auto, minilm or offline' };
  }
  if (!h.ok) {
    return { name: 'embedder', level: 'fail', detail: h.reason, fix: 'put the all-MiniLM-L6-v2 ONNX files in CTXGATE_MODEL_DIR, allow the download (CTXGATE_ALLOW_DOWNLOAD=true), or use CTXGATE_EMBEDDER=auto' };
  }
  if (h.provider === 'offline') {
    const pack = packCandidates(projectRoot, config.dataDir).find((f) => fs.existsSync(f));
    return pack
      ? { name: 'embedder', level: 'ok', detail: `offline word vectors (${pack}); ${h.reason}` }
      : { name: 'embedder', level: 'warn', detail: `offline word vectors, pack not built yet (the first search builds it, ~5 s); ${h.reason}`, fix: `node ${path.join(projectRoot, 'scripts/build-word-vectors.mjs')}` };
  }
  return { name: 'embedder', level: 'ok', detail: `minilm; ${h.reason}` };
}

/**
 * Is the port free, held by ctxgate, held by something else, or out of this user's reach? Listening
 * there ourselves is the truthful test (it fails exactly as `ctxgate serve` would); only a port in
 * use is then asked for /health, to tell a running ctxgate from another program.
 */
async function portCheck(config: Config): Promise<Check> {
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    srv.listen(config.port, config.host, () => srv.close(() => resolve(null)));
  });
  const where = `${config.host}:${config.port}`;
  if (!err) return { name: 'port', level: 'ok', detail: `${where} is free; ctxgate is not running (start it with \`ctxgate serve\`)` };
  if (err.code === 'EACCES') {
    const start = unprivilegedPortStart();
    return { name: 'port', level: 'fail', detail: `${where} needs privileges this user lacks (ports below ${start} need root or CAP_NET_BIND_SERVICE)`, fix: `set CTXGATE_PORT to ${start} or above (or grant node CAP_NET_BIND_SERVICE)` };
  }
  if (err.code === 'EADDRNOTAVAIL') return { name: 'port', level: 'fail', detail: `${config.host} is not an address of this machine`, fix: 'set CTXGATE_HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for all)' };
  if (err.code !== 'EADDRINUSE') return { name: 'port', level: 'fail', detail: `cannot listen on ${where} (${err.code ?? err.message})`, fix: 'set CTXGATE_PORT to a free port (or stop what holds it)' };
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  try {
    const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await r.json().catch(() => null)) as { status?: string; version?: string; failed?: string[] } | null;
    if (body?.status) {
      const level: Level = body.status === 'ok' ? 'ok' : 'fail';
      return { name: 'server', level, detail: `ctxgate ${body.version ?? ''} answers at ${base}/mcp (health: ${body.status}${body.failed?.length ? `, failed: ${body.failed.join(', ')}` : ''})`, ...(level === 'fail' && { fix: 'see the server log for the failed check' }) };
    }
  } catch {
    /* not HTTP, or no answer in time: another program all the same */
  }
  return { name: 'port', level: 'fail', detail: `${where} is in use by another program (not ctxgate: no /health answer)`, fix: 'stop it, or set CTXGATE_PORT to a free port' };
}

/** The lowest port an unprivileged process may bind (Linux makes it settable; 1024 elsewhere). */
function unprivilegedPortStart(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) || 1024;
  } catch {
    return 1024;
  }
}

export async function doctorCmd(config: Config): Promise<void> {
  const checks = [nodeCheck(), dataDirCheck(config), ...(await keyChecks(config)), embedderCheck(config), await portCheck(config)];
  const width = Math.max(...checks.map((c) => c.name.length));
  process.stdout.write(`ctxgate ${VERSION} doctor\n`);
  for (const c of checks) {
    process.stdout.write(`${MARK[c.level]} ${c.name.padEnd(width)}  ${c.detail}\n`);
    if (c.fix && c.level !== 'ok') process.stdout.write(`  ${' '.repeat(width)}  → ${c.fix}\n`);
  }
  const failed = checks.filter((c) => c.level === 'fail').length;
  process.stdout.write(failed ? `\n${failed} problem(s) to fix.\n` : '\nNothing to fix.\n');
  if (failed) process.exitCode = 1;
}
