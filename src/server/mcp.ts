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
  type JSONRPCMessage,
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
import { BusService } from '../services/bus.js';
import type { SessionRecord } from '../store/sessions.js';
import { rateLimitedError, takeFor, type Limiter } from './rate-limit.js';

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
  beforeCall?: (conn: Connection) => Promise<void>;
  /**
   * Records what enable_toolset / enable_tools added where every replica reads it (HTTP sessions live
   * in the store) and updates `conn` with the session's enabled sets after the change.
   */
  persistEnabled?: (conn: Connection, toolsets: string[], tools: string[]) => Promise<void>;
  /** Sends tools/list_changed to the client wherever its stream is (HTTP: through the bus). */
  listChanged?: () => Promise<void>;
}

export function createMcpServer(app: App, metrics: Metrics, log: Logger, conn: Connection, hooks: ConnectionHooks = {}): Server {
  const server = new Server(
    { name: 'ctxgate', title: 'ctxgate context gateway', version: VERSION },
    { capabilities: { tools: { listChanged: true }, resources: {}, logging: {} }, instructions: SERVER_INSTRUCTIONS },
  );
  conn.enabledTools ??= new Set();
  const surface = (): Surface => ({ profile: conn.profile, toolsets: conn.toolsets, enabledToolsets: conn.enabled, enabledTools: conn.enabledTools });
  // One view per question, so a key's plan and the session's list are read as they are now.
  const view = () => new SessionView(app.registry, conn.caller, surface());

  /** Enable toolsets / tools; notify the client when names were added to its list. */
  const grow = async (toolsets: string[], tools: string[]): Promise<string[]> => {
    const before = new Set(view().listedTools().map((t) => t.name));
    if (hooks.persistEnabled) await hooks.persistEnabled(conn, toolsets, tools);
    else {
      toolsets.forEach((n) => conn.enabled.add(n));
      tools.forEach((n) => conn.enabledTools!.add(n));
    }
    const added = view().listedTools().map((t) => t.name).filter((n) => !before.has(n));
    if (added.length) await (hooks.listChanged ? hooks.listChanged() : server.sendToolListChanged());
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
      return grow(names, []);
    },
    enableTools(names: string[]) {
      const bad = names.find((n) => !app.registry.get(n));
      if (bad !== undefined) throw app.registry.unknownTool(bad, 'tools');
      return grow([], names);
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
    if (!tool) {
      const e = app.registry.unknownTool(name, 'name');
      throw protocolError(ErrorCode.InvalidParams, e.message, e.toBody());
    }
    const progressToken = req.params._meta?.progressToken;
    const requestId = `${conn.id}:${String(extra.requestId)}`;
    try {
      await hooks.beforeCall?.(conn);
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
        throw protocolError(e.status === 404 ? RESOURCE_NOT_FOUND : e.status < 500 ? ErrorCode.InvalidParams : ErrorCode.InternalError, e.message, e.toBody());
      }
    }
    throw protocolError(RESOURCE_NOT_FOUND, `No resource at ${uri.slice(0, 200)}`, { uri: uri.slice(0, 200) });
  });
}

/** MCP's code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

/**
 * A JSON-RPC error whose message is only the text: the SDK sends `error.message` as it is, and
 * McpError's message already starts "MCP error CODE:", which the client's McpError prefixes again.
 */
export function protocolError(code: number, message: string, data?: unknown): McpError {
  const err = new McpError(code, message, data);
  err.message = message;
  return err;
}

/** A successful call as MCP content: the text the model reads and the whole object as structuredContent. */
export function toolResult(registry: Registry, tool: AnyTool, output: unknown): CallToolResult {
  const extra = (tool.attachments?.(output as never) ?? []) as CallToolResult['content'];
  return { content: [{ type: 'text', text: registry.renderText(tool, output) }, ...extra], structuredContent: output as Record<string, unknown> };
}


/** A session's live objects on this replica: a cache of its store row (see McpSessionsRepo). */
interface HttpSession {
  conn: Connection;
  transport: StreamableHTTPServerTransport;
  server: Server;
  /** Last request seen here (dropping idle local objects) and last written to the store. */
  lastSeen: number;
  lastTouched: number;
  keyId: string | null;
  /** Who the session counts against for the per-caller cap: a key, or a client address. */
  who: string;
  /** Sent a request after initialize; unused sessions get the short idle lifetime. */
  used: boolean;
  /** Opened on this replica (it holds one of this replica's session slots); false when rebuilt here. */
  origin: boolean;
  /** Moves when this process writes the session's row (its cached copy is then stale). */
  writes: number;
  /** The row as read by an earlier request, while it is known to be unchanged (McpHttpGateway.sessionRow). */
  row?: CachedRow;
}

/** A session row kept between requests, with what it was read under. */
interface CachedRow {
  rec: SessionRecord;
  /** store.externalVersion() before the read: another connection's commit since moves it. */
  version: number;
  /** HttpSession.writes and McpHttpGateway.sweeps before the read. */
  writes: number;
  sweeps: number;
}

/** The bus channel of MCP sessions: server-to-client messages and session ends. */
const SESSION_EVENTS = 'mcp';
type SessionEvent = { sid: string; type: 'message'; message: JSONRPCMessage } | { sid: string; type: 'end'; why: string };

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

function replaceAll(set: Set<string>, values: Iterable<string>): void {
  set.clear();
  for (const v of values) set.add(v);
}

/**
 * Streamable HTTP endpoint. A session lives in the store (McpSessionsRepo), so any replica serves
 * any of its requests: a replica that has not seen the session rebuilds its SDK transport + server
 * from the row on first request, and re-reads the row on every request (what another replica
 * enabled is seen at once). Server-to-client messages go through the bus to the replica holding the
 * client's GET stream; DELETE (or idle expiry) ends the session on every replica.
 * Sessions are bounded (config `sessions`): new ones per minute per caller (a shared limit), open ones
 * per caller and in total (per replica), and a short idle lifetime for sessions that never made a
 * request, so an initialize flood cannot grow memory.
 */
export class McpHttpGateway {
  private readonly sessions = new Map<string, HttpSession>();
  /** Sessions opened here plus initializes in flight, per caller and in total (slots are taken before the await). */
  private readonly perCaller = new Map<string, number>();
  private slots = 0;
  private readonly reaper: NodeJS.Timeout;
  private readonly bus: BusService;
  private readonly unsubscribe: () => void;
  /** Set on shutdown: no new sessions (503), so the load balancer's retry lands on another replica. */
  private draining = false;
  /** Moves around each idle sweep of the store (it deletes rows of sessions this replica may hold). */
  private sweeps = 0;

  constructor(
    private readonly app: App,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly limiter: Limiter,
  ) {
    const shortest = Math.min(app.deps.config.sessionIdleMs, app.deps.config.sessions.unusedIdleMs);
    this.reaper = setInterval(() => this.reap(), Math.min(60_000, Math.max(1_000, shortest / 4)));
    this.reaper.unref();
    this.bus = app.deps.service(BusService);
    this.unsubscribe = this.bus.subscribe(SESSION_EVENTS, (e: SessionEvent) => this.onEvent(e));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Refuse new sessions from now on (graceful shutdown); open ones keep being served until closeAll. */
  drain(): void {
    this.draining = true;
  }

  async handle(req: Request, res: Response, caller: Caller | null, remote: string): Promise<void> {
    const sid = req.header('mcp-session-id');
    if (sid) return this.continueSession(sid, req, res, caller);
    if (req.method !== 'POST') {
      return rpcError(res, 400, -32000, 'Missing Mcp-Session-Id header: GET and DELETE need the session id returned by initialize');
    }
    const body = req.body as unknown;
    const init = (Array.isArray(body) ? body : [body]).find((m) => isInitializeRequest(m));
    if (!init) {
      return rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header and the message is not an initialize request');
    }
    if (this.draining) return rpcError(res, 503, -32000, 'This replica is shutting down; retry (another replica will open the session)', { 'Retry-After': '1' });
    let sel: { profile: string; toolsets: Set<string> | null };
    try {
      sel = this.app.registry.parseSelection(req.query.profile, req.query.toolsets);
    } catch (e) {
      return rpcError(res, 400, -32602, (e as Error).message);
    }
    const who = sessionCaller(caller, remote);
    const refusal = await this.admit(who);
    if (refusal) return rpcError(res, 429, -32000, refusal.message, { 'Retry-After': String(refusal.retryAfter) });
    let registered = false;
    const jsonMode = req.query.response === 'json';
    const conn: Connection = { id: '', caller, profile: sel.profile, toolsets: sel.toolsets, enabled: new Set(), enabledTools: new Set(), transport: 'mcp', remote, sources: req.query.upstreams === '1' || req.query.upstreams === 'true' };
    const params = init.params;
    const now = Date.now();
    const { transport, server } = this.build(conn, jsonMode, async (id) => {
      conn.id = id;
      // In the store before the client learns the id (the SDK awaits this before answering), so its
      // next request may go to any replica.
      await this.app.deps.store.mcpSessions().create({
        id,
        keyId: caller?.keyId ?? null,
        ownerId: caller?.userId ?? null,
        who,
        profile: conn.profile,
        toolsets: conn.toolsets && [...conn.toolsets],
        enabledToolsets: [],
        enabledTools: [],
        jsonResponse: jsonMode,
        protocolVersion: params.protocolVersion,
        client: { info: params.clientInfo, capabilities: params.capabilities, upstreams: conn.sources === true },
        used: false,
        createdMs: now,
        lastSeenMs: now,
      });
      registered = true;
      this.remember(id, { conn, transport, server, lastSeen: now, lastTouched: now, keyId: caller?.keyId ?? null, who, used: false, origin: true, writes: 0 });
      this.log.info({ session: id, profile: conn.profile, toolsets: conn.toolsets && [...conn.toolsets], key: caller?.keyId ?? null }, 'mcp session opened');
    }, remote);
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

  private async continueSession(sid: string, req: Request, res: Response, caller: Caller | null): Promise<void> {
    const repo = this.app.deps.store.mcpSessions();
    const read = await this.sessionRow(sid);
    const rec = read.rec;
    if (!rec) {
      // Ended on another replica (DELETE, idle) while this one still had it: drop the leftovers.
      this.drop(sid, 'ended elsewhere');
      return rpcError(res, 404, -32001, `Session not found: '${sid}' is unknown or has ended; start a new session with initialize`);
    }
    // A session belongs to the key that opened it.
    if ((caller?.keyId ?? null) !== rec.keyId) {
      return rpcError(res, 403, -32000, 'This session was opened with a different API key');
    }
    let s = this.sessions.get(sid);
    if (!s) s = await this.rebuild(rec, req.socket.remoteAddress ?? 'unknown');
    if (read.fresh && read.version !== null && s.writes === read.writes && this.sweeps === read.sweeps) {
      s.row = { rec, version: read.version, writes: read.writes, sweeps: read.sweeps };
    }
    // The row is the truth: what another replica enabled since is seen by this request.
    s.conn.caller = caller;
    s.conn.profile = rec.profile;
    replaceAll(s.conn.enabled, rec.enabledToolsets);
    replaceAll(s.conn.enabledTools!, rec.enabledTools);
    const now = Date.now();
    const used = req.method === 'POST' && hasRequest(req.body);
    s.lastSeen = now;
    s.used ||= used || rec.used;
    // Activity goes to the store so every replica's reaper sees it; at most every few seconds per replica.
    const touchEvery = Math.min(5_000, (rec.used ? this.app.deps.config.sessionIdleMs : this.app.deps.config.sessions.unusedIdleMs) / 4);
    if ((used && !rec.used) || now - Math.max(rec.lastSeenMs, s.lastTouched) > touchEvery) {
      s.lastTouched = now;
      s.writes++;
      await repo.touch(sid, now, used);
      s.writes++;
    }
    await s.transport.handleRequest(req, res, req.body);
  }

  /**
   * The session's row, which every request needs: another replica or process may have enabled
   * toolsets or ended the session since the last request. The row read by an earlier request is used
   * again while nothing can have changed it: no other connection has committed to the database since
   * (store.externalVersion: SQLite's data_version, a few µs instead of a query), and this process has
   * not written it (every write here goes through this class, which moves `writes` / `sweeps` before
   * and after). On PostgreSQL another replica may write it unseen, so it is read on every request.
   */
  private async sessionRow(sid: string): Promise<{ rec: SessionRecord | undefined; fresh: boolean; version: number | null; writes: number; sweeps: number }> {
    const version = this.app.deps.store.externalVersion();
    const s = this.sessions.get(sid);
    const writes = s?.writes ?? 0;
    const row = s?.row;
    if (row && version !== null && row.version === version && row.writes === writes && row.sweeps === this.sweeps) {
      return { rec: row.rec, fresh: false, version, writes, sweeps: this.sweeps };
    }
    const sweeps = this.sweeps;
    return { rec: await this.app.deps.store.mcpSessions().get(sid), fresh: true, version, writes, sweeps };
  }

  /** The session's transport + server on this replica, from its row (it was opened on another replica, or before a restart). */
  private async rebuild(rec: SessionRecord, remote: string): Promise<HttpSession> {
    const conn: Connection = {
      id: rec.id,
      caller: null,
      profile: rec.profile,
      toolsets: rec.toolsets && new Set(rec.toolsets),
      enabled: new Set(rec.enabledToolsets),
      enabledTools: new Set(rec.enabledTools),
      transport: 'mcp',
      remote,
      sources: rec.client.upstreams === true,
    };
    const { transport, server } = this.build(conn, rec.jsonResponse, undefined, remote);
    // SDK 1.32 has no public way to restore an initialized session in another process
    // (modelcontextprotocol/typescript-sdk#1658): mark the transport initialized with the known id,
    // so it validates Mcp-Session-Id as the original does, and give the server what the client said
    // at initialize (capability checks read it).
    const inner = (transport as unknown as { _webStandardTransport: { sessionId?: string; _initialized: boolean } })._webStandardTransport;
    inner.sessionId = rec.id;
    inner._initialized = true;
    const srv = server as unknown as { _clientCapabilities?: unknown; _clientVersion?: unknown };
    srv._clientCapabilities = rec.client.capabilities;
    srv._clientVersion = rec.client.info;
    await server.connect(transport);
    const now = Date.now();
    // Two requests of one session may race to rebuild it here: keep the first.
    const existing = this.sessions.get(rec.id);
    if (existing) {
      void server.close().catch(() => {});
      return existing;
    }
    const s: HttpSession = { conn, transport, server, lastSeen: now, lastTouched: 0, keyId: rec.keyId, who: rec.who, used: rec.used, origin: false, writes: 0 };
    this.remember(rec.id, s);
    this.log.info({ session: rec.id, key: rec.keyId }, 'mcp session continued on this replica');
    return s;
  }

  private build(conn: Connection, jsonMode: boolean, onInitialized: ((id: string) => Promise<void>) | undefined, remote: string) {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: jsonMode,
      ...(onInitialized && { onsessioninitialized: onInitialized }),
      // DELETE from the client ends the session everywhere before it is answered.
      onsessionclosed: (id) => this.end(id, 'client ended the session'),
    });
    // Closed here (shutdown, reaping, ended elsewhere): only this replica's objects go.
    transport.onclose = () => {
      if (conn.id) this.forget(conn.id, 'transport closed', false);
    };
    const server = createMcpServer(this.app, this.metrics, this.log, conn, {
      beforeCall: async (c) => {
        const d = await takeFor(this.limiter, this.app.deps.config.plans, c.caller, remote);
        if (!d.allowed) throw rateLimitedError(d);
      },
      persistEnabled: async (c, toolsets, tools) => {
        const held = this.sessions.get(c.id);
        if (held) held.writes++;
        const after = await this.app.deps.store.mcpSessions().addEnabled(c.id, toolsets, tools);
        if (held) held.writes++;
        if (!after) throw new NotFound(`Session '${c.id}' has ended; start a new session with initialize`);
        replaceAll(c.enabled, after.toolsets);
        replaceAll(c.enabledTools!, after.tools);
      },
      listChanged: () => this.bus.publish(SESSION_EVENTS, { sid: conn.id, type: 'message', message: { jsonrpc: '2.0', method: 'notifications/tools/list_changed' } } satisfies SessionEvent),
    });
    return { transport, server };
  }

  private remember(id: string, s: HttpSession): void {
    this.sessions.set(id, s);
    this.metrics.mcpSessions.set(this.sessions.size);
  }

  private onEvent(e: SessionEvent): void {
    const s = this.sessions.get(e.sid);
    if (!s) return;
    if (e.type === 'end') return this.drop(e.sid, e.why);
    // Only the replica holding the client's GET stream writes it; elsewhere the transport has no stream and sends nothing.
    s.transport.send(e.message).catch((err) => this.log.warn({ err, session: e.sid }, 'server-to-client message not sent'));
  }

  /** Ends a session on every replica: its row goes, and every replica drops its objects. */
  private async end(id: string, why: string): Promise<void> {
    this.forget(id, why, true);
    await this.app.deps.store.mcpSessions().delete(id);
    await this.bus.publish(SESSION_EVENTS, { sid: id, type: 'end', why } satisfies SessionEvent);
  }

  /** Takes a session slot for `who`, or says why not (with seconds to wait). */
  private async admit(who: string): Promise<{ message: string; retryAfter: number } | null> {
    const lim = this.app.deps.config.sessions;
    const rate = await this.limiter.take(`session:${who}`, lim.createPerMinute);
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

  /** Drops this replica's objects of a session (the store row is the caller's business). */
  private forget(id: string, why: string, log: boolean): void {
    const s = this.sessions.get(id);
    if (s && this.sessions.delete(id)) {
      if (s.origin) this.release(s.who);
      this.metrics.mcpSessions.set(this.sessions.size);
      if (log) this.log.info({ session: id, why }, 'mcp session closed');
    }
  }

  /** Forgets a session here and closes its transport (and so the client's stream on this replica). */
  private drop(id: string, why: string): void {
    const s = this.sessions.get(id);
    this.forget(id, why, true);
    void s?.transport.close().catch(() => {});
  }

  /**
   * Idle sessions: here, drops the objects of sessions idle on this replica (used ones after
   * sessionIdleMs, never-used ones after the short unusedIdleMs; `unusedNow` — the total cap is
   * reached — every never-used one at once). In the store, ends sessions idle on every replica.
   */
  reap(now = Date.now(), unusedNow = false): void {
    const { sessionIdleMs, sessions: lim } = this.app.deps.config;
    const repo = this.app.deps.store.mcpSessions();
    for (const [id, s] of this.sessions) {
      const idle = now - s.lastSeen;
      if (s.used ? idle > sessionIdleMs : unusedNow || idle > lim.unusedIdleMs) {
        this.drop(id, s.used ? 'idle' : 'never used');
        if (unusedNow) void repo.delete(id).catch(() => undefined);
      }
    }
    this.sweeps++;
    repo.deleteIdle(now, sessionIdleMs, lim.unusedIdleMs).then(
      (ids) => {
        this.sweeps++;
        return Promise.all(ids.map((sid) => this.bus.publish(SESSION_EVENTS, { sid, type: 'end', why: 'idle' } satisfies SessionEvent)));
      },
      (err) => {
        this.sweeps++;
        this.log.warn({ err }, 'idle session sweep failed');
      },
    );
  }

  /**
   * Shutdown: closes this replica's transports (and so the clients' streams: they reconnect through
   * the load balancer to another replica, which rebuilds the session). Sessions stay in the store.
   */
  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    this.unsubscribe();
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.perCaller.clear();
    this.slots = 0;
    await Promise.allSettled(all.map((s) => s.server.close()));
  }
}
