// Real apps (createApp: store, migrations, services, offline embedder) on a temp data dir for the
// retrieval index tests. A second app on the same dir is a second process's view of the store;
// writer-child.ts is a real second process.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Scope } from '../../src/domain/scope.js';
import { AccountsService } from '../../src/services/accounts.js';
import { afterAll } from 'vitest';
import { databaseUrlFor, dropDatabaseFor } from '../helpers/database.js';

export function tempDir(prefix = 'ctxgate-retrieval-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function openApp(dataDir: string, overrides: Partial<Config> = {}): Promise<App> {
  const config = loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline', databaseUrl: await databaseUrlFor(dataDir), ...overrides });
  return createApp(config, createLogger('silent'));
}

/** A fresh user with its default project. */
export async function newScope(app: App, name = 'tenant'): Promise<Scope> {
  const { user, project } = await app.deps.service(AccountsService).createUser(name);
  return { ownerId: user.id, projectId: project.id };
}

export type ChildOp =
  | { op: 'kb-ingest'; itemId: string; content: string }
  | { op: 'kb-delete'; itemId: string }
  | { op: 'doc-ingest'; fileId: string; text: string }
  | { op: 'memory-add'; text: string };

/** Runs writes in a separate Node process on the same data dir; resolves with their JSON results. */
export async function writeFromChild(dataDir: string, scope: Scope, ...ops: ChildOp[]): Promise<unknown[]> {
  const child = path.join(import.meta.dirname, 'writer-child.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, dataDir, JSON.stringify(scope), JSON.stringify(ops)], {
    cwd: process.cwd(),
  });
  return JSON.parse(stdout) as unknown[];
}

/** Apps and data dirs a test file opens: closed, removed and their databases dropped after it. */
export function appPool(): { open(dir: string, overrides?: Partial<Config>): Promise<App>; dir(): string } {
  const apps: App[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const d of dirs) {
      await dropDatabaseFor(d);
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
  return {
    async open(dir, overrides = {}) {
      const app = await openApp(dir, overrides);
      apps.push(app);
      return app;
    },
    dir() {
      const d = tempDir();
      dirs.push(d);
      return d;
    },
  };
}
