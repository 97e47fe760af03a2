// `ctxgate stdio`: MCP over stdin/stdout for clients that spawn a process. Ends cleanly on stdin EOF,
// SIGTERM/SIGINT, a closed stdout or the client closing the transport: one shutdown, exit 0.
import type { Logger } from 'pino';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { createApp, VERSION, type App } from '../app.js';
import type { Config } from '../config.js';
import { Unauthorized, toolErrorResult } from '../errors.js';
import { createLogger } from '../log.js';
import type { Caller } from '../registry/define.js';
import { createMcpServer, protocolError } from '../server/mcp.js';
import { unexpandedKeyHint } from '../server/key-hints.js';
import { KeysService } from '../services/keys.js';
import { ownerCaller, storeName, warmUp } from './common.js';

/**
 * A server that stays up to say why it cannot serve: clients do not show a spawned process's stderr,
 * so exiting with the reason there leaves the user with a silent "failed to start". Every request
 * (tools/list included, so the client shows it) answers with the problem and what to do.
 */
function refusingServer(problem: string): Server {
  const server = new Server({ name: 'ctxgate', version: VERSION }, { capabilities: { tools: {}, resources: {} }, instructions: `ctxgate cannot serve: ${problem}` });
  const refuse = async (): Promise<never> => {
    throw protocolError(ErrorCode.InvalidRequest, `ctxgate: ${problem}`);
  };
  server.setRequestHandler(ListToolsRequestSchema, refuse);
  server.setRequestHandler(ListResourcesRequestSchema, refuse);
  server.setRequestHandler(ListResourceTemplatesRequestSchema, refuse);
  server.setRequestHandler(CallToolRequestSchema, async () => toolErrorResult(new Unauthorized(problem)));
  return server;
}

/** Who the process acts as: the key in CTXGATE_KEY, or the local owner when none is set. */
async function resolveCaller(app: App): Promise<Caller | string> {
  const presented = process.env.CTXGATE_KEY;
  if (presented === undefined || presented === '') return ownerCaller(app);
  const keys = app.deps.service(KeysService);
  const caller = await keys.authenticate(presented.trim());
  if (caller) return caller;
  const placeholder = unexpandedKeyHint(presented.trim());
  if (placeholder) return `CTXGATE_KEY: ${placeholder}.`;
  // A key revoked for a known reason (its project was deleted) says so; any other refusal gets the general advice.
  const reason = await keys.refusalReason(presented.trim());
  if (reason.includes('project')) return `CTXGATE_KEY: ${reason}`;
  return (
    `CTXGATE_KEY is not a valid, unrevoked API key for ${storeName(app.deps.config)} (revoked, mistyped, or made for another store). ` +
    'Create one with `ctxgate keys create --name NAME`, or unset CTXGATE_KEY to act as the local owner, then restart the client.'
  );
}

export async function stdio(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, 'stderr');
  const app = await createApp(config, log);
  let server: Server;
  let ready: Record<string, unknown>;
  const caller = await resolveCaller(app);
  let problem = typeof caller === 'string' ? caller : null;
  let sel: { profile: string; toolsets: Set<string> | null } | null = null;
  if (!problem) {
    try {
      sel = app.registry.parseSelection(process.env.CTXGATE_PROFILE, process.env.CTXGATE_TOOLSETS);
    } catch (e) {
      problem = `CTXGATE_PROFILE/CTXGATE_TOOLSETS: ${(e as Error).message}`;
    }
  }
  if (problem || !sel || typeof caller === 'string') {
    server = refusingServer(problem!);
    ready = { refusing: problem };
    log.error({ problem }, 'stdio: refusing every call until the configuration is fixed');
  } else {
    server = createMcpServer(app, app.metrics, log, { id: 'stdio', caller, profile: sel.profile, toolsets: sel.toolsets, enabled: new Set(), transport: 'stdio' });
    ready = { profile: sel.profile, caller: caller.keyId ?? 'local owner' };
  }
  const transport = new StdioServerTransport();
  await server.connect(transport);
  endOnce(server, app, log, countInFlight(transport), config.shutdownGraceMs);
  if (!problem) warmUp(app);
  log.info(ready, 'stdio ready');
}

/**
 * Counts requests the client sent that have not been answered yet, so a session that ends (stdin
 * closed right after the last request, as `printf ... | ctxgate stdio` does) still gets its answers.
 */
function countInFlight(transport: StdioServerTransport): { idle(): Promise<void> } {
  const open = new Set<string | number>();
  let wake: (() => void) | null = null;
  const received = transport.onmessage!;
  transport.onmessage = (msg: JSONRPCMessage) => {
    if ('method' in msg && 'id' in msg) open.add(msg.id);
    received(msg);
  };
  const send = transport.send.bind(transport);
  transport.send = async (msg: JSONRPCMessage) => {
    await send(msg);
    if (('result' in msg || 'error' in msg) && open.delete(msg.id as string | number) && open.size === 0) wake?.();
  };
  return {
    idle: () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve))),
  };
}

/**
 * Wires every way a stdio session ends to one shutdown. The guard matters: closing the server closes
 * the transport, whose onclose would start shutdown again (an endless recursion before). Requests
 * already received are answered first (up to the shutdown grace period).
 */
function endOnce(server: Server, app: App, log: Logger, inFlight: { idle(): Promise<void> }, graceMs: number): void {
  let ending = false;
  const end = (why: string) => {
    if (ending) return;
    ending = true;
    log.info({ why }, 'stdio session ended');
    void (async () => {
      if (why !== 'transport closed' && why !== 'stdout closed') {
        await Promise.race([inFlight.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      }
      await server.close().catch(() => {});
      await app.close().catch((err: unknown) => log.error({ err }, 'closing the store failed'));
      log.flush?.(() => process.exit(0));
      // flush's callback is not called when nothing was buffered on some pino versions: exit anyway.
      setTimeout(() => process.exit(0), 100).unref();
    })();
  };
  server.onclose = () => end('transport closed');
  process.stdin.once('end', () => end('stdin closed'));
  process.stdin.once('close', () => end('stdin closed'));
  // The client went away mid-write: nothing more can be sent.
  process.stdout.on('error', () => end('stdout closed'));
  process.once('SIGTERM', () => end('SIGTERM'));
  process.once('SIGINT', () => end('SIGINT'));
  process.once('SIGHUP', () => end('SIGHUP'));
}
