// Test harness: the real server on an ephemeral port with a temp data dir, real keys, the official
// MCP SDK client and a small REST helper. No mocks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config, type Plan } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { AccountsService } from '../../src/services/accounts.js';
import { KeysService, type CreatedKey } from '../../src/services/keys.js';
import { startHttpServer, type HttpServerHandle } from '../../src/server/http.js';
import type { AppDeps } from '../../src/app-deps.js';
import { databaseUrlFor, dropDatabaseFor } from './database.js';

export interface TestServer {
  baseUrl: string;
  mcpUrl: string;
  dataDir: string;
  /** Enterprise key of the instance owner. */
  ownerKey: string;
  owner: CreatedKey;
  app: App;
  deps: AppDeps;
  http: HttpServerHandle;
  /** A new key. `newUser: true` makes a separate tenant; `projectId` binds the key to a project. */
  createKey(opts?: { plan?: Plan; projectId?: string; name?: string; newUser?: boolean; userId?: string }): Promise<CreatedKey & { keyString: string }>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'ctxgate-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Temp dirs a test file makes and removes after its tests: `const dir = useTempDirs(); const d = dir();` */
export function useTempDirs(prefix?: string): () => string {
  const dirs: string[] = [];
  // Retried: a child process the file spawned (ctxgate run, a server) may still be writing its last
  // file as the directory is removed, which fails once with ENOTEMPTY.
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })));
  return () => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
}

export async function startTestServer(opts: { config?: Partial<Config>; dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const config = loadConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    logLevel: 'silent',
    secret: undefined,
    publicUrl: undefined,
    allowedHosts: [],
    allowedOrigins: [],
    // CTXGATE_TEST_DATABASE=postgres: a fresh PostgreSQL database per data dir (see ./database.ts).
    databaseUrl: await databaseUrlFor(dataDir),
    ...opts.config,
  });
  const log = createLogger(config.logLevel, 'stderr');
  const app = await createApp(config, log);
  const keys = app.deps.service(KeysService);
  const accounts = app.deps.service(AccountsService);
  const ownerUser = (await accounts.owner()).user;
  const owner = await keys.create({ name: 'owner', plan: 'enterprise', ownerId: ownerUser.id });
  const http = await startHttpServer(app, log);
  return {
    baseUrl: http.url,
    mcpUrl: `${http.url}/mcp`,
    dataDir,
    ownerKey: owner.key,
    owner,
    app,
    deps: app.deps,
    http,
    async createKey(o = {}) {
      const userId = o.newUser ? (await accounts.createUser(o.name ?? 'tenant')).user.id : (o.userId ?? ownerUser.id);
      const k = await keys.create({ name: o.name ?? 'test', plan: o.plan ?? 'enterprise', ownerId: userId, projectId: o.projectId ?? null });
      return { ...k, keyString: k.key };
    },
    async close() {
      await http.close();
      await app.close();
      await dropDatabaseFor(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function connectMcp(
  server: { mcpUrl: string },
  opts: { key?: string | null; profile?: string; toolsets?: string[]; json?: boolean; onListChanged?: () => void } = {},
): Promise<Client> {
  const url = new URL(server.mcpUrl);
  if (opts.profile) url.searchParams.set('profile', opts.profile);
  if (opts.toolsets) url.searchParams.set('toolsets', opts.toolsets.join(','));
  if (opts.json) url.searchParams.set('response', 'json');
  const headers: Record<string, string> = {};
  if (opts.key) headers.Authorization = `Bearer ${opts.key}`;
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: 'ctxgate-test', version: '1.0.0' }, { capabilities: {} });
  if (opts.onListChanged) {
    const { ToolListChangedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => opts.onListChanged!());
  }
  await client.connect(transport);
  return client;
}

/**
 * For a test file that drives one server through one MCP client: registers beforeAll/afterAll that
 * start the server, connect a client on the owner key, hand both to `set`, and close them afterwards.
 */
export function useServerAndClient(set: (server: TestServer, client: Client) => void, opts: Parameters<typeof startTestServer>[0] = {}): void {
  let server: TestServer | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    server = await startTestServer(opts);
    client = await connectMcp(server, { key: server.ownerKey });
    set(server, client);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });
}

export interface ToolCallResult {
  isError: boolean;
  /** structuredContent for successes; the parsed error body ({status, detail, error_code, ...}) for errors. */
  structured: any;
  text: string;
  raw: unknown;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}, opts: { onprogress?: (p: { progress: number; total?: number; message?: string }) => void } = {}): Promise<ToolCallResult> {
  const res = (await client.callTool({ name, arguments: args }, undefined, opts.onprogress ? { onprogress: opts.onprogress } : undefined)) as {
    isError?: boolean;
    structuredContent?: unknown;
    content?: Array<{ type: string; text?: string }>;
  };
  const text = (res.content ?? []).filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');
  let structured: unknown = res.structuredContent;
  if (res.isError) {
    try {
      structured = JSON.parse(text);
    } catch {
      structured = { detail: text };
    }
  }
  return { isError: !!res.isError, structured, text, raw: res };
}

export interface RestResponse {
  status: number;
  headers: Headers;
  body: any;
}

export async function rest(
  server: { baseUrl: string },
  method: string,
  urlPath: string,
  opts: { key?: string | null; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.Authorization = `Bearer ${opts.key}`;
  let body: string | Buffer | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  const res = await fetch(server.baseUrl + urlPath, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON (e.g. /metrics) */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/**
 * Polls `fn` every 25 ms until it returns something other than undefined or false, and resolves with
 * that: a value (`() => list.find(...)`) or a condition (`() => gates.length === 1`). Throws after
 * `ms` (default 30 s), naming `what` (a function is called then, e.g. to show the last value seen).
 */
export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, limit: number | { ms?: number; what?: string | (() => string) } = {}): Promise<Exclude<T, false | undefined>> {
  const { ms = 30_000, what = 'condition' } = typeof limit === 'number' ? { ms: limit } : limit;
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
    if (Date.now() > end) throw new Error(`${typeof what === 'function' ? what() : what} not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
