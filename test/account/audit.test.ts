// Audit log (issue 18, point 2): changing calls and refused calls, ids only, filters, paging, JSON Lines, retention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/services/audit.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

const MARKER = 'zebra-quartz-ledger-7731';

let server: TestServer;
let holderKey: string;
let viewerKey: string;
let viewerId: string;
beforeAll(async () => {
  server = await startTestServer({ config: { auditRetentionDays: 1 } });
  const p = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'audited' } });
  holderKey = (await server.createKey({ projectId: p.body.id, name: 'holder' })).keyString;
  const v = await rest(server, 'POST', '/v1/members', { key: holderKey, body: { name: 'vic', role: 'viewer' } });
  viewerKey = v.body.key.key;
  viewerId = v.body.member.user_id;
});
afterAll(() => server?.close());

describe('audit log', () => {
  it('records an allowed write with who, what, when, from where — ids, never arguments', async () => {
    const m = await rest(server, 'POST', '/v1/tools/add_memory', { key: holderKey, body: { text: `The ${MARKER} is kept in vault 7.` } });
    expect(m.status).toBe(200);
    const log = await rest(server, 'GET', '/v1/audit-log?tool=add_memory', { key: holderKey });
    expect(log.status).toBe(200);
    const e = log.body.entries[0];
    expect(e).toMatchObject({ tool: 'add_memory', outcome: 'ok', status: 200, transport: 'rest', role: 'owner' });
    expect(e.key_id).toMatch(/^key_/);
    expect(e.client_address).toMatch(/127\.0\.0\.1/);
    expect(Object.values(e.targets)).toContain(m.body.memory_id ?? m.body.id);
    expect(JSON.stringify(log.body)).not.toContain(MARKER);
    expect(JSON.stringify(log.body)).not.toContain(holderKey);
  });

  it('records a refused call (viewer on a write, over MCP) and not plain reads', async () => {
    const client = await connectMcp(server, { key: viewerKey, profile: 'full' });
    try {
      const r = await callTool(client, 'add_memory', { text: `viewer tries ${MARKER}` });
      expect(r.isError).toBe(true);
      await callTool(client, 'list_members', {});
    } finally {
      await client.close();
    }
    const refused = await rest(server, 'GET', `/v1/audit-log?outcome=refused&actor=${viewerId}`, { key: holderKey });
    expect(refused.body.entries).toHaveLength(1);
    expect(refused.body.entries[0]).toMatchObject({ tool: 'add_memory', outcome: 'refused', status: 403, error_code: 'forbidden', transport: 'mcp', actor_user_id: viewerId, role: 'viewer' });
    const reads = await rest(server, 'GET', '/v1/audit-log?tool=list_members', { key: holderKey });
    expect(reads.body.entries).toHaveLength(0);
    expect(JSON.stringify(refused.body)).not.toContain(MARKER);
  });

  it('member changes are logged; viewers cannot read the log', async () => {
    const log = await rest(server, 'GET', '/v1/audit-log?tool=add_member', { key: holderKey });
    expect(log.body.entries[0].targets.user_id).toBe(viewerId);
    const denied = await rest(server, 'GET', '/v1/audit-log', { key: viewerKey });
    expect(denied.status).toBe(403);
    expect(denied.body.required_role).toBe('admin');
  });

  it('pages with before, filters by time, and exports JSON Lines', async () => {
    for (let i = 0; i < 3; i++) await rest(server, 'POST', '/v1/tools/add_memory', { key: holderKey, body: { text: `fact number ${i} about harbours` } });
    const first = await rest(server, 'GET', '/v1/audit-log?limit=2', { key: holderKey });
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.next_before).toBe(first.body.entries[1].id);
    const second = await rest(server, 'GET', `/v1/audit-log?limit=2&before=${first.body.next_before}`, { key: holderKey });
    expect(second.body.entries[0].id).toBeLessThan(first.body.entries[1].id);
    const future = await rest(server, 'GET', '/v1/audit-log?from=2999-01-01', { key: holderKey });
    expect(future.body.entries).toHaveLength(0);
    const bad = await rest(server, 'GET', '/v1/audit-log?from=yesterday', { key: holderKey });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('from');

    const res = await fetch(`${server.baseUrl}/v1/audit-log?format=jsonl&limit=1000`, { headers: { Authorization: `Bearer ${holderKey}` } });
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(lines.every((l) => typeof l.tool === 'string' && typeof l.at === 'string')).toBe(true);
  });

  it('other projects and tenants see none of it', async () => {
    const other = await server.createKey({ newUser: true, name: 'stranger' });
    const log = await rest(server, 'GET', '/v1/audit-log', { key: other.keyString });
    expect(log.body.entries.every((e: { actor_user_id: string }) => e.actor_user_id !== viewerId)).toBe(true);
    expect(JSON.stringify(log.body)).not.toContain('add_member');
  });

  it("a key change made from the account level is in the key's project's log too", async () => {
    const p = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'keys-audited' } });
    const lead = (await server.createKey({ projectId: p.body.id, name: 'lead' })).keyString;
    const made = await rest(server, 'POST', '/v1/keys', { key: server.ownerKey, body: { name: 'ci-bot', project_id: p.body.id } });
    expect(made.status).toBe(201);
    const gone = await rest(server, 'DELETE', `/v1/keys/${made.body.key_id}`, { key: server.ownerKey });
    expect(gone.status).toBe(200);
    // The project's own admins see who created and revoked their key...
    for (const tool of ['create_api_key', 'revoke_api_key']) {
      const log = await rest(server, 'GET', `/v1/audit-log?tool=${tool}`, { key: lead });
      expect(log.body.entries.map((e: { targets: Record<string, string> }) => e.targets.key_id)).toContain(made.body.key_id);
    }
    // ...and the account's log keeps it too; a project it did not touch does not get it.
    const own = await rest(server, 'GET', '/v1/audit-log?tool=revoke_api_key', { key: server.ownerKey });
    expect(own.body.entries.map((e: { targets: Record<string, string> }) => e.targets.key_id)).toContain(made.body.key_id);
    const elsewhere = await rest(server, 'GET', '/v1/audit-log?tool=revoke_api_key', { key: holderKey });
    expect(JSON.stringify(elsewhere.body)).not.toContain(made.body.key_id);
  });

  it('a key re-bound from one project to another is in both projects\' logs (the project it left, read once with the re-bind)', async () => {
    const from = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'bind-from' } });
    const to = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'bind-to' } });
    const fromLead = (await server.createKey({ projectId: from.body.id, name: 'from-lead' })).keyString;
    const toLead = (await server.createKey({ projectId: to.body.id, name: 'to-lead' })).keyString;
    const moved = await server.createKey({ projectId: from.body.id, name: 'moving' });
    const r = await rest(server, 'PATCH', `/v1/keys/${moved.key_id}`, { key: server.ownerKey, body: { project_id: to.body.id } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ key_id: moved.key_id, project_id: to.body.id, status: 'active' });
    for (const lead of [fromLead, toLead]) {
      const log = await rest(server, 'GET', '/v1/audit-log?tool=bind_api_key', { key: lead });
      expect(log.body.entries.map((e: { targets: Record<string, string> }) => e.targets.key_id)).toContain(moved.key_id);
    }
    const elsewhere = await rest(server, 'GET', '/v1/audit-log?tool=bind_api_key', { key: holderKey });
    expect(JSON.stringify(elsewhere.body)).not.toContain(moved.key_id);
  });

  it('deletes rows past the configured retention', async () => {
    const audit = server.deps.service(AuditService);
    expect(await audit.prune(Date.now() + 12 * 3_600_000)).toBe(0);
    expect(await audit.prune(Date.now() + 2 * 86_400_000)).toBeGreaterThan(0);
    const log = await rest(server, 'GET', '/v1/audit-log?tool=add_memory', { key: holderKey });
    expect(log.body.entries).toHaveLength(0);
  });
});
