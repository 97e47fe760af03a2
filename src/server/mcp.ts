// MCP over Streamable HTTP (sessions, SSE GET stream, DELETE, JSON-response mode) and the shared
// per-connection MCP server that stdio uses too. Tool calls go through the one call pipeline.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  isInitializeRequest,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import { VERSION } from '../app.js';
import { NotFound, toAppError, toolErrorResult } from '../errors.js';
import type { AnyTool, SessionControl } from '../registry/define.js';
import { scopeOf, type Caller } from '../domain/scope.js';
import { invokeTool, type CallEnv } from '../registry/invoke.js';
import type { Registry, Surface } from '../registry/registry.js';
import { closestNames } from '../registry/suggest.js';
import { SessionView } from '../registry/visibility.js';
import type { Metrics } from './metrics.js';
import { rateLimitedError, takeFor, type RateLimiter } from './rate-limit.js';

export const SERVER_INSTRUCTIONS =
  'ctxgate cuts what goes into your context window. Before reading a large document, file set or command output, ' +
  'call estimate_tokens or gc_pre_flight; compress long text with compress_text (or ingest_context + read_skeleton + ' +
  'search_semantic for documents you will revisit), and pass verbose CLI output through filter_cli_output. ' +
  'This list is lean on purpose: search_tools finds any other tool by what it does, call_tool runs it by name, ' +
  'enable_toolset / enable_tools add it to the list, and tool_help(tool_name) shows its full schema and examples.';

/** What one MCP connection (an HTTP session or a stdio process) sees and who it acts as. */
export interface Connection {
  id: string;
  caller: Caller | null;
  profile: string;
  toolsets: Set<string> | null;
  /** Toolsets added with enable_toolset. */
  enabled: Set<string>;
  /** Single tools added with enable_tools (created on first use). */
  enabledTools?: Set<string>;
  transport: 'mcp' | 'stdio';
  /** The client's address (HTTP), for the audit log. */
  remote?: string;
  /** `?upstreams=1`: list the tools of the project's tool sources (upstream servers) as `server__tool`. */
  sources?: boolean;
}

export interface ConnectionHooks {
  /** Throws RateLimited when the caller is over its limit (HTTP only). */
  beforeCall?: (conn: Connection) => void;
}

export function createMcpServer(app: App, metrics: Metrics, log: Logger, conn: Connection, hooks: ConnectionHooks = {}): Server {
  const server = new Server(
    { name: 'ctxgate', title: 'ctxgate context gateway', version: VERSION },
    { capabilities: { tools: { listChanged: true }, resources: {}, logging: {} }, instructions: SERVER_INSTRUCTIONS },
  );
  const enabledTools = (conn.enabledTools ??= new Set());
  const surface = (): Surface => ({ profile: conn.profile, toolsets: conn.toolsets, enabledToolsets: conn.enabled, enabledTools });
  // One view per question, so a key's plan and the session's list are read as they are now.
  const view = () => new SessionView(app.registry, conn.caller, surface());

  /** Apply a change to the list; notify the client when names were added. */
  const grow = async (change: () => void): Promise<string[]> => {
    const before = new Set(view().listedTools().map((t) => t.name));
    change();
    const added = view().listedTools().map((t) => t.name).filter((n) => !before.has(n));
    if (added.length) await server.sendToolListChanged();
    return added;
  };

  const session: SessionControl = {
    id: conn.id,
    surface,
    enableToolsets(names: string[]) {
      const known = app.registry.toolsets().map((t) => t.name);
      const bad = names.filter((n) => !known.includes(n));
      if (bad.length) {
        const hint = closestNames(bad[0]!, known, 1);
        throw new NotFound(`Unknown toolset '${bad[0]}'${hint.length ? `. Did you mean '${hint[0]}'?` : ''} Valid: ${known.join(', ')}`, {
          field: 'toolsets',
          rule: 'unknown_toolset',
          valid: known,
        });
      }
      return grow(() => names.forEach((n) => conn.enabled.add(n)));
    },
    enableTools(names: string[]) {
      const bad = names.find((n) => !app.registry.get(n));
      if (bad !== undefined) throw app.registry.unknownTool(bad, 'tools');
      return grow(() => names.forEach((n) => enabledTools.add(n)));
    },
  };

  /** Sources whose gate tool this connection may call (none unless it asked for them). */
  const sources = () => {
    const v = view();
    return conn.sources && conn.caller ? app.registry.sources.filter((s) => { const g = app.registry.get(s.gate); return g && v.callable(g); }) : [];
  };

  server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => {
    const own = view().listedTools().map((t) => app.registry.listEntry(t));
    const scope = conn.caller && scopeOf(conn.caller);
    const more = scope ? (await Promise.all(sources().map((s) => s.tools(scope, extra.signal)))).flat() : [];
    return { tools: [...own, ...more.map(({ origin: _o, ...t }) => t)] };
  });

  /** The call environment of this connection: tool calls and resource reads go through the one pipeline. */
  const envFor = (requestId: string, signal: AbortSignal): CallEnv => ({
    deps: app.deps,
    registry: app.registry,
    hooks: app.hooks,
    caller: conn.caller,
    transport: conn.transport,
    requestId,
    signal,
    log: log.child({ requestId, session: conn.id }),
    session,
    clientAddress: conn.remote ?? null,
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const name = req.params.name;
    // Any registered tool may be called by name (call_tool does the same); who may is invoke's question.
    const tool = app.registry.get(name);
    const source = tool ? undefined : sources().find((s) => s.owns(name));
    if (source && conn.caller) {
      try {
        hooks.beforeCall?.(conn);
        return (await source.call(scopeOf(conn.caller), name, req.params.arguments ?? {}, extra.signal)) as CallToolResult;
      } catch (err) {
        return toolErrorResult(err);
      }
    }
    if (!tool) throw new McpError(ErrorCode.InvalidParams, app.registry.unknownTool(name, 'name').message);
    const progressToken = req.params._meta?.progressToken;
    const requestId = `${conn.id}:${String(extra.requestId)}`;
    try {
      hooks.beforeCall?.(conn);
      const { tool: ran, output } = await invokeTool(
        {
          ...envFor(requestId, extra.signal),
          progress:
            progressToken === undefined
              ? async () => {}
              : async (progress, total, message) => {
                  await extra.sendNotification({
                    method: 'notifications/progress',
                    params: { progressToken, progress, ...(total !== undefined && { total }), ...(message && { message }) },
                  });
                },
        },
        name,
        req.params.arguments ?? {},
      );
      return toolResult(app.registry, ran, output);
    } catch (err) {
      return toolErrorResult(err);
    }
  });

  answerResources(app, server, view, conn, envFor, hooks);
  return server;
}

/** A level-1 URI template as a matcher: ctxgate://brain/{project} → the variables of a URI, or null. */
function templateMatcher(template: string): (uri: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = template.split(/(\{[a-z_]+\})/i).map((part) => {
    const m = /^\{([a-z_]+)\}$/i.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(m[1]!);
    return '([^/?#]+)';
  });
  const re = new RegExp(`^${source.join('')}$`);
  return (uri) => {
    const m = re.exec(uri);
    try {
      return m ? Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) : null;
    } catch {
      return null; // malformed percent-encoding names nothing
    }
  };
}

/**
 * Resources are tools' results at a URI (ToolDef.resource): listed when the tool is callable by this
 * caller, read through the same call pipeline (auth, plan, scope) as tools/call. Clients that list
 * resources on connect (Codex) get lists, empty when there is nothing for them.
 */
function answerResources(
  app: App,
  server: Server,
  view: () => SessionView,
  conn: Connection,
  envFor: (requestId: string, signal: AbortSignal) => CallEnv,
  hooks: ConnectionHooks,
): void {
  const served = () => [...app.registry.tools.values()].filter((t) => t.resource && view().callable(t));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: served().map((t) => ({ uriTemplate: t.resource!.uriTemplate, name: t.resource!.name, title: t.resource!.title, description: t.resource!.description, mimeType: t.resource!.mimeType })),
  }));
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: conn.caller
      ? served()
          .filter((t) => t.resource!.listFor)
          .map((t) => {
            const r = t.resource!;
            const vars = r.listFor!(conn.caller!.projectId);
            const uri = r.uriTemplate.replace(/\{([a-z_]+)\}/gi, (_m, n: string) => encodeURIComponent(vars[n] ?? ''));
            return { uri, name: r.name, title: r.title, description: r.description, mimeType: r.mimeType };
          })
      : [],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
    const uri = req.params.uri;
    for (const tool of app.registry.tools.values()) {
      const vars = tool.resource ? templateMatcher(tool.resource.uriTemplate)(uri) : null;
      if (!vars) continue;
      try {
        hooks.beforeCall?.(conn);
        const { output } = await invokeTool(envFor(`${conn.id}:${String(extra.requestId)}`, extra.signal), tool.name, tool.resource!.args(vars));
        return { contents: [{ uri, mimeType: tool.resource!.mimeType, text: tool.resource!.text(output) }] };
      } catch (err) {
        const e = toAppError(err);
        throw new McpError(e.status === 404 ? RESOURCE_NOT_FOUND : e.status < 500 ? ErrorCode.InvalidParams : ErrorCode.InternalError, e.message, e.toBody());
      }
    }
    throw new McpError(RESOURCE_NOT_FOUND, `No resource at ${uri.slice(0, 200)}`, { uri: uri.slice(0, 200) });
  });
}

/** MCP's code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

/** A successful call as MCP content: the text the model reads and the whole object as structuredContent. */
export function toolResult(registry: Registry, tool: AnyTool, output: unknown): CallToolResult {
  const extra = (tool.attachments?.(output as never) ?? []) as CallToolResult['content'];
  return { content: [{ type: 'text', text: registry.renderText(tool, output) }, ...extra], structuredContent: output as Record<string, unknown> };
}


interface HttpSession {
  conn: Connection;
  transport: StreamableHTTPServerTransport;
  server: Server;
  lastSeen: number;
  keyId: string | null;
  /** Who the session counts against for the per-caller cap: a key, or a client address. */
  who: string;
  /** Sent a request after initialize; unused sessions get the short idle lifetime. */
  used: boolean;
}

/** The identity session limits count against: the key, else the client's address. */
function sessionCaller(caller: Caller | null, remote: string): string {
  return caller?.keyId ? `key:${caller.keyId}` : caller ? `owner:${caller.userId}` : `addr:${remote}`;
}

/** True when the body holds a JSON-RPC request (not only notifications or responses). */
function hasRequest(body: unknown): boolean {
  const one = (m: unknown) => typeof m === 'object' && m !== null && 'method' in m && 'id' in m;
  return Array.isArray(body) ? body.some(one) : one(body);
}

function rpcError(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * Streamable HTTP endpoint: one SDK transport + server per session. Sessions are bounded (config
 * `sessions`): new ones per minute per caller, open ones per caller and in total, and a short idle
 * lifetime for sessions that never made a request, so an initialize flood cannot grow memory.
 */
export class McpHttpGateway {
  private readonly sessions = new Map<string, HttpSession>();
  /** Open sessions plus initializes in flight, per caller and in total (slots are taken before the await). */
  private readonly perCaller = new Map<string, number>();
  private slots = 0;
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly app: App,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly limiter: RateLimiter,
  ) {
    const shortest = Math.min(app.deps.config.sessionIdleMs, app.deps.config.sessions.unusedIdleMs);
    this.reaper = setInterval(() => this.reap(), Math.min(60_000, Math.max(1_000, shortest / 4)));
    this.reaper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(req: Request, res: Response, caller: Caller | null, remote: string): Promise<void> {
    const sid = req.header('mcp-session-id');
    if (sid) {
      const s = this.sessions.get(sid);
      if (!s) return rpcError(res, 404, -32001, `Session not found: '${sid}' is unknown or has ended; start a new session with initialize`);
      // A session belongs to the key that opened it.
      if ((caller?.keyId ?? null) !== s.keyId) {
        return rpcError(res, 403, -32000, 'This session was opened with a different API key');
      }
      s.conn.caller = caller;
      s.lastSeen = Date.now();
      if (req.method === 'POST' && hasRequest(req.body)) s.used = true;
      await s.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST') {
      return rpcError(res, 400, -32000, 'Missing Mcp-Session-Id header: GET and DELETE need the session id returned by initialize');
    }
    const body = req.body as unknown;
    const isInit = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
    if (!isInit) {
      return rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header and the message is not an initialize request');
    }
    let sel: { profile: string; toolsets: Set<string> | null };
    try {
      sel = this.app.registry.parseSelection(req.query.profile, req.query.toolsets);
    } catch (e) {
      return rpcError(res, 400, -32602, (e as Error).message);
    }
    const who = sessionCaller(caller, remote);
    const refusal = this.admit(who);
    if (refusal) return rpcError(res, 429, -32000, refusal.message, { 'Retry-After': String(refusal.retryAfter) });
    let registered = false;
    const jsonMode = req.query.response === 'json';
    const conn: Connection = { id: '', caller, profile: sel.profile, toolsets: sel.toolsets, enabled: new Set(), transport: 'mcp', remote, sources: req.query.upstreams === '1' || req.query.upstreams === 'true' };
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: jsonMode,
      onsessioninitialized: (id) => {
        conn.id = id;
        registered = true;
        this.sessions.set(id, { conn, transport, server, lastSeen: Date.now(), keyId: caller?.keyId ?? null, who, used: false });
        this.metrics.mcpSessions.set(this.sessions.size);
        this.log.info({ session: id, profile: conn.profile, toolsets: conn.toolsets && [...conn.toolsets], key: caller?.keyId ?? null }, 'mcp session opened');
      },
      onsessionclosed: (id) => this.forget(id, 'client ended the session'),
    });
    transport.onclose = () => {
      if (conn.id) this.forget(conn.id, 'transport closed');
    };
    const server = createMcpServer(this.app, this.metrics, this.log, conn, {
      beforeCall: (c) => {
        const d = takeFor(this.limiter, this.app.deps.config.plans, c.caller, remote);
        if (!d.allowed) throw rateLimitedError(d);
      },
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      // The initialize failed (bad params, client gone): give the slot back.
      if (!registered) {
        this.release(who);
        void server.close().catch(() => {});
      }
    }
  }

  /** Takes a session slot for `who`, or says why not (with seconds to wait). */
  private admit(who: string): { message: string; retryAfter: number } | null {
    const lim = this.app.deps.config.sessions;
    const rate = this.limiter.take(`session:${who}`, lim.createPerMinute);
    if (!rate.allowed) {
      return { message: `Too many new MCP sessions: at most ${lim.createPerMinute} per minute per API key (or client address without a key); retry in ${rate.retryAfter}s, or reuse an open session`, retryAfter: rate.retryAfter };
    }
    if (this.slots >= lim.total) this.reap(Date.now(), true);
    if (this.slots >= lim.total) {
      return { message: `The server has its maximum of ${lim.total} open MCP sessions (CTXGATE_SESSIONS_MAX); retry later`, retryAfter: 30 };
    }
    if ((this.perCaller.get(who) ?? 0) >= lim.perCaller) {
      return { message: `This API key (or client address without a key) already has ${lim.perCaller} open MCP sessions (CTXGATE_SESSIONS_PER_CALLER); end unused ones with DELETE /mcp or reuse one`, retryAfter: 30 };
    }
    this.slots++;
    this.perCaller.set(who, (this.perCaller.get(who) ?? 0) + 1);
    return null;
  }

  private release(who: string): void {
    this.slots--;
    const n = (this.perCaller.get(who) ?? 1) - 1;
    if (n > 0) this.perCaller.set(who, n);
    else this.perCaller.delete(who);
  }

  private forget(id: string, why: string): void {
    const s = this.sessions.get(id);
    if (s && this.sessions.delete(id)) {
      this.release(s.who);
      this.metrics.mcpSessions.set(this.sessions.size);
      this.log.info({ session: id, why }, 'mcp session closed');
    }
  }

  /**
   * Closes idle sessions: used ones after sessionIdleMs, never-used ones after the short unusedIdleMs.
   * `unusedNow` (the total cap is reached) closes every never-used session at once.
   */
  reap(now = Date.now(), unusedNow = false): void {
    const { sessionIdleMs, sessions: lim } = this.app.deps.config;
    for (const [id, s] of this.sessions) {
      const idle = now - s.lastSeen;
      if (s.used ? idle > sessionIdleMs : unusedNow || idle > lim.unusedIdleMs) {
        this.forget(id, s.used ? 'idle' : 'never used');
        void s.transport.close().catch(() => {});
      }
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.perCaller.clear();
    this.slots = 0;
    await Promise.allSettled(all.map((s) => s.server.close()));
  }
}

