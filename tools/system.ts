// system toolset: help, environment, and discovery — search_tools, call_tool, enable_toolset,
// enable_tools, list_toolsets. A lean session lists few tools; these make every other one reachable.
// What a caller sees and may call comes from ctx.view (src/registry/visibility.ts), nowhere else.
import { z } from 'zod';
import { PLANS, type Plan } from '../src/config.js';
import { VERSION } from '../src/version.js';
import { BadRequest } from '../src/errors.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { planEmbedder } from '../src/services/embedder.js';
import { sentenceRanges } from '../src/engine/chunking.js';
import { UsageService } from '../src/services/usage.js';

const MinPlan = z.enum(PLANS);
const Access = {
  listed: z.boolean().describe('In this session\'s tools/list.'),
  callable: z.boolean().describe('This key may call it (else 401 without a key, 403 naming the plan).'),
  min_plan: MinPlan,
};

type JsonSchema = { description?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema };
const Placeholder = z.object({
  field: z.string().describe('The argument, as a path (documents[0].doc_id).'),
  from: z.array(z.string()).describe('Tools that give a real value for it.'),
});

/**
 * The values of an example that stand for a record of the reader's own (an id, a slug, a version):
 * every argument whose schema description names the tool that gives one ("from list_spaces",
 * "returned by add_memory", "(ingest_context)"). Read from the schemas in one place, so an example
 * needs no note of its own, and a fresh server's 404 on it is explained where the example is printed.
 */
export function examplePlaceholders(schema: JsonSchema, args: Record<string, unknown>, toolNames: ReadonlySet<string>): Array<z.infer<typeof Placeholder>> {
  const out: Array<z.infer<typeof Placeholder>> = [];
  const visit = (path: string, value: unknown, node: JsonSchema | undefined) => {
    if (!node) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(`${path}[${i}]`, v, node.items));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(`${path}.${k}`, v, node.properties?.[k]);
    } else if (typeof value === 'string' || typeof value === 'number') {
      // A tool named as an instance ("e.g. compress_text") is a value, not where one comes from.
      const from = [...new Set((node.description ?? '').replace(/e\.g\.[^.;)]*/g, '').match(/[a-z][a-z0-9_]+/g) ?? [])].filter((w) => toolNames.has(w));
      if (from.length) out.push({ field: path, from });
    }
  };
  for (const [k, v] of Object.entries(args)) visit(k, v, schema.properties?.[k]);
  return out;
}

const toolHelp = defineTool({
  name: 'tool_help',
  toolset: 'system',
  title: 'Tool help',
  description: "Full documentation of any tool: details, input and output schemas, REST routes, plan and examples. Use it instead of guessing a tool's arguments.",
  input: z.object({ tool_name: z.string().min(1).describe('Tool name, e.g. "compress_text".') }),
  output: z.object({
    name: z.string(),
    title: z.string(),
    toolset: z.string(),
    description: z.string(),
    details: z.string(),
    min_plan: MinPlan,
    needs_api_key: z.boolean(),
    listed: z.boolean(),
    callable: z.boolean(),
    input_schema: z.record(z.string(), z.unknown()),
    output_schema: z.record(z.string(), z.unknown()),
    annotations: z.record(z.string(), z.unknown()),
    rest: z.array(z.object({ method: z.string(), path: z.string() })),
    examples: z.array(
      z.object({
        description: z.string(),
        call: z.string(),
        args: z.record(z.string(), z.unknown()),
        placeholders: z.array(Placeholder).describe("Arguments standing for a record of the reader's own: replace them with a real value from the tools named."),
      }),
    ),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'How do I call compress_text?', args: { tool_name: 'compress_text' } }],
  render: (o) =>
    [
      `# ${o.name} — ${o.title} (toolset ${o.toolset}; ${o.min_plan} plan${o.needs_api_key ? '' : ', no key needed'}${o.callable ? '' : '; NOT callable with this key'})`,
      o.description,
      o.details,
      `Input schema: ${JSON.stringify(o.input_schema)}`,
      `Output: ${JSON.stringify(o.output_schema)}`,
      `REST: ${o.rest.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      ...o.examples.map((x) => `Example (${x.description}): ${x.call}${x.placeholders.map((p) => `\n  ${p.field} is a placeholder: use a real one from ${p.from.join(' or ')}`).join('')}`),
    ]
      .filter(Boolean)
      .join('\n'),
  handler: (ctx, { tool_name }) => {
    const tool = ctx.registry.get(tool_name);
    if (!tool) throw ctx.registry.unknownTool(tool_name, 'tool_name');
    const e = ctx.registry.entry(tool);
    const toolNames = new Set(ctx.registry.tools.keys());
    const access = ctx.view.describe(tool);
    return {
      name: tool.name,
      title: tool.title,
      toolset: tool.toolset,
      description: tool.description,
      details: tool.details ?? '',
      min_plan: access.min_plan,
      needs_api_key: access.needs_api_key,
      listed: access.listed,
      callable: access.callable,
      input_schema: e.inputSchema,
      output_schema: e.outputSchema,
      annotations: e.annotations,
      rest: [{ method: 'POST', path: `/v1/tools/${tool.name}` }, ...(tool.rest ?? [])],
      examples: (tool.examples ?? []).map((x) => ({
        description: x.description,
        call: `${tool.name}(${JSON.stringify(x.args)})`,
        args: x.args,
        placeholders: examplePlaceholders(e.inputSchema as JsonSchema, x.args, toolNames),
      })),
    };
  },
});

const checkEnvironment = defineTool({
  name: 'check_environment',
  toolset: 'system',
  title: 'Check environment',
  description: 'Verify connectivity and see what this connection can do: version, key, plan, project, limits and use, embedder, store, and the tools listed and callable.',
  input: z.object({}),
  output: z.object({
    version: z.string(),
    node: z.string(),
    authenticated: z.boolean(),
    plan: z.string().nullable(),
    key: z
      .object({
        key_id: z.string().nullable(),
        name: z.string(),
        role: z.string().describe('owner | admin | operator | viewer in the key\'s project.'),
        project_bound: z.boolean().describe('The key acts only inside project_id (no account-level actions).'),
      })
      .nullable(),
    project_id: z.string().nullable(),
    limits: z.object({ requests_per_minute: z.number(), monthly_compressions: z.number(), max_text_bytes: z.number() }),
    usage: z.object({ compressions_this_month: z.number(), remaining: z.number(), resets_at: z.string() }).nullable(),
    embedder: z.object({ provider: z.string(), id: z.string(), dim: z.number(), loaded: z.boolean(), reason: z.string() }),
    store: z.object({ ok: z.boolean(), backend: z.enum(['sqlite', 'postgres']), schema_version: z.number(), journal_mode: z.string() }),
    tools: z.object({
      registered: z.number(),
      listed: z.number().describe('In this session\'s tools/list (including enabled toolsets and tools).'),
      callable: z.number().describe('Registered tools this key may call.'),
      visible_to_you: z.number().describe('Same as listed (kept for older clients).'),
    }),
    session: z.object({
      transport: z.string(),
      profile: z.string().nullable(),
      toolsets: z.array(z.string()).nullable(),
      enabled_toolsets: z.array(z.string()),
      enabled_tools: z.array(z.string()),
    }),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'Check the connection and plan', args: {} }],
  handler: async (ctx) => {
    const cfg = ctx.app.config;
    const plan = ctx.caller?.plan ?? 'free';
    const limits = cfg.plans[plan];
    const usage = ctx.caller ? await ctx.app.service(UsageService).summary(ctx.caller) : null;
    const emb = ctx.app.embedderInfo() ?? planEmbedder(cfg);
    const store = await ctx.app.store.describe();
    const all = [...ctx.registry.tools.values()];
    const listed = ctx.view.listedTools().length;
    const surface = ctx.session?.surface() ?? null;
    return {
      version: VERSION,
      node: process.version,
      authenticated: !!ctx.caller,
      plan: ctx.caller?.plan ?? null,
      key: ctx.caller ? { key_id: ctx.caller.keyId, name: ctx.caller.keyName, role: ctx.caller.role ?? 'owner', project_bound: !!ctx.caller.projectBound } : null,
      project_id: ctx.caller?.projectId ?? null,
      limits: { requests_per_minute: limits.requestsPerMinute, monthly_compressions: limits.monthlyCompressions, max_text_bytes: limits.maxTextBytes },
      usage: usage && { compressions_this_month: usage.quota - usage.remaining, remaining: usage.remaining, resets_at: usage.resets_at },
      embedder: { provider: emb.provider, id: emb.id, dim: emb.dim, loaded: !!ctx.app.embedderInfo(), reason: emb.reason },
      store: { ok: true, backend: store.backend, schema_version: store.schema_version, journal_mode: store.journal_mode },
      tools: { registered: all.length, listed, callable: all.filter((t) => ctx.view.callable(t)).length, visible_to_you: listed },
      session: {
        transport: ctx.transport,
        profile: surface?.profile ?? null,
        toolsets: surface?.toolsets ? [...surface.toolsets] : null,
        enabled_toolsets: [...(surface?.enabledToolsets ?? [])],
        enabled_tools: [...(surface?.enabledTools ?? [])],
      },
    };
  },
});

const listToolsets = defineTool({
  name: 'list_toolsets',
  toolset: 'system',
  title: 'List toolsets',
  description: 'The toolsets this server offers, with their tools, whether each toolset is listed in this session and what this key may call.',
  input: z.object({}),
  output: z.object({
    toolsets: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        tools: z.array(z.string()),
        listed_in_session: z.boolean().describe('Every tool of the toolset is in this session\'s tools/list.'),
        visible_in_session: z.boolean().describe('Same as listed_in_session (kept for older clients).'),
        callable_tools: z.array(z.string()).describe('The tools of the toolset this key may call.'),
        min_plan: MinPlan.describe('Lowest plan that may call every tool of the toolset.'),
      }),
    ),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'What else can this server do?', args: {} }],
  handler: (ctx) => ({
    toolsets: ctx.registry.toolsets().map((ts) => {
      const listed = ts.tools.every((t) => ctx.view.listed(t));
      return {
        name: ts.name,
        description: ts.description,
        tools: ts.tools.map((t) => t.name),
        listed_in_session: listed,
        visible_in_session: listed,
        callable_tools: ts.tools.filter((t) => ctx.view.callable(t)).map((t) => t.name),
        min_plan: ctx.registry.minPlanOfAll(ts.tools),
      };
    }),
  }),
});

function needSession(ctx: ToolContext, what: string) {
  if (!ctx.session) {
    throw new BadRequest(`${what} changes an MCP session's tool list; over REST every tool is already reachable at POST /v1/tools/{name}`, 'not_in_session');
  }
  return ctx.session;
}

const enableToolset = defineTool({
  name: 'enable_toolset',
  toolset: 'system',
  title: 'Enable toolset',
  description: "Add whole toolsets to this session's tool list; the client is notified with tools/list_changed.",
  details: 'Toolset names come from list_toolsets. Clients that never re-read their tool list can use call_tool instead. Tools a key may not call are listed too and refused with 403 naming the plan.',
  input: z.object({
    toolsets: z.array(z.string().min(1)).min(1).max(20).describe('Toolset names, e.g. ["kb", "memory"].'),
  }),
  output: z.object({ enabled: z.array(z.string()), added_tools: z.array(z.string()) }),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'Add the knowledge base tools', args: { toolsets: ['kb'] } }],
  handler: async (ctx, { toolsets }) => {
    const added = await needSession(ctx, 'enable_toolset').enableToolsets(toolsets);
    return { enabled: toolsets, added_tools: added };
  },
});

const enableTools = defineTool({
  name: 'enable_tools',
  toolset: 'system',
  title: 'Enable tools',
  description: "Add single tools (e.g. found with search_tools) to this session's tool list; the client is notified with tools/list_changed.",
  input: z.object({ tools: z.array(z.string().min(1)).min(1).max(50).describe('Tool names, e.g. ["compress_code"].') }),
  output: z.object({ enabled: z.array(z.string()), added_tools: z.array(z.string()) }),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'Add the code skeleton tool', args: { tools: ['compress_code'] } }],
  handler: async (ctx, { tools }) => {
    const added = await needSession(ctx, 'enable_tools').enableTools(tools);
    return { enabled: tools, added_tools: added };
  },
});

const SearchHit = z.object({ name: z.string(), description: z.string(), toolset: z.string(), ...Access });

const searchTools = defineTool({
  name: 'search_tools',
  toolset: 'system',
  title: 'Search tools',
  description: 'Find tools by what they do, best first, with one-line descriptions; run one with call_tool or add it with enable_tools.',
  input: z.object({
    query: z.string().min(1).max(500).describe('What you want to do, e.g. "skeleton of a python file".'),
    limit: z.number().int().min(1).max(25).default(8).describe('Most results (default 8).'),
  }),
  output: z.object({ query: z.string(), results: z.array(SearchHit) }),
  advertiseOutput: true,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'Find a tool for code skeletons', args: { query: 'compress source code to signatures' } }],
  render: (o) =>
    o.results.length
      ? `[search_tools: ${o.results.length} for "${o.query}"]\n` +
        o.results.map((r) => `${r.name} (${r.toolset}${r.callable ? '' : `; needs ${r.min_plan} plan`}${r.listed ? '' : '; not listed: use call_tool'}) — ${r.description}`).join('\n')
      : `[search_tools: nothing matches "${o.query}"; list_toolsets shows every toolset]`,
  handler: async (ctx, { query, limit }) => {
    const extra = await sourceTools(ctx);
    return {
      query,
      results: ctx.registry.search(query, limit, extra).map(({ tool, external }) =>
        tool
          ? { name: tool.name, description: firstSentence(tool.description), toolset: tool.toolset, ...pick(ctx.view.describe(tool)) }
          : { name: external!.name, description: firstSentence(external!.description), toolset: external!.origin, ...pick({ ...ctx.view.describe(ctx.registry.get(gateOf(ctx, external!.name))!), listed: false }) },
      ),
    };
  },
});

/** The caller's tools from sources (upstreams) whose gate tool it may call; none for anonymous callers. */
async function sourceTools(ctx: ToolContext) {
  if (!ctx.caller) return [];
  const lists = await Promise.all(
    ctx.registry.sources.filter((s) => ctx.registry.get(s.gate) && ctx.view.callable(ctx.registry.get(s.gate)!)).map((s) => s.tools(ctx.scope(), ctx.signal)),
  );
  return lists.flat();
}

const gateOf = (ctx: ToolContext, name: string) => ctx.registry.sources.find((s) => s.owns(name))!.gate;

function pick(a: { listed: boolean; callable: boolean; min_plan: Plan }) {
  return { listed: a.listed, callable: a.callable, min_plan: a.min_plan };
}

/** The description's first sentence, split where the compressor splits ("e.g. x" does not end one). */
function firstSentence(s: string): string {
  const t = s.trim();
  const first = sentenceRanges(t)[0];
  return first ? t.slice(first[0], first[1]) : t;
}

const callTool = defineTool({
  name: 'call_tool',
  toolset: 'system',
  title: 'Call any tool',
  description: 'Run any tool by name with its arguments, listed in this session or not (for clients that never refresh their tool list).',
  details:
    'The call goes through the same pipeline as a direct call: the same key, plan gate (403 naming the plan), quota, argument checks and errors. The result is the tool\'s own text; structuredContent is {tool, result}. Find names with search_tools and arguments with tool_help.',
  input: z.object({
    name: z.string().min(1).max(64).describe('Tool name, e.g. "compress_code".'),
    // An open object rather than a record: the inner tool checks these arguments itself (names, sizes),
    // so the free-form size cap on records must not apply to them here.
    arguments: z.object({}).catchall(z.unknown()).default({}).describe("The tool's arguments (see tool_help)."),
  }),
  output: z.object({ tool: z.string(), result: z.record(z.string(), z.unknown()) }),
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  public: true,
  examples: [{ description: 'Count tokens through call_tool', args: { name: 'estimate_tokens', arguments: { text: 'hello world' } } }],
  render: (o, registry) => {
    const inner = registry.get(o.tool);
    if (inner) return registry.renderText(inner, o.result);
    // A source tool's result is MCP content already: its text blocks are what the model reads.
    const content = (o.result as { content?: Array<{ type: string; text?: string }> }).content;
    return Array.isArray(content) ? content.filter((b) => b.type === 'text').map((b) => b.text).join('\n') : JSON.stringify(o.result);
  },
  handler: async (ctx, { name, arguments: args }) => {
    if (name === 'call_tool') throw new BadRequest("call_tool cannot call itself; name the tool you want", 'invalid_value', { field: 'name', rule: 'not_call_tool' });
    const source = ctx.registry.sourceFor(name);
    if (source) {
      // A source's tools (upstreams) are called as their gate tool would be: same plan and visibility rule.
      const refusal = ctx.view.refusal(ctx.registry.get(source.gate)!);
      if (refusal) throw refusal;
      const r = await source.call(ctx.scope(), name, args, ctx.signal);
      return { tool: name, result: r as unknown as Record<string, unknown> };
    }
    const { tool, output } = await ctx.invoke(name, args);
    return { tool: tool.name, result: output as Record<string, unknown> };
  },
});

export const tools: AnyTool[] = [toolHelp, checkEnvironment, searchTools, callTool, enableToolset, enableTools, listToolsets];
