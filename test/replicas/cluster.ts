// Several `ctxgate serve` replicas as real child processes over one fresh PostgreSQL database (and
// Redis when it is reachable), each with its own data dir: nothing but the shared services ties them
// together. Requests are spread round-robin by the test's own fetch (the SDK client takes it), or by a
// real HAProxy where the machine has one (haproxy.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Plan } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { AccountsService } from '../../src/services/accounts.js';
import { KeysService } from '../../src/services/keys.js';
import { startServeProcess, type ServeProcess } from '../helpers/cli.js';
import { createDatabase, dropDatabase } from '../helpers/database.js';

const ADMIN_URL = process.env.CTXGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.CTXGATE_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** True when the test PostgreSQL server answers (the replica tests skip, saying so, when not). */
export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** True when Redis answers PING at REDIS_URL. */
export function redisReachable(): Promise<boolean> {
  const u = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export interface Replica {
  proc: ServeProcess;
  base: string;
  dataDir: string;
  alive: boolean;
}

export interface Cluster {
  replicas: Replica[];
  databaseUrl: string;
  /** Environment every replica got (what the README's "Running several replicas" lists). */
  env: Record<string, string>;
  /** An in-process app on the same store: creates keys, looks under the services. */
  app: App;
  createKey(plan?: Plan, name?: string): Promise<string>;
  /** fetch that sends each request to the next live replica; a refused connection moves on, like a load balancer. */
  roundRobin(): RoundRobin;
  /** An MCP client whose every request goes through `rr` (default: a fresh round-robin). */
  connect(key: string, opts?: { rr?: RoundRobin; onListChanged?: () => void; url?: string }): Promise<Client>;
  kill(i: number): Promise<void>;
  close(): Promise<void>;
}

export interface RoundRobin {
  fetch: typeof fetch;
  /** Index of the replica each request went to, in order. */
  served: number[];
}

export async function startCluster(opts: { replicas?: number; redis: boolean; env?: Record<string, string> }): Promise<Cluster> {
  const n = opts.replicas ?? 3;
  const name = `ctxgate_t_rep_${crypto.randomBytes(6).toString('hex')}`;
  const databaseUrl = await createDatabase(name, ADMIN_URL);
  const secret = crypto.randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    CTXGATE_DATABASE_URL: databaseUrl,
    CTXGATE_SECRET: secret,
    CTXGATE_EMBEDDER: 'offline',
    ...(opts.redis && { CTXGATE_REDIS_URL: REDIS_URL, CTXGATE_REDIS_PREFIX: `${name}:` }),
    ...opts.env,
  };
  const dirs: string[] = [];
  const mkdir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-replica-'));
    dirs.push(d);
    return d;
  };
  // Keys (and the migrations) first, so no replica's first start mints an owner key of its own.
  const app = await createApp(loadConfig({ dataDir: mkdir(), logLevel: 'silent', embedder: 'offline', databaseUrl, secret, ...(opts.redis && { redisUrl: REDIS_URL, redisPrefix: `${name}:` }) }), createLogger('silent'));
  const accounts = app.deps.service(AccountsService);
  const keys = app.deps.service(KeysService);
  const owner = (await accounts.owner()).user;
  await keys.create({ name: 'owner', plan: 'enterprise', ownerId: owner.id });

  const replicas: Replica[] = [];
  try {
    const procs = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const dataDir = mkdir();
        return startServeProcess(dataDir, { ...env, CTXGATE_REPLICA_ID: `replica-${i}` }).then((proc) => ({ proc, dataDir }));
      }),
    );
    for (const { proc, dataDir } of procs) replicas.push({ proc, base: new URL(proc.url).origin, dataDir, alive: true });
  } catch (e) {
    await app.close();
    await dropDatabase(name, ADMIN_URL);
    throw e;
  }
  for (const [i, r] of replicas.entries()) {
    r.proc.child.once('exit', () => {
      replicas[i]!.alive = false;
    });
  }

  const roundRobin = (): RoundRobin => {
    let next = 0;
    const served: number[] = [];
    const rrFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      for (let tries = 0; tries < replicas.length; tries++) {
        const i = next++ % replicas.length;
        const r = replicas[i]!;
        if (!r.alive) continue;
        try {
          const res = await fetch(r.base + url.pathname + url.search, init);
          served.push(i);
          return res;
        } catch (err) {
          // Refused: nothing was delivered, so the next replica may take it (HAProxy's redispatch does the same).
          if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw err;
        }
      }
      throw new Error('no replica reachable');
    };
    return { fetch: rrFetch as typeof fetch, served };
  };

  return {
    replicas,
    databaseUrl,
    env,
    app,
    async createKey(plan = 'enterprise', keyName = 'test') {
      const u = (await accounts.createUser(keyName)).user;
      return (await keys.create({ name: keyName, plan, ownerId: u.id })).key;
    },
    roundRobin,
    async connect(key, o = {}) {
      const rr = o.rr ?? roundRobin();
      const transport = new StreamableHTTPClientTransport(new URL(o.url ?? `${replicas[0]!.base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
        ...(!o.url && { fetch: rr.fetch }),
      });
      const client = new Client({ name: 'ctxgate-replica-test', version: '1.0.0' }, { capabilities: {} });
      if (o.onListChanged) client.setNotificationHandler(ToolListChangedNotificationSchema, () => o.onListChanged!());
      await client.connect(transport);
      return client;
    },
    async kill(i) {
      const r = replicas[i]!;
      const exited = new Promise<void>((res) => (r.proc.child.exitCode !== null || r.proc.child.signalCode !== null ? res() : r.proc.child.once('exit', () => res())));
      r.proc.child.kill('SIGKILL');
      await exited;
      r.alive = false;
    },
    async close() {
      await Promise.all(
        replicas.map(
          (r) =>
            new Promise<void>((res) => {
              const c = r.proc.child;
              if (c.exitCode !== null || c.signalCode !== null) return res();
              const t = setTimeout(() => c.kill('SIGKILL'), 5000);
              c.once('exit', () => {
                clearTimeout(t);
                res();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
      await app.close();
      await dropDatabase(name, ADMIN_URL);
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Lines a replica logged with this message. */
export function logged(r: Replica, msg: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of r.proc.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      if (j.msg === msg) out.push(j);
    } catch {
      /* partial line */
    }
  }
  return out;
}
