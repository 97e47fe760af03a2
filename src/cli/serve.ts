// `ctxgate serve`: the HTTP server, the owner key on first start, graceful shutdown on signals.
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../app.js';
import type { Config } from '../config.js';
import { warmTokenizer } from '../engine/tokens.js';
import { createLogger } from '../log.js';
import { PRIVATE_FILE_MODE } from '../paths.js';
import { startHttpServer } from '../server/http.js';
import { AccountsService } from '../services/accounts.js';
import { KeysService } from '../services/keys.js';
import { openWithSecretCheck, warmUp } from './common.js';
import { fail } from './fail.js';

/** Where a first start without a terminal leaves the owner key (read once, then delete it). */
export const OWNER_KEY_FILE = 'owner-key';

/**
 * What to paste where. Project files (.mcp.json, checked in) get the ${CTXGATE_KEY} form, so the
 * key itself stays in the environment; the key is shown once, next to the export line.
 */
export function firstStartText(mcpUrl: string, key: string): string {
  const project = JSON.stringify({ mcpServers: { ctxgate: { type: 'http', url: mcpUrl, headers: { Authorization: 'Bearer ${CTXGATE_KEY}' } } } }, null, 2);
  return (
    `\nctxgate: first start — created the owner API key (shown once; store it now):\n\n  ${key}\n\n` +
    `Put it in your environment (shell profile or a secrets manager), not in files you commit:\n\n` +
    `  export CTXGATE_KEY=${key}\n\n` +
    `Project config (.mcp.json) — the client expands \${CTXGATE_KEY} from the environment:\n${project}\n\n` +
    `Claude Code, the same from the command line (single quotes keep \${CTXGATE_KEY} unexpanded):\n\n` +
    `  claude mcp add --scope project --transport http ctxgate ${mcpUrl} --header 'Authorization: Bearer \${CTXGATE_KEY}'\n\n` +
    `Check it: curl ${mcpUrl.replace(/\/mcp$/, '')}/health   or   ctxgate doctor\n\n`
  );
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, 'stdout');
  const t0 = performance.now();
  const app = await openWithSecretCheck(config, log);
  // The tokenizer's tables take about a second to build: do it before listening, not in a client's request.
  warmTokenizer();
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(app, log);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw e;
    await app.close();
    fail(
      code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is already in use (another ctxgate? curl http://${config.host}:${config.port}/health). Stop it, or set CTXGATE_PORT to a free port (0 picks one).`
        : `not allowed to listen on ${config.host}:${config.port}; set CTXGATE_PORT to a port above 1023.`,
      1,
    );
  }
  // The owner key is made once the server listens: a start that cannot listen must not create a key
  // it never shows (the next start would find a key and show nothing).
  const keys = app.deps.service(KeysService);
  let firstKey: string | null = null;
  if ((await keys.count()) === 0) {
    const { user } = await app.deps.service(AccountsService).owner();
    firstKey = (await keys.create({ name: 'owner', plan: config.ownerPlan, ownerId: user.id })).key;
  }
  warmUp(app);
  const mcpUrl = `${http.url}/mcp`;
  if (firstKey) {
    if (process.stdout.isTTY) {
      process.stdout.write(firstStartText(mcpUrl, firstKey));
    } else {
      // stdout is a log collector here: the key goes to an owner-only file, the log names only the file.
      // A file left from an earlier database (whose keys are gone) holds a dead key: replace it.
      const file = path.join(config.dataDir, OWNER_KEY_FILE);
      fs.rmSync(file, { force: true });
      fs.writeFileSync(file, `${firstKey}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      log.warn({ file }, 'first start: created the owner API key and wrote it to this file (mode 0600); read it once (export CTXGATE_KEY=$(cat FILE)), then delete the file');
    }
  }
  log.info({ url: mcpUrl, rest: `${http.url}/v1`, version: VERSION, startup_ms: Math.round(performance.now() - t0), tools: app.registry.tools.size, dataDir: config.dataDir, ...(http.metricsUrl && { metrics: `${http.metricsUrl}/metrics` }) }, 'listening');

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
