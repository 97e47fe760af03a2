// Tenancy: another tenant can neither read nor change a private context — by id, slug, list, tree,
// brain or any write route — and a project-bound key stays in its project. Deleting a project
// removes its contexts, versions, entries and keyword rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';
import { query } from '../helpers/database.js';
import { AccountsService } from '../../src/services/accounts.js';

const WORD = 'zanzibarquill';
let s: TestServer;
let a: string;
let b: string;
let projectA: string;
let id: string;

beforeAll(async () => {
  s = await startTestServer();
  a = s.ownerKey;
  b = (await s.createKey({ newUser: true, name: 'tenant-b' })).keyString;
  projectA = (await s.deps.service(AccountsService).defaultProject(s.owner.user_id)).id;
  const r = await rest(s, 'POST', '/v1/contexts', { key: a, body: { name: 'Secret plans', slug: 'secret-plans', content: { plan: `the ${WORD} launch` }, is_public: false } });
  id = r.body.id;
  await rest(s, 'PATCH', `/api/contexts/${id}`, { key: a, body: { schemaKey: 'root/plans', tier: 1 } });
  await rest(s, 'POST', `/api/contexts/${id}/approve`, { key: a, body: { action: 'approve' } });
});
afterAll(async () => {
  await s?.close();
});

describe('another tenant', () => {
  it('cannot read a private context by id, slug, list, tree or brain', async () => {
    for (const path of [`/v1/contexts/${id}`, '/v1/contexts/secret-plans', `/api/contexts/${id}`, `/v1/contexts/${id}/versions`, `/v1/contexts/${id}/versions/1`]) {
      const r = await rest(s, 'GET', path, { key: b });
      expect(r.status, path).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain(WORD);
    }
    for (const path of ['/v1/contexts', '/api/contexts', '/api/contexts/tree', '/api/brain', '/api/brain?includeArchive=true&query=launch']) {
      const r = await rest(s, 'GET', path, { key: b });
      expect(r.status, path).toBe(200);
      expect(JSON.stringify(r.body), path).not.toContain(WORD);
      expect(JSON.stringify(r.body), path).not.toContain(id);
    }
    // Naming the other tenant's project is "not found", not a way in.
    for (const path of [`/api/contexts?projectId=${projectA}`, `/api/contexts/tree?projectId=${projectA}`, `/api/brain?projectId=${projectA}`]) {
      expect((await rest(s, 'GET', path, { key: b })).status, path).toBe(404);
    }
  });

  it('cannot change, delete, approve, compact, journal, restore or copy it', async () => {
    const writes: Array<[string, string, unknown]> = [
      ['PATCH', `/v1/contexts/${id}`, { name: 'mine now' }],
      ['PATCH', `/api/contexts/${id}`, { content: 'mine now' }],
      ['DELETE', `/v1/contexts/${id}`, undefined],
      ['DELETE', `/api/contexts/${id}`, undefined],
      ['POST', `/api/contexts/${id}/approve`, { action: 'deprecate' }],
      ['POST', `/api/contexts/${id}/compact`, {}],
      ['POST', `/api/contexts/${id}/entries`, { text: 'injected' }],
      ['POST', `/v1/contexts/${id}/restore`, {}],
      ['POST', `/v1/contexts/${id}/copy`, {}],
    ];
    for (const [method, path, body] of writes) {
      const r = await rest(s, method, path, { key: b, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    const populate = await rest(s, 'POST', '/api/contexts/populate', { key: b, body: { nodes: [{ schemaKey: 'root/plans', name: 'Hijack', content: 'x' }] } });
    expect(populate.body.counts).toEqual({ created: 1, updated: 0, unchanged: 0 }); // its own, separate context
    const mine = await rest(s, 'GET', `/v1/contexts/${id}`, { key: a });
    expect(mine.body).toMatchObject({ name: 'Secret plans', state: 'approved', version_number: 1, entries: 0, deleted_at: null });
    expect((await rest(s, 'GET', '/api/brain', { key: a })).body.document).toContain(WORD);
  });

  it('a key bound to another project of the same owner sees none of the default project', async () => {
    const p = await rest(s, 'POST', '/v1/tools/create_project', { key: a, body: { name: 'side' } });
    const bound = (await s.createKey({ projectId: p.body.id })).keyString;
    expect((await rest(s, 'GET', `/v1/contexts/${id}`, { key: bound })).status).toBe(404);
    // Naming another project is refused as every tool refuses a bound key (create_api_key, kb, jobs):
    // 403 project_bound_key, the same for a project that exists and one that does not.
    const brain = await rest(s, 'GET', `/api/brain?projectId=${projectA}`, { key: bound });
    const viaAccount = await rest(s, 'POST', '/v1/tools/create_api_key', { key: bound, body: { name: 'x', project_id: projectA } });
    const ghost = await rest(s, 'POST', '/v1/tools/list_contexts', { key: bound, body: { project_id: 'prj_doesnotexist' } });
    for (const r of [brain, viaAccount, ghost]) {
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ error_code: 'forbidden', reason: 'project_bound_key' });
      expect(r.body.detail).toBe(`This key is bound to project ${p.body.id} and cannot act on another project or the account's default`);
    }
    expect((await rest(s, 'GET', '/api/contexts', { key: bound })).body).toEqual([]);
    // An account-level key may name the other project of its own account.
    expect((await rest(s, 'GET', `/api/contexts?projectId=${p.body.id}`, { key: a })).status).toBe(200);
  });
});

describe('project deletion', () => {
  it('removes every context, version, entry and keyword row of the project', async () => {
    const p = await rest(s, 'POST', '/v1/tools/create_project', { key: a, body: { name: 'doomed' } });
    const k = (await s.createKey({ projectId: p.body.id })).keyString;
    const c = await rest(s, 'POST', '/api/contexts', { key: k, body: { name: 'Doomed', content: `the ${WORD} notes`, schemaKey: 'root/doomed', tier: 2 } });
    await rest(s, 'POST', `/api/contexts/${c.body.id}/entries`, { key: k, body: { text: `more ${WORD}` } });
    await rest(s, 'POST', `/api/contexts/${c.body.id}/approve`, { key: k, body: { action: 'approve' } });
    // The keyword leg of the brain's ranking has indexed it.
    expect((await rest(s, 'GET', `/api/brain?query=${WORD}`, { key: k })).body.contexts[0].relevanceRank).toBe(1);

    expect((await rest(s, 'POST', '/v1/tools/delete_project', { key: a, body: { project_id: p.body.id } })).status).toBe(200);
    for (const table of ['contexts', 'context_versions', 'context_entries']) {
      expect(await query(s.deps, `SELECT * FROM ${table} WHERE project_id = ?`, p.body.id), table).toEqual([]);
    }
    if (s.deps.store.backend === 'sqlite') {
      const orphans = await query(s.deps, 'SELECT COUNT(*) AS n FROM contexts_fts f WHERE NOT EXISTS (SELECT 1 FROM contexts c WHERE c.rowid = f.rowid)');
      expect(Number(orphans[0].n)).toBe(0);
    }
    expect(await query(s.deps, "SELECT * FROM contexts WHERE text LIKE ?", `%${WORD} notes%`)).toEqual([]);
  });
});
