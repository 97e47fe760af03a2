// Quotas against the store, and graceful shutdown of a real server process with a call in flight.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runCli, startServeProcess } from '../helpers/cli.js';
import { rest, startTestServer, tempDir } from '../helpers/server.js';
import { query } from '../helpers/database.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const doc = (topic: string) =>
  `# ${topic}\n\n` +
  Array.from({ length: 30 }, (_, i) => `Paragraph ${i} about ${topic}: the ${topic} subsystem handles case ${i} with care, logging and retries.`).join('\n\n');

describe('monthly compression quota', () => {
  it('counts compressions per account, not cache hits, and refuses past the quota with 429', async () => {
    const base = loadConfig().plans;
    const srv = await startTestServer({ config: { plans: { ...base, free: { ...base.free, monthlyCompressions: 2 } } } });
    try {
      const k = await srv.createKey({ plan: 'free', name: 'quota', newUser: true });
      const a = await rest(srv, 'POST', '/v1/compress', { key: k.key, body: { text: doc('storage') } });
      expect(a.status).toBe(200);
      const again = await rest(srv, 'POST', '/v1/compress', { key: k.key, body: { text: doc('storage') } });
      expect(again.status).toBe(200);
      expect(again.headers.get('x-cache-hit')).toBe('true');
      const b = await rest(srv, 'POST', '/v1/compress', { key: k.key, body: { text: doc('networking') } });
      expect(b.status).toBe(200);
      const over = await rest(srv, 'POST', '/v1/compress', { key: k.key, body: { text: doc('scheduling') } });
      expect(over.status).toBe(429);
      expect(over.body.error_code).toBe('quota_exceeded');
      expect(over.body.quota).toBe(2);
      expect(over.body.detail).toMatch(/resets at/);
      // The quota is the account's: another key of the same account does not bring a second one
      // (issue 11); another account's key has its own.
      const k2 = await srv.createKey({ plan: 'free', name: 'quota2', userId: k.user_id });
      expect((await rest(srv, 'POST', '/v1/compress', { key: k2.key, body: { text: doc('scheduling') } })).status).toBe(429);
      const k3 = await srv.createKey({ plan: 'free', name: 'other-account', newUser: true });
      expect((await rest(srv, 'POST', '/v1/compress', { key: k3.key, body: { text: doc('scheduling') } })).status).toBe(200);
      const rows = await query(srv.deps, 'SELECT counted, cache FROM usage_events WHERE key_id = ? ORDER BY id', k.key_id);
      expect(rows).toEqual([
        { counted: 1, cache: null },
        { counted: 0, cache: 'exact' },
        { counted: 1, cache: null },
      ]);
    } finally {
      await srv.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight call before exiting on SIGTERM', async () => {
    const d = tempDir();
    dirs.push(d);
    const key = JSON.parse(runCli(['keys', 'create', '--name', 'x', '--plan', 'enterprise'], d).stdout).key as string;
    const srv = await startServeProcess(d);
    const base = srv.url.replace(/\/mcp$/, '');
    expect((await rest({ baseUrl: base }, 'GET', '/health')).status).toBe(200);
    const big = Array.from({ length: 300 }, (_, i) => doc(`topic${i}`)).join('\n\n');
    const pending = rest({ baseUrl: base }, 'POST', '/v1/compress', { key, body: { text: big, fidelity: 'outline' } });
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise<number | null>((res) => srv.child.on('exit', (c) => res(c)));
    srv.child.kill('SIGTERM');
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body.stats.original_tokens).toBeGreaterThan(100_000);
    expect(await exited).toBe(0);
    expect(srv.output()).toMatch(/shutting down/);
  });
});
