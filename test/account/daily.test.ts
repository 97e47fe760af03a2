// The routes the dashboard's Overview reads (issue 20): savings by day (GET /v1/analytics/daily) and
// the last compressions with fidelity, sizes and ratio (GET /v1/usage/recent), from real metered
// calls; a project-bound key and another tenant see only their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, until, type TestServer } from '../helpers/server.js';

const TEXT = (topic: string) =>
  `# ${topic}\n\n` + Array.from({ length: 12 }, (_, i) => `## Section ${i}\n\nThe ${topic} team ships release ${i} after review, runs the migration, and updates the runbook with the rollback steps for part ${i}.`).join('\n\n');

let server: TestServer;
let boundKey: string;
const today = new Date().toISOString().slice(0, 10);
const saved: number[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const p = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'docs' } });
  boundKey = (await server.createKey({ projectId: p.body.id, name: 'bound' })).keyString;
  for (const [key, topic, fidelity] of [[server.ownerKey, 'billing', 'outline'], [boundKey, 'search', 'detailed'], [server.ownerKey, 'auth', 'abstract']] as const) {
    const r = await rest(server, 'POST', '/v1/compress', { key, body: { text: TEXT(topic), fidelity, use_cache: false } });
    expect(r.status).toBe(200);
    saved.push(r.body.stats.tokens_saved);
  }
  // A skeleton read is metered too, at its own fidelity.
  const doc = await rest(server, 'POST', '/v1/documents', { key: server.ownerKey, body: { file_id: 'guide', content: TEXT('guide') } });
  expect(doc.status).toBeLessThan(300);
  expect((await rest(server, 'GET', `/v1/documents/${doc.body.doc_id}/skeleton?fidelity=outline`, { key: server.ownerKey })).status).toBe(200);
});
afterAll(() => server?.close());

describe('savings by day', () => {
  it('gives one row per day, zeros included, today last, with the dollar value', async () => {
    const r = await rest(server, 'GET', '/v1/analytics/daily?days=7', { key: server.ownerKey });
    expect(r.status).toBe(200);
    expect(r.body.days).toHaveLength(7);
    const last = r.body.days.at(-1);
    expect(last.date).toBe(today);
    expect(r.body.days.slice(0, -1).every((d: { compressions: number; tokens_saved: number }) => d.compressions === 0 && d.tokens_saved === 0)).toBe(true);
    expect(last.tokens_saved).toBeGreaterThanOrEqual(saved.reduce((a, b) => a + b, 0));
    expect(last.compressions).toBeGreaterThanOrEqual(3);
    expect(last.cost_saved_usd).toBeGreaterThan(0);
    expect(r.body.total_tokens_saved).toBe(last.tokens_saved);
    expect(r.body.pricing_model).toBeTruthy();
  });

  it('narrows to its project for a bound key, and refuses a bad range naming the field', async () => {
    const r = await rest(server, 'GET', '/v1/analytics/daily?days=1', { key: boundKey });
    expect(r.status).toBe(200);
    expect(r.body.days).toHaveLength(1);
    expect(r.body.days[0].compressions).toBe(1);
    expect(r.body.days[0].tokens_saved).toBe(saved[1]);
    const bad = await rest(server, 'GET', '/v1/analytics/daily?days=0', { key: server.ownerKey });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe('days');
  });
});

describe('recent compressions', () => {
  it('lists the newest metered calls with fidelity, sizes and ratio', async () => {
    const r = await rest(server, 'GET', '/v1/usage/recent?limit=10', { key: server.ownerKey });
    expect(r.status).toBe(200);
    const list = r.body.compressions as Array<{ tool: string; fidelity: string | null; tokens_in: number; tokens_out: number; tokens_saved: number; ratio: number; savings_pct: number; at: string }>;
    expect(list.map((c) => [c.tool, c.fidelity])).toEqual([
      ['read_skeleton', 'outline'],
      ['ingest_context', null],
      ['compress_text', 'abstract'],
      ['compress_text', 'detailed'],
      ['compress_text', 'outline'],
    ]);
    for (const c of list) {
      expect(c.tokens_saved).toBe(c.tokens_in - c.tokens_out);
      expect(c.ratio).toBeCloseTo(c.tokens_out / c.tokens_in, 3);
    }
    expect([...list].sort((a, b) => b.at.localeCompare(a.at)).map((c) => c.at)).toEqual(list.map((c) => c.at));
    const two = await rest(server, 'GET', '/v1/usage/recent?limit=2', { key: server.ownerKey });
    expect(two.body.compressions).toHaveLength(2);
  });

  it('records the fidelity of batch-queue documents too', async () => {
    const job = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: [{ text: TEXT('queue'), fidelity: 'abstract' }] } });
    expect(job.status).toBe(202);
    await until(async () => (await rest(server, 'GET', `/v1/batch-queue/${job.body.job_id}`, { key: server.ownerKey })).body.status === 'completed');
    const r = await rest(server, 'GET', '/v1/usage/recent?limit=1', { key: server.ownerKey });
    expect(r.body.compressions[0]).toMatchObject({ tool: 'submit_batch_job', fidelity: 'abstract' });
  });

  it("shows a bound key its project only, and another tenant nothing of this account's", async () => {
    const bound = await rest(server, 'GET', '/v1/usage/recent', { key: boundKey });
    expect(bound.body.compressions.map((c: { fidelity: string }) => c.fidelity)).toEqual(['detailed']);
    const other = await server.createKey({ newUser: true, name: 'other' });
    const theirs = await rest(server, 'GET', '/v1/usage/recent', { key: other.keyString });
    expect(theirs.status).toBe(200);
    expect(theirs.body.compressions).toEqual([]);
    const daily = await rest(server, 'GET', '/v1/analytics/daily?days=1', { key: other.keyString });
    expect(daily.body.total_tokens_saved).toBe(0);
  });
});
