// Upstream MCP servers behind the gateway: registration (stdio commands only from the operator's
// allow-list, HTTP URLs only to addresses url-fetch allows), credentials sealed under the server
// secret and never returned, and one pooled SDK client per upstream, closed when idle.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AppDeps } from '../../app-deps.js';
import type { Scope } from '../../domain/scope.js';
import { AppError, BadRequest, Conflict, exactlyOneOf, Forbidden, NotFound, UpstreamFailed, UpstreamTimeout } from '../../errors.js';
import { newId, nowIso } from '../../store/db.js';
import type { UpstreamRow } from '../../store/upstreams.js';
import { resolveAllowed, UrlAllowlist } from '../url-fetch.js';
import { checkedFetch } from './outbound.js';
import { seal, unseal } from './seal.js';

/** Upstream names: also the prefix of their namespaced tools (`name__tool`), so no `__` inside. */
export const UPSTREAM_NAME = /^[a-z0-9](?:[a-z0-9-]|_(?=[a-z0-9-])){0,31}$/;
export const NAMESPACE_SEP = '__';
const CALL_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 20_000;

/**
 * Environment a registration may not set: variables that make an allow-listed program load other
 * code (NODE_OPTIONS, LD_PRELOAD, PYTHONSTARTUP …) would turn "this command" into "any command".
 */
const ENV_DENIED = /^(?:PATH|HOME|SHELL|IFS|ENV|BASH_ENV|BASH_FUNC_.*|LD_.*|DYLD_.*|NODE_.*|NPM_CONFIG_.*|PYTHON.*|PERL.*|RUBY.*|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|GIT_.*|CTXGATE_.*|TMPDIR|LANG|LC_.*)$/i;
/** Hop-by-hop and framing headers the transport owns. */
const HEADER_DENIED = new Set(['host', 'content-length', 'content-type', 'accept', 'connection', 'transfer-encoding', 'mcp-session-id', 'mcp-protocol-version']);

export interface RegisterUpstream {
  name: string;
  command?: string;
  url?: string;
  headers?: Record<string, string>;
  env?: Record<string, string>;
}

export interface UpstreamView {
  id: string;
  name: string;
  transport: 'stdio' | 'http';
  /** The command line or URL (credentials live in headers/env, which are never shown). */
  target: string;
  /** Names only: which headers / variables are stored (values are sealed). */
  header_names: string[];
  env_names: string[];
  created_at: string;
}

interface Credentials {
  headers: Record<string, string>;
  env: Record<string, string>;
}

interface Pooled {
  client: Client;
  tools: Tool[] | null;
  inFlight: number;
  timer: NodeJS.Timeout | null;
}

const keyOf = (scope: Scope, id: string) => `${scope.ownerId}/${scope.projectId}/${id}`;
const bindOf = keyOf;

/** The one spelling of a command line: words split on whitespace, joined by one space. */
export function normalizeCommand(line: string): string {
  return line.trim().split(/\s+/).join(' ');
}

export class UpstreamsService {
  private readonly pool = new Map<string, Promise<Pooled>>();
  private readonly allow: UrlAllowlist;
  private readonly commands: Set<string>;

  constructor(private readonly deps: AppDeps) {
    this.allow = new UrlAllowlist(deps.config.urlAllowlist);
    this.commands = new Set(deps.config.upstreams.commands.map(normalizeCommand));
  }

  async register(scope: Scope, req: RegisterUpstream): Promise<UpstreamView> {
    if (!UPSTREAM_NAME.test(req.name)) {
      throw new BadRequest("name: 1–32 lower-case letters, digits, '-' or single '_' (it prefixes the upstream's tools as name__tool)", 'invalid_value', { field: 'name', rule: 'pattern' });
    }
    exactlyOneOf(req, ['command', 'url']);
    const env = req.env ?? {};
    const headers = req.headers ?? {};
    let transport: 'stdio' | 'http';
    let target: string;
    if (req.command) {
      transport = 'stdio';
      target = normalizeCommand(req.command);
      if (!this.commands.has(target)) {
        // The allow-list is the operator's: a key may not learn it or start anything else.
        throw new Forbidden('command: not one of the command lines the operator allow-listed for stdio upstreams (CTXGATE_UPSTREAM_COMMANDS; exact match)', { field: 'command', rule: 'allowlist' });
      }
      if (Object.keys(headers).length) throw new BadRequest('headers: only for HTTP upstreams (a stdio upstream takes env)', 'invalid_value', { field: 'headers', rule: 'transport' });
      for (const k of Object.keys(env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) || ENV_DENIED.test(k)) {
          throw new BadRequest(`env: variable '${k.slice(0, 64)}' may not be set for an upstream (names that change what a program loads — PATH, NODE_*, LD_*, PYTHON* … — are refused)`, 'invalid_value', { field: 'env', rule: 'denied_name' });
        }
      }
    } else {
      transport = 'http';
      let url: URL;
      try {
        url = new URL(req.url!);
      } catch {
        throw new BadRequest('url: not a valid absolute URL', 'invalid_value', { field: 'url', rule: 'url' });
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadRequest('url: only http and https upstreams', 'invalid_value', { field: 'url', rule: 'scheme' });
      if (url.username || url.password) throw new BadRequest('url: put credentials in headers, not in the URL (headers are stored sealed)', 'invalid_value', { field: 'url', rule: 'no_userinfo' });
      if (Object.keys(env).length) throw new BadRequest('env: only for stdio upstreams (an HTTP upstream takes headers)', 'invalid_value', { field: 'env', rule: 'transport' });
      for (const k of Object.keys(headers)) {
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(k) || HEADER_DENIED.has(k.toLowerCase())) {
          throw new BadRequest(`headers: '${k.slice(0, 64)}' may not be set (framing headers belong to the transport)`, 'invalid_value', { field: 'headers', rule: 'denied_name' });
        }
      }
      await resolveAllowed(url.hostname, this.allow);
      target = url.toString();
    }
    const id = newId('ups');
    const creds: Credentials = { headers, env };
    const hasCreds = Object.keys(headers).length + Object.keys(env).length > 0;
    const row: UpstreamRow = { id, name: req.name, transport, target, credentials: hasCreds ? seal(this.deps.secret, bindOf(scope, id), creds) : null, created_at: nowIso() };
    if ((await this.deps.store.upstreams(scope).insert(row)) === 'duplicate') {
      throw new Conflict(`name: this project already has an upstream called '${req.name}' (remove_upstream_server first)`, { field: 'name', rule: 'unique' });
    }
    return this.view(scope, row);
  }

  async list(scope: Scope): Promise<UpstreamView[]> {
    const rows = await this.deps.store.upstreams(scope).list();
    return rows.map((r) => this.view(scope, r));
  }

  async remove(scope: Scope, idOrName: string): Promise<UpstreamView> {
    const row = await this.find(scope, idOrName, 'server');
    await this.deps.store.upstreams(scope).delete(row.id);
    await this.disconnect(keyOf(scope, row.id));
    return this.view(scope, row);
  }

  /** The upstream's tools as it lists them (cached for the life of the pooled connection). */
  async tools(scope: Scope, idOrName: string, refresh = false): Promise<{ server: UpstreamView; tools: Tool[] }> {
    const row = await this.find(scope, idOrName, 'server');
    const tools = await this.use(scope, row, async (p) => {
      if (!p.tools || refresh) p.tools = (await p.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS })).tools;
      return p.tools;
    });
    return { server: this.view(scope, row), tools };
  }

  /** Every upstream's tools; an upstream that fails to answer is reported, not fatal. */
  async allTools(scope: Scope): Promise<Array<{ server: UpstreamView; tools: Tool[]; error: string | null }>> {
    const rows = await this.deps.store.upstreams(scope).list();
    return Promise.all(
      rows.map(async (r) => {
        try {
          return { ...(await this.tools(scope, r.id)), error: null };
        } catch (e) {
          return { server: this.view(scope, r), tools: [], error: (e as Error).message };
        }
      }),
    );
  }

  async call(scope: Scope, idOrName: string, tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<{ server: UpstreamView; result: CallToolResult }> {
    const row = await this.find(scope, idOrName, 'server');
    const result = await this.use(scope, row, async (p) => {
      if (!p.tools) p.tools = (await p.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS })).tools;
      if (!p.tools.some((t) => t.name === tool)) {
        throw new NotFound(`tool: upstream '${row.name}' has no tool '${tool.slice(0, 64)}' (list_upstream_tools lists them)`, { field: 'tool', rule: 'unknown_tool' });
      }
      return (await p.client.callTool({ name: tool, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS, signal })) as CallToolResult;
    });
    return { server: this.view(scope, row), result };
  }

  /** Closes the pooled connections of a scope (project delete). */
  async forgetScope(scope: Scope): Promise<void> {
    const prefix = `${scope.ownerId}/${scope.projectId}/`;
    await Promise.all([...this.pool.keys()].filter((k) => k.startsWith(prefix)).map((k) => this.disconnect(k)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.pool.keys()].map((k) => this.disconnect(k)));
  }

  private async find(scope: Scope, idOrName: string, field: string): Promise<UpstreamRow> {
    const row = await this.deps.store.upstreams(scope).find(idOrName);
    if (!row) throw new NotFound(`${field}: no upstream '${idOrName.slice(0, 64)}' in this project (list_upstream_servers lists them)`, { field, rule: 'not_found' });
    return row;
  }

  private view(scope: Scope, r: UpstreamRow): UpstreamView {
    let c: Credentials = { headers: {}, env: {} };
    try {
      c = this.credentials(scope, r);
    } catch {
      // Unreadable (the server secret changed): listed without names; connecting says why.
    }
    return { id: r.id, name: r.name, transport: r.transport as 'stdio' | 'http', target: r.target, header_names: Object.keys(c.headers), env_names: Object.keys(c.env), created_at: r.created_at };
  }

  private credentials(scope: Scope, r: UpstreamRow): Credentials {
    return r.credentials ? unseal<Credentials>(this.deps.secret, bindOf(scope, r.id), r.credentials) : { headers: {}, env: {} };
  }

  /** Runs `fn` on the upstream's pooled client (connecting if needed); errors become 502/504 naming the upstream. */
  private async use<T>(scope: Scope, row: UpstreamRow, fn: (p: Pooled) => Promise<T>): Promise<T> {
    const key = keyOf(scope, row.id);
    let entry = this.pool.get(key);
    if (!entry) {
      entry = this.connect(scope, row);
      this.pool.set(key, entry);
      entry.catch(() => this.pool.delete(key));
    }
    let p: Pooled;
    try {
      p = await entry;
    } catch (e) {
      throw new UpstreamFailed(`upstream '${row.name}': could not connect (${oneLine(e)})`, 'upstream_failed', { field: 'server' });
    }
    p.inFlight++;
    if (p.timer) clearTimeout(p.timer);
    try {
      return await fn(p);
    } catch (e) {
      if (e instanceof AppError) throw e;
      const msg = oneLine(e);
      if (/timed? ?out/i.test(msg)) throw new UpstreamTimeout(`upstream '${row.name}': ${msg}`, { field: 'server' });
      // A broken connection is dropped so the next call reconnects.
      if (/closed|EPIPE|ECONNRESET|not connected/i.test(msg)) await this.disconnect(key);
      throw new UpstreamFailed(`upstream '${row.name}': ${msg}`, 'upstream_failed', { field: 'server' });
    } finally {
      p.inFlight--;
      if (p.inFlight === 0 && this.pool.get(key) === entry) {
        p.timer = setTimeout(() => void this.disconnect(key), this.deps.config.upstreams.idleMs);
        p.timer.unref();
      }
    }
  }

  private async connect(scope: Scope, row: UpstreamRow): Promise<Pooled> {
    let creds: Credentials;
    try {
      creds = this.credentials(scope, row);
    } catch {
      throw new Error('its stored credentials cannot be decrypted (the server secret changed?); remove and register it again');
    }
    // The SDK's client side loads when an upstream is first used, not with the app (every CLI command opens it).
    const [{ Client }, { getDefaultEnvironment, StdioClientTransport }, { StreamableHTTPClientTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/stdio.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ]);
    const client = new Client({ name: 'ctxgate-gateway', version: '1' });
    if (row.transport === 'stdio') {
      // Re-checked at connect time: a command the operator has since removed from the list stops working.
      if (!this.commands.has(row.target)) throw new Error('the command is no longer allow-listed');
      const [command, ...args] = row.target.split(' ');
      await client.connect(new StdioClientTransport({ command: command!, args, env: { ...getDefaultEnvironment(), ...creds.env }, stderr: 'ignore' }), { timeout: CONNECT_TIMEOUT_MS });
    } else {
      await client.connect(
        new StreamableHTTPClientTransport(new URL(row.target), { fetch: checkedFetch(this.allow), requestInit: { headers: creds.headers, redirect: 'manual' } }),
        { timeout: CONNECT_TIMEOUT_MS },
      );
    }
    return { client, tools: null, inFlight: 0, timer: null };
  }

  private async disconnect(key: string): Promise<void> {
    const entry = this.pool.get(key);
    if (!entry) return;
    this.pool.delete(key);
    try {
      const p = await entry;
      if (p.timer) clearTimeout(p.timer);
      await p.client.close();
    } catch {
      // Already gone: nothing to close.
    }
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}
