// Every tool's documented examples, read from tool_help as a user sees them (the printed `name({...})`
// call) and called over MCP by the official SDK client after tools/list, so the client validates each
// structuredContent against the advertised outputSchema (as real clients do). An example must work
// when pasted: the only failures accepted are the ones a fresh, offline test server cannot avoid
// (below: a 404 only on an argument tool_help marks as a placeholder); a 400/409/413/422 means the
// example itself is wrong (e.g. a shortened base64 file).
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

/** Examples that need what the operator turns on (CTXGATE_ALLOWED_ROOTS, CTXGATE_UPSTREAM_COMMANDS): 403 saying so. */
const OPERATOR_GATED = new Set(['add_lookup_source: A docs folder', 'register_upstream_server: A stdio server the operator allow-listed']);

/** Why a failed example is still a good one, or null when the example is at fault. */
function acceptable(key: string, err: { status: number; error_code?: string; field?: string }, placeholders: Array<{ field: string; from: string[] }>): string | null {
  // It names a record (doc_abc123, spc_..., a job id) that the reader substitutes with their own —
  // and tool_help says so for that very argument, naming where a real one comes from.
  if (err.status === 404 && placeholders.some((p) => p.field === err.field && p.from.length > 0)) return 'names a placeholder id';
  // Its URL is a real or example.com host, and the test machine resolves no names.
  if (err.status === 400 && err.error_code === 'url_unresolvable') return 'offline';
  if (err.status === 403 && OPERATOR_GATED.has(key)) return 'operator setting';
  return null;
}

describe('documented examples', () => {
  it('every tool has an example; each one printed by tool_help succeeds when pasted', async () => {
    const failures: string[] = [];
    const outcomes = new Map<string, { ok: boolean; structured: any }>();
    for (const tool of srv.app.registry.tools.values()) {
      if (!tool.examples?.length) failures.push(`${tool.name}: no example`);
    }
    // Destructive examples would delete what later examples use; they still run, last.
    const ordered = [...srv.app.registry.tools.values()].sort((a, b) => Number(!!a.annotations?.destructiveHint) - Number(!!b.annotations?.destructiveHint));
    for (const tool of ordered) {
      const help = await callTool(client, 'tool_help', { tool_name: tool.name });
      expect(help.isError, tool.name).toBe(false);
      const printed = help.structured.examples as Array<{ description: string; call: string; placeholders: Array<{ field: string; from: string[] }> }>;
      expect(printed.length, tool.name).toBe(tool.examples?.length ?? 0);
      for (const ex of printed) {
        const key = `${tool.name}: ${ex.description}`;
        // The call exactly as printed: name(JSON args).
        expect(ex.call.startsWith(`${tool.name}(`) && ex.call.endsWith(')'), key).toBe(true);
        const args = JSON.parse(ex.call.slice(tool.name.length + 1, -1)) as Record<string, unknown>;
        try {
          const r = await callTool(client, tool.name, args);
          outcomes.set(key, { ok: !r.isError, structured: r.structured });
          if (r.isError && !acceptable(key, r.structured, ex.placeholders)) failures.push(`${key}: ${r.structured.status} ${r.structured.error_code ?? ''} ${String(r.structured.detail).slice(0, 200)}`);
        } catch (e) {
          failures.push(`${key}: ${(e as Error).message.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect([...outcomes.values()].filter((o) => o.ok).length).toBeGreaterThan(130);

    // The text a model reads says it too, under the example.
    const help = await callTool(client, 'tool_help', { tool_name: 'get_space' });
    expect(help.text).toContain('Example (A space): get_space({"id":"spc_0123456789abcdef"})\n  id is a placeholder: use a real one from list_spaces');
    const nested = await callTool(client, 'tool_help', { tool_name: 'ace_record_outcome' });
    expect(nested.structured.examples[0].placeholders).toEqual([
      { field: 'helpful[0]', from: ['ace_get_playbook'] },
      { field: 'harmful[0]', from: ['ace_get_playbook'] },
    ]);

    // The file examples carry real files, so they are read for what they say.
    const pdf = outcomes.get('ingest_multimodal: A PDF report')!;
    expect(pdf.ok).toBe(true);
    expect(pdf.structured).toMatchObject({ format: 'pdf', text_source: 'extracted', pages: 1, pages_with_text: 1 });
    const png = outcomes.get('ingest_multimodal: A diagram with a caption')!;
    expect(png.ok).toBe(true);
    expect(png.structured).toMatchObject({ format: 'image', text_source: 'caption' });
    expect(png.structured.details).toMatchObject({ width: 24, height: 8 });
    const kbPdf = outcomes.get('gc_kb_ingest: Upload a PDF')!;
    expect(kbPdf.ok).toBe(true);
    const found = await callTool(client, 'gc_kb_query', { query: 'how soon are expenses reimbursed?', mode: 'keyword' });
    expect(JSON.stringify(found.structured)).toContain('reimbursed within 30 days');
  });
});
