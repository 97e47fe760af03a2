// Finding 4 (issue 11): a key bound to a project acts only inside its project. Before the fix it
// could mint keys for the default project, revoke the owner's key and delete other projects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

const call = (s: TestServer, key: string, tool: string, body: Record<string, unknown> = {}) => rest(s, 'POST', `/v1/tools/${tool}`, { key, body });

describe('project-bound keys', () => {
  let s: TestServer;
  let projectA: string;
  let projectB: string;
  let bound: string;
  let boundKeyId: string;
  beforeAll(async () => {
    s = await startTestServer();
    projectA = (await call(s, s.ownerKey, 'create_project', { name: 'a' })).body.id;
    projectB = (await call(s, s.ownerKey, 'create_project', { name: 'b' })).body.id;
    const k = (await s.createKey({ projectId: projectA, name: 'ci-a' }));
    bound = k.keyString;
    boundKeyId = k.key_id;
  });
  afterAll(async () => s.close());

  it('cannot mint a key for another project or the default project; its own keys stay in its project', async () => {
    const other = await call(s, bound, 'create_api_key', { name: 'x', project_id: projectB });
    expect(other.status).toBe(403);
    expect(other.body.reason).toBe('project_bound_key');
    const def = await call(s, bound, 'list_projects');
    expect(def.body.projects.map((p: { id: string }) => p.id)).toEqual([projectA]);
    const minted = await call(s, bound, 'create_api_key', { name: 'same-project' });
    expect(minted.status).toBe(201);
    expect(minted.body.project_id).toBe(projectA);
  });

  it("cannot revoke or rotate a key outside its project (the owner's main key)", async () => {
    const revoke = await call(s, bound, 'revoke_api_key', { key_id: s.owner.key_id });
    expect(revoke.status).toBe(403);
    const rotate = await call(s, bound, 'rotate_api_key', { key_id: s.owner.key_id });
    expect(rotate.status).toBe(403);
    const rebind = await call(s, bound, 'rotate_api_key', { key_id: boundKeyId, project_id: projectB });
    expect(rebind.status).toBe(403);
    // The owner's key still works.
    expect((await call(s, s.ownerKey, 'list_projects')).status).toBe(200);
    const listed = await call(s, bound, 'list_api_keys');
    expect(listed.body.keys.every((k: { project_id: string }) => k.project_id === projectA)).toBe(true);
  });

  it('cannot delete, update or read other projects, nor create projects (over MCP too)', async () => {
    const client = await connectMcp(s, { key: bound });
    try {
      const del = await callTool(client, 'delete_project', { project_id: projectB });
      expect(del.isError).toBe(true);
      expect(del.structured.status).toBe(403);
      const upd = await callTool(client, 'update_project', { project_id: projectB, name: 'pwned' });
      expect(upd.isError).toBe(true);
      const get = await callTool(client, 'project_stats', { project_id: projectB });
      expect(get.isError).toBe(true);
      const create = await callTool(client, 'create_project', { name: 'side-door' });
      expect(create.isError).toBe(true);
      const own = await callTool(client, 'update_project', { project_id: projectA, description: 'renamed by its own key' });
      expect(own.isError).toBe(false);
    } finally {
      await client.close();
    }
    expect((await call(s, s.ownerKey, 'get_project', { project_id: projectB })).body.name).toBe('b');
  });

  it('an unbound key keeps account-level powers', async () => {
    const k = await call(s, s.ownerKey, 'create_api_key', { name: 'for-b', project_id: projectB });
    expect(k.status).toBe(201);
    expect((await call(s, s.ownerKey, 'revoke_api_key', { key_id: k.body.key_id })).status).toBe(200);
  });
});
