// Seed 002 (hierarchical contexts) at its own routes and camelCase shapes, with the requests the seed
// prints (its curl examples, with a ctxgate key): /api/contexts, tree, populate (dry run diff),
// approve, compact, permanent DELETE (204). Both APIs are views of one store, with one id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';
import { query } from '../helpers/database.js';
import { AccountsService } from '../../src/services/accounts.js';

// The seed's create request, verbatim.
const SEED_CREATE = {
  name: 'Authentication',
  description: 'Auth patterns and decisions',
  content: '# Auth\nUsing JWT with refresh tokens.',
  schemaKey: 'root/architecture/auth',
  tier: 1,
};
// The seed's populate request, verbatim.
const SEED_POPULATE = {
  source: 'cli-scan',
  nodes: [{ schemaKey: 'root/scan/routes', name: 'Routes', content: '## API Routes\n- GET /api/users\n- POST /api/auth/login', parentSchemaKey: 'root/scan' }],
};

let s: TestServer;
let key: string;
let projectId: string;
let client: Client;
beforeAll(async () => {
  s = await startTestServer();
  key = s.ownerKey;
  projectId = (await s.deps.service(AccountsService).defaultProject(s.owner.user_id)).id;
  client = await connectMcp(s, { key, profile: 'full' });
});
afterAll(async () => {
  await client?.close();
  await s?.close();
});

describe('seed 002: /api/contexts', () => {
  let authId: string;

  it('POST /api/contexts creates the seed context, answered in camelCase', async () => {
    const r = await rest(s, 'POST', '/api/contexts', { key, body: SEED_CREATE });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ ...SEED_CREATE, parentContextId: null, state: 'draft', contextType: 'memory', isPublic: false });
    expect(typeof r.body.createdAt).toBe('string');
    expect(r.body.schema_key).toBeUndefined();
    authId = r.body.id;
    const dup = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'Again', schemaKey: SEED_CREATE.schemaKey } });
    expect(dup.status).toBe(409);
    expect(dup.body.field).toBe('schemaKey');
    const badTier = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'x', tier: 4 } });
    expect(badTier.status).toBe(422);
    expect(badTier.body.field).toBe('tier');
    const badType = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'x', contextType: 'notes' } });
    expect(badType.status).toBe(400);
    expect(badType.body.field).toBe('contextType');
  });

  it('children by parentContextId; GET /api/contexts lists a bare array, filtered by projectId and parentId', async () => {
    const child = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'Sessions', content: 'Refresh tokens rotate.', parentContextId: authId, schemaKey: 'root/architecture/auth/sessions', contextType: 'reference' } });
    expect(child.status).toBe(201);
    expect(child.body.parentContextId).toBe(authId);
    const all = await rest(s, 'GET', `/api/contexts?projectId=${projectId}`, { key });
    expect(all.status).toBe(200);
    expect(Array.isArray(all.body)).toBe(true);
    expect(all.body.map((c: { schemaKey: string }) => c.schemaKey).sort()).toEqual(['root/architecture/auth', 'root/architecture/auth/sessions']);
    const kids = await rest(s, 'GET', `/api/contexts?parentId=${authId}`, { key });
    expect(kids.body.map((c: { id: string }) => c.id)).toEqual([child.body.id]);
    expect((await rest(s, 'GET', '/api/contexts?projectId=prj_nope', { key })).status).toBe(404);
    // A parent from nowhere, or a cycle, is refused.
    expect((await rest(s, 'POST', '/api/contexts', { key, body: { name: 'orphan', parentContextId: 'nope' } })).status).toBe(404);
    const cycle = await rest(s, 'PATCH', `/api/contexts/${authId}`, { key, body: { parentContextId: child.body.id } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.field).toBe('parentContextId');
  });

  it('GET /api/contexts/:id returns the full object with content; PATCH changes it', async () => {
    const r = await rest(s, 'GET', `/api/contexts/${authId}`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: authId, content: SEED_CREATE.content, schemaKey: SEED_CREATE.schemaKey, tier: 1 });
    const p = await rest(s, 'PATCH', `/api/contexts/${authId}`, { key, body: { content: '# Auth\nJWT access tokens (15 min) with rotating refresh tokens.' } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ versionNumber: 2, name: 'Authentication', description: SEED_CREATE.description });
  });

  it('POST /api/contexts/:id/approve approves or deprecates (the seed request)', async () => {
    const a = await rest(s, 'POST', `/api/contexts/${authId}/approve`, { key, body: { action: 'approve' } });
    expect(a.status).toBe(200);
    expect(a.body.state).toBe('approved');
    const bad = await rest(s, 'POST', `/api/contexts/${authId}/approve`, { key, body: { action: 'archive' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('action');
    const none = await rest(s, 'POST', `/api/contexts/${authId}/approve`, { key, body: {} });
    expect(none.status).toBeGreaterThanOrEqual(400);
    expect(none.body.field).toBe('action');
  });

  it('one store, one id: a context file is a project context and back', async () => {
    const file = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'Style guide', slug: 'style-guide', content: { tone: 'plain' }, is_public: false } });
    const asApi = await rest(s, 'GET', `/api/contexts/${file.body.id}`, { key });
    expect(asApi.body).toMatchObject({ id: file.body.id, name: 'Style guide', isPublic: false, content: { tone: 'plain' }, versionNumber: 1 });
    const asFile = await rest(s, 'GET', `/v1/contexts/${authId}`, { key });
    expect(asFile.body).toMatchObject({ id: authId, schema_key: SEED_CREATE.schemaKey, slug: 'authentication', version: '1.1.0' });
    await rest(s, 'DELETE', `/v1/contexts/${file.body.id}`, { key });
  });

  it('POST /api/contexts/populate: the seed request, a dry run diff, then the write', async () => {
    const dry = await rest(s, 'POST', '/api/contexts/populate', { key, body: { ...SEED_POPULATE, dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, source: 'cli-scan', counts: { created: 3, updated: 0, unchanged: 0 } });
    expect(dry.body.created.map((c: { schemaKey: string; placeholder: boolean; id: string | null }) => [c.schemaKey, c.placeholder, c.id])).toEqual([
      ['root', true, null],
      ['root/scan', true, null],
      ['root/scan/routes', false, null],
    ]);
    expect((await rest(s, 'GET', '/api/contexts', { key })).body).toHaveLength(2); // nothing written

    const real = await rest(s, 'POST', '/api/contexts/populate', { key, body: SEED_POPULATE });
    expect(real.status).toBe(200);
    expect(real.body.counts).toEqual({ created: 3, updated: 0, unchanged: 0 });
    const routes = real.body.created.find((c: { schemaKey: string }) => c.schemaKey === 'root/scan/routes');
    const scan = real.body.created.find((c: { schemaKey: string }) => c.schemaKey === 'root/scan');
    const got = await rest(s, 'GET', `/api/contexts/${routes.id}`, { key });
    expect(got.body).toMatchObject({ parentContextId: scan.id, content: SEED_POPULATE.nodes[0]!.content, state: 'draft' });

    const again = await rest(s, 'POST', '/api/contexts/populate', { key, body: SEED_POPULATE });
    expect(again.body.counts).toEqual({ created: 0, updated: 0, unchanged: 1 });
    const changed = { ...SEED_POPULATE.nodes[0]!, content: '## API Routes\n- GET /api/users', tier: 1 };
    const diff = await rest(s, 'POST', '/api/contexts/populate', { key, body: { nodes: [changed], dryRun: true } });
    expect(diff.body.updated).toEqual([
      { schemaKey: 'root/scan/routes', id: routes.id, changes: [
        { field: 'content', before: SEED_POPULATE.nodes[0]!.content, after: changed.content },
        { field: 'tier', before: 2, after: 1 },
      ] },
    ]);
    expect((await rest(s, 'GET', `/api/contexts/${routes.id}`, { key })).body.tier).toBe(2);
    // Without placeholders, a missing parent is reported and the node becomes a root.
    const report = await rest(s, 'POST', '/api/contexts/populate', { key, body: { nodes: [{ schemaKey: 'docs/adr/1', name: 'ADR 1', parentSchemaKey: 'docs/adr' }], dryRun: true, createMissingParents: false } });
    expect(report.body.missingParents).toEqual([{ schemaKey: 'docs/adr', created: false }]);
    const twice = await rest(s, 'POST', '/api/contexts/populate', { key, body: { nodes: [{ schemaKey: 'a', name: 'A' }, { schemaKey: 'a', name: 'B' }] } });
    expect(twice.status).toBe(422);
    expect(twice.body.field).toBe('nodes[1].schemaKey');
  });

  it('GET /api/contexts/tree?projectId= answers the nested tree', async () => {
    const t = await rest(s, 'GET', `/api/contexts/tree?projectId=${projectId}`, { key });
    expect(t.status).toBe(200);
    const keys = (nodes: Array<{ schemaKey: string; children: unknown[] }>): unknown => nodes.map((n) => [n.schemaKey, keys(n.children as never)]);
    expect(keys(t.body)).toEqual([
      ['root', [['root/scan', [['root/scan/routes', []]]]]],
      ['root/architecture/auth', [['root/architecture/auth/sessions', []]]],
    ]);
  });

  it('POST /api/contexts/:id/compact folds journal entries into one block; the entries stay in history', async () => {
    const j = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'Decisions', content: '# Decisions log', schemaKey: 'root/decisions', contextType: 'memory' } });
    const topics = ['database', 'queue', 'cache', 'auth', 'deploy', 'logging', 'metrics', 'search', 'billing', 'email', 'storage', 'frontend'];
    for (const [i, t] of topics.entries()) {
      const e = await rest(s, 'POST', `/api/contexts/${j.body.id}/entries`, {
        key,
        body: { text: `Decision ${i + 1} (${t}): after comparing the options for the ${t} layer we chose the simplest one that the team already operates, because it keeps on-call load low and migrations reversible. Revisit when traffic grows tenfold.` },
      });
      expect(e.status).toBe(201);
    }
    const c = await rest(s, 'POST', `/api/contexts/${j.body.id}/compact`, { key, body: {} });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id: j.body.id, entriesBefore: 13, entriesAfter: 1 });
    expect(c.body.tokensSaved).toBeGreaterThan(100);
    const after = await rest(s, 'GET', `/api/contexts/${j.body.id}`, { key });
    expect(after.body.entries).toBe(0);
    expect(after.body.versionNumber).toBe(2);
    const kept = await query(s.deps, 'SELECT compacted_in FROM context_entries WHERE context_id = ?', j.body.id);
    expect(kept.map((r) => Number(r.compacted_in))).toEqual(Array(12).fill(2));
    const v1 = await rest(s, 'GET', `/v1/contexts/${j.body.id}/versions/1`, { key });
    expect(v1.body.content).toBe('# Decisions log');
  });

  it('DELETE /api/contexts/:id deletes permanently with 204; children move up', async () => {
    const parent = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'Temp', schemaKey: 'tmp' } });
    const kid = await rest(s, 'POST', '/api/contexts', { key, body: { name: 'Kid', parentContextId: parent.body.id } });
    const d = await rest(s, 'DELETE', `/api/contexts/${parent.body.id}`, { key });
    expect(d.status).toBe(204);
    expect(d.body).toBeNull();
    expect((await rest(s, 'GET', `/api/contexts/${parent.body.id}`, { key })).status).toBe(404);
    expect((await rest(s, 'POST', `/v1/contexts/${parent.body.id}/restore`, { key, body: {} })).status).toBe(404);
    expect((await rest(s, 'GET', `/api/contexts/${kid.body.id}`, { key })).body.parentContextId).toBeNull();
    expect(await query(s.deps, 'SELECT * FROM context_versions WHERE context_id = ?', parent.body.id)).toEqual([]);
    expect((await rest(s, 'DELETE', `/api/contexts/${parent.body.id}`, { key })).status).toBe(404);
  });

  it('OpenAPI describes the seed routes as they answer: camelCase, bare arrays, 204', async () => {
    const doc = (await rest(s, 'GET', '/openapi.json')).body;
    const post = doc.paths['/api/contexts'].post;
    expect(Object.keys(post.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['schemaKey', 'parentContextId', 'contextType']));
    expect(doc.paths['/api/contexts'].get.responses['200'].content['application/json'].schema.type).toBe('array');
    expect(doc.paths['/api/contexts/{id}'].delete.responses['204']).toBeDefined();
    expect(doc.paths['/v1/contexts'].post.responses['201']).toBeDefined();
    expect(doc.paths['/api/contexts/tree'].get).toBeDefined();
  });

  it('the hierarchy tools over MCP', async () => {
    const t = await callTool(client, 'get_context_tree', {});
    expect(t.isError).toBe(false);
    expect(t.text).toContain('- Authentication (root/architecture/auth) [tier 1, approved]');
    const p = await callTool(client, 'populate_contexts', { nodes: [{ schema_key: 'root/mcp', name: 'Project MCP', parent_schema_key: 'root' }], dry_run: true });
    expect(p.structured.counts.created).toBe(1);
    expect(p.text).toContain('+ root/mcp');
  });
});
