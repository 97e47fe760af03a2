// A real app (createApp: store, migrations, services, offline embedder) on a temp data dir, for
// service-level memory tests. Opening a second app on the same dir is a second process's view.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Scope } from '../../src/registry/define.js';
import { AccountsService } from '../../src/services/accounts.js';
import { databaseUrlFor, dropDatabaseFor } from '../helpers/database.js';

export function tempDir(prefix = 'ctxgate-memory-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function openApp(dataDir: string): Promise<App> {
  const config = loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline', databaseUrl: await databaseUrlFor(dataDir) });
  return createApp(config, createLogger('silent'));
}

/** A fresh user with its default project. */
export async function newScope(app: App, name = 'tenant'): Promise<Scope> {
  const { user, project } = await app.deps.service(AccountsService).createUser(name);
  return { ownerId: user.id, projectId: project.id };
}
