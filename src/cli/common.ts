// What every CLI command shares: failing with a message (never a stack trace), the local owner
// identity, and running one registered tool through the same pipeline the servers use.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { createApp, type App } from '../app.js';
import type { Config } from '../config.js';
import type { Caller } from '../registry/define.js';
import { invokeTool } from '../registry/invoke.js';
import { localOwnerCaller } from '../domain/scope.js';
import { databaseLabel } from '../store/store.js';
import { AccountsService } from '../services/accounts.js';
import { JobsService } from '../services/jobs.js';
import { KeysService } from '../services/keys.js';
import { SECRET_FILE } from '../services/secret.js';
import { LookupService } from '../services/lookup.js';

import { fail } from './fail.js';

export { fail };

/** The local owner acting with the data dir's authority (stdio without a key, the CLI). */
export async function ownerCaller(app: App): Promise<Caller> {
  const { user, project } = await app.deps.service(AccountsService).owner();
  return localOwnerCaller(user.id, project.id, app.deps.config.ownerPlan);
}

/** Where the keys live, for messages: the SQLite file's data dir or the PostgreSQL database (never its password). */
export function storeName(config: Pick<Config, 'dataDir' | 'databaseUrl'>): string {
  return config.databaseUrl ? databaseLabel(config.databaseUrl) : `the data dir ${config.dataDir}`;
}

/**
 * Opens the app for a command that makes or checks keys (serve, keys), refusing a store whose keys
 * were HMAC'd under another secret: without CTXGATE_SECRET and without DATA_DIR/secret, createApp
 * generates a new secret, and over a shared database that already holds keys (a second replica, the
 * CLI run from another data dir) every existing key would be refused with a bare "Invalid or revoked
 * API key", and any key made here would work nowhere else.
 */
export async function openWithSecretCheck(config: Config, log: Logger): Promise<App> {
  const secretFile = path.join(config.dataDir, SECRET_FILE);
  const generated = !config.secret && !fs.existsSync(secretFile);
  const app = await createApp(config, log);
  const existing = generated ? await app.deps.service(KeysService).count() : 0;
  if (existing > 0) {
    fs.rmSync(secretFile, { force: true });
    await app.close();
    fail(
      `the store already holds ${existing} API key(s), made under another server secret, and this start would have generated a new one ` +
        `in ${secretFile}: none of those keys would work here. Set CTXGATE_SECRET to the secret the other replicas use ` +
        `(or copy their data dir's secret file here), then start again.`,
    );
  }
  return app;
}

/** Background work after start-up: resume interrupted batch jobs, build the docs-lookup index. */
export function warmUp(app: App): void {
  app.deps.service(JobsService).start();
  app.deps
    .service(LookupService)
    .warm()
    .catch((e: unknown) => app.deps.log.warn({ err: e }, 'lookup index warm-up failed'));
}

/** One tool call as the local owner (metered and recorded like any other call, so `gain` sees it). */
export async function runToolAsOwner(app: App, log: Logger, name: string, args: Record<string, unknown>): Promise<unknown> {
  const { output } = await invokeTool(
    {
      deps: app.deps,
      registry: app.registry,
      hooks: app.hooks,
      caller: await ownerCaller(app),
      transport: 'stdio',
      requestId: 'cli',
      signal: new AbortController().signal,
      log,
    },
    name,
    args,
  );
  return output;
}

/** All of stdin (or a file) as text. */
export async function readInput(file: string): Promise<string> {
  if (file !== '-') return fs.readFileSync(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
