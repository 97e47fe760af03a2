// Projects, keys and usage through REST and MCP: binding, isolation, plan ceilings, rotation, deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';
import { queryOne } from '../helpers/database.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

describe('account toolset', () => {
  it('creates, lists, renames and refuses duplicate projects', async () => {
    const c = await rest(srv, 'POST', '/v1/projects', { key: srv.ownerKey, body: { name: 'my-repo', description: 'docs' } });
    expect(c.status).toBe(201);
    expect(c.body.id).toMatch(/^prj_/);
    expect(c.body.stats.compressions).toBe(0);
    const dup = await rest(srv, 'POST', '/v1/projects', { key: srv.ownerKey, body: { name: 'my-repo' } });
    expect(dup.status).toBe(409);
    const list = await rest(srv, 'GET', '/v1/projects', { key: srv.ownerKey });
    expect(list.body.projects[0].is_default).toBe(true);
    expect(list.body.projects.map((p: { name: string }) => p.name)).toContain('my-repo');
    const up = await rest(srv, 'PUT', `/v1/projects/${c.body.id}`, { key: srv.ownerKey, body: { name: 'my-repo-2' } });
    expect(up.status).toBe(200);
    expect(up.body.name).toBe('my-repo-2');
    expect(up.body.description).toBe('docs');
    const missing = await rest(srv, 'GET', '/v1/projects/prj_nope', { key: srv.ownerKey });
    expect(missing.status).toBe(404);
  });

  it('a key bound to a project attributes its usage there, and project_stats shows it', async () => {
    const p = (await rest(srv, 'POST', '/v1/projects', { key: srv.ownerKey, body: { name: 'attributed' } })).body;
    const k = await rest(srv, 'POST', '/v1/keys', { key: srv.ownerKey, body: { name: 'bound', project_id: p.id } });
    expect(k.status).toBe(201);
    expect(k.body.key).toMatch(/^gc_/);
    const env = await rest(srv, 'POST', '/v1/tools/check_environment', { key: k.body.key, body: {} });
    expect(env.body.project_id).toBe(p.id);
    const stats = await rest(srv, 'POST', '/v1/tools/project_stats', { key: k.body.key, body: {} });
    expect(stats.body.project_name).toBe('attributed');
    expect(stats.body.is_default).toBe(false);
  });

  it('another tenant cannot see, change or bind to my projects and keys', async () => {
    const mine = (await rest(srv, 'POST', '/v1/projects', { key: srv.ownerKey, body: { name: 'private' } })).body;
    const other = await srv.createKey({ newUser: true, name: 'other-tenant' });
    const list = await rest(srv, 'GET', '/v1/projects', { key: other.key });
    expect(list.body.projects.map((p: { id: string }) => p.id)).not.toContain(mine.id);
    const peek = await rest(srv, 'GET', `/v1/projects/${mine.id}`, { key: other.key });
    expect(peek.status).toBe(404);
    expect(peek.body).toMatchObject({ error_code: 'not_found', field: 'project_id' });
    expect((await rest(srv, 'PUT', `/v1/projects/${mine.id}`, { key: other.key, body: { name: 'x' } })).status).toBe(404);
    expect((await rest(srv, 'DELETE', `/v1/projects/${mine.id}`, { key: other.key })).status).toBe(404);
    expect((await rest(srv, 'POST', '/v1/keys', { key: other.key, body: { name: 'sneaky', project_id: mine.id } })).status).toBe(404);
    const keys = await rest(srv, 'GET', '/v1/keys', { key: other.key });
    expect(keys.body.keys.map((k: { key_id: string }) => k.key_id)).not.toContain(srv.owner.key_id);
    expect((await rest(srv, 'DELETE', `/v1/keys/${srv.owner.key_id}`, { key: other.key })).status).toBe(404);
  });

  it('a key cannot mint a key on a higher plan', async () => {
    const pro = await srv.createKey({ plan: 'pro', name: 'pro' });
    const r = await rest(srv, 'POST', '/v1/keys', { key: pro.key, body: { name: 'escalate', plan: 'enterprise' } });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ field: 'plan', plan: 'pro', required_plan: 'enterprise', detail: 'A pro-plan key cannot create a key on the enterprise plan' });
    const ok = await rest(srv, 'POST', '/v1/keys', { key: pro.key, body: { name: 'peer' } });
    expect(ok.body.plan).toBe('pro');
  });

  it('lists keys masked, revokes (404 unknown, 400 twice) and rotates', async () => {
    const k = (await rest(srv, 'POST', '/v1/keys', { key: srv.ownerKey, body: { name: 'rotating' } })).body;
    const list = await rest(srv, 'GET', '/v1/keys', { key: srv.ownerKey });
    const entry = list.body.keys.find((x: { key_id: string }) => x.key_id === k.key_id);
    expect(entry.masked_key).toBe(`gc_****${k.key.slice(-4)}`);
    expect(JSON.stringify(list.body)).not.toContain(k.key);
    const rot = await rest(srv, 'POST', '/v1/tools/rotate_api_key', { key: srv.ownerKey, body: { key_id: k.key_id } });
    expect(rot.status).toBe(200);
    expect(rot.body.replaced_key_id).toBe(k.key_id);
    expect((await rest(srv, 'POST', '/v1/tools/check_environment', { key: k.key, body: {} })).status).toBe(401);
    expect((await rest(srv, 'POST', '/v1/tools/check_environment', { key: rot.body.key, body: {} })).body.authenticated).toBe(true);
    const twice = await rest(srv, 'DELETE', `/v1/keys/${k.key_id}`, { key: srv.ownerKey });
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({ error_code: 'already_revoked', field: 'key_id' });
    const unknown = await rest(srv, 'DELETE', '/v1/keys/key_nope', { key: srv.ownerKey });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_code: 'not_found', field: 'key_id' });
    const del = await rest(srv, 'DELETE', `/v1/keys/${rot.body.key_id}`, { key: srv.ownerKey });
    expect(del.body).toEqual({ success: true, key_id: rot.body.key_id });
  });

  it('deleting a project removes its rows everywhere, keeps usage, and unbinds keys', async () => {
    const p = (await rest(srv, 'POST', '/v1/projects', { key: srv.ownerKey, body: { name: 'doomed' } })).body;
    const k = (await rest(srv, 'POST', '/v1/keys', { key: srv.ownerKey, body: { name: 'doomed-key', project_id: p.id } })).body;
    const hasIngest = srv.app.registry.get('ingest_context');
    if (hasIngest) {
      const ing = await rest(srv, 'POST', '/v1/tools/ingest_context', { key: k.key, body: { file_id: 'a.md', content: '# Title\n\nSome text about deletion and projects.' } });
      expect(ing.status).toBe(200);
      const n = (await queryOne<{ n: number }>(srv.deps, 'SELECT COUNT(*) AS n FROM documents WHERE project_id = ?', p.id))!;
      expect(n.n).toBe(1);
    }
    const usageBefore = (await queryOne<{ n: number }>(srv.deps, 'SELECT COUNT(*) AS n FROM usage_events WHERE project_id = ?', p.id))!;
    const del = await rest(srv, 'DELETE', `/v1/projects/${p.id}`, { key: srv.ownerKey });
    expect(del.status).toBe(200);
    expect(del.body.success).toBe(true);
    if (hasIngest) {
      expect(del.body.deleted_rows).toBeGreaterThan(0);
      expect(((await queryOne<{ n: number }>(srv.deps, 'SELECT COUNT(*) AS n FROM documents WHERE project_id = ?', p.id))!).n).toBe(0);
      expect(((await queryOne<{ n: number }>(srv.deps, 'SELECT COUNT(*) AS n FROM document_chunks WHERE project_id = ?', p.id))!).n).toBe(0);
    }
    const usageAfter = (await queryOne<{ n: number }>(srv.deps, 'SELECT COUNT(*) AS n FROM usage_events WHERE project_id = ?', p.id))!;
    expect(usageAfter.n).toBe(usageBefore.n);
    const env = await rest(srv, 'POST', '/v1/tools/check_environment', { key: k.key, body: {} });
    expect(env.body.project_id).not.toBe(p.id);
    const def = (await rest(srv, 'GET', '/v1/projects', { key: srv.ownerKey })).body.projects[0];
    expect((await rest(srv, 'DELETE', `/v1/projects/${def.id}`, { key: srv.ownerKey })).status).toBe(400);
  });

  it('get_usage and get_savings report this month and lifetime figures', async () => {
    const client = await connectMcp(srv, { key: srv.ownerKey });
    const u = await callTool(client, 'get_usage', {});
    expect(u.isError).toBe(false);
    expect(u.structured.period).toBe(new Date().toISOString().slice(0, 7));
    expect(u.structured.compressions_limit).toBe(500_000);
    expect(u.structured.rate_limit_per_minute).toBe(1000);
    const s = await callTool(client, 'get_savings', {});
    expect(s.structured.pricing_model).toBe('claude-opus-4-7');
    await client.close();
  });
});
