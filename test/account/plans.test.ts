// The seed's Team / Enterprise gating (issue 18): roles, analytics, the batch queue, MCP tool
// compression and the semantic-cache threshold need the Team plan; the audit-log export needs
// Enterprise. Enforced in one place (SessionView) for REST, tools/call and call_tool alike: 403
// naming the plan, as the seed documents ("Requires Team or Enterprise plan").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('Team and Enterprise plans', () => {
  it('a pro key is refused the Team features with 403 naming the plan, the same over REST and MCP', async () => {
    const pro = (await server.createKey({ plan: 'pro', name: 'pro' })).keyString;
    const teamOnly: Array<[string, string, unknown?]> = [
      ['POST', '/v1/batch-queue', { documents: [{ text: 'First document...' }] }],
      ['GET', '/v1/analytics/summary'],
      ['GET', '/v1/analytics/export?start=2026-04-01&end=2026-04-14'],
      ['POST', '/v1/members', { name: 'w', role: 'viewer' }],
      ['GET', '/v1/members'],
      ['POST', '/v1/settings/semantic-cache-threshold', { threshold: 0.92 }],
    ];
    for (const [method, path, body] of teamOnly) {
      const r = await rest(server, method, path, { key: pro, body });
      expect(r.status, path).toBe(403);
      expect(r.body, path).toMatchObject({ required_plan: 'team', plan: 'pro', detail: expect.stringMatching(/requires the team plan or higher \(Team or Enterprise\)/) });
    }
    // What the seed leaves on Pro stays there: projects, webhooks, the GitHub integration, polling a job.
    expect((await rest(server, 'GET', '/v1/webhooks', { key: pro })).status).toBe(200);
    expect((await rest(server, 'GET', '/v1/settings/semantic-cache-threshold', { key: pro })).status).toBe(200);
    expect((await rest(server, 'GET', '/v1/batch-queue', { key: pro })).status).toBe(200);

    const client = await connectMcp(server, { key: pro });
    try {
      const direct = await callTool(client, 'analytics_summary', {});
      const via = await callTool(client, 'call_tool', { name: 'analytics_summary', arguments: {} });
      for (const r of [direct, via]) expect(r.structured).toMatchObject({ status: 403, required_plan: 'team' });
      const hit = ((await callTool(client, 'search_tools', { query: 'submit batch compression job documents' })).structured.results as Array<{ name: string; callable: boolean; min_plan: string }>).find((x) => x.name === 'submit_batch_job');
      expect(hit).toMatchObject({ callable: false, min_plan: 'team' });
      const sets = (await callTool(client, 'list_toolsets')).structured.toolsets as Array<{ name: string; min_plan: string; callable_tools: string[] }>;
      const account = sets.find((t) => t.name === 'account')!;
      expect(account.min_plan).toBe('enterprise');
      expect(account.callable_tools).not.toContain('analytics_summary');
    } finally {
      await client.close();
    }
  });

  it('a team key has the Team features but not the Enterprise audit-log export; enterprise has both', async () => {
    const team = (await server.createKey({ plan: 'team', name: 'team' })).keyString;
    expect((await rest(server, 'GET', '/v1/analytics/summary', { key: team })).status).toBe(200);
    const sub = await rest(server, 'POST', '/v1/batch-queue', { key: team, body: { documents: [{ text: 'First document. '.repeat(20) }] } });
    expect(sub.status).toBe(202);
    const audit = await rest(server, 'GET', '/v1/audit-log', { key: team });
    expect(audit.status).toBe(403);
    expect(audit.body).toMatchObject({ required_plan: 'enterprise', plan: 'team', detail: expect.stringMatching(/requires the enterprise plan/) });
    // The instance owner's key is on CTXGATE_OWNER_PLAN, enterprise by default: a self-hosted server has everything.
    expect((await rest(server, 'GET', '/v1/audit-log', { key: server.ownerKey })).status).toBe(200);
  });
});
