// The HTTP face: /mcp (Streamable HTTP), REST (/v1/tools/{name} + aliases), discovery, health, metrics.
import http from 'node:http';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { App } from '../app.js';
import type { Config } from '../config.js';
import type { EmbedderInfo } from '../engine/embeddings/types.js';
import { VERSION } from '../app.js';
import { AppError, BadRequest, Forbidden, InvalidInput, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, restError, toAppError, toJsonRpcError } from '../errors.js';
import type { AnyTool, RestAlias } from '../registry/define.js';
import { camelResult, snakeArgs, toCamel, toSnake } from '../registry/casing.js';
import type { Caller } from '../domain/scope.js';
import { invokeTool } from '../registry/invoke.js';
import { REST_SURFACE, SessionView } from '../registry/visibility.js';
import { planEmbedder } from '../services/embedder.js';
import { KeysService } from '../services/keys.js';
import { buildAgentCard } from './agent-card.js';
import { uploadPutHandler } from './uploads.js';
import { EMPTY_BEARER_HINT, unexpandedKeyHint } from './key-hints.js';
import { githubWebhookHandler } from './github-webhook.js';
import { GITHUB_WEBHOOK_PATH } from '../services/github.js';
import { McpHttpGateway } from './mcp.js';
import type { Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { BusService } from '../services/bus.js';
import { createLimiter, rateLimitedError, takeFor } from './rate-limit.js';
import { BATCH_STREAM_PATH, streamJobs } from './job-stream.js';
import { dashboardRouter } from './dashboard.js';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    caller: Caller | null;
  }
}

export interface HttpServerHandle {
  url: string;
  port: number;
  server: http.Server;
  metrics: Metrics;
  /** The MCP session gateway (session counts, reaping). */
  mcp: McpHttpGateway;
  /** Base URL of the separate admin listener serving /metrics, when CTXGATE_METRICS_PORT is set. */
  metricsUrl: string | null;
  /**
   * Graceful: /ready turns 503 and new sessions are refused, stop accepting, let in-flight calls finish
   * (up to the grace period), then close the MCP streams (clients reconnect to another replica).
   */
  close(): Promise<void>;
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export function allowedHostList(host: string, configured: string[]): string[] | null {
  if (configured.includes('*')) return null;
  if (configured.length) return configured;
  const extra = host === '0.0.0.0' || host === '::' ? [] : [host.includes(':') ? `[${host}]` : host];
  return [...new Set([...LOCAL_HOSTS, ...extra])];
}

/**
 * The embedder as /health and `ctxgate doctor` report it: what is (or will be) loaded, and whether it
 * can load at all (minilm without model files and without permission to download cannot).
 */
export function embedderHealth(config: Config, loaded: EmbedderInfo | null): { ok: boolean; provider: string; id: string; loaded: boolean; reason: string } {
  const info = loaded ?? planEmbedder(config);
  const ok = !!loaded || info.provider === 'offline' || !/ALLOW_DOWNLOAD=false/.test(info.reason);
  return { ok, provider: info.provider, id: info.id, loaded: !!loaded, reason: info.reason };
}

/** Compares a presented bearer token with the configured one in constant time. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/**
 * /metrics shows per-tool call counts across tenants, so it is never open: it needs the metrics
 * token (CTXGATE_METRICS_TOKEN) or lives on a separate admin listener (CTXGATE_METRICS_PORT).
 */
function metricsHandler(config: Config, metrics: Metrics, adminListener: boolean) {
  return async (req: Request, res: Response) => {
    const { token, port } = config.metrics;
    if (!adminListener && port !== undefined) {
      return sendError(res, new NotFound('/metrics is served on the admin port (CTXGATE_METRICS_PORT), not here'));
    }
    if (!adminListener && !token) {
      return sendError(res, new AppError(403, 'metrics_disabled', 'Metrics are off: set CTXGATE_METRICS_TOKEN (then send it as a Bearer token) or CTXGATE_METRICS_PORT (a separate admin port)'));
    }
    if (token && !tokenMatches(req.header('authorization'), token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="ctxgate-metrics"');
      return sendError(res, new Unauthorized('/metrics needs the metrics token (CTXGATE_METRICS_TOKEN) as "Authorization: Bearer TOKEN"'));
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}

/** The admin listener: /metrics only, on its own port and interface. */
async function startAdminListener(config: Config, metrics: Metrics, port: number): Promise<{ server: http.Server; url: string }> {
  const ex = express();
  ex.disable('x-powered-by');
  ex.get('/metrics', metricsHandler(config, metrics, true));
  ex.use((_req, res) => sendError(res, new NotFound('The admin port serves only GET /metrics')));
  const server = http.createServer(ex);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.metrics.host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  const host = config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host;
  return { server, url: `http://${host}:${bound}` };
}

function sendError(res: Response, err: AppError): void {
  const mapped = restError(err);
  for (const [k, v] of Object.entries(mapped.headers)) res.setHeader(k, v);
  res.status(mapped.status).json(mapped.body);
}

/** A refusal before routing: JSON-RPC-shaped on /mcp (data = the REST body), the REST body elsewhere. */
function refuse(req: Request, res: Response, err: AppError, rpcCode?: number): void {
  if (req.path !== '/mcp') return sendError(res, err);
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status).json(toJsonRpcError(err, rpcCode));
}

/** Hostname the Host header names, or null when it is missing or unparsable. */
function hostOf(header: string | undefined): string | null {
  if (!header) return null;
  try {
    return new URL(`http://${header}`).hostname;
  } catch {
    return null;
  }
}

/** Query strings and path parameters are text: convert them by the tool's JSON Schema so aliases accept numbers and flags. */
function coerceQuery(app: App, tool: AnyTool, query: Record<string, unknown>, alias?: RestAlias): Record<string, unknown> {
  const props = (app.registry.entry(tool).inputSchema.properties ?? {}) as Record<string, { type?: string | string[] }>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (typeof v !== 'string') continue;
    const t = props[alias?.casing === 'camel' && !(k in props) ? toSnake(k) : k]?.type;
    const types = Array.isArray(t) ? t : [t];
    if ((types.includes('integer') || types.includes('number')) && v.trim() !== '' && !Number.isNaN(Number(v))) out[k] = Number(v);
    else if (types.includes('boolean') && (v === 'true' || v === 'false')) out[k] = v === 'true';
    else if (types.includes('array')) out[k] = v.split(',').filter(Boolean);
    else out[k] = v;
  }
  return out;
}

function paramCount(path: string): number {
  return (path.match(/\/:/g) ?? []).length;
}

/** A result as an alias route answers it: one field of it (`unwrap`), in the route's casing. */
function aliasBody(app: App, tool: AnyTool, alias: RestAlias, output: unknown): unknown {
  const outputSchema = app.registry.entry(tool).outputSchema;
  let body = alias.casing === 'camel' ? camelResult(output, outputSchema) : output;
  if (alias.unwrap) body = (body as Record<string, unknown>)[alias.casing === 'camel' ? toCamel(alias.unwrap) : alias.unwrap];
  return body;
}

export async function startHttpServer(app: App, log: Logger): Promise<HttpServerHandle> {
  const config = app.deps.config;
  const metrics = app.metrics;
  const bus = app.deps.service(BusService);
  // Replicas share limits through Redis or the PostgreSQL store; SQLite (one process) keeps them in memory.
  await bus.ready();
  const limiter = createLimiter(app.deps.store, await bus.redis(), config.redisPrefix);
  // Set when shutdown begins: /ready answers 503 and responses ask clients to reconnect elsewhere.
  let stopping = false;
  // In-flight work that shutdown waits for: every HTTP request except the long-lived MCP GET
  // stream (closed with its session), counted from arrival so a request still sending its body counts.
  let inflight = 0;
  let draining: (() => void) | null = null;
  const tracker = {
    start: () => void inflight++,
    end: () => {
      inflight--;
      if (inflight === 0 && draining) draining();
    },
  };
  const gateway = new McpHttpGateway(app, metrics, log, limiter);
  let baseUrl = '';
  const keys = app.deps.service(KeysService);
  const ex = express();
  ex.disable('x-powered-by');
  ex.set('trust proxy', false);
  ex.set('query parser', 'simple');

  ex.use((req, res, next) => {
    if (!(req.method === 'GET' && (req.path === '/mcp' || req.path === BATCH_STREAM_PATH))) {
      tracker.start();
      res.once('close', tracker.end);
    }
    // Draining: this connection is not reused, so the client's next request goes to another replica.
    if (stopping) res.setHeader('Connection', 'close');
    req.id = (req.header('x-request-id') || '').slice(0, 64) || randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const t0 = performance.now();
    res.on('finish', () => {
      const route = req.path.startsWith('/v1/') ? 'rest' : req.path === '/mcp' ? 'mcp' : req.path;
      metrics.httpRequests.inc({ route: route.length > 40 ? 'other' : route, status: String(res.statusCode) });
      log.info({ requestId: req.id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - t0) }, 'request');
    });
    next();
  });

  // DNS-rebinding protection: the Host header must name this server; a browser Origin must be allowed.
  const hosts = allowedHostList(config.host, config.allowedHosts);
  if (hosts) {
    ex.use((req, res, next) => {
      const host = hostOf(req.headers.host);
      if (host && hosts.includes(host)) return next();
      refuse(
        req,
        res,
        new Forbidden(`Host header ${host ? `'${host.slice(0, 64)}' is not` : 'is missing or malformed; it must be'} one this server answers to (${hosts.join(', ')}; set CTXGATE_ALLOWED_HOSTS)`, {
          field: 'Host',
          rule: 'allowed_hosts',
          valid: hosts,
        }),
        -32000,
      );
    });
  }
  ex.use((req, res, next) => {
    const origin = req.header('origin');
    if (!origin) return next();
    let ok = config.allowedOrigins.includes(origin) || config.allowedOrigins.includes('*');
    if (!ok && hosts) {
      try {
        ok = hosts.includes(new URL(origin).hostname);
      } catch {
        ok = false;
      }
    } else if (!hosts) ok = true;
    if (ok) return next();
    refuse(req, res, new Forbidden(`Origin '${origin.slice(0, 100)}' is not allowed (set CTXGATE_ALLOWED_ORIGINS)`, { field: 'Origin', rule: 'allowed_origins' }), -32000);
  });

  // The web dashboard: static files only (it signs in with a key and calls the REST routes below).
  ex.use(dashboardRouter(config.dashboard, config.dashboardDir));

  // A signed upload's PUT carries a raw file and its own authority (the URL), not JSON or a key.
  ex.put('/v1/uploads/:id', uploadPutHandler(app));
  // GitHub's deliveries: the signature over the raw body is the authority (no key), read before the JSON parser.
  ex.post(GITHUB_WEBHOOK_PATH, githubWebhookHandler(app));

  ex.use(
    express.json({
      limit: config.maxBodyBytes,
      type: (req) => req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE',
      strict: false,
    }),
  );
  ex.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; message?: string };
    if (e?.type === 'entity.too.large') {
      return refuse(req, res, new PayloadTooLarge(`Request body exceeds the ${config.maxBodyBytes}-byte limit (CTXGATE_MAX_BODY_BYTES)`, { field: '(body)', limit: config.maxBodyBytes, unit: 'bytes' }));
    }
    if (e?.type === 'entity.parse.failed') {
      // Only the position: the parser's own message quotes the body, which may hold a secret.
      const at = /position (\d+)/.exec(e.message ?? '')?.[1];
      // Any Content-Type is read as JSON (so `curl -d '{...}'` works); a body sent as another type on
      // purpose (a form, plain text) is told what the server expects.
      const type = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const hint = type && !type.includes('json') ? `; it was sent as ${type.slice(0, 60)}, and every body here is JSON (Content-Type: application/json)` : '';
      const err = new BadRequest(`Malformed JSON body${at ? ` (syntax error at character ${at})` : ''}${hint}`, 'malformed_json', { field: '(body)', rule: 'json' });
      return refuse(req, res, err, -32700);
    }
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      return refuse(req, res, new UnsupportedMediaType('Unsupported content encoding or charset (send UTF-8 JSON, optionally gzip)', { field: 'Content-Encoding', rule: 'encoding' }));
    }
    next(err);
  });

  // Before key authentication: the metrics token travels in the same Authorization header.
  ex.get('/metrics', metricsHandler(config, metrics, false));

  // Authentication: a presented key must be valid (and not revoked) on every request.
  ex.use(async (req, res, next) => {
    req.caller = null;
    const auth = req.header('authorization');
    if (!auth) return next();
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const caller = m ? await keys.authenticate(m[1]!) : null;
    if (!caller) {
      const reason = m
        ? (unexpandedKeyHint(m[1]!) ?? (await keys.refusalReason(m[1]!)))
        : /^Bearer\s*$/i.test(auth)
          ? EMPTY_BEARER_HINT
          : 'Malformed Authorization header (expected "Bearer gc_...")';
      const err = new Unauthorized(reason);
      if (req.path === '/mcp') res.setHeader('WWW-Authenticate', 'Bearer realm="ctxgate"');
      return refuse(req, res, err);
    }
    if (caller.keyId) await keys.touch(caller.keyId);
    req.caller = caller;
    next();
  });

  // Liveness for anyone: ok/degraded and which check failed. No paths, no per-tenant figures.
  ex.get('/health', async (_req, res) => {
    let storeOk = true;
    try {
      await app.deps.store.ping();
    } catch (e) {
      storeOk = false;
      log.error({ err: e }, 'health: store check failed');
    }
    const { reason: _reason, ...embedder } = embedderHealth(config, app.embedderInfo());
    const checks = { store: { ok: storeOk }, embedder };
    const failed = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    res.status(storeOk ? 200 : 503).json({
      status: failed.length ? 'degraded' : 'ok',
      failed,
      version: VERSION,
      checks,
      mcp_sessions: gateway.size,
      uptime_s: Math.round(process.uptime()),
    });
  });

  // Readiness for the load balancer: this replica takes new work (not shutting down) and reaches the
  // store and, when configured, Redis. No figures, no paths.
  ex.get('/ready', async (_req, res) => {
    const check = async (fn: () => Promise<void>, name: string) => {
      try {
        await fn();
        return { ok: true };
      } catch (e) {
        log.warn({ err: e, check: name }, 'ready: check failed');
        return { ok: false };
      }
    };
    const checks = {
      store: await check(() => app.deps.store.ping(), 'store'),
      bus: { kind: bus.kind, ...(await check(() => bus.ping(), 'bus')) },
      draining: { ok: !stopping },
    };
    const failed = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    res.status(failed.length ? 503 : 200).json({ status: failed.length ? 'not_ready' : 'ready', failed, replica: config.replicaId, limiter: limiter.kind });
  });

  const card = (_req: Request, res: Response) => res.json(buildAgentCard(app, baseUrl));
  ex.get('/.well-known/agent.json', card);
  ex.get('/.well-known/agent-card.json', card);
  ex.get('/openapi.json', (_req, res) => res.json(buildOpenApi(app, baseUrl)));

  ex.get('/v1/tools', (req, res) => {
    const view = new SessionView(app.registry, req.caller, REST_SURFACE);
    res.json({
      tools: view.listedTools().map((t) => ({
        name: t.name,
        toolset: t.toolset,
        title: t.title,
        description: t.description,
        min_plan: app.registry.minPlan(t),
        callable: view.callable(t),
        public: !!t.public,
        rest: [{ method: 'POST', path: `/v1/tools/${t.name}` }, ...(t.rest ?? [])],
      })),
    });
  });

  const restCall = async (req: Request, res: Response, name: string, args: Record<string, unknown>, alias?: RestAlias) => {
    const caller = req.caller;
    let d: Awaited<ReturnType<typeof takeFor>>;
    try {
      d = await takeFor(limiter, config.plans, caller, req.socket.remoteAddress ?? 'unknown');
    } catch (err) {
      return sendError(res, toAppError(err));
    }
    res.setHeader('X-RateLimit-Limit', String(d.limit));
    res.setHeader('X-RateLimit-Remaining', String(d.remaining));
    res.setHeader('X-RateLimit-Reset', String(d.reset));
    if (!d.allowed) return sendError(res, rateLimitedError(d));
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    try {
      const { tool, output } = await invokeTool(
        { deps: app.deps, registry: app.registry, hooks: app.hooks, caller, transport: 'rest', requestId: req.id, signal: ac.signal, log: log.child({ requestId: req.id }), clientAddress: req.socket.remoteAddress ?? null },
        name,
        args,
      );
      for (const [k, v] of Object.entries(tool.restHeaders?.(output as never) ?? {})) res.setHeader(k, v);
      const raw = tool.restRaw?.(output as never);
      if (raw) {
        res.setHeader('Content-Type', raw.contentType);
        if (raw.filename) res.setHeader('Content-Disposition', `attachment; filename="${raw.filename}"`);
        res.status(alias?.status ?? tool.restStatus ?? 200).send(raw.body);
        return;
      }
      const status = alias?.status ?? tool.restStatus ?? 200;
      if (status === 204) return void res.status(204).end();
      res.status(status).json(alias ? aliasBody(app, tool, alias, output) : output);
    } catch (err) {
      let e = toAppError(err);
      // The route's own conventions for errors too: its status for invalid arguments, its casing for the field named.
      const status = alias?.invalidStatus && e.status === 422 ? alias.invalidStatus : e.status;
      const field = alias?.casing === 'camel' && typeof e.extra.field === 'string' ? toCamel(e.extra.field) : e.extra.field;
      if (status !== e.status || field !== e.extra.field) e = new AppError(status, e.code, e.message, { ...e.extra, ...(field !== undefined && { field }) }, e.headers);
      sendError(res, e);
    }
  };

  const bodyArgs = (req: Request): Record<string, unknown> | AppError => {
    const b = req.body as unknown;
    if (b === undefined || b === null || (typeof b === 'object' && !Array.isArray(b))) return (b ?? {}) as Record<string, unknown>;
    return new InvalidInput('The JSON body must be an object of named arguments', { field: '(body)', rule: 'object' });
  };

  // --- Teams and operations (issue 18): routes that are not tool calls. Registered before the tool
  // aliases, so /v1/batch-queue/stream is not taken for a job id.
  const streams = new Set<Response>();
  ex.get(BATCH_STREAM_PATH, async (req, res) => {
    const caller = req.caller;
    if (!caller) return sendError(res, new Unauthorized('The batch-queue stream needs an API key: send "Authorization: Bearer gc_..."'));
    let d: Awaited<ReturnType<typeof takeFor>>;
    try {
      d = await takeFor(limiter, config.plans, caller, req.socket.remoteAddress ?? 'unknown');
    } catch (err) {
      return sendError(res, toAppError(err));
    }
    if (!d.allowed) return sendError(res, rateLimitedError(d));
    streamJobs(app, caller, req, res, streams);
  });

  ex.post('/v1/tools/:name', async (req, res) => {
    const args = bodyArgs(req);
    if (args instanceof AppError) return sendError(res, args);
    await restCall(req, res, String(req.params.name), args);
  });

  // Fixed paths before parameterised ones, so /api/contexts/tree is not read as /api/contexts/:id.
  const aliases = [...app.registry.tools.values()].flatMap((tool) => (tool.rest ?? []).map((alias) => ({ tool, alias })));
  aliases.sort((a, b) => paramCount(a.alias.path) - paramCount(b.alias.path));
  for (const { tool, alias } of aliases) {
    const method = alias.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    ex[method](alias.path, async (req: Request, res: Response) => {
      const body = bodyArgs(req);
      if (body instanceof AppError) return sendError(res, body);
      let args: Record<string, unknown> = { ...alias.args, ...coerceQuery(app, tool, req.query as Record<string, unknown>, alias), ...body, ...coerceQuery(app, tool, req.params as Record<string, unknown>, alias) };
      if (alias.casing === 'camel') args = snakeArgs(args, app.registry.entry(tool).inputSchema) as Record<string, unknown>;
      await restCall(req, res, tool.name, args, alias);
    });
  }

  ex.all('/mcp', async (req, res) => {
    try {
      await gateway.handle(req, res, req.caller, req.socket.remoteAddress ?? 'unknown');
    } catch (err) {
      log.error({ err, requestId: req.id }, 'mcp request failed');
      if (!res.headersSent) refuse(req, res, toAppError(err));
    }
  });

  ex.use((req, res) => {
    sendError(res, new NotFound(`No route ${req.method} ${req.path}. MCP is at /mcp; REST tools at POST /v1/tools/{name}; see /openapi.json`));
  });
  ex.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // The router could not percent-decode a path parameter (`/v1/documents/%E0%A4%A`): the URL is at
    // fault, not the server. The bad segment is not echoed.
    if (err instanceof URIError) {
      return sendError(res, new BadRequest('Malformed percent-encoding in the URL path (each % must start a valid UTF-8 escape such as %2F)', 'malformed_path', { field: '(path)', rule: 'percent_encoding' }));
    }
    log.error({ err, requestId: req.id }, 'unhandled error');
    if (!res.headersSent) sendError(res, toAppError(err));
  });

  const server = http.createServer(ex);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const admin = config.metrics.port !== undefined ? await startAdminListener(config, metrics, config.metrics.port) : null;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  baseUrl = (config.publicUrl ?? `http://${hostForUrl}:${port}`).replace(/\/+$/, '');

  let closing: Promise<void> | null = null;
  return {
    url: baseUrl,
    port,
    server,
    metrics,
    mcp: gateway,
    metricsUrl: admin?.url ?? null,
    close() {
      closing ??= (async () => {
        stopping = true;
        // Still listening, /ready 503: the load balancer's next health check takes this replica out.
        if (config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.drainDelayMs));
        gateway.drain();
        // Requests whose bytes arrived while the event loop was busy are parsed in the poll phase;
        // let that run once before closing, or close() would count their sockets as idle and reset them.
        await new Promise<void>((resolve) => setImmediate(resolve));
        server.close();
        server.closeIdleConnections();
        if (inflight > 0) {
          await new Promise<void>((resolve) => {
            draining = resolve;
            setTimeout(resolve, config.shutdownGraceMs).unref();
          });
        }
        await gateway.closeAll();
        for (const s of streams) s.end();
        server.closeAllConnections();
        if (admin) {
          admin.server.close();
          admin.server.closeAllConnections();
        }
      })();
      return closing;
    },
  };
}
