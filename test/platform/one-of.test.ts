// Tools that take exactly one of several fields answer alike (exactlyOneOf in src/errors.ts): neither
// given is a 422 `required` naming every choice, more than one a 422 `one_of` naming them — over REST
// and MCP, whatever the tool.
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, useServerAndClient, type TestServer } from '../helpers/server.js';

let server: TestServer;
useServerAndClient((s) => (server = s));

const CONVERSATION = [{ role: 'user', content: 'hello' }];

describe('exactly one of several fields', () => {
  it('neither → 422 required, both → 422 one_of, the same body from all five tools', async () => {
    const space = await rest(server, 'POST', '/v1/spaces', { key: server.ownerKey, body: { name: 'one-of' } });
    expect(space.status).toBe(201);
    const cases: Array<{ tool: string; base: Record<string, unknown>; fields: string[]; both: Record<string, unknown> }> = [
      { tool: 'distill', base: {}, fields: ['messages', 'text'], both: { messages: CONVERSATION, text: 'x' } },
      { tool: 'register_upstream_server', base: { name: 'half' }, fields: ['command', 'url'], both: { command: 'npx x', url: 'https://mcp.example.com/mcp' } },
      { tool: 'create_source', base: { space_id: space.body.id }, fields: ['messages', 'export_json', 'text', 'content_base64', 'upload_id'], both: { messages: CONVERSATION, text: 'x' } },
      { tool: 'create_snapshot', base: {}, fields: ['source_id', 'messages'], both: { source_id: 'src_0123456789abcdef', messages: CONVERSATION } },
      { tool: 'add_member', base: { role: 'viewer' }, fields: ['user_id', 'name'], both: { user_id: 'usr_0123456789abcdef', name: 'dana' } },
    ];
    const client: Client = await connectMcp(server, { key: server.ownerKey, profile: 'full' });
    try {
      for (const c of cases) {
        const quoted = c.fields.map((f) => `\`${f}\``);
        const choices = `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
        const neither = await rest(server, 'POST', `/v1/tools/${c.tool}`, { key: server.ownerKey, body: c.base });
        expect(neither.status, c.tool).toBe(422);
        expect(neither.body, c.tool).toEqual({ detail: `give one of ${choices}`, error_code: 'invalid_input', field: c.fields[0], rule: 'required', valid: c.fields });
        const viaMcp = await callTool(client, c.tool, c.base);
        expect(viaMcp.structured, c.tool).toEqual({ status: 422, ...neither.body });

        const both = await rest(server, 'POST', `/v1/tools/${c.tool}`, { key: server.ownerKey, body: { ...c.base, ...c.both } });
        expect(both.status, c.tool).toBe(422);
        const given = c.fields.filter((f) => f in c.both);
        expect(both.body, c.tool).toEqual({
          detail: `give only one of ${choices} (got ${given.map((f) => `\`${f}\``).join(' and ')})`,
          error_code: 'invalid_input',
          field: given[1],
          rule: 'one_of',
          valid: c.fields,
        });
      }
    } finally {
      await client.close();
    }
  });

  it('an empty string is not a choice: the other field alone is enough', async () => {
    const r = await rest(server, 'POST', '/v1/tools/distill', { key: server.ownerKey, body: { messages: CONVERSATION, text: '' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });
});
