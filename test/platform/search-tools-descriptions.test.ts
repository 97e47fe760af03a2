// search_tools shows each hit's first sentence: an abbreviation inside it ("e.g.", "i.e.") does not
// end the sentence. get_batch_job's used to read "Status and progress of a background job (e.g.".
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, useServerAndClient } from '../helpers/server.js';

let client: Client;
useServerAndClient((_s, c) => {
  client = c;
});

type Hit = { name: string; description: string };

describe('search_tools descriptions', () => {
  it('keep a sentence whole across an abbreviation, with its parentheses closed', async () => {
    const r = await callTool(client, 'search_tools', { query: 'status and progress of a background job', limit: 5 });
    const hit = (r.structured.results as Hit[]).find((h) => h.name === 'get_batch_job');
    expect(hit?.description).toBe("Status and progress of a background job (e.g. from batch_ingest_documents); with include_results, each item's outcome.");
    expect(r.text).toContain('(e.g. from batch_ingest_documents)');
  });

  it('no hit anywhere ends on an abbreviation or leaves a parenthesis open', async () => {
    const seen = new Map<string, string>();
    for (const query of ['compress', 'store search', 'project key', 'job', 'context', 'code', 'memory graph', 'space source snapshot', 'webhook github', 'playbook handoff', 'upstream manifest', 'cache usage']) {
      for (const h of (await callTool(client, 'search_tools', { query, limit: 25 })).structured.results as Hit[]) seen.set(h.name, h.description);
    }
    expect(seen.size).toBeGreaterThan(60);
    for (const [name, d] of seen) {
      expect(d, name).not.toMatch(/\b(e\.g|i\.e|etc|vs)\.$/);
      expect((d.match(/\(/g) ?? []).length, `${name}: ${d}`).toBe((d.match(/\)/g) ?? []).length);
    }
  });
});
