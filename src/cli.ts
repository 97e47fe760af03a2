#!/usr/bin/env node
// ctxgate serve | stdio | keys ... | compress | filter | gain | doctor | run | show | init | hook — one module per command in src/cli/.
// Commands are imported when chosen, not up front: `run` and `hook` wrap an agent's every shell
// command, so they must not pay for loading the whole app (bench/run-overhead.ts measures it).
import { VERSION } from './version.js';
import { loadConfig, type Config } from './config.js';
import { fail } from './cli/fail.js';

const USAGE = `ctxgate ${VERSION} — self-hosted MCP context gateway

Usage:
  ctxgate serve                       start the HTTP server (MCP at /mcp, REST at /v1)
  ctxgate stdio                       serve MCP over stdin/stdout (for clients that spawn a process)
  ctxgate doctor                      check data dir, key, embedder and port; print what to fix
  ctxgate filter [--hint CMD] [--json] [-q]
                                      compress command output from stdin: git log --stat | ctxgate filter
  ctxgate compress FILE|- [--fidelity abstract|outline|balanced|detailed|raw] [--query TEXT] [--json]
                                      compress a document (- reads stdin)
  ctxgate run [--lines N] -- CMD [ARGS…]
                                      run a command; long output is filtered (raw kept), exit code kept
  ctxgate show [ID|last] [--meta]     the raw output a run kept, byte for byte (no ID: list the runs)
  ctxgate init claude-code|cursor|gemini-cli [--global] [--auto-approve] [--uninstall]
                                      install (or remove) the shell hook and the MCP server entry
  ctxgate hook claude-code|cursor|gemini-cli [--auto-approve] [--data-dir DIR]
                                      the hook itself: the client's JSON on stdin, its reply on stdout
  ctxgate gain [--days N] [--model ID] [--json]
                                      tokens and money saved, by tool and by day
  ctxgate keys create --name NAME [--plan free|pro|team|enterprise] [--project ID] [--user ID|new]
  ctxgate keys list
  ctxgate keys revoke KEY_ID

Configuration comes from CTXGATE_* environment variables (see README); the data dir defaults to
data/ inside the ctxgate folder, whatever the current directory.`;

/** The USAGE lines of one command (its line and the indented description under it), or null. */
function usageOf(cmd: string): string | null {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`  ctxgate ${cmd} `) && lines[i] !== `  ctxgate ${cmd}`) continue;
    out.push(lines[i]!);
    while (/^ {20,}\S/.test(lines[i + 1] ?? '')) out.push(lines[++i]!);
  }
  return out.length ? `Usage:\n${out.join('\n')}` : null;
}

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
  // The hook needs no configuration, and must not fail on it: for Claude Code an exit code of 2 would
  // block the agent's command.
  if (cmd === 'hook') return (await import('./cli/hook.js')).hookCmd(rest);
  // `ctxgate filter --help`: that command's usage lines (for run, only before `--`: after it, the
  // flags are the wrapped command's). keys reads its own.
  const own = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (cmd && cmd !== 'keys' && (own.includes('--help') || own.includes('-h'))) {
    const usage = usageOf(cmd);
    if (usage) {
      process.stdout.write(`${usage}\n\nAll commands: ctxgate --help\n`);
      return;
    }
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    fail((e as Error).message);
  }
  switch (cmd) {
    case 'serve':
      return (await import('./cli/serve.js')).serve(config);
    case 'stdio':
      return (await import('./cli/stdio.js')).stdio(config);
    case 'keys':
      return (await import('./cli/keys.js')).keysCmd(config, rest, USAGE);
    case 'compress':
      return guarded(async () => (await import('./cli/text.js')).compressCmd(config, rest));
    case 'filter':
      return guarded(async () => (await import('./cli/text.js')).filterCmd(config, rest));
    case 'gain':
      return guarded(async () => (await import('./cli/gain.js')).gainCmd(config, rest));
    case 'doctor':
      return (await import('./cli/doctor.js')).doctorCmd(config);
    case 'run':
      return (await import('./cli/run.js')).runCmd(config, rest);
    case 'show':
      return (await import('./cli/show.js')).showCmd(config, rest);
    case 'init':
      return guarded(async () => (await import('./cli/init.js')).initCmd(rest));
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
