// Running the real CLI (src/cli.ts, compiled once per run by ./global-setup.ts) as a child process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'src/cli.ts');
/** The CLI from source as a developer runs it (the form `ctxgate hook` and `init` write into agent configs). */
export const NODE_ARGS = ['--import', 'tsx', CLI];
/** Where the test run's global setup (./global-setup.ts) compiles src/ and tools/, one .js per .ts. */
export const BUILD_DIR = path.join(ROOT, '.cache', 'test-build');
/**
 * The same CLI from those compiled files: starts in about half the CPU time of NODE_ARGS. Source maps
 * on, so a stack trace names src/*.ts lines as it would under tsx.
 */
export const BUILT_ARGS = ['--enable-source-maps', path.join(BUILD_DIR, 'src/cli.js')];

export function cliEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CTXGATE_')) env[k] = v;
  return { ...env, CTXGATE_DATA_DIR: dataDir, CTXGATE_LOG_LEVEL: 'info', ...extra };
}

/** Run a CLI command to completion (`input` is piped to its stdin). */
export function runCli(args: string[], dataDir: string, extra: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [...BUILT_ARGS, ...args], { cwd: ROOT, env: cliEnv(dataDir, extra), encoding: 'utf8', timeout: 60_000, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process printed to stdout so far. */
  output(): string;
}

/** Start `ctxgate serve` on an ephemeral port and wait for its "listening" log line. */
export function startServeProcess(dataDir: string, extra: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...BUILT_ARGS, 'serve'], {
    cwd: ROOT,
    env: cliEnv(dataDir, { CTXGATE_PORT: '0', ...extra }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${out}\n${err}`)), 60_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === 'listening' && j.url) {
            clearTimeout(timer);
            resolve({ child, url: j.url, output: () => out });
            return;
          }
        } catch {
          /* partial line */
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}
