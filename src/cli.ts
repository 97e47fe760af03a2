#!/usr/bin/env node
// ctxgate serve | stdio | keys create|list|revoke | compress FILE
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createApp, VERSION, type App } from './app.js';
import { loadConfig, PLANS, type Config, type Plan } from './config.js';
import { AppError, toAppError } from './errors.js';
import { createLogger } from './log.js';
import type { Caller } from './registry/define.js';
import { invokeTool } from './registry/invoke.js';
import { warmTokenizer } from './engine/tokens.js';
import { AccountsService } from './services/accounts.js';
import { KeysService } from './services/keys.js';
import { JobsService } from './services/jobs.js';
import { LookupService } from './services/lookup.js';
import { startHttpServer } from './server/http.js';
import { createMcpServer } from './server/mcp.js';
import { Metrics } from './server/metrics.js';

const USAGE = `ctxgate ${VERSION} — self-hosted MCP context gateway

Usage:
  ctxgate serve                       start the HTTP server (MCP at /mcp, REST at /v1)
  ctxgate stdio                       serve MCP over stdin/stdout (for clients that spawn a process)
  ctxgate keys create --name NAME [--plan free|pro|team|enterprise] [--project ID] [--user ID|new]
  ctxgate keys list
  ctxgate keys revoke KEY_ID
  ctxgate compress FILE [--fidelity abstract|outline|balanced|detailed|raw] [--query TEXT]

Configuration comes from CTXGATE_* environment variables (see README).`;

function fail(message: string, code = 2): never {
  process.stderr.write(`ctxgate: ${message}\n`);
  process.exit(code);
}

/** The local owner acting with the data dir's authority (stdio, CLI). */
function ownerCaller(app: App): Caller {
  const { user, project } = app.deps.service(AccountsService).owner();
  return { userId: user.id, projectId: project.id, keyId: null, plan: app.deps.config.ownerPlan, keyName: 'local owner' };
}

/** Background work after start-up: resume interrupted batch jobs, build the docs-lookup index. */
function warmUp(app: App): void {
  app.deps.service(JobsService).start();
  app.deps
    .service(LookupService)
    .warm()
    .catch((e: unknown) => app.deps.log.warn({ err: e }, 'lookup index warm-up failed'));
}

function clientConfig(url: string, key: string): string {
  return JSON.stringify({ mcpServers: { ctxgate: { type: 'http', url, headers: { Authorization: `Bearer ${key}` } } } }, null, 2);
}

async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, 'stdout');
  const t0 = performance.now();
  const app = createApp(config, log);
  const keys = app.deps.service(KeysService);
  let firstKey: string | null = null;
  if (keys.count() === 0) {
    const { user } = app.deps.service(AccountsService).owner();
    firstKey = keys.create({ name: 'owner', plan: config.ownerPlan, ownerId: user.id }).key;
  }
  // The tokenizer's tables take about a second to build: do it before listening, not in a client's request.
  warmTokenizer();
  const http = await startHttpServer(app, log);
  warmUp(app);
  const mcpUrl = `${http.url}/mcp`;
  if (firstKey) {
    process.stdout.write(
      `\nctxgate: first start — created the owner API key (shown once; store it now):\n\n  ${firstKey}\n\n` +
        `Paste into your MCP client config (Claude Code .mcp.json, Cursor mcp.json):\n${clientConfig(mcpUrl, firstKey)}\n\n`,
    );
  }
  log.info({ url: mcpUrl, rest: `${http.url}/v1`, version: VERSION, startup_ms: Math.round(performance.now() - t0), tools: app.registry.tools.size, dataDir: config.dataDir }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight calls');
    await http.close();
    await app.close();
    log.info('stopped');
    log.flush?.();
    setTimeout(() => process.exit(0), 50).unref();
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function stdio(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, 'stderr');
  const app = createApp(config, log);
  let caller: Caller;
  const presented = process.env.CTXGATE_KEY;
  if (presented) {
    const c = app.deps.service(KeysService).authenticate(presented);
    if (!c) fail(`CTXGATE_KEY: ${app.deps.service(KeysService).refusalReason(presented)}`);
    caller = c;
  } else {
    caller = ownerCaller(app);
  }
  let sel: { profile: string; toolsets: Set<string> | null };
  try {
    sel = app.registry.parseSelection(process.env.CTXGATE_PROFILE, process.env.CTXGATE_TOOLSETS);
  } catch (e) {
    fail((e as Error).message);
  }
  const server = createMcpServer(app, new Metrics(), log, {
    id: 'stdio',
    caller,
    profile: sel.profile,
    toolsets: sel.toolsets,
    enabled: new Set(),
    transport: 'stdio',
  });
  const transport = new StdioServerTransport();
  const shutdown = async () => {
    await server.close().catch(() => {});
    await app.close();
    process.exit(0);
  };
  transport.onclose = () => void shutdown();
  process.stdin.on('end', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  await server.connect(transport);
  warmUp(app);
  log.info({ profile: sel.profile, caller: caller.keyId ?? 'local owner' }, 'stdio ready');
}

async function keysCmd(config: Config, argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const log = createLogger('silent', 'stderr');
  const app = createApp(config, log);
  const keys = app.deps.service(KeysService);
  const accounts = app.deps.service(AccountsService);
  try {
    if (sub === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, plan: { type: 'string' }, project: { type: 'string' }, user: { type: 'string' } },
        strict: true,
      });
      if (!values.name) fail('keys create needs --name NAME');
      const plan = (values.plan ?? 'free') as Plan;
      if (!PLANS.includes(plan)) fail(`--plan must be one of ${PLANS.join(', ')}`);
      let ownerId: string;
      let projectId: string | null = null;
      if (values.project) {
        const p = accounts.findProjectAnyOwner(values.project);
        if (!p) fail(`no project with id ${values.project}`);
        ownerId = p.owner_id;
        projectId = p.id;
        if (values.user && values.user !== ownerId) fail(`project ${values.project} does not belong to user ${values.user}`);
      } else if (values.user === 'new') {
        ownerId = accounts.createUser(values.name).user.id;
      } else if (values.user) {
        ownerId = accounts.getUser(values.user).id;
      } else {
        ownerId = accounts.owner().user.id;
      }
      const created = keys.create({ name: values.name, plan, ownerId, projectId });
      process.stdout.write(JSON.stringify(created) + '\n');
    } else if (sub === 'list') {
      process.stdout.write(JSON.stringify(keys.list(), null, 2) + '\n');
    } else if (sub === 'revoke') {
      if (!rest[0]) fail('keys revoke needs a KEY_ID (see: ctxgate keys list)');
      process.stdout.write(JSON.stringify(keys.revoke(rest[0])) + '\n');
    } else {
      fail(`unknown keys command "${sub ?? ''}"\n\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof AppError) fail(e.message);
    if (e instanceof TypeError && /Unknown option|unexpected argument/i.test(e.message)) fail(e.message);
    throw e;
  } finally {
    await app.close();
  }
}

async function compressCmd(config: Config, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { fidelity: { type: 'string' }, query: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) fail('compress needs a FILE (use - for stdin)');
  const text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  const log = createLogger('silent', 'stderr');
  const app = createApp(config, log);
  try {
    const { output } = await invokeTool(
      {
        deps: app.deps,
        registry: app.registry,
        metrics: new Metrics(),
        caller: ownerCaller(app),
        transport: 'stdio',
        requestId: 'cli',
        signal: new AbortController().signal,
        log,
      },
      'compress_text',
      { text, ...(values.fidelity && { fidelity: values.fidelity }), ...(values.query && { query: values.query }) },
    );
    const out = output as { compressed?: string; stats?: unknown };
    if (values.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      process.stdout.write((out.compressed ?? '') + '\n');
      process.stderr.write(JSON.stringify(out.stats) + '\n');
    }
  } catch (e) {
    fail(toAppError(e).message, 1);
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    fail((e as Error).message);
  }
  switch (cmd) {
    case 'serve':
      return serve(config);
    case 'stdio':
      return stdio(config);
    case 'keys':
      return keysCmd(config, rest);
    case 'compress':
      return compressCmd(config, rest);
    case '--version':
    case 'version':
      process.stdout.write(VERSION + '\n');
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      fail(`unknown command "${cmd}"\n\n${USAGE}`);
  }
}

main().catch((e) => {
  process.stderr.write(`ctxgate: ${(e as Error).message}\n`);
  process.exit(1);
});
