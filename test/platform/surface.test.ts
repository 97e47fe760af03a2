// The tool surface a client pays for, and the discovery that keeps every tool one step away:
// the lean default within its token budget, portable schemas (the Inspector's rules, 0 findings),
// short descriptions, search_tools / call_tool / enable_tools, and one visibility rule for every
// kind of caller (no key, free key, pro key, key bound to a project) across every place that shows
// or runs tools: tools/list, list_toolsets, check_environment, enable_toolset, search_tools,
// call_tool, tools/call and REST.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { loadConfig } from '../../src/config.js';
import { countTokens } from '../../src/engine/tokens.js';
import { lintSchema } from '../../src/registry/schema-lint.js';
import { callTool, connectMcp, rest, startTestServer, type TestServer } from '../helpers/server.js';

/** The lean default's budget (issue 9): o200k tokens of the tools/list result a client receives. */
const DEFAULT_BUDGET_TOKENS = 4000;

let srv: TestServer;
beforeAll(async () => {
  // Many calls per caller kind: lift the free plan's per-minute limit (the limiter is tested elsewhere).
  const plans = loadConfig().plans;
  srv = await startTestServer({ config: { plans: { ...plans, free: { ...plans.free, requestsPerMinute: 10_000 } } } });
});
afterAll(async () => {
  await srv?.close();
});

const profileTools = (name: string) => (JSON.parse(fs.readFileSync(path.join(process.cwd(), 'profiles', `${name}.json`), 'utf8')) as { tools: string[] }).tools;

async function withClient<T>(opts: Parameters<typeof connectMcp>[1], fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await connectMcp(srv, opts);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

describe('lean default surface', () => {
  it(`a connection that names no profile gets core + discovery within ${DEFAULT_BUDGET_TOKENS} tokens`, async () => {
    await withClient({ key: srv.ownerKey }, async (c) => {
      const list = await c.listTools();
      expect(list.tools.map((t) => t.name).sort()).toEqual([...profileTools('default')].sort());
      for (const t of profileTools('core')) expect(list.tools.map((x) => x.name)).toContain(t);
      for (const t of ['search_tools', 'call_tool', 'enable_toolset', 'enable_tools', 'tool_help']) expect(list.tools.map((x) => x.name)).toContain(t);
      const tokens = countTokens(JSON.stringify(list));
      expect(tokens).toBeLessThanOrEqual(DEFAULT_BUDGET_TOKENS);
    });
  });

  it('?toolsets= alone lists those toolsets whole', async () => {
    await withClient({ key: srv.ownerKey, toolsets: ['kb'] }, async (c) => {
      const names = (await c.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual([...srv.app.registry.tools.values()].filter((t) => t.toolset === 'kb').map((t) => t.name).sort());
    });
  });

  it('?profile=full still lists every registered tool', async () => {
    await withClient({ key: srv.ownerKey, profile: 'full' }, async (c) => {
      expect((await c.listTools()).tools.length).toBe(srv.app.registry.tools.size);
    });
  });

  it('every schema of the full profile passes the portability lint (0 findings)', async () => {
    await withClient({ key: srv.ownerKey, profile: 'full' }, async (c) => {
      const findings: string[] = [];
      for (const t of (await c.listTools()).tools) {
        for (const f of lintSchema(t.inputSchema as Record<string, unknown>, 'input')) findings.push(`${t.name} input${f.at}: ${f.rule} (${f.message})`);
        if (t.outputSchema) for (const f of lintSchema(t.outputSchema as Record<string, unknown>, 'output')) findings.push(`${t.name} output${f.at}: ${f.rule} (${f.message})`);
      }
      expect(findings).toEqual([]);
    });
  });

  it('the lint catches what it is meant to catch', () => {
    const rules = lintSchema(
      {
        type: 'object',
        properties: {
          a: { type: ['string', 'null'] },
          b: {},
          c: true,
          d: { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 },
          e: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        },
        additionalProperties: false,
      },
      'input',
    ).map((f) => f.rule);
    expect(rules.sort()).toEqual(['boolean-schema', 'nullable-input', 'type-union', 'unsafe-integer-bound', 'unsafe-integer-bound', 'untyped-schema']);
  });

  it('descriptions are one or two sentences; detail lives in tool_help', async () => {
    const long: string[] = [];
    for (const t of srv.app.registry.tools.values()) {
      const sentences = t.description.split(/(?<=[.!?])\s+(?=[A-Z(])/).length;
      if (sentences > 2 || t.description.length > 300) long.push(`${t.name} (${sentences} sentences, ${t.description.length} chars)`);
    }
    expect(long).toEqual([]);
    const help = await rest(srv, 'POST', '/v1/tools/tool_help', { body: { tool_name: 'call_tool' } });
    expect(help.status).toBe(200);
    expect(help.body.details).toMatch(/same pipeline/);
  });
});

describe('discovery', () => {
  it('search_tools ranks tools by what they do', async () => {
    await withClient({ key: srv.ownerKey }, async (c) => {
      const top = async (query: string, n = 3) => ((await callTool(c, 'search_tools', { query })).structured.results as Array<{ name: string }>).slice(0, n).map((r) => r.name);
      expect(await top('skeleton of a python source file')).toContain('compress_code');
      expect(await top('shrink git log and test runner output')).toContain('filter_cli_output');
      expect(await top('knowledge base items versions restore', 5)).toContain('gc_kb_restore');
      expect(await top('agent memory knowledge graph entities', 5)).toEqual(expect.arrayContaining([expect.stringMatching(/entit/)]));
      const r = await callTool(c, 'search_tools', { query: 'compress source code to signatures', limit: 2 });
      expect(r.structured.results).toHaveLength(2);
      expect(r.structured.results[0]).toMatchObject({ toolset: expect.any(String), description: expect.any(String), listed: expect.any(Boolean), callable: true });
      expect(r.text.split('\n')[0]).toMatch(/^\[search_tools: 2 for/);
    });
  });

  it('search_tools puts the tool a natural request means first (BM25F: name weighted, a long help text no penalty, "hand off" finds handoff, "invite" finds add_member, stop words and tool cross-references no terms)', async () => {
    const queries: Array<[string, string]> = [
      ['hand off a task to another agent', 'create_handoff'],
      ['handoff to another agent', 'create_handoff'],
      ['pick up a handoff another agent left', 'get_handoff'],
      ['how many tokens is this text', 'estimate_tokens'],
      ['search the knowledge base', 'gc_kb_query'],
      ['remember a fact for later', 'add_memory'],
      ['shrink the output of npm test', 'filter_cli_output'],
      ['skeleton of a python source file', 'compress_code'],
      ['rotate an api key', 'rotate_api_key'],
      ['record whether the playbook advice helped', 'ace_record_outcome'],
      ['add lessons to the play book', 'ace_add_bullets'],
      ['store a document for semantic search', 'ingest_context'],
      ['look up library documentation', 'gc_lookup'],
      ['fit several items into a token budget', 'adapt_to_context_window'],
      // A reader's word for what the tools call otherwise (SYNONYMS in registry/tool-search.ts).
      ['invite someone to my project', 'add_member'],
      ['add a teammate', 'add_member'],
      ['summarize a conversation', 'distill'],
      ['erase a document', 'delete_document'],
      ['delete my api key', 'revoke_api_key'],
      ['undo deleting a context', 'restore_context'],
      ['revert a kb item to an earlier version', 'gc_kb_restore'],
      // Plain requests: stop words ("which", "if", "did", "make", "new") are no terms, "compress" meets
      // "compression", another tool's name inside a description is not this tool's words, the
      // toolset's text counts half, and the descriptions say what a user asks.
      ['which files break if I change a function', 'gc_blast_radius'],
      ['what breaks if I rename this class', 'gc_blast_radius'],
      ['compress a conversation history', 'distill'],
      ['roll back a knowledge base item', 'gc_kb_restore'],
      ['save a note', 'add_memory'],
      ['make this prompt smaller', 'compress_text'],
      ['shorten a long document', 'compress_text'],
      ['how much did I spend', 'get_usage'],
      ['how many tokens do I have left this month', 'get_usage'],
      ['set up a webhook for events', 'create_webhook'],
      ['find where a function is defined', 'search_code'],
      ['create a new project', 'create_project'],
      ['dedupe repeated lines in logs', 'filter_cli_output'],
    ];
    await withClient({ key: srv.ownerKey }, async (c) => {
      const wrong: string[] = [];
      for (const [query, want] of queries) {
        const names = ((await callTool(c, 'search_tools', { query, limit: 3 })).structured.results as Array<{ name: string }>).map((r) => r.name);
        if (names[0] !== want) wrong.push(`"${query}" → ${names.join(', ')} (want ${want} first)`);
      }
      expect(wrong).toEqual([]);
      // "undo" and "roll back" alone: the two restore tools first.
      for (const query of ['undo', 'roll back']) {
        const names = ((await callTool(c, 'search_tools', { query, limit: 2 })).structured.results as Array<{ name: string }>).map((r) => r.name);
        expect(names.sort(), query).toEqual(['gc_kb_restore', 'restore_context']);
      }
    });
  });

  it('call_tool runs an unlisted tool through the same pipeline: same text, same errors', async () => {
    await withClient({ key: srv.ownerKey }, async (c) => {
      expect((await c.listTools()).tools.map((t) => t.name)).not.toContain('compress_code');
      const code = 'import os\n\ndef load(path):\n    """Read a file."""\n    with open(path) as f:\n        return f.read()\n';
      const via = await callTool(c, 'call_tool', { name: 'compress_code', arguments: { code, language: 'python', fidelity: 'outline' } });
      const direct = await callTool(c, 'compress_code', { code, language: 'python', fidelity: 'outline' });
      expect(via.isError).toBe(false);
      expect(via.text).toBe(direct.text);
      expect(via.structured).toEqual({ tool: 'compress_code', result: direct.structured });
      const typo = await callTool(c, 'call_tool', { name: 'compress_code', arguments: { code, fidelty: 'outline' } });
      expect(typo.isError).toBe(true);
      expect(typo.structured).toMatchObject({ status: 422, field: 'fidelty', rule: 'unknown_argument', suggestion: 'fidelity' });
      const unknown = await callTool(c, 'call_tool', { name: 'compress_cod', arguments: {} });
      expect(unknown.structured).toMatchObject({ status: 404, rule: 'unknown_tool' });
      expect(unknown.structured.suggestions).toContain('compress_code');
      const self = await callTool(c, 'call_tool', { name: 'call_tool', arguments: {} });
      expect(self.structured.status).toBe(400);
    });
  });

  it('enable_tools adds single tools and sends tools/list_changed', async () => {
    let changed = 0;
    await withClient({ key: srv.ownerKey, onListChanged: () => changed++ }, async (c) => {
      const r = await callTool(c, 'enable_tools', { tools: ['compress_code', 'repo_map'] });
      expect(r.structured.added_tools.sort()).toEqual(['compress_code', 'repo_map']);
      await new Promise((res) => setTimeout(res, 100));
      expect(changed).toBe(1);
      const names = (await c.listTools()).tools.map((t) => t.name);
      expect(names).toContain('compress_code');
      expect(names).not.toContain('search_code');
      const again = await callTool(c, 'enable_tools', { tools: ['repo_map'] });
      expect(again.structured.added_tools).toEqual([]);
      await new Promise((res) => setTimeout(res, 100));
      expect(changed).toBe(1);
      const bad = await callTool(c, 'enable_tools', { tools: ['repo_mapp'] });
      expect(bad.structured).toMatchObject({ status: 404, field: 'tools' });
      expect(bad.structured.detail).toMatch(/repo_map/);
    });
  });
});

describe('payload, not envelope', () => {
  it('text tools return their text after a one-line header of figures; the object stays in structuredContent', async () => {
    await withClient({ key: srv.ownerKey }, async (c) => {
      const doc = ['# Deploying', '', ...Array.from({ length: 30 }, (_, i) => `Step ${i + 1} configures the ${['queue', 'lease', 'worker', 'ledger', 'gateway'][i % 5]} service with retries and timeouts measured in seconds.`)].join('\n');
      await callTool(c, 'ingest_context', { file_id: 'payload-doc', content: doc });
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['compress_text', { text: doc, fidelity: 'outline' }, 'compressed'],
        ['read_skeleton', { file_id: 'payload-doc', fidelity: 'outline' }, 'skeleton'],
        ['filter_cli_output', { output: 'npm WARN deprecated x@1\n'.repeat(40) + 'added 312 packages in 4s\n' }, 'filtered'],
        ['compress_code', { code: 'def a():\n    return 1\n\ndef b():\n    return a()\n', language: 'python' }, 'compressed'],
        ['compress_codebase', { files: [{ path: 'a.py', content: 'def a():\n    return 1\n' }, { path: 'b.py', content: 'from a import a\n\ndef b():\n    return a()\n' }] }, 'digest'],
      ];
      for (const [tool, args, field] of cases) {
        const r = await callTool(c, tool, args);
        expect(r.isError, tool).toBe(false);
        const [header, ...rest] = r.text.split('\n');
        expect(header, tool).toMatch(new RegExp(`^\\[${tool}: .*\\]$`));
        expect(rest.join('\n'), tool).toBe(r.structured[field]);
        expect(countTokens(r.text), tool).toBeLessThan(countTokens(JSON.stringify(r.structured)));
      }
    });
  });
});

describe('one visibility rule for every kind of caller', () => {
  // The rule: every tool is present for every caller (listed per the session's surface, found by
  // search_tools, shown by list_toolsets); one the key may not call is refused everywhere alike:
  // 401 without a key, 403 naming the plan for a key whose plan lacks it.
  const PRO_TOOL = 'list_documents';

  async function callerKinds() {
    const project = await rest(srv, 'POST', '/v1/tools/create_project', { key: srv.ownerKey, body: { name: `bound-${Date.now()}` } });
    expect(project.status).toBeLessThan(300);
    return [
      { kind: 'no key', key: null as string | null, plan: null, status: 401 },
      { kind: 'free key', key: (await srv.createKey({ name: 'free', plan: 'free' })).key, plan: 'free' as const, status: 403 },
      { kind: 'pro key', key: (await srv.createKey({ name: 'pro', plan: 'pro' })).key, plan: 'pro' as const, status: 200 },
      { kind: 'project-bound key', key: (await srv.createKey({ name: 'bound', plan: 'pro', projectId: project.body.project_id ?? project.body.id })).key, plan: 'pro' as const, status: 200 },
    ];
  }

  it('tools/list, list_toolsets, check_environment, search_tools, call_tool, tools/call and REST agree', async () => {
    for (const caller of await callerKinds()) {
      await withClient({ key: caller.key }, async (c) => {
        const label = caller.kind;
        // Before enabling: the pro tool is not listed, but it is found and described the same way.
        const listed = () => c.listTools().then((l) => l.tools.map((t) => t.name));
        expect(await listed(), label).toEqual([...profileTools('default')].filter((n) => srv.app.registry.get(n)).sort((a, b) => order(a) - order(b)));
        const env1 = (await callTool(c, 'check_environment')).structured;
        expect(env1.tools.listed, label).toBe((await listed()).length);
        const sets1 = (await callTool(c, 'list_toolsets')).structured.toolsets as Array<{ name: string; listed_in_session: boolean; callable_tools: string[] }>;
        const docs1 = sets1.find((t) => t.name === 'documents')!;
        expect(docs1.listed_in_session, label).toBe(false);
        expect(docs1.callable_tools.includes(PRO_TOOL), label).toBe(caller.status === 200);
        const hit = ((await callTool(c, 'search_tools', { query: 'list stored documents newest first' })).structured.results as Array<{ name: string; listed: boolean; callable: boolean; min_plan: string }>).find(
          (r) => r.name === PRO_TOOL,
        );
        expect(hit, label).toMatchObject({ listed: false, callable: caller.status === 200, min_plan: 'pro' });
        // A pro key calls every tool but the seed's Team / Enterprise ones.
        const callable = [...srv.app.registry.tools.values()].filter((t) => (caller.plan ? srv.app.registry.allowed(t, caller.plan) : !!t.public)).length;
        expect(env1.tools.callable, label).toBe(callable);

        // Enabling the toolset: every view moves together.
        const en = await callTool(c, 'enable_toolset', { toolsets: ['documents'] });
        expect(en.isError, label).toBe(false);
        expect(en.structured.added_tools, label).toContain(PRO_TOOL);
        expect(await listed(), label).toContain(PRO_TOOL);
        const env2 = (await callTool(c, 'check_environment')).structured;
        expect(env2.tools.listed, label).toBe((await listed()).length);
        expect(env2.session.enabled_toolsets, label).toEqual(['documents']);
        const docs2 = ((await callTool(c, 'list_toolsets')).structured.toolsets as Array<{ name: string; listed_in_session: boolean }>).find((t) => t.name === 'documents')!;
        expect(docs2.listed_in_session, label).toBe(true);
        const hit2 = ((await callTool(c, 'search_tools', { query: 'list stored documents newest first' })).structured.results as Array<{ name: string; listed: boolean }>).find((r) => r.name === PRO_TOOL);
        expect(hit2?.listed, label).toBe(true);

        // Calling it: the same answer from tools/call, call_tool and REST.
        const direct = await callTool(c, PRO_TOOL, {});
        const via = await callTool(c, 'call_tool', { name: PRO_TOOL, arguments: {} });
        const overRest = await rest(srv, 'POST', `/v1/tools/${PRO_TOOL}`, { key: caller.key, body: {} });
        if (caller.status === 200) {
          expect(direct.isError, label).toBe(false);
          expect(via.isError, label).toBe(false);
          expect(overRest.status, label).toBe(200);
        } else {
          expect(direct.structured.status, label).toBe(caller.status);
          expect(via.structured.status, label).toBe(caller.status);
          expect(overRest.status, label).toBe(caller.status);
          if (caller.status === 403) {
            for (const body of [direct.structured, via.structured, overRest.body]) expect(body).toMatchObject({ required_plan: 'pro', detail: expect.stringMatching(/requires the pro plan/) });
          }
        }
      });
    }
  });
});

function order(name: string): number {
  return [...srv.app.registry.tools.keys()].indexOf(name);
}
