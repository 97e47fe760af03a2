// Finding 5 (issue 11): quota and rate limit were per key, so a second key doubled the allowance.
// The monthly quota belongs to the account; rate limits apply per key and per account.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { rest, startTestServer } from '../helpers/server.js';

const text = (topic: string) => `# ${topic}\n\n` + Array.from({ length: 20 }, (_, i) => `Paragraph ${i}: the ${topic} service retries case ${i} with care.`).join('\n\n');

describe('account-wide limits', () => {
  it('a second key of the same account shares the monthly quota (and another account has its own)', async () => {
    const base = loadConfig().plans;
    const s = await startTestServer({ config: { plans: { ...base, free: { ...base.free, monthlyCompressions: 2 } } } });
    try {
      const tenant = (await s.createKey({ plan: 'free', newUser: true, name: 'first' }));
      const second = (await s.createKey({ plan: 'free', userId: tenant.user_id, name: 'second' }));
      expect((await rest(s, 'POST', '/v1/compress', { key: tenant.key, body: { text: text('alpha') } })).status).toBe(200);
      expect((await rest(s, 'POST', '/v1/compress', { key: second.key, body: { text: text('beta') } })).status).toBe(200);
      const over = await rest(s, 'POST', '/v1/compress', { key: second.key, body: { text: text('gamma') } });
      expect(over.status).toBe(429);
      expect(over.body.error_code).toBe('quota_exceeded');
      const other = (await s.createKey({ plan: 'free', newUser: true, name: 'other-account' }));
      expect((await rest(s, 'POST', '/v1/compress', { key: other.key, body: { text: text('gamma') } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('the rate limit applies per key and per account', async () => {
    const base = loadConfig().plans;
    const s = await startTestServer({ config: { plans: { ...base, free: { ...base.free, requestsPerMinute: 3 } } } });
    try {
      const one = (await s.createKey({ plan: 'free', newUser: true, name: 'one' }));
      const two = (await s.createKey({ plan: 'free', userId: one.user_id, name: 'two' }));
      const statuses: number[] = [];
      for (const k of [one, one, two, two]) statuses.push((await rest(s, 'POST', '/v1/tools/estimate_tokens', { key: k.key, body: { text: 'hello' } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      // A key of another account is not slowed by this one.
      const other = (await s.createKey({ plan: 'free', newUser: true, name: 'other' }));
      expect((await rest(s, 'POST', '/v1/tools/estimate_tokens', { key: other.key, body: { text: 'hello' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
