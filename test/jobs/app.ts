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

export function tempDir(prefix = 'ctxgate-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function openApp(dataDir: string): App {
  return createApp(loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline' }), createLogger('silent'));
}

/** Close the app and remove its data dir. */
export async function disposeApp(app: App): Promise<void> {
  await app.close();
  fs.rmSync(app.deps.config.dataDir, { recursive: true, force: true });
}

/** A fresh user with its default project, as a caller and a scope. */
export function newTenant(app: App, name = 'tenant'): { caller: Caller; scope: Scope } {
  const { user, project } = app.deps.service(AccountsService).createUser(name);
  const caller: Caller = { userId: user.id, projectId: project.id, keyId: null, plan: 'enterprise', keyName: name };
  return { caller, scope: { ownerId: user.id, projectId: project.id } };
}
