// Spaces and collections over REST (/v1/spaces, /v1/spaces/:space_id/collections) and MCP, on the
// real server and store: CRUD, the nested tree, delete refusing a non-empty collection unless cascade,
// and tenancy (another tenant sees nothing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: Client;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = server.ownerKey;
  client = await connectMcp(server, { key, profile: 'full' });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('spaces', () => {
  it('create, list, get, update, delete over REST', async () => {
    const c = await rest(server, 'POST', '/v1/spaces', { key, body: { name: 'Billing', description: 'rewrite chats' } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'Billing', description: 'rewrite chats' });
    expect(c.body.id).toMatch(/^spc_/);
    const id = c.body.id;
    const list = await rest(server, 'GET', '/v1/spaces', { key });
    expect(list.status).toBe(200);
    expect(list.body.spaces.map((s: { id: string }) => s.id)).toContain(id);
    expect((await rest(server, 'GET', `/v1/spaces/${id}`, { key })).body.name).toBe('Billing');
    const up = await rest(server, 'PATCH', `/v1/spaces/${id}`, { key, body: { name: 'Billing v2', description: null } });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ name: 'Billing v2', description: null });
    expect((await rest(server, 'DELETE', `/v1/spaces/${id}`, { key })).body).toEqual({ deleted: true, id });
    const gone = await rest(server, 'GET', `/v1/spaces/${id}`, { key });
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toMatch(/no space/);
  });

  it('bad input is refused naming the field', async () => {
    const r = await rest(server, 'POST', '/v1/spaces', { key, body: {} });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toMatch(/name/);
    const blank = await rest(server, 'POST', '/v1/spaces', { key, body: { name: '   ' } });
    expect(blank.status).toBe(422);
    expect(blank.body.field).toBe('name');
  });

  it('over MCP, and another tenant sees none of it', async () => {
    const c = await callTool(client, 'create_space', { name: 'Via MCP' });
    expect(c.isError).toBe(false);
    const id = (c.structured as { id: string }).id;
    const l = await callTool(client, 'list_spaces', {});
    expect((l.structured as { spaces: Array<{ id: string }> }).spaces.some((s) => s.id === id)).toBe(true);
    const other = (await server.createKey({ newUser: true })).keyString;
    expect((await rest(server, 'GET', `/v1/spaces/${id}`, { key: other })).status).toBe(404);
    expect((await rest(server, 'GET', '/v1/spaces', { key: other })).body.spaces).toEqual([]);
    expect((await rest(server, 'DELETE', `/v1/spaces/${id}`, { key: other })).status).toBe(404);
  });
});

describe('collections', () => {
  it('nest, list as a tree, and refuse deleting a non-empty one unless cascade', async () => {
    const space = (await rest(server, 'POST', '/v1/spaces', { key, body: { name: 'Tree' } })).body.id;
    const base = `/v1/spaces/${space}/collections`;
    const a = await rest(server, 'POST', base, { key, body: { name: 'Design' } });
    expect(a.status).toBe(201);
    const b = await rest(server, 'POST', base, { key, body: { name: 'API', parent_id: a.body.id } });
    expect(b.body.parent_id).toBe(a.body.id);
    const c = await rest(server, 'POST', base, { key, body: { name: 'Auth', parent_id: b.body.id } });
    await rest(server, 'POST', base, { key, body: { name: 'Ops' } });
    const tree = await rest(server, 'GET', base, { key });
    expect(tree.status).toBe(200);
    expect(tree.body.total).toBe(4);
    expect(tree.body.collections.map((n: { name: string }) => n.name)).toEqual(['Design', 'Ops']);
    expect(tree.body.collections[0].children[0].name).toBe('API');
    expect(tree.body.collections[0].children[0].children[0]).toMatchObject({ id: c.body.id, name: 'Auth', children: [] });

    const badParent = await rest(server, 'POST', base, { key, body: { name: 'x', parent_id: 'col_nope' } });
    expect(badParent.status).toBe(404);
    expect(badParent.body.field).toBe('parent_id');

    // A source in the deepest folder makes the top one non-empty.
    const src = await rest(server, 'POST', '/v1/sources', { key, body: { space_id: space, collection_id: c.body.id, text: '# Notes\n\nUse JWT.' } });
    expect(src.status).toBe(201);
    const refused = await rest(server, 'DELETE', `${base}/${a.body.id}`, { key });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ field: 'cascade', rule: 'not_empty', collections: 2, sources: 1 });
    expect((await rest(server, 'GET', base, { key })).body.total).toBe(4);

    const ok = await rest(server, 'DELETE', `${base}/${a.body.id}?cascade=true`, { key });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ deleted: true, collections_deleted: 3, sources_deleted: 1 });
    expect((await rest(server, 'GET', base, { key })).body.collections.map((n: { name: string }) => n.name)).toEqual(['Ops']);
    expect((await rest(server, 'GET', `/v1/sources/${src.body.sources[0].id}`, { key })).status).toBe(404);
    // An empty one goes without cascade.
    const ops = (await rest(server, 'GET', base, { key })).body.collections[0].id;
    expect((await callTool(client, 'delete_collection', { space_id: space, id: ops })).isError).toBe(false);
  });

  it('a collection of another space is not found', async () => {
    const s1 = (await rest(server, 'POST', '/v1/spaces', { key, body: { name: 'one' } })).body.id;
    const s2 = (await rest(server, 'POST', '/v1/spaces', { key, body: { name: 'two' } })).body.id;
    const col = (await rest(server, 'POST', `/v1/spaces/${s1}/collections`, { key, body: { name: 'f' } })).body.id;
    const wrongSpace = await rest(server, 'DELETE', `/v1/spaces/${s2}/collections/${col}`, { key });
    expect(wrongSpace.status).toBe(404);
    expect(wrongSpace.body.field).toBe('id'); // the argument's name, not collection_id
    const noSpace = await callTool(client, 'delete_collection', { space_id: 'spc_missing', id: col });
    expect(noSpace.structured).toMatchObject({ status: 404, field: 'space_id' });
    expect((await rest(server, 'GET', '/v1/spaces/spc_missing/collections', { key })).status).toBe(404);
  });
});
