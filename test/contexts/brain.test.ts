// The brain: tier rules (1 always, 2 ranked by relevance and compressed to fit, 3 only when asked,
// drafts and deprecated never), the budget, tree order, the version stamp, GET /api/brain and the
// MCP resource ctxgate://brain/{project}.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';
import { countTokens } from '../../src/engine/tokens.js';
import { AccountsService } from '../../src/services/accounts.js';

let s: TestServer;
let key: string;
let projectId: string;
let client: Client;

const para = (topic: string, n: number) =>
  Array.from({ length: n }, (_, i) => `The ${topic} subsystem, part ${i + 1}: it validates its inputs, records what it did, and retries transient ${topic} failures with backoff before reporting an error to the caller.`).join('\n\n');

async function ctx(body: Record<string, unknown>, approve = true): Promise<string> {
  const r = await rest(s, 'POST', '/api/contexts', { key, body });
  expect(r.status).toBe(201);
  if (approve) expect((await rest(s, 'POST', `/api/contexts/${r.body.id}/approve`, { key, body: { action: 'approve' } })).status).toBe(200);
  return r.body.id;
}

const brain = async (q = '') => {
  const r = await rest(s, 'GET', `/api/brain${q}`, { key });
  expect(r.status).toBe(200);
  return r;
};
const inclusion = (b: { contexts: Array<{ name: string; inclusion: string }> }) => Object.fromEntries(b.contexts.map((c) => [c.name, c.inclusion]));

const ids: Record<string, string> = {};
beforeAll(async () => {
  s = await startTestServer();
  key = s.ownerKey;
  projectId = (await s.deps.service(AccountsService).defaultProject(s.owner.user_id)).id;
  client = await connectMcp(s, { key, profile: 'full' });
  ids.rules = await ctx({ name: 'Rules', content: 'Always run the tests before committing. Never push to main.', schemaKey: 'root/rules', tier: 1, contextType: 'system' });
  ids.arch = await ctx({ name: 'Architecture', content: 'Express 5 server, SQLite or PostgreSQL store.', schemaKey: 'root/architecture', tier: 1 });
  ids.billing = await ctx({ name: 'Billing', content: para('billing invoice', 12), schemaKey: 'root/architecture/billing', parentContextId: ids.arch, tier: 2 });
  ids.search = await ctx({ name: 'Search', content: para('search ranking', 12), schemaKey: 'root/architecture/search', parentContextId: ids.arch, tier: 2 });
  ids.history = await ctx({ name: 'History', content: 'In 2023 we ran on MongoDB.', schemaKey: 'root/history', tier: 3 });
  ids.draft = await ctx({ name: 'Draft idea', content: 'Maybe use GraphQL.', schemaKey: 'root/draft', tier: 1 }, false);
  ids.old = await ctx({ name: 'Old rule', content: 'Deploy on Fridays.', schemaKey: 'root/old', tier: 1 });
  await rest(s, 'POST', `/api/contexts/${ids.old}/approve`, { key, body: { action: 'deprecate' } });
});
afterAll(async () => {
  await client?.close();
  await s?.close();
});

describe('the brain', () => {
  it('tier 1 always, tier 2 when it fits, tier 3 only when asked, drafts and deprecated never; tree order', async () => {
    const { body, headers } = await brain();
    expect(body.projectId).toBe(projectId);
    expect(inclusion(body)).toEqual({ Rules: 'whole', Architecture: 'whole', Billing: 'whole', Search: 'whole', History: 'omitted' });
    expect(body.contexts.find((c: { name: string }) => c.name === 'History').reason).toBe('archive');
    expect(body.document).not.toContain('GraphQL');
    expect(body.document).not.toContain('Fridays');
    expect(body.document).not.toContain('MongoDB');
    // Tree order: root/architecture, then its children (billing, search), then root/rules.
    const at = (t: string) => body.document.indexOf(t);
    expect(at('## Architecture')).toBeLessThan(at('### Billing'));
    expect(at('### Billing')).toBeLessThan(at('### Search'));
    expect(at('### Search')).toBeLessThan(at('## Rules'));
    expect(body.tokens).toBe(countTokens(body.document));
    expect(body.tokens).toBeLessThanOrEqual(4000);
    expect(headers.get('etag')).toBe(`"${body.version}"`);
    const withArchive = await brain('?includeArchive=true');
    expect(inclusion(withArchive.body).History).toBe('whole');
  });

  it('under a small budget, tier 2 is ranked by the query and compressed to fit; the budget holds', async () => {
    const { body } = await brain('?budgetTokens=400&query=invoice%20billing');
    expect(body.tokens).toBeLessThanOrEqual(400);
    const billing = body.contexts.find((c: { name: string }) => c.name === 'Billing');
    const search = body.contexts.find((c: { name: string }) => c.name === 'Search');
    expect(billing.relevanceRank).toBe(1);
    expect(billing.inclusion).toBe('compressed');
    expect(billing.tokens).toBeLessThan(billing.originalTokens);
    expect(search.relevanceRank).toBe(2);
    // The most relevant is placed first and gets the room; the next gets what is left, if anything.
    expect(search.inclusion === 'omitted' ? search.reason : search.tokens <= billing.tokens).toBe(search.inclusion === 'omitted' ? 'budget' : true);
    expect(body.document).toContain('### Billing (compressed)');
    // The other query puts the other context first.
    const other = await brain('?budgetTokens=400&query=search%20ranking');
    expect(other.body.contexts.find((c: { name: string }) => c.name === 'Search').relevanceRank).toBe(1);
    expect(inclusion(other.body).Search).toBe('compressed');
    expect(other.body.tokens).toBeLessThanOrEqual(400);
  });

  it('tier 1 alone over the budget is compressed by the engine and flagged', async () => {
    const big = await ctx({ name: 'Conventions', content: para('naming convention', 30), schemaKey: 'root/conventions', tier: 1 });
    const { body } = await brain('?budgetTokens=300');
    expect(body.tier1Compressed).toBe(true);
    const conv = body.contexts.find((c: { name: string }) => c.name === 'Conventions');
    expect(conv.inclusion).toBe('compressed');
    expect(conv.reason).toBe('tier1_over_budget');
    expect(body.tokens).toBeLessThanOrEqual(300);
    await rest(s, 'DELETE', `/api/contexts/${big}`, { key });
  });

  it('the version stamp is stable until any context changes', async () => {
    const v0 = (await brain()).body.version;
    expect((await brain()).body.version).toBe(v0);
    await rest(s, 'PATCH', `/api/contexts/${ids.rules}`, { key, body: { content: 'Always run the tests before committing.' } });
    const v1 = (await brain()).body.version;
    expect(v1).not.toBe(v0);
    await rest(s, 'POST', `/api/contexts/${ids.history}/entries`, { key, body: { text: 'Moved to SQLite in 2024.' } });
    const v2 = (await brain()).body.version;
    expect(v2).not.toBe(v1);
    await rest(s, 'POST', `/api/contexts/${ids.draft}/approve`, { key, body: { action: 'approve' } });
    const v3 = (await brain()).body;
    expect(v3.version).not.toBe(v2);
    expect(v3.document).toContain('GraphQL');
  });

  it('get_brain over MCP, and the resource ctxgate://brain/{project}', async () => {
    const t = await callTool(client, 'get_brain', { budget_tokens: 1000 });
    expect(t.isError).toBe(false);
    expect(t.text).toMatch(/^\[get_brain: \d+\/1000 tokens;/);
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((r) => r.uriTemplate)).toContain('ctxgate://brain/{project}');
    const listed = await client.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(`ctxgate://brain/${projectId}`);
    const read = await client.readResource({ uri: `ctxgate://brain/${projectId}` });
    const text = (read.contents[0] as { text: string }).text;
    expect(text.startsWith('# Project brain')).toBe(true);
    expect(text).toContain('## Rules');
    await expect(client.readResource({ uri: 'ctxgate://brain/prj_nope' })).rejects.toThrow(/not found/i);
    await expect(client.readResource({ uri: 'ctxgate://nothing/here' })).rejects.toThrow(/No resource/);
    // Without a key: no resources, and reading one is refused.
    const anon = await connectMcp(s, { key: null });
    expect((await anon.listResources()).resources).toEqual([]);
    await expect(anon.readResource({ uri: `ctxgate://brain/${projectId}` })).rejects.toThrow();
    await anon.close();
  });

  it('a secret in the query is refused, never echoed', async () => {
    const r = await rest(s, 'GET', `/api/brain?query=${encodeURIComponent('key AKIAIOSFODNN7EXAMPLE please')}`, { key });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});
