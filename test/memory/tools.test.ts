// The memory toolset through the real server: the official MCP SDK client over Streamable HTTP and
// the REST mirror, with real keys. Shapes of the knowledge-graph tools follow the reference MCP
// memory server exactly (structured content and the text an agent reads).
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, type TestServer, useServerAndClient } from '../helpers/server.js';

const MEMORY_TOOLS = ['add_memory', 'search_memory', 'list_memories', 'get_memory', 'update_memory', 'delete_memory', 'forget_memories'];
const GRAPH_TOOLS = ['create_entities', 'create_relations', 'add_observations', 'delete_entities', 'delete_observations', 'delete_relations', 'read_graph', 'search_nodes', 'open_nodes'];

let server: TestServer;
let client: Client;

useServerAndClient((s, c) => {
  server = s;
  client = c;
});

describe('memory tools over MCP', () => {
  it('lists every memory and graph tool in the full profile with input schemas', async () => {
    const fullClient = await connectMcp(server, { key: server.ownerKey, profile: 'full' });
    const { tools } = await fullClient.listTools();
    await fullClient.close();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of [...MEMORY_TOOLS, ...GRAPH_TOOLS]) {
      const t = byName.get(name);
      expect(t, name).toBeDefined();
      expect(t!.inputSchema.type, name).toBe('object');
    }
    // The reference server's argument names are kept verbatim.
    expect(Object.keys((byName.get('create_entities')!.inputSchema.properties as object) ?? {})).toEqual(['entities']);
    expect(Object.keys((byName.get('delete_entities')!.inputSchema.properties as object) ?? {})).toEqual(['entityNames']);
    expect(Object.keys((byName.get('add_observations')!.inputSchema.properties as object) ?? {})).toEqual(['observations']);
    expect(Object.keys((byName.get('delete_observations')!.inputSchema.properties as object) ?? {})).toEqual(['deletions']);
    expect(Object.keys((byName.get('open_nodes')!.inputSchema.properties as object) ?? {})).toEqual(['names']);
  });

  it('adds, merges, searches, lists, updates and deletes memories', async () => {
    const added = await callTool(client, 'add_memory', { text: 'The API server listens on port 8787.', tags: ['ops'], source: 'README.md' });
    expect(added.isError).toBe(false);
    const id = added.structured.id as string;
    expect(added.structured).toMatchObject({ merged: false, memory: { id, tags: ['ops'], source: 'README.md' } });

    const dup = await callTool(client, 'add_memory', { text: 'The API server listens on port 8787', tags: ['server'] });
    expect(dup.structured).toMatchObject({ id, merged: true, memory: { tags: ['ops', 'server'], merge_count: 1 } });

    await callTool(client, 'add_memory', { text: 'Alice maintains the billing service.' });
    const found = await callTool(client, 'search_memory', { query: 'what port does the api listen on', top_k: 2 });
    expect(found.isError).toBe(false);
    expect(found.structured.results[0].id).toBe(id);
    expect(found.structured.mode).toBe('hybrid');

    const page = await callTool(client, 'list_memories', { limit: 1 });
    expect(page.structured).toMatchObject({ total: 2, limit: 1, offset: 0, next_offset: 1 });

    const upd = await callTool(client, 'update_memory', { id, text: 'The API server listens on port 9000.' });
    expect(upd.structured).toMatchObject({ id, text: 'The API server listens on port 9000.' });
    expect((await callTool(client, 'get_memory', { id })).structured.text).toBe('The API server listens on port 9000.');

    const del = await callTool(client, 'delete_memory', { id });
    expect(del.structured).toEqual({ id, deleted: true });
    const gone = await callTool(client, 'get_memory', { id });
    expect(gone.isError).toBe(true);
    expect(gone.structured.error_code).toBe('not_found');
  });

  it('forget_memories dry run lists without deleting', async () => {
    const a = await callTool(client, 'add_memory', { text: 'Scratch note: try the new cache layout.', tags: ['scratch'] });
    const dry = await callTool(client, 'forget_memories', { tags: ['scratch'], dry_run: true });
    expect(dry.structured).toMatchObject({ dry_run: true, matched: 1, deleted: 0 });
    expect(dry.structured.memories[0].id).toBe(a.structured.id);
    expect((await callTool(client, 'get_memory', { id: a.structured.id })).isError).toBe(false);
    const real = await callTool(client, 'forget_memories', { tags: ['scratch'] });
    expect(real.structured).toMatchObject({ dry_run: false, matched: 1, deleted: 1 });
    expect((await callTool(client, 'get_memory', { id: a.structured.id })).isError).toBe(true);
  });

  it('rejects bad input with a typed error naming the field', async () => {
    const empty = await callTool(client, 'add_memory', { text: '   ' });
    expect(empty.isError).toBe(true);
    expect(empty.structured.field).toBe('text');
    const badTime = await callTool(client, 'search_memory', { query: 'x', since: 'last tuesday' });
    expect(badTime.isError).toBe(true);
    expect(badTime.structured.field).toBe('since');
    const badMode = await callTool(client, 'search_memory', { query: 'x', mode: 'fuzzy' });
    expect(badMode.structured).toMatchObject({ error_code: 'invalid_value', field: 'mode' });
    const noCriteria = await callTool(client, 'forget_memories', {});
    expect(noCriteria.isError).toBe(true);
    expect(noCriteria.structured.field).toBe('query');
    const tooMany = await callTool(client, 'search_memory', { query: 'x', top_k: 500 });
    expect(tooMany.structured.field).toBe('top_k');
  });

  it('knowledge graph: reference shapes, doubles ignored, delete cascades to relations', async () => {
    const created = await callTool(client, 'create_entities', {
      entities: [
        { name: 'Alice', entityType: 'person', observations: ['maintains billing'] },
        { name: 'billing', entityType: 'service', observations: [] },
      ],
    });
    expect(created.structured).toEqual({
      entities: [
        { name: 'Alice', entityType: 'person', observations: ['maintains billing'] },
        { name: 'billing', entityType: 'service', observations: [] },
      ],
    });
    // The text an agent reads is the reference server's: the created entities as pretty JSON.
    expect(JSON.parse(created.text)).toEqual(created.structured.entities);
    expect((await callTool(client, 'create_entities', { entities: [{ name: 'Alice', entityType: 'person', observations: [] }] })).structured).toEqual({ entities: [] });

    const rel = { from: 'Alice', to: 'billing', relationType: 'maintains' };
    expect((await callTool(client, 'create_relations', { relations: [rel, rel] })).structured).toEqual({ relations: [rel] });
    const obs = await callTool(client, 'add_observations', { observations: [{ entityName: 'Alice', contents: ['maintains billing', 'on call in March'] }] });
    expect(obs.structured).toEqual({ results: [{ entityName: 'Alice', addedObservations: ['on call in March'] }] });
    const missing = await callTool(client, 'add_observations', { observations: [{ entityName: 'Nobody', contents: ['x'] }] });
    expect(missing.isError).toBe(true);
    expect(missing.structured.detail).toBe('Entity with name Nobody not found');

    expect((await callTool(client, 'search_nodes', { query: 'MARCH' })).structured).toEqual({
      entities: [{ name: 'Alice', entityType: 'person', observations: ['maintains billing', 'on call in March'] }],
      relations: [rel],
    });
    expect((await callTool(client, 'open_nodes', { names: ['billing'] })).structured.relations).toEqual([rel]);

    const del = await callTool(client, 'delete_entities', { entityNames: ['Alice'] });
    expect(del.structured).toEqual({ success: true, message: 'Entities deleted successfully' });
    expect(del.text).toBe('Entities deleted successfully');
    expect((await callTool(client, 'read_graph', {})).structured).toEqual({
      entities: [{ name: 'billing', entityType: 'service', observations: [] }],
      relations: [],
    });
    const delRel = await callTool(client, 'delete_relations', { relations: [rel] });
    expect(delRel.structured).toEqual({ success: true, message: 'Relations deleted successfully' });
    const delObs = await callTool(client, 'delete_observations', { deletions: [{ entityName: 'billing', observations: ['x'] }] });
    expect(delObs.structured).toEqual({ success: true, message: 'Observations deleted successfully' });
  });

  it('is closed to the free plan and isolated between tenants', async () => {
    const free = await server.createKey({ plan: 'free', name: 'free' });
    const freeClient = await connectMcp(server, { key: free.keyString });
    try {
      const names = (await freeClient.listTools()).tools.map((t) => t.name);
      expect(names).not.toContain('add_memory');
      expect(names).not.toContain('read_graph');
    } finally {
      await freeClient.close();
    }
    const refused = await rest(server, 'POST', '/v1/tools/add_memory', { key: free.keyString, body: { text: 'hello' } });
    expect(refused.status).toBe(403);

    const mine = await callTool(client, 'add_memory', { text: 'Owner-only fact: the vault is in the basement.' });
    await callTool(client, 'create_entities', { entities: [{ name: 'Vault', entityType: 'place', observations: ['basement'] }] });
    const stranger = await server.createKey({ newUser: true, name: 'stranger' });
    const s = await connectMcp(server, { key: stranger.keyString });
    try {
      expect((await callTool(s, 'get_memory', { id: mine.structured.id })).structured.error_code).toBe('not_found');
      expect((await callTool(s, 'search_memory', { query: 'vault basement' })).structured.results).toEqual([]);
      expect((await callTool(s, 'search_nodes', { query: 'vault' })).structured).toEqual({ entities: [], relations: [] });
    } finally {
      await s.close();
    }
  });
});

describe('memory REST aliases', () => {
  it('mirrors the tools under /v1/memories', async () => {
    const key = server.ownerKey;
    const created = await rest(server, 'POST', '/v1/memories', { key, body: { text: 'Releases are cut from the main branch.', tags: ['release', 'git'] } });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    const listed = await rest(server, 'GET', '/v1/memories?limit=5&tags=release', { key });
    expect(listed.status).toBe(200);
    expect(listed.body.memories.map((m: { id: string }) => m.id)).toEqual([id]);
    expect((await rest(server, 'GET', `/v1/memories/${id}`, { key })).body.text).toBe('Releases are cut from the main branch.');
    const patched = await rest(server, 'PATCH', `/v1/memories/${id}`, { key, body: { tags: ['release'] } });
    expect(patched.body.tags).toEqual(['release']);
    const searched = await rest(server, 'POST', '/v1/memories/search', { key, body: { query: 'which branch are releases cut from', top_k: 1 } });
    expect(searched.body.results[0].id).toBe(id);
    const forgot = await rest(server, 'POST', '/v1/memories/forget', { key, body: { ids: [id], dry_run: true } });
    expect(forgot.body).toMatchObject({ matched: 1, deleted: 0 });
    expect((await rest(server, 'DELETE', `/v1/memories/${id}`, { key })).body).toEqual({ id, deleted: true });
    const missing = await rest(server, 'GET', `/v1/memories/${id}`, { key });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('not_found');
    const bad = await rest(server, 'POST', '/v1/memories', { key, body: { text: 'x'.repeat(20_001) } });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe('text');
  });
});
