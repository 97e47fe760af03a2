// What every service and tool handler may reach: configuration, the store, the logger, the embedder,
// and lazily constructed services (one instance per app, keyed by class).
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './store/db.js';
import type { Embedder } from './engine/embeddings/types.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** The active embedding provider (loaded once, on first use). */
  embedder(): Promise<Embedder>;
  /** One instance of a service class per app: `deps.service(DocumentsService)`. */
  service<T>(cls: new (deps: AppDeps) => T): T;
}
