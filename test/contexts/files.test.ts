// Seed 001 (context files) at its own routes, with the requests the seed prints (its curl examples,
// with a ctxgate key): /v1/contexts and /v1/contexts/:id, status codes, fields, versions, soft delete
// and restore, public reads without a key, copies. Also over MCP with the official SDK client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';
import { query } from '../helpers/database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// The seed's create request, verbatim.
const SEED_CREATE = {
  name: 'My AI Assistant',
  slug: 'my-ai-assistant',
  description: 'Context for my personal AI assistant',
  content: { basics: { name: 'Claude', role: 'Personal Assistant' } },
  is_public: false,
};
// The seed's update request, verbatim.
const SEED_PATCH = { content: { basics: { name: 'Claude', role: 'Expert Coder' } } };

let s: TestServer;
let key: string;
let other: string;
let client: Client;
beforeAll(async () => {
  s = await startTestServer();
  key = s.ownerKey;
  other = (await s.createKey({ newUser: true, name: 'someone-else' })).keyString;
  client = await connectMcp(s, { key, profile: 'full' });
});
afterAll(async () => {
  await client?.close();
  await s?.close();
});

describe('seed 001: /v1/contexts', () => {
  let id: string;

  it('POST /v1/contexts creates the seed context: UUID id, snake_case object, version 1.0.0', async () => {
    const r = await rest(s, 'POST', '/v1/contexts', { key, body: SEED_CREATE });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(UUID);
    expect(r.body).toMatchObject({ ...SEED_CREATE, version: '1.0.0', version_number: 1, view_count: 0, copy_count: 0 });
    expect(Date.parse(r.body.created_at)).not.toBeNaN();
    expect(r.body.updated_at).toBe(r.body.created_at);
    id = r.body.id;
  });

  it('a taken slug is 409; bad fields are 400 naming the field; over 500 KB is 413', async () => {
    const dup = await rest(s, 'POST', '/v1/contexts', { key, body: { ...SEED_CREATE, name: 'Another' } });
    expect(dup.status).toBe(409);
    expect(dup.body.field).toBe('slug');
    const badSlug = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'x', slug: 'Not A Slug' } });
    expect(badSlug.status).toBe(400);
    expect(badSlug.body.field).toBe('slug');
    const longName = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'n'.repeat(101), slug: 'long-name' } });
    expect(longName.status).toBe(400);
    expect(longName.body.field).toBe('name');
    const longDesc = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'd', slug: 'long-desc', description: 'd'.repeat(501) } });
    expect(longDesc.status).toBe(400);
    expect(longDesc.body.field).toBe('description');
    const noName = await rest(s, 'POST', '/v1/contexts', { key, body: { slug: 'no-name' } });
    expect(noName.status).toBe(400);
    expect(noName.body.field).toBe('name');
    const big = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'big', slug: 'big', content: { blob: 'x'.repeat(520 * 1024) } } });
    expect(big.status).toBe(413);
    expect(big.body.field).toBe('content');
    // Nothing half-written: the refused slugs are free.
    const list = await rest(s, 'GET', '/v1/contexts', { key });
    expect(list.body.contexts.map((c: { slug: string }) => c.slug)).toEqual(['my-ai-assistant']);
  });

  it('is_public defaults to true', async () => {
    const r = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'Open notes', slug: 'open-notes', content: { a: 1 } } });
    expect(r.status).toBe(201);
    expect(r.body.is_public).toBe(true);
  });

  it('GET /v1/contexts lists with limit, offset, sort and order; bad values are 400', async () => {
    const all = await rest(s, 'GET', '/v1/contexts', { key });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 2, limit: 50, offset: 0, has_more: false });
    expect(all.body.contexts[0].slug).toBe('open-notes'); // updated_at desc
    expect(all.body.contexts[0].content).toBeUndefined();
    const byName = await rest(s, 'GET', '/v1/contexts?limit=1&offset=1&sort=name&order=asc', { key });
    expect(byName.body.contexts.map((c: { name: string }) => c.name)).toEqual(['Open notes']);
    expect(byName.body.has_more).toBe(false);
    expect((await rest(s, 'GET', '/v1/contexts?limit=0', { key })).body.field).toBe('limit');
    expect((await rest(s, 'GET', '/v1/contexts?limit=101', { key })).status).toBe(400);
    const badSort = await rest(s, 'GET', '/v1/contexts?sort=size', { key });
    expect(badSort.status).toBe(400);
    expect(badSort.body.field).toBe('sort');
  });

  it('GET /v1/contexts/:id reads by id (and by slug)', async () => {
    const r = await rest(s, 'GET', `/v1/contexts/${id}`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, content: SEED_CREATE.content, view_count: 0 });
    expect((await rest(s, 'GET', '/v1/contexts/my-ai-assistant', { key })).body.id).toBe(id);
    expect((await rest(s, 'GET', '/v1/contexts/550e8400-e29b-41d4-a716-446655440000', { key })).status).toBe(404);
  });

  it('PATCH /v1/contexts/:id changes only what is sent; content replaces and advances the version', async () => {
    const r = await rest(s, 'PATCH', `/v1/contexts/${id}`, { key, body: SEED_PATCH });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name: SEED_CREATE.name, description: SEED_CREATE.description, content: SEED_PATCH.content, version: '1.1.0', version_number: 2, is_public: false });
    const rename = await rest(s, 'PATCH', `/v1/contexts/${id}`, { key, body: { name: 'My Assistant' } });
    expect(rename.body).toMatchObject({ name: 'My Assistant', version: '1.1.0', version_number: 2, content: SEED_PATCH.content });
    const same = await rest(s, 'PATCH', `/v1/contexts/${id}`, { key, body: SEED_PATCH });
    expect(same.body.version_number).toBe(2);
    expect((await rest(s, 'PATCH', `/v1/contexts/${id}`, { key, body: { is_public: 'yes' } })).status).toBe(400);
  });

  it('versions are kept and any earlier one can be read', async () => {
    const v = await rest(s, 'GET', `/v1/contexts/${id}/versions`, { key });
    expect(v.status).toBe(200);
    expect(v.body.current_version_number).toBe(2);
    expect(v.body.versions.map((x: { version: string }) => x.version)).toEqual(['1.1.0', '1.0.0']);
    const first = await rest(s, 'GET', `/v1/contexts/${id}/versions/1`, { key });
    expect(first.body).toMatchObject({ version_number: 1, content: SEED_CREATE.content, current: false });
    expect((await rest(s, 'GET', `/v1/contexts/${id}/versions/9`, { key })).status).toBe(404);
  });

  it('a public context is readable without a key by id or slug and counts views; a private one is not', async () => {
    const pub = await rest(s, 'GET', '/v1/contexts/open-notes');
    expect(pub.status).toBe(200);
    expect(pub.body.view_count).toBe(1);
    const again = await rest(s, 'GET', `/v1/contexts/${pub.body.id}`);
    expect(again.body.view_count).toBe(2);
    // The owner's own reads do not count.
    expect((await rest(s, 'GET', `/v1/contexts/${pub.body.id}`, { key })).body.view_count).toBe(2);
    expect((await rest(s, 'GET', `/v1/contexts/${id}`)).status).toBe(404);
    expect((await rest(s, 'GET', '/v1/contexts/my-ai-assistant')).status).toBe(404);
    expect((await rest(s, 'GET', '/v1/contexts')).status).toBe(401);
  });

  it('copy_context copies a public context into another account and counts a copy', async () => {
    const c = await rest(s, 'POST', '/v1/contexts/open-notes/copy', { key: other, body: {} });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ slug: 'open-notes-copy', content: { a: 1 }, is_public: false, state: 'draft', version: '1.0.0' });
    expect(c.body.id).not.toBe(c.body.copied_from);
    expect((await rest(s, 'GET', '/v1/contexts/open-notes', { key })).body.copy_count).toBe(1);
    // A private context cannot be copied by someone else.
    expect((await rest(s, 'POST', `/v1/contexts/${id}/copy`, { key: other, body: {} })).status).toBe(404);
  });

  it('DELETE /v1/contexts/:id is soft: restorable within 30 days, purged after', async () => {
    const d = await rest(s, 'DELETE', `/v1/contexts/${id}`, { key });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ id, deleted: true, permanent: false });
    expect(Date.parse(d.body.restorable_until) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await rest(s, 'GET', `/v1/contexts/${id}`, { key })).status).toBe(404);
    expect((await rest(s, 'DELETE', `/v1/contexts/${id}`, { key })).status).toBe(404);
    const trash = await rest(s, 'GET', '/v1/contexts?deleted=true', { key });
    expect(trash.body.contexts.map((c: { id: string }) => c.id)).toEqual([id]);
    // While deleted, its slug is free; a context that takes it blocks the restore (409).
    const taker = await rest(s, 'POST', '/v1/contexts', { key, body: { name: 'Taker', slug: 'my-ai-assistant' } });
    expect(taker.status).toBe(201);
    expect((await rest(s, 'POST', `/v1/contexts/${id}/restore`, { key, body: {} })).status).toBe(409);
    await rest(s, 'DELETE', `/v1/contexts/${taker.body.id}`, { key, body: undefined });
    const restored = await rest(s, 'POST', `/v1/contexts/${id}/restore`, { key, body: {} });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id, deleted_at: null, version_number: 2 });

    // Past the window: the next call in the scope purges it with its versions.
    await rest(s, 'DELETE', `/v1/contexts/${id}`, { key });
    await query(s.deps, 'UPDATE contexts SET deleted_at = ? WHERE id = ?', new Date(Date.now() - 31 * 86_400_000).toISOString(), id);
    expect((await rest(s, 'GET', '/v1/contexts?deleted=true', { key })).body.contexts.map((c: { id: string }) => c.id)).not.toContain(id);
    expect((await rest(s, 'POST', `/v1/contexts/${id}/restore`, { key, body: {} })).status).toBe(404);
    expect(await query(s.deps, 'SELECT * FROM context_versions WHERE context_id = ?', id)).toEqual([]);
  });

  it('the same tools over MCP: create, read, list, delete', async () => {
    const c = await callTool(client, 'create_context', { name: 'Via MCP', slug: 'via-mcp', content: { rules: ['be brief'] }, is_public: false });
    expect(c.isError).toBe(false);
    expect(c.structured).toMatchObject({ slug: 'via-mcp', version: '1.0.0' });
    expect(c.text).toContain('Via MCP (via-mcp) v1.0.0');
    const viaRest = await rest(s, 'GET', `/v1/contexts/${c.structured.id}`, { key });
    expect(viaRest.body.content).toEqual({ rules: ['be brief'] });
    const l = await callTool(client, 'list_contexts', { sort: 'name', order: 'asc' });
    expect(l.structured.contexts.map((x: { slug: string }) => x.slug)).toContain('via-mcp');
    // Over MCP (and /api/contexts) a context is private unless made public.
    const quiet = await callTool(client, 'create_context', { name: 'Quiet' });
    expect(quiet.structured).toMatchObject({ is_public: false, slug: 'quiet' });
    expect((await rest(s, 'GET', '/v1/contexts/quiet')).status).toBe(404);
    const bad = await callTool(client, 'create_context', { name: 'dup', slug: 'via-mcp' });
    expect(bad.isError).toBe(true);
    expect(bad.structured).toMatchObject({ status: 409, field: 'slug' });
    expect((await callTool(client, 'delete_context', { id: 'via-mcp' })).structured.deleted).toBe(true);
  });
});
