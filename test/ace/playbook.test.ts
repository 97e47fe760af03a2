// The playbook tools through the real server (MCP SDK client and REST): delta merging, outcome
// counting, curation with a dry run, budgets, bad input, tenancy and project deletion.
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { countTokens } from '../../src/engine/tokens.js';
import { callTool, connectMcp, rest, type TestServer, useServerAndClient } from '../helpers/server.js';

let server: TestServer;
let client: Client;
useServerAndClient((s, c) => {
  server = s;
  client = c;
});

const add = async (bullets: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) => {
  const r = await callTool(client, 'ace_add_bullets', { bullets, ...extra });
  expect(r.isError, r.text).toBe(false);
  return r.structured;
};

describe('ace playbook', () => {
  it('merges a restated delta into the existing bullet instead of adding it', async () => {
    const first = await add([
      { section: 'pitfalls', text: 'Run the database migrations before starting the API server.', tags: ['ops'], source: 'task-1' },
      { section: 'commands', text: 'Use npm run build to produce the dist folder.', source: 'task-1' },
    ]);
    expect(first).toMatchObject({ playbook: 'default', added: 2, merged: 0, bullets_total: 2 });
    const migId = first.results[0].id;

    // Same lesson, different case and punctuation (same normalised text), plus one new lesson, plus a
    // delta that repeats the new one within the same call.
    const second = await add([
      { section: 'pitfalls', text: 'run the database migrations before starting the API server', tags: ['db'], source: 'task-2' },
      { section: 'strategies', text: 'Prefer small pull requests that change one module at a time.' },
      { section: 'strategies', text: 'Prefer small pull requests that change one module at a time!' },
    ]);
    expect(second).toMatchObject({ added: 1, merged: 2, bullets_total: 3 });
    expect(second.results[0]).toMatchObject({ status: 'merged', id: migId, similarity: 1 });
    expect(second.results[2]).toMatchObject({ status: 'merged', id: second.results[1].id });

    const pb = await callTool(client, 'ace_get_playbook', {});
    const mig = pb.structured.bullets.find((b: any) => b.id === migId);
    expect(mig).toMatchObject({ merge_count: 1, tags: ['ops', 'db'], sources: ['task-1', 'task-2'], helpful: 0, harmful: 0 });
    // Most useful first: the merged bullets (utility 1) lead.
    expect(pb.structured.bullets.slice(0, 2).map((b: any) => b.utility)).toEqual([1, 1]);
    expect(pb.structured.markdown).toContain('## pitfalls');
    expect(pb.text.split('\n')[0]).toMatch(/^\[ace_get_playbook: 3 of 3 bullets/);
  });

  it('counts outcomes, ranks by them, and refuses unknown ids without counting anything', async () => {
    const { results } = await add([
      { section: 'testing', text: 'Seed the test database from fixtures, never from production dumps.' },
      { section: 'testing', text: 'Mocking the HTTP client hid a timeout bug in the retry logic.' },
    ]);
    const [good, bad] = results.map((r: any) => r.id);
    const out = await callTool(client, 'ace_record_outcome', { helpful: [good], harmful: [bad], outcome: 'success' });
    expect(out.isError, out.text).toBe(false);
    expect(out.structured.outcome).toBe('success');
    const byId = new Map(out.structured.bullets.map((b: any) => [b.id, b]));
    expect(byId.get(good)).toMatchObject({ helpful: 1, harmful: 0 });
    expect(byId.get(bad)).toMatchObject({ helpful: 0, harmful: 1 });
    expect((byId.get(good) as any).last_used_at).not.toBeNull();

    await callTool(client, 'ace_record_outcome', { helpful: [good] });
    const unknown = await callTool(client, 'ace_record_outcome', { helpful: [good, 'bul_doesnotexist'] });
    expect(unknown.isError).toBe(true);
    expect(unknown.structured).toMatchObject({ field: 'helpful[1]' });
    const both = await callTool(client, 'ace_record_outcome', { helpful: [good], harmful: [good] });
    expect(both.isError).toBe(true);
    expect(both.structured.field).toBe('harmful[0]');

    // The failed call counted nothing: helpful is 2 (two successful calls).
    const pb = (await callTool(client, 'ace_get_playbook', { sections: ['testing'] })).structured;
    expect(pb.bullets.map((b: any) => [b.id, b.helpful, b.harmful])).toEqual([
      [good, 2, 0],
      [bad, 0, 1],
    ]);

    // REST mirror, with the same 404 naming the field.
    const r = await rest(server, 'POST', '/v1/ace/outcomes', { key: server.ownerKey, body: { harmful: ['bul_nope'] } });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ field: 'harmful[0]' });
  });

  it('ranks by a query through the retrieval index and keeps within a token budget', async () => {
    const q = await callTool(client, 'ace_get_playbook', { query: 'database migrations server start', limit: 3 });
    expect(q.isError, q.text).toBe(false);
    expect(q.structured.bullets[0].text).toMatch(/migrations/i);
    expect(q.structured.bullets[0].relevance).toBeGreaterThan(0);

    const all = (await callTool(client, 'ace_get_playbook', {})).structured;
    const small = (await callTool(client, 'ace_get_playbook', { token_budget: 60 })).structured;
    expect(small.tokens).toBeLessThanOrEqual(60);
    expect(small.tokens).toBe(countTokens(small.markdown));
    expect(small.bullets.length).toBeLessThan(all.bullets.length);
    expect(small.omitted_by_budget).toBe(all.bullets.length - small.bullets.length);
    // The budget keeps the most useful first: what it kept is a prefix-ordered subset of the full order.
    const order = all.bullets.map((b: any) => b.id);
    const kept = small.bullets.map((b: any) => order.indexOf(b.id));
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
  });

  it('curates: the dry run answers the plan and changes nothing; the real run merges and prunes', async () => {
    const pb = 'curation';
    const a = await add(
      [
        { section: 's', text: 'Always pin the Node.js version in CI to the one used in production.', source: 'a' },
        { section: 's', text: 'Cache the npm directory between CI runs to save four minutes per build.' },
        { section: 's', text: 'Retry flaky network calls three times with exponential backoff.' },
      ],
      { playbook: pb },
    );
    // A near-duplicate slipped in with a lower threshold... then the same lesson is added again with
    // dedupe effectively off (similarity 1 accepts only the same normalised text).
    const b = await add([{ section: 's', text: 'Always pin the Node.js version in CI to the one used in production', source: 'b' }], { playbook: pb, similarity: 1 });
    expect(b.results[0].status).toBe('merged'); // same normalised text merges at any threshold
    const c = await add([{ section: 's', text: 'Always pin the Node.js version in the CI to the one used in production.', source: 'c' }], { playbook: pb, similarity: 1 });
    expect(c.results[0].status).toBe('added');
    const [pin, cache, retry] = a.results.map((r: any) => r.id);
    const pin2 = c.results[0].id;
    await callTool(client, 'ace_record_outcome', { playbook: pb, helpful: [pin2] });
    await callTool(client, 'ace_record_outcome', { playbook: pb, harmful: [retry] });
    await callTool(client, 'ace_record_outcome', { playbook: pb, harmful: [retry] });

    const plan = await callTool(client, 'ace_curate', { playbook: pb, dry_run: true, similarity: 0.9, prune_margin: 1 });
    expect(plan.isError, plan.text).toBe(false);
    expect(plan.structured).toMatchObject({ dry_run: true, bullets_before: 4, bullets_after: 2 });
    // The more useful bullet (pin2: helpful 1 vs pin: merge 1 — tie on utility, older wins) is kept.
    expect(plan.structured.merges).toHaveLength(1);
    const m = plan.structured.merges[0];
    expect([m.keep, ...m.merged.map((x: any) => x.id)].sort()).toEqual([pin, pin2].sort());
    expect(m).toMatchObject({ helpful: 1, harmful: 0, merge_count: 2 });
    expect(plan.structured.pruned.map((p: any) => p.id)).toEqual([retry]);
    expect((await callTool(client, 'ace_get_playbook', { playbook: pb })).structured.total).toBe(4);

    const done = await rest(server, 'POST', '/v1/ace/curate', { key: server.ownerKey, body: { playbook: pb, dry_run: false, similarity: 0.9 } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ dry_run: false, bullets_after: 2 });
    const after = (await callTool(client, 'ace_get_playbook', { playbook: pb })).structured;
    expect(after.total).toBe(2);
    const kept = after.bullets.find((x: any) => x.id === m.keep);
    expect(kept).toMatchObject({ helpful: 1, harmful: 0, merge_count: 2 });
    expect(kept.sources).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    expect(kept.sources.some((s: string) => s.startsWith('bullet:'))).toBe(true);
    expect(after.bullets.map((x: any) => x.id)).toContain(cache);
    // The removed bullets are gone from keyword search as well.
    const q = (await callTool(client, 'ace_get_playbook', { playbook: pb, query: 'retry flaky network backoff' })).structured;
    expect(q.bullets.map((x: any) => x.id)).not.toContain(retry);
  });

  it('answers bad input with a 4xx naming the field', async () => {
    const empty = await callTool(client, 'ace_curate', { playbook: 'nothing-here' });
    expect(empty.isError).toBe(true);
    expect(empty.structured).toMatchObject({ status: 404, field: 'playbook' });
    const r = await rest(server, 'POST', '/v1/ace/curate', { key: server.ownerKey, body: { playbook: 'nothing-here' } });
    expect(r.status).toBe(404);
    expect(r.body.field).toBe('playbook');
    const blank = await rest(server, 'POST', '/v1/ace/bullets', { key: server.ownerKey, body: { bullets: [{ section: 's', text: '   ' }] } });
    expect(blank.status).toBe(422);
    expect(blank.body.field).toBe('bullets[0].text');
    const none = await rest(server, 'POST', '/v1/ace/bullets', { key: server.ownerKey, body: { bullets: [] } });
    expect(none.status).toBe(422);
    expect(String(none.body.field)).toMatch(/^bullets/);
    const badName = await rest(server, 'POST', '/v1/ace/bullets', { key: server.ownerKey, body: { playbook: '../x', bullets: [{ section: 's', text: 't' }] } });
    expect(badName.status).toBe(422);
    expect(badName.body.field).toBe('playbook');
    const emptyGet = (await callTool(client, 'ace_get_playbook', { playbook: 'nothing-here' })).structured;
    expect(emptyGet).toMatchObject({ total: 0, bullets: [] });
  });

  it('shows another tenant nothing, and project deletion removes every bullet and its index rows', async () => {
    const other = await server.createKey({ newUser: true, name: 'other-tenant' });
    const otherClient = await connectMcp(server, { key: other.keyString });
    const seen = (await callTool(otherClient, 'ace_get_playbook', { query: 'database migrations' })).structured;
    expect(seen.total).toBe(0);
    expect(seen.bullets).toEqual([]);
    const steal = await callTool(otherClient, 'ace_record_outcome', { helpful: [(await callTool(client, 'ace_get_playbook', {})).structured.bullets[0].id] });
    expect(steal.isError).toBe(true);
    await otherClient.close();

    const proj = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'ace-doomed' } });
    expect(proj.status).toBeLessThan(300);
    const projectId = proj.body.id ?? proj.body.project?.id;
    const key = await server.createKey({ projectId });
    const pc = await connectMcp(server, { key: key.keyString });
    await callTool(pc, 'ace_add_bullets', { bullets: [{ section: 'x', text: 'Zanzibar quokka lesson about flamingo deployments.' }] });
    expect((await callTool(pc, 'ace_get_playbook', { query: 'zanzibar quokka' })).structured.bullets).toHaveLength(1);
    await pc.close();
    const del = await rest(server, 'DELETE', `/v1/projects/${projectId}`, { key: server.ownerKey });
    expect(del.status).toBeLessThan(300);
    const { query } = await import('../helpers/database.js');
    const left = await query(server.deps, 'SELECT COUNT(*) AS n FROM ace_bullets WHERE project_id = ?', projectId);
    expect(Number(left[0].n)).toBe(0);
    if (server.deps.store.dialect.backend === 'sqlite') {
      const fts = await query(server.deps, "SELECT COUNT(*) AS n FROM ace_bullets_fts WHERE ace_bullets_fts MATCH 'zanzibar'");
      expect(Number(fts[0].n)).toBe(0);
    }
  });
});
