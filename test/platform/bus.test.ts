// The message bus between replicas (src/services/bus.ts) on the backend under test: what one
// process publishes reaches subscribers in the order it was published. Job events rely on it: a
// job's "completed" overtaking its last progress event left waitFor's listener (and the batch-queue
// stream) without the final item — seen on PostgreSQL, where each NOTIFY is its own transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { BusService } from '../../src/services/bus.js';
import { until } from '../helpers/server.js';
import { disposeApp, openApp, tempDir } from '../jobs/app.js';

let app: App;
beforeAll(async () => {
  app = await openApp(tempDir());
});
afterAll(async () => {
  if (app) await disposeApp(app);
});

describe('bus', () => {
  it('delivers a burst of messages published without waiting in the order they were published', async () => {
    const bus = app.deps.service(BusService);
    await bus.ready();
    const got: number[] = [];
    const off = bus.subscribe('test.order', (m: { n: number }) => got.push(m.n));
    try {
      const sent = Array.from({ length: 200 }, (_, n) => bus.publish('test.order', { n }));
      await Promise.all(sent);
      await until(() => got.length === 200, { what: () => `200 messages (got ${got.length})` });
      expect(got).toEqual(Array.from({ length: 200 }, (_, n) => n));
    } finally {
      off();
    }
  });
});
