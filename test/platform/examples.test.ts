// Every tool's documented examples, called over MCP by the official SDK client after tools/list, so the
// client validates each structuredContent against the advertised outputSchema (as real clients do).
// Examples may name ids that do not exist here: those must come back as clear 4xx tool errors, never
// as a 500 or as output that fails its own schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let client: Client;
beforeAll(async () => {
  srv = await startTestServer();
  client = await connectMcp(srv, { key: srv.ownerKey, profile: 'full' });
  await client.listTools();
});
afterAll(async () => {
  await client?.close();
  await srv?.close();
});

describe('documented examples', () => {
  it('every tool has at least one example, and each runs without a 500 or a schema violation', async () => {
    const failures: string[] = [];
    let ok = 0;
    for (const tool of srv.app.registry.tools.values()) {
      if (!tool.examples?.length) failures.push(`${tool.name}: no example`);
      // Destructive examples would delete what later examples use; they still run, last.
    }
    const ordered = [...srv.app.registry.tools.values()].sort((a, b) => Number(!!a.annotations?.destructiveHint) - Number(!!b.annotations?.destructiveHint));
    for (const tool of ordered) {
      for (const ex of tool.examples ?? []) {
        try {
          const r = await callTool(client, tool.name, ex.args);
          if (r.isError) {
            if (!(r.structured.status >= 400 && r.structured.status < 500)) failures.push(`${tool.name} (${ex.description}): status ${r.structured.status} ${r.structured.detail}`);
          } else ok++;
        } catch (e) {
          failures.push(`${tool.name} (${ex.description}): ${(e as Error).message.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(30);
  });
});
