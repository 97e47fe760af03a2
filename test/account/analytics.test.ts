// Analytics (issue 18, point 3): the seed's summary, CSV export (read back by a CSV parser) and
// /v1/usage/by-cache shapes, from real metered calls.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';

const TEXT = (topic: string) =>
  `# ${topic}\n\n` + Array.from({ length: 12 }, (_, i) => `## Section ${i}\n\nThe ${topic} team ships release ${i} after review, runs the migration, and updates the runbook with the rollback steps for part ${i}.`).join('\n\n');

let server: TestServer;
let backendKey: string;
let frontendKey: string;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startTestServer();
  const a = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'backend-docs' } });
  const b = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'frontend, "app"' } });
  backendKey = (await server.createKey({ projectId: a.body.id, name: 'be' })).keyString;
  frontendKey = (await server.createKey({ projectId: b.body.id, name: 'fe' })).keyString;
  for (const t of ['billing', 'search', 'auth']) expect((await rest(server, 'POST', '/v1/compress', { key: backendKey, body: { text: TEXT(t) } })).status).toBe(200);
  expect((await rest(server, 'POST', '/v1/compress', { key: frontendKey, body: { text: TEXT('design') } })).status).toBe(200);
  // The same request again: an exact cache hit (recorded, not counted).
  const hit = await rest(server, 'POST', '/v1/compress', { key: frontendKey, body: { text: TEXT('design') } });
  expect(hit.headers.get('x-cache-hit')).toBe('true');
});
afterAll(() => server?.close());

describe('analytics', () => {
  it('summarises this month per project in the seed\'s shape', async () => {
    const r = await rest(server, 'GET', '/v1/analytics/summary', { key: server.ownerKey });
    expect(r.status).toBe(200);
    expect(r.body.period).toBe(today.slice(0, 7));
    const be = r.body.projects.find((p: { project_name: string }) => p.project_name === 'backend-docs');
    const fe = r.body.projects.find((p: { project_name: string }) => p.project_name === 'frontend, "app"');
    expect(be.compressions).toBe(3);
    expect(fe.compressions).toBe(1);
    expect(be.tokens_saved).toBeGreaterThan(0);
    expect(be.avg_savings_pct).toBeGreaterThan(0);
    expect(r.body.total_compressions).toBe(4);
    expect(r.body.total_tokens_saved).toBe(r.body.projects.reduce((s: number, p: { tokens_saved: number }) => s + p.tokens_saved, 0));
    // A project-bound key sees its own project only.
    const bound = await rest(server, 'GET', '/v1/analytics/summary', { key: backendKey });
    expect(bound.body.projects.map((p: { project_name: string }) => p.project_name)).toEqual(['backend-docs']);
  });

  it('exports CSV with the seed\'s columns that a CSV parser reads back', async () => {
    const res = await fetch(`${server.baseUrl}/v1/analytics/export?start=${today}&end=${today}`, { headers: { Authorization: `Bearer ${server.ownerKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const records = parse(await res.text(), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
    expect(Object.keys(records[0]!)).toEqual(['date', 'project', 'compressions', 'tokens_in', 'tokens_saved', 'savings_pct']);
    const fe = records.find((r) => r.project === 'frontend, "app"')!;
    expect(fe).toBeDefined();
    expect(fe.date).toBe(today);
    expect(Number(fe.compressions)).toBe(1);
    const be = records.find((r) => r.project === 'backend-docs')!;
    expect(Number(be.compressions)).toBe(3);
    expect(Number(be.savings_pct)).toBeCloseTo((100 * Number(be.tokens_saved)) / Number(be.tokens_in), 0);
  });

  it('answers 400 for a bad or missing range', async () => {
    for (const [q, field] of [['', 'start'], [`?start=${today}`, 'end'], ['?start=2026-13-01&end=2026-12-01', 'start'], ['?start=2026-04-14&end=2026-04-01', 'end'], ['?start=2020-01-01&end=2026-01-01', 'end']] as const) {
      const r = await rest(server, 'GET', `/v1/analytics/export${q}`, { key: server.ownerKey });
      expect(r.status, q).toBe(400);
      expect(r.body).toMatchObject({ error_code: 'invalid_range', field });
    }
  });

  it('/v1/usage/by-cache has the seed\'s shape: hits, misses, hit rate, by source, compression-only vs cache-adjusted', async () => {
    const r = await rest(server, 'GET', '/v1/usage/by-cache', { key: frontendKey });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ period_days: 30, semantic_cache: { hits: 1, misses: 1, hit_rate: 0.5 }, by_source: { exact_hits: 1, semantic_hits: 0, misses: 1 } });
    expect(r.body.by_source.exact_hits + r.body.by_source.semantic_hits).toBe(r.body.semantic_cache.hits);
    expect(r.body.savings.cache_adjusted_tokens_saved).toBe(2 * r.body.savings.compression_only_tokens_saved);
    expect(r.body.savings.cache_adjusted_usd).toBeGreaterThan(r.body.savings.compression_only_usd);
    const week = await rest(server, 'GET', '/v1/usage/by-cache?period_days=7', { key: server.ownerKey });
    expect(week.body.period_days).toBe(7);
    expect(week.body.semantic_cache.misses).toBe(4);
  });
});
