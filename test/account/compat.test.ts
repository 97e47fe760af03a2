// Seed-compatibility fixes (issue 18, point 7): each replays the seed's own request.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';

const DEMO = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/seed/demo-compress.json'), 'utf8')) as { text: string; fidelity: string };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('seed compatibility', () => {
  it('prices an unknown model at the default rate with a note instead of refusing it', async () => {
    for (const [field, model] of [['model', 'claude-3-5-sonnet-20241022'], ['cost_model', 'gemini-1.5-pro'], ['cost_model', 'o1-mini']] as const) {
      const r = await rest(server, 'POST', '/v1/compress', { key: server.ownerKey, body: { text: DEMO.text, fidelity: 'balanced', [field]: model } });
      expect(r.status, `${field}=${model}`).toBe(200);
      expect(r.body.stats.cost_note).toMatch(/not in the price table; priced at claude-opus-4-7/);
      expect(r.body.stats.cost_model).toBe('claude-opus-4-7');
      expect(r.body.stats.estimated_cost_saved).toMatch(/^\$\d/);
      expect(JSON.stringify(r.body)).not.toContain(model);
    }
    const known = await rest(server, 'POST', '/v1/compress', { key: server.ownerKey, body: { text: DEMO.text, cost_model: 'claude-sonnet-4-6' } });
    expect(known.body.stats.cost_model).toBe('claude-sonnet-4-6');
    expect(known.body.stats.cost_note).toBeUndefined();
  });

  it('ingest_context with an existing file_id and new content updates the document (the seed loop)', async () => {
    const first = await rest(server, 'POST', '/v1/tools/ingest_context', { key: server.ownerKey, body: { file_id: 'my-doc', content: '# Guide\n\nInstall with npm.\n' } });
    expect(first.status).toBe(200);
    const again = await rest(server, 'POST', '/v1/tools/ingest_context', { key: server.ownerKey, body: { file_id: 'my-doc', content: '# Guide\n\nInstall with pnpm now.\n' } });
    expect(again.status).toBe(200);
    expect(again.body.doc_id).toBe(first.body.doc_id);
    const doc = await rest(server, 'POST', '/v1/tools/get_document', { key: server.ownerKey, body: { file_id: 'my-doc', include_content: true } });
    expect(doc.body.content).toContain('pnpm');
    const strict = await rest(server, 'POST', '/v1/tools/ingest_context', { key: server.ownerKey, body: { file_id: 'my-doc', content: 'other', replace: false } });
    expect(strict.status).toBe(409);
  });

  it('create_project answers project_id; a key is re-bound in place and keeps working', async () => {
    const p = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'my-repo' } });
    expect(p.status).toBe(201);
    expect(p.body.project_id).toBe(p.body.id);
    const k = await server.createKey({ plan: 'pro', name: 'ci' });
    const before = await rest(server, 'POST', '/v1/tools/project_stats', { key: k.keyString, body: {} });
    expect(before.body.project_name).toBe('Default');
    const bound = await rest(server, 'PATCH', `/v1/keys/${k.key_id}`, { key: server.ownerKey, body: { project_id: p.body.project_id } });
    expect(bound.status).toBe(200);
    expect(bound.body).toMatchObject({ key_id: k.key_id, project_id: p.body.id, status: 'active' });
    const after = await rest(server, 'POST', '/v1/tools/project_stats', { key: k.keyString, body: {} });
    expect(after.status).toBe(200);
    expect(after.body.project_name).toBe('my-repo');
    // A bound key cannot move keys (account-level), and an unknown project is a 404.
    const refused = await rest(server, 'PATCH', `/v1/keys/${k.key_id}`, { key: k.keyString, body: { project_id: null } });
    expect(refused.status).toBe(403);
    const missing = await rest(server, 'PATCH', `/v1/keys/${k.key_id}`, { key: server.ownerKey, body: { project_id: 'prj_nope' } });
    expect(missing.status).toBe(404);
  });

  it('POST /v1/demo/compress works without a key, is capped in size and rate-limited per address', async () => {
    const r = await rest(server, 'POST', '/v1/demo/compress', { body: DEMO });
    expect(r.status).toBe(200);
    expect(r.body.stats.original_tokens).toBeGreaterThan(r.body.stats.compressed_tokens);
    expect(r.body.compressed.length).toBeGreaterThan(0);
    const big = await rest(server, 'POST', '/v1/demo/compress', { body: { text: 'word '.repeat(5000) } });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ field: 'text', limit: 16384, unit: 'bytes' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await rest(server, 'POST', '/v1/demo/compress', { body: { text: 'Short text.' } })).status);
    expect(statuses).toContain(429);
  });

  it('a free key gets 402 where the seed documents 402 (structural context)', async () => {
    const free = await server.createKey({ plan: 'free', name: 'free' });
    const r = await rest(server, 'POST', '/v1/compress-code/structural', {
      key: free.keyString,
      body: { files: [{ path: 'src/app.py', content: 'def handle_request(): pass' }], focus_symbol: 'handle_request', top_k: 25 },
    });
    expect(r.status).toBe(402);
    expect(r.body).toMatchObject({ error_code: 'payment_required', required_plan: 'pro' });
  });
});
