// A real app (createApp: store, migrations, services, embedder) on a temp data dir, for service-level
// tests that do not need HTTP. Reopening the same dir is a server restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Caller, Scope } from '../../src/registry/define.js';
import { AccountsService } from '../../src/services/accounts.js';
import { databaseUrlFor, dropDatabaseFor } from '../helpers/database.js';

export function tempDir(prefix = 'ctxgate-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function openApp(dataDir: string): Promise<App> {
  const config = loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline', databaseUrl: await databaseUrlFor(dataDir) });
  return createApp(config, createLogger('silent'));
}

/** Close the app and remove its data dir. */
export async function disposeApp(app: App): Promise<void> {
  await app.close();
  await dropDatabaseFor(app.deps.config.dataDir);
  fs.rmSync(app.deps.config.dataDir, { recursive: true, force: true });
}

/** A fresh user with its default project, as a caller and a scope. */
export async function newTenant(app: App, name = 'tenant'): Promise<{ caller: Caller; scope: Scope }> {
  const { user, project } = await app.deps.service(AccountsService).createUser(name);
  const caller: Caller = { userId: user.id, projectId: project.id, keyId: null, plan: 'enterprise', keyName: name };
  return { caller, scope: { ownerId: user.id, projectId: project.id } };
}
