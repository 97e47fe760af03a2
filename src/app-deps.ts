// What every service and tool handler may reach: configuration, the store, the logger, the embedder,
// and lazily constructed services (one instance per app, keyed by class).
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Store } from './store/store.js';
import type { Embedder, EmbedderInfo } from './engine/embeddings/types.js';

export interface AppDeps {
  config: Config;
  /** The store: repositories over SQLite or PostgreSQL. */
  store: Store;
  log: Logger;
  /** Server secret (HMAC key for API keys and signatures). */
  secret: string;
  /** The active embedding provider (loaded once, on first use). */
  embedder(): Promise<Embedder>;
  /** The loaded embedder's description, or null before first use. */
  embedderInfo(): EmbedderInfo | null;
  /** One instance of a service class per app: `deps.service(DocumentsService)`. */
  service<T>(cls: new (deps: AppDeps) => T): T;
}
