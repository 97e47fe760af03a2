// Members and roles (issue 18, point 1): keys carry their member's role; every call is checked in
// SessionView; the last owner stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let projectKey: string;
let projectId: string;
beforeAll(async () => {
  server = await startTestServer();
  const p = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'team-project' } });
  projectId = p.body.id;
  projectKey = (await server.createKey({ projectId, name: 'holder-in-project' })).keyString;
});
afterAll(() => server?.close());

async function addMember(name: string, role: string, key = projectKey) {
  const r = await rest(server, 'POST', '/v1/members', { key, body: { name, role } });
  return r;
}

describe('members and roles', () => {
  it('the account holder is the owner of a project without members', async () => {
    const r = await rest(server, 'GET', '/v1/members', { key: projectKey });
    expect(r.status).toBe(200);
    expect(r.body.members).toHaveLength(1);
    expect(r.body.members[0]).toMatchObject({ role: 'owner', account_holder: true });
  });

  it('a viewer reads but is refused a write with 403 naming the role needed (REST and MCP)', async () => {
    const added = await addMember('vera', 'viewer');
    expect(added.status).toBe(201);
    expect(added.body.member).toMatchObject({ name: 'vera', role: 'viewer', account_holder: false });
    const viewerKey = added.body.key.key as string;
    expect(added.body.key.project_id).toBe(projectId);

    const read = await rest(server, 'GET', '/v1/members', { key: viewerKey });
    expect(read.status).toBe(200);
    const write = await rest(server, 'POST', '/v1/tools/add_memory', { key: viewerKey, body: { text: 'deploy on fridays' } });
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ error_code: 'forbidden', role: 'viewer', required_role: 'operator', tool: 'add_memory' });
    expect(write.body.detail).toMatch(/requires the operator role/);

    // Reading keys is not key management: a viewer lists its own keys only (as an operator does).
    const keys = await rest(server, 'GET', '/v1/keys', { key: viewerKey });
    expect(keys.status).toBe(200);
    expect(keys.body.keys.map((k: { member_user_id: string }) => k.member_user_id)).toEqual([added.body.member.user_id]);

    const client = await connectMcp(server, { key: viewerKey, profile: 'full' });
    try {
      const viaMcp = await callTool(client, 'ingest_context', { file_id: 'x', content: 'hello' });
      expect(viaMcp.isError).toBe(true);
      expect(viaMcp.structured).toMatchObject({ status: 403, required_role: 'operator', role: 'viewer' });
      const readMcp = await callTool(client, 'list_members', {});
      expect(readMcp.isError).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('an operator writes and manages its own keys, but is refused member management and others\' keys', async () => {
    const added = await addMember('otto', 'operator');
    const opKey = added.body.key.key as string;
    const write = await rest(server, 'POST', '/v1/tools/add_memory', { key: opKey, body: { text: 'the operator can write' } });
    expect(write.status).toBe(200);
    const manage = await addMember('mallory', 'viewer', opKey);
    expect(manage.status).toBe(403);
    expect(manage.body).toMatchObject({ required_role: 'admin', role: 'operator' });
    const promote = await rest(server, 'PUT', `/v1/members/${added.body.member.user_id}`, { key: opKey, body: { role: 'owner' } });
    expect(promote.status).toBe(403);

    // Its own keys: a second key carries the same member (and role); the holder's keys are not its to see or revoke.
    const second = await rest(server, 'POST', '/v1/keys', { key: opKey, body: { name: 'otto-ci' } });
    expect(second.status).toBe(201);
    const mine = await rest(server, 'GET', '/v1/keys', { key: opKey });
    expect(mine.body.keys.every((k: { member_user_id: string }) => k.member_user_id === added.body.member.user_id)).toBe(true);
    expect(mine.body.keys).toHaveLength(2);
    const secondWrite = await rest(server, 'POST', '/v1/tools/add_memory', { key: second.body.key, body: { text: 'second key, same role' } });
    expect(secondWrite.status).toBe(200);
    const holderKeyId = (await rest(server, 'GET', '/v1/keys', { key: projectKey })).body.keys.find((k: { member_user_id: string | null; project_id: string }) => k.member_user_id === null && k.project_id === projectId).key_id;
    const revokeOther = await rest(server, 'DELETE', `/v1/keys/${holderKeyId}`, { key: opKey });
    expect(revokeOther.status).toBe(403);
    expect(revokeOther.body.required_role).toBe('admin');
  });

  it('role changes apply on the next call; removing a member revokes its keys', async () => {
    const added = await addMember('remy', 'viewer');
    const key = added.body.key.key as string;
    const userId = added.body.member.user_id as string;
    expect((await rest(server, 'POST', '/v1/tools/add_memory', { key, body: { text: 'not yet' } })).status).toBe(403);
    const up = await rest(server, 'PUT', `/v1/members/${userId}`, { key: projectKey, body: { role: 'operator' } });
    expect(up.status).toBe(200);
    expect(up.body.role).toBe('operator');
    expect((await rest(server, 'POST', '/v1/tools/add_memory', { key, body: { text: 'now allowed' } })).status).toBe(200);
    const removed = await rest(server, 'DELETE', `/v1/members/${userId}`, { key: projectKey });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ removed: true, keys_revoked: 1 });
    const after = await rest(server, 'GET', '/v1/members', { key });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/member who was removed/);
  });

  it('the last owner cannot be removed or demoted; an admin cannot touch owners', async () => {
    const members = (await rest(server, 'GET', '/v1/members', { key: projectKey })).body.members as Array<{ user_id: string; role: string; account_holder: boolean }>;
    const holder = members.find((m) => m.account_holder)!;
    const demote = await rest(server, 'PUT', `/v1/members/${holder.user_id}`, { key: projectKey, body: { role: 'admin' } });
    expect(demote.status).toBe(409);
    expect(demote.body.reason).toBe('last_owner');
    const admin = await addMember('ada', 'admin');
    const adminKey = admin.body.key.key as string;
    const byAdmin = await rest(server, 'PUT', `/v1/members/${holder.user_id}`, { key: adminKey, body: { role: 'viewer' } });
    expect(byAdmin.status).toBe(403);
    const addOwner = await addMember('olga', 'owner', adminKey);
    expect(addOwner.status).toBe(403);
    // An admin manages non-owners.
    const viewer = await addMember('val', 'viewer', adminKey);
    expect(viewer.status).toBe(201);
    // Nor an owner's keys: rotating the holder's key would hand the admin an owner key (escalation),
    // and revoking it would lock out the one it cannot demote. Another member's key it may revoke,
    // not rotate (the new key string would let it act as them).
    const keys = (await rest(server, 'GET', '/v1/keys', { key: adminKey })).body.keys as Array<{ key_id: string; member_user_id: string | null; status: string }>;
    const holderKey = keys.find((k) => k.member_user_id === null && k.status === 'active')!;
    for (const [method, url] of [['POST', '/v1/tools/rotate_api_key'], ['DELETE', `/v1/keys/${holderKey.key_id}`]] as const) {
      const r = await rest(server, method, url, { key: adminKey, body: method === 'POST' ? { key_id: holderKey.key_id } : undefined });
      expect(r.status, url).toBe(403);
      expect(r.body, url).toMatchObject({ field: 'key_id', role: 'admin', required_role: 'owner' });
    }
    expect((await rest(server, 'GET', '/v1/members', { key: projectKey })).status).toBe(200);
    const rotateViewer = await rest(server, 'POST', '/v1/tools/rotate_api_key', { key: adminKey, body: { key_id: viewer.body.key.key_id } });
    expect(rotateViewer.status).toBe(403);
    expect(rotateViewer.body.detail).toMatch(/hands over their credential/);
    expect((await rest(server, 'DELETE', `/v1/keys/${viewer.body.key.key_id}`, { key: adminKey })).status).toBe(200);
    // The admin's own key it rotates.
    const own = await rest(server, 'POST', '/v1/tools/rotate_api_key', { key: adminKey, body: { key_id: admin.body.key.key_id } });
    expect(own.status).toBe(200);
    // With a second owner, the first may be demoted.
    const second = await addMember('oscar', 'owner');
    expect(second.status).toBe(201);
    const demoted = await rest(server, 'PUT', `/v1/members/${holder.user_id}`, { key: projectKey, body: { role: 'admin' } });
    expect(demoted.status).toBe(200);
    // The holder's key now carries admin: project deletion (owner) is refused; the new owner's key may promote back.
    const back = await rest(server, 'PUT', `/v1/members/${holder.user_id}`, { key: second.body.key.key, body: { role: 'owner' } });
    expect(back.status).toBe(200);
    const removeHolder = await rest(server, 'DELETE', `/v1/members/${holder.user_id}`, { key: second.body.key.key });
    expect(removeHolder.status).toBe(409);
    expect(removeHolder.body.reason).toBe('account_holder');
  });

  it('bad input names the field; members of another tenant are unknown', async () => {
    const both = await rest(server, 'POST', '/v1/members', { key: projectKey, body: { role: 'viewer' } });
    expect(both.status, JSON.stringify(both.body)).toBe(422);
    const role = await rest(server, 'POST', '/v1/members', { key: projectKey, body: { name: 'x', role: 'superuser' } });
    expect(role.status).toBe(400);
    expect(role.body.field).toBe('role');
    const other = await server.createKey({ newUser: true, name: 'other-tenant' });
    const ghost = await rest(server, 'DELETE', `/v1/members/usr_nope`, { key: other.keyString });
    expect(ghost.status).toBe(404);
  });
});
