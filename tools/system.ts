// system toolset: tool_help, check_environment, list_toolsets, enable_toolset.
import { z } from 'zod';
import { VERSION } from '../src/version.js';
import { BadRequest, NotFound } from '../src/errors.js';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { planEmbedder } from '../src/services/embedder.js';
import { UsageService } from '../src/services/usage.js';

const toolHelp = defineTool({
  name: 'tool_help',
  toolset: 'system',
  title: 'Tool help',
  description: "Full documentation of any tool: description, input and output JSON Schemas, REST routes, minimum plan and worked examples. Use it instead of guessing a tool's arguments.",
  input: z.object({ tool_name: z.string().min(1).describe('Name of the tool, e.g. "compress_text".') }),
  output: z.object({
    name: z.string(),
    title: z.string(),
    toolset: z.string(),
    description: z.string(),
    min_plan: z.enum(['free', 'pro']),
    needs_api_key: z.boolean(),
    input_schema: z.record(z.string(), z.unknown()),
    output_schema: z.record(z.string(), z.unknown()),
    annotations: z.record(z.string(), z.unknown()),
    rest: z.array(z.object({ method: z.string(), path: z.string() })),
    examples: z.array(z.object({ description: z.string(), call: z.string(), args: z.record(z.string(), z.unknown()) })),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'How do I call compress_text?', args: { tool_name: 'compress_text' } }],
  handler: (ctx, { tool_name }) => {
    const tool = ctx.registry.get(tool_name);
    if (!tool) {
      const hint = ctx.registry.suggest(tool_name);
      throw new NotFound(`Unknown tool '${tool_name}'${hint.length ? `. Did you mean: ${hint.join(', ')}?` : ''}`, { suggestions: hint });
    }
    const e = ctx.registry.entry(tool);
    return {
      name: tool.name,
      title: tool.title,
      toolset: tool.toolset,
      description: tool.description,
      min_plan: ctx.registry.minPlan(tool) === 'free' ? ('free' as const) : ('pro' as const),
      needs_api_key: !tool.public,
      input_schema: e.inputSchema,
      output_schema: e.outputSchema,
      annotations: e.annotations,
      rest: [{ method: 'POST', path: `/v1/tools/${tool.name}` }, ...(tool.rest ?? [])],
      examples: (tool.examples ?? []).map((x) => ({ description: x.description, call: `${tool.name}(${JSON.stringify(x.args)})`, args: x.args })),
    };
  },
});

const checkEnvironment = defineTool({
  name: 'check_environment',
  toolset: 'system',
  title: 'Check environment',
  description: 'Verify connectivity and see what this connection can do: server version, whether your key is recognised, plan, project, rate and quota limits with this month\'s use, the active embedder and the store.',
  input: z.object({}),
  output: z.object({
    version: z.string(),
    node: z.string(),
    authenticated: z.boolean(),
    plan: z.string().nullable(),
    key: z.object({ key_id: z.string().nullable(), name: z.string() }).nullable(),
    project_id: z.string().nullable(),
    limits: z.object({ requests_per_minute: z.number(), monthly_compressions: z.number(), max_text_bytes: z.number() }),
    usage: z.object({ compressions_this_month: z.number(), remaining: z.number(), resets_at: z.string() }).nullable(),
    embedder: z.object({ provider: z.string(), id: z.string(), dim: z.number(), loaded: z.boolean(), reason: z.string() }),
    store: z.object({ ok: z.boolean(), backend: z.enum(['sqlite', 'postgres']), schema_version: z.number(), journal_mode: z.string() }),
    tools: z.object({ registered: z.number(), visible_to_you: z.number() }),
    session: z.object({ transport: z.string(), profile: z.string().nullable(), toolsets: z.array(z.string()).nullable() }),
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
    return {
      version: VERSION,
      node: process.version,
      authenticated: !!ctx.caller,
      plan: ctx.caller?.plan ?? null,
      key: ctx.caller ? { key_id: ctx.caller.keyId, name: ctx.caller.keyName } : null,
      project_id: ctx.caller?.projectId ?? null,
      limits: { requests_per_minute: limits.requestsPerMinute, monthly_compressions: limits.monthlyCompressions, max_text_bytes: limits.maxTextBytes },
      usage: usage && { compressions_this_month: usage.quota - usage.remaining, remaining: usage.remaining, resets_at: usage.resets_at },
      embedder: { provider: emb.provider, id: emb.id, dim: emb.dim, loaded: !!ctx.app.embedderInfo(), reason: emb.reason },
      store: { ok: true, backend: store.backend, schema_version: store.schema_version, journal_mode: store.journal_mode },
      tools: {
        registered: ctx.registry.tools.size,
        visible_to_you: ctx.registry.select({ profile: ctx.session?.profile ?? 'full', toolsets: ctx.session?.toolsets ?? null, plan: ctx.caller?.plan ?? null }).length,
      },
      session: { transport: ctx.transport, profile: ctx.session?.profile ?? null, toolsets: ctx.session?.toolsets ? [...ctx.session.toolsets] : null },
    };
  },
});

const listToolsets = defineTool({
  name: 'list_toolsets',
  toolset: 'system',
  title: 'List toolsets',
  description: 'The toolsets this server offers, with their tools and whether each is already visible in this session. Grow a lean session with enable_toolset.',
  input: z.object({}),
  output: z.object({
    toolsets: z.array(
      z.object({ name: z.string(), description: z.string(), tools: z.array(z.string()), visible_in_session: z.boolean() }),
    ),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'What else can this server do?', args: {} }],
  handler: (ctx) => {
    const visible = new Set(
      ctx.registry.select({ profile: ctx.session?.profile ?? 'full', toolsets: ctx.session?.toolsets ?? null, plan: ctx.caller?.plan ?? null }).map((t) => t.name),
    );
    return {
      toolsets: ctx.registry.toolsets().map((ts) => ({
        name: ts.name,
        description: ts.description,
        tools: ts.tools.map((t) => t.name),
        visible_in_session: ts.tools.every((t) => visible.has(t.name) || (ctx.caller && !ctx.registry.allowed(t, ctx.caller.plan))),
      })),
    };
  },
});

const enableToolset = defineTool({
  name: 'enable_toolset',
  toolset: 'system',
  title: 'Enable toolset',
  description: "Add one or more toolsets to this MCP session's tool list (the client is notified with tools/list_changed). Lets an agent connected with a narrow ?toolsets= selection that includes system grow its list on demand.",
  input: z.object({
    toolsets: z.array(z.string().min(1)).min(1).max(20).describe('Toolset names from list_toolsets, e.g. ["kb", "memory"].'),
  }),
  output: z.object({ enabled: z.array(z.string()), added_tools: z.array(z.string()) }),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'Add the knowledge base tools', args: { toolsets: ['kb'] } }],
  handler: async (ctx, { toolsets }) => {
    if (!ctx.session) {
      throw new BadRequest('enable_toolset changes an MCP session\'s tool list; over REST every tool is already reachable at POST /v1/tools/{name}', 'not_in_session');
    }
    const added = await ctx.session.enableToolsets(toolsets);
    return { enabled: toolsets, added_tools: added };
  },
});

export const tools: AnyTool[] = [toolHelp, checkEnvironment, listToolsets, enableToolset];
