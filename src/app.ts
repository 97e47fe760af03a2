// Wires the application: config → store → services → registry. Shared by `serve`, `stdio` and the CLI.
import path from 'node:path';
import type { Logger } from 'pino';
import { allTools } from '../tools/index.js';
import type { AppDeps } from './app-deps.js';
import type { Config } from './config.js';
import type { Embedder, EmbedderInfo } from './engine/embeddings/types.js';
import { Registry } from './registry/registry.js';
import { ensurePrivateDir } from './paths.js';
import { openDb, type Db } from './store/db.js';
import { createEmbedder } from './services/embedder.js';
import { loadOrCreateSecret } from './services/secret.js';

export { VERSION } from './version.js';

export interface App {
  deps: AppDeps;
  registry: Registry;
  /** Set once the embedder has loaded (health reports it). */
  embedderInfo(): EmbedderInfo | null;
  close(): Promise<void>;
}

export function createApp(config: Config, log: Logger): App {
  const registry = new Registry(allTools);
  // Every tenant's data lives under the data dir: owner-only, tightened if an older start left it open.
  const was = ensurePrivateDir(config.dataDir);
  if (was !== null) log.warn({ dataDir: config.dataDir, mode: '0' + was.toString(8), now: '0700' }, 'data dir was readable by other users; tightened it to 0700');
  const db: Db = openDb(path.join(config.dataDir, 'ctxgate.db'));
  const secret = loadOrCreateSecret(config.dataDir, config.secret);
  const services = new Map<unknown, unknown>();
  let embedderPromise: Promise<{ embedder: Embedder; info: EmbedderInfo }> | null = null;
  let info: EmbedderInfo | null = null;
  const closers: Array<() => unknown> = [];

  const deps: AppDeps = {
    config,
    db,
    log,
    secret,
    embedder() {
      if (!embedderPromise) {
        embedderPromise = createEmbedder(config).then((r) => {
          info = r.info;
          log.info({ embedder: r.info }, 'embedder ready');
          return r;
        });
        // A failed load is retried on the next call rather than cached forever.
        embedderPromise.catch(() => {
          embedderPromise = null;
        });
      }
      return embedderPromise.then((r) => r.embedder);
    },
    embedderInfo: () => info,
    service<T>(cls: new (d: AppDeps) => T): T {
      let s = services.get(cls) as T | undefined;
      if (!s) {
        s = new cls(deps);
        services.set(cls, s);
        const closable = s as { close?: () => unknown };
        if (typeof closable.close === 'function') closers.push(() => closable.close!());
      }
      return s;
    },
  };

  return {
    deps,
    registry,
    embedderInfo: () => info,
    async close() {
      for (const c of closers.reverse()) await c();
      db.close();
    },
  };
}
