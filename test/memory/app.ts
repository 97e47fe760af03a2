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

export function tempDir(prefix = 'ctxgate-memory-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function openApp(dataDir: string): App {
  return createApp(loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline' }), createLogger('silent'));
}

/** A fresh user with its default project. */
export function newScope(app: App, name = 'tenant'): Scope {
  const { user, project } = app.deps.service(AccountsService).createUser(name);
  return { ownerId: user.id, projectId: project.id };
}
