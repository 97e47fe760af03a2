#!/usr/bin/env node
// ctxgate serve | stdio | keys ... | compress | filter | gain | doctor — one module per command in src/cli/.
import { VERSION } from './app.js';
import { loadConfig, type Config } from './config.js';
import { fail } from './cli/common.js';
import { doctorCmd } from './cli/doctor.js';
import { gainCmd } from './cli/gain.js';
import { keysCmd } from './cli/keys.js';
import { serve } from './cli/serve.js';
import { stdio } from './cli/stdio.js';
import { compressCmd, filterCmd } from './cli/text.js';

const USAGE = `ctxgate ${VERSION} — self-hosted MCP context gateway

Usage:
  ctxgate serve                       start the HTTP server (MCP at /mcp, REST at /v1)
  ctxgate stdio                       serve MCP over stdin/stdout (for clients that spawn a process)
  ctxgate doctor                      check data dir, key, embedder and port; print what to fix
  ctxgate filter [--hint CMD] [--json] [-q]
                                      compress command output from stdin: git log --stat | ctxgate filter
  ctxgate compress FILE|- [--fidelity abstract|outline|balanced|detailed|raw] [--query TEXT] [--json]
                                      compress a document (- reads stdin)
  ctxgate gain [--days N] [--model ID] [--json]
                                      tokens and money saved, by tool and by day
  ctxgate keys create --name NAME [--plan free|pro|team|enterprise] [--project ID] [--user ID|new]
  ctxgate keys list
  ctxgate keys revoke KEY_ID

Configuration comes from CTXGATE_* environment variables (see README); the data dir defaults to
data/ inside the ctxgate folder, whatever the current directory.`;

/** Commands that read options get a clear message for a bad one, not a stack trace. */
async function guarded(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) fail(err.message ?? 'bad arguments');
    throw e;
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
      return keysCmd(config, rest, USAGE);
    case 'compress':
      return guarded(() => compressCmd(config, rest));
    case 'filter':
      return guarded(() => filterCmd(config, rest));
    case 'gain':
      return guarded(() => gainCmd(config, rest));
    case 'doctor':
      return doctorCmd(config);
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
