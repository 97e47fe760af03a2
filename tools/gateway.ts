// gateway toolset: other MCP servers behind ctxgate — register / list / remove upstreams, list their
// tools, call them with the result compressed on request, and compress tools/list manifests.
import { z } from 'zod';
import { BadRequest } from '../src/errors.js';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { compressManifest, MANIFEST_LEVELS, OUTPUT_SCHEMA_MODES, type ManifestTool } from '../src/services/gateway/manifest.js';
import { GatewayResultsService, SHRINK_MODES } from '../src/services/gateway/results.js';
import { UpstreamsService } from '../src/services/gateway/upstreams.js';

const Upstream = z.object({
  id: z.string(),
  name: z.string(),
  transport: z.enum(['stdio', 'http']),
  target: z.string().describe('The command line or URL; header and env values are never returned.'),
  header_names: z.array(z.string()),
  env_names: z.array(z.string()),
  created_at: z.string(),
});

const Open = z.object({}).catchall(z.unknown());
const ManifestToolIn = z
  .object({
    name: z.string().min(1).max(128).describe('Tool name.'),
    description: z.string().optional().describe('Tool description.'),
    inputSchema: Open.optional().describe('JSON Schema of the arguments.'),
    outputSchema: Open.optional().describe('JSON Schema of the result.'),
  })
  .catchall(z.unknown());
const Level = z.enum(MANIFEST_LEVELS).default('balanced').describe('How much of each description to keep: light ~60%, balanced ~35%, aggressive ~15% (first sentence always).');
const OutputSchemaMode = z.enum(OUTPUT_SCHEMA_MODES).default('compress').describe('outputSchema: compress its descriptions, keep it as is, or drop it.');

const ToolSaving = z.object({
  name: z.string(),
  original_tokens: z.number().int(),
  compressed_tokens: z.number().int(),
  description_tokens_before: z.number().int(),
  description_tokens_after: z.number().int(),
  savings_pct: z.number(),
});
const Totals = z.object({
  original_tokens: z.number().int(),
  compressed_tokens: z.number().int(),
  tokens_saved: z.number().int(),
  savings_pct: z.number(),
  description_tokens_before: z.number().int(),
  description_tokens_after: z.number().int(),
  description_savings_pct: z.number(),
});

const header = (name: string, t: z.infer<typeof Totals>) =>
  `[${name}: ${t.original_tokens} → ${t.compressed_tokens} tokens, ${t.savings_pct}% saved; descriptions ${t.description_tokens_before} → ${t.description_tokens_after}, ${t.description_savings_pct}% saved]`;

const registerUpstream = defineTool({
  name: 'register_upstream_server',
  toolset: 'gateway',
  title: 'Register upstream MCP server',
  description: "Put another MCP server behind ctxgate for this project: an HTTP URL (with headers) or a stdio command the operator allow-listed.",
  details:
    "stdio: `command` must equal one line of CTXGATE_UPSTREAM_COMMANDS (words split on spaces, no shell); `env` adds variables (PATH, NODE_*, LD_*, PYTHON* and the like are refused). http: `url` must resolve to a public address unless CTXGATE_URL_ALLOWLIST allows it (checked on every request); `headers` are sent with every request. Header and env values are stored encrypted under the server secret and never returned. The name prefixes the upstream's tools in aggregated lists (name__tool).",
  input: z.object({
    name: z.string().min(1).max(32).describe("Short name, e.g. 'memory' (lower case, digits, '-', single '_')."),
    command: z.string().max(2000).optional().describe('stdio server: an allow-listed command line.'),
    url: z.string().max(2000).optional().describe('HTTP server: its Streamable HTTP MCP endpoint.'),
    headers: z.record(z.string(), z.string().max(8192)).optional().describe('HTTP headers sent upstream (e.g. Authorization); stored encrypted.'),
    env: z.record(z.string(), z.string().max(8192)).optional().describe('Environment for a stdio server; stored encrypted.'),
  }),
  output: z.object({ server: Upstream }),
  annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: true },
  rest: [{ method: 'POST', path: '/v1/gateway/upstreams' }],
  examples: [
    { description: 'A stdio server the operator allow-listed', args: { name: 'memory', command: 'npx -y @modelcontextprotocol/server-memory' } },
    { description: 'An HTTP server with a token', args: { name: 'docs', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer …' } } },
  ],
  handler: async (ctx, args) => ({ server: await ctx.app.service(UpstreamsService).register(ctx.scope(), args) }),
});

const listUpstreams = defineTool({
  name: 'list_upstream_servers',
  toolset: 'gateway',
  title: 'List upstream MCP servers',
  description: "The MCP servers registered behind ctxgate in this project (credentials never shown).",
  input: z.object({}),
  output: z.object({ servers: z.array(Upstream) }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'GET', path: '/v1/gateway/upstreams' }],
  examples: [{ description: 'List upstreams', args: {} }],
  handler: async (ctx) => ({ servers: await ctx.app.service(UpstreamsService).list(ctx.scope()) }),
});

const removeUpstream = defineTool({
  name: 'remove_upstream_server',
  toolset: 'gateway',
  title: 'Remove upstream MCP server',
  description: 'Remove a registered upstream (by id or name) and close its connection; its stored credentials are deleted.',
  input: z.object({ server: z.string().min(1).max(64).describe('Upstream id or name, from list_upstream_servers.') }),
  output: z.object({ removed: Upstream }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'DELETE', path: '/v1/gateway/upstreams/:server' }],
  examples: [{ description: 'Remove the memory upstream', args: { server: 'memory' } }],
  handler: async (ctx, { server }) => ({ removed: await ctx.app.service(UpstreamsService).remove(ctx.scope(), server) }),
});

const listUpstreamTools = defineTool({
  name: 'list_upstream_tools',
  toolset: 'gateway',
  title: 'List an upstream server\'s tools',
  description: "An upstream's tools with compressed descriptions (input schemas semantically intact), their namespaced names and the tokens saved.",
  details: 'compressed=false returns the upstream\'s own entries unchanged. refresh=true asks the upstream again instead of using the list cached for the open connection. Call a tool with proxy_mcp_server, or with call_tool as name "server__tool".',
  input: z.object({
    server: z.string().min(1).max(64).describe('Upstream id or name, from list_upstream_servers.'),
    compressed: z.boolean().default(true).describe('Compress descriptions (default true).'),
    refresh: z.boolean().default(false).describe('Ask the upstream again (default: cached per connection).'),
  }),
  output: z.object({ server: Upstream, tools: z.array(z.object({ namespaced: z.string() }).catchall(z.unknown())), totals: Totals }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  rest: [{ method: 'GET', path: '/v1/gateway/upstreams/:server/tools' }],
  examples: [{ description: "The memory server's tools", args: { server: 'memory' } }],
  render: (o) => `${header('list_upstream_tools', o.totals)}\n${JSON.stringify(o.tools)}`,
  handler: async (ctx, { server, compressed, refresh }) => {
    const r = await ctx.app.service(UpstreamsService).tools(ctx.scope(), server, refresh);
    const m = compressManifest(r.tools as ManifestTool[]);
    const tools = (compressed ? m.tools : r.tools).map((t) => ({ ...t, namespaced: `${r.server.name}__${t.name}` }));
    return { server: r.server, tools, totals: compressed ? m.totals : { ...m.totals, compressed_tokens: m.totals.original_tokens, tokens_saved: 0, savings_pct: 0, description_tokens_after: m.totals.description_tokens_before, description_savings_pct: 0 } };
  },
});

const Block = z.object({ type: z.string() }).catchall(z.unknown());

const proxyMcp = defineTool({
  name: 'proxy_mcp_server',
  toolset: 'gateway',
  plan: 'team',
  title: 'Call an upstream tool',
  description: "Call a tool of a registered upstream MCP server; with compress=true its result is shrunk under max_tokens, the rest kept for paging via a continuation handle.",
  details:
    "Shrinking (compress=true): JSON loses null members and repeated records become {columns, rows}; shell-like output goes through the CLI filters (failures verbatim); prose over the budget goes through the compressor; then text is cut at max_tokens. Images, audio and resources pass through untouched. Whenever something was shortened, the whole text is kept 30 minutes: call again with continuation=<handle> and page=N (pages of 2000 tokens) to read it. Secrets in upstream text are redacted.",
  input: z.object({
    server: z.string().min(1).max(64).optional().describe('Upstream id or name, from list_upstream_servers (not needed with continuation).'),
    tool: z.string().min(1).max(128).optional().describe("The upstream tool's own name."),
    arguments: Open.default({}).describe("The upstream tool's arguments."),
    compress: z.boolean().default(false).describe('Shrink the result (default false: passed through).'),
    mode: z.enum(SHRINK_MODES).default('auto').describe('How to read text: auto-detect, or force json / cli / text.'),
    max_tokens: z.number().int().min(50).max(100_000).default(2000).describe('Token budget of the shrunk text (default 2000).'),
    continuation: z.string().max(64).optional().describe('Handle from an earlier shrunk proxy_mcp_server result: read its full text instead of calling.'),
    page: z.number().int().min(1).default(1).describe('Page of the continuation (from 1).'),
  }),
  output: z.object({
    server: z.string().nullable(),
    tool: z.string().nullable(),
    is_error: z.boolean(),
    content: z.array(Block),
    compression: z
      .object({
        original_tokens: z.number().int(),
        tokens: z.number().int(),
        truncated: z.boolean(),
        blocks: z.array(z.object({ index: z.number().int(), kind: z.string(), detected: z.string().nullable(), original_tokens: z.number().int(), tokens: z.number().int() })),
        secrets_redacted: z.array(z.string()),
      })
      .nullable(),
    continuation: z.object({ handle: z.string(), pages: z.number().int(), page_tokens: z.number().int(), expires_at: z.string() }).nullable(),
    page: z.object({ page: z.number().int(), pages: z.number().int() }).nullable(),
    structured_content: z.record(z.string(), z.unknown()).nullable(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  rest: [{ method: 'POST', path: '/v1/gateway/proxy' }],
  examples: [
    { description: "Read the memory server's graph, shrunk", args: { server: 'memory', tool: 'read_graph', compress: true, max_tokens: 500 } },
    { description: 'Next page of a kept result', args: { continuation: 'res_…', page: 2 } },
  ],
  render: (o) => {
    const text = o.content.filter((b) => b.type === 'text').map((b) => String(b.text)).join('\n');
    const c = o.compression;
    const head = o.page
      ? `[proxy_mcp_server: page ${o.page.page}/${o.page.pages}]`
      : `[proxy_mcp_server: ${o.server}/${o.tool}${o.is_error ? ' (upstream error)' : ''}${c ? `; ${c.original_tokens} → ${c.tokens} tokens` : ''}${o.continuation ? `; full text: continuation=${o.continuation.handle}, ${o.continuation.pages} page(s)` : ''}]`;
    return `${head}\n${text}`;
  },
  attachments: (o) => o.content.filter((b) => b.type !== 'text'),
  handler: async (ctx, a) => {
    const scope = ctx.scope();
    const results = ctx.app.service(GatewayResultsService);
    if (a.continuation) {
      const p = results.page(scope, a.continuation, a.page);
      return { server: null, tool: null, is_error: false, content: [{ type: 'text', text: p.text }], compression: null, continuation: null, page: { page: p.page, pages: p.pages }, structured_content: null };
    }
    if (!a.server) throw new BadRequest('server is required (or continuation, to read a kept result)', 'invalid_value', { field: 'server', rule: 'required' });
    if (!a.tool) throw new BadRequest('tool is required: the upstream tool to call', 'invalid_value', { field: 'tool', rule: 'required' });
    const { server, result } = await ctx.app.service(UpstreamsService).call(scope, a.server, a.tool, a.arguments, ctx.signal);
    const base = { server: server.name, tool: a.tool, is_error: !!result.isError, page: null };
    if (!a.compress) {
      return { ...base, content: result.content, compression: null, continuation: null, structured_content: (result.structuredContent as Record<string, unknown> | undefined) ?? null };
    }
    const s = await results.shrink(scope, ctx.caller?.plan ?? 'free', result, { maxTokens: a.max_tokens, mode: a.mode, signal: ctx.signal });
    ctx.meter({ tokensIn: s.original_tokens, tokensOut: s.tokens });
    return {
      ...base,
      content: s.content,
      compression: { original_tokens: s.original_tokens, tokens: s.tokens, truncated: s.truncated, blocks: s.blocks, secrets_redacted: s.secrets_redacted },
      continuation: s.continuation,
      // The structured copy is the uncompressed result again: dropped when the point is fewer tokens.
      structured_content: null,
    };
  },
});

const compressManifestTool = defineTool({
  name: 'gc_compress_manifest',
  toolset: 'gateway',
  secrets: 'refuse',
  title: 'Compress an MCP tools/list manifest',
  description: 'Shorten an MCP tools/list payload: compressed descriptions, every inputSchema property, type, enum, required list, default and format kept; per-tool and total token savings.',
  details:
    'Descriptions keep their first sentence, then rules (must, only, default, limit …) before narration and examples, within a share of the tokens set by level. Nothing is rewritten: sentences are kept or dropped, filler phrases removed. Schema annotations ($schema, title, $comment, examples) are dropped; validation keywords are copied unchanged, so every argument validates exactly as before.',
  input: z.object({
    manifest: z.object({ tools: z.array(ManifestToolIn).max(2000).describe('The tools/list entries.') }).catchall(z.unknown()).describe('A tools/list result: {tools: [...]}.'),
    level: Level,
    output_schema: OutputSchemaMode,
  }),
  output: z.object({ tools: z.array(z.object({ name: z.string() }).catchall(z.unknown())), per_tool: z.array(ToolSaving), totals: Totals, level: z.string() }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  rest: [{ method: 'POST', path: '/v1/gateway/compress-manifest' }],
  examples: [
    {
      description: 'One tool',
      args: { manifest: { tools: [{ name: 'read_file', description: 'Read the complete contents of a file from the file system. Handles various text encodings and provides detailed error messages if the file cannot be read. Use this tool when you need to examine the contents of a single file.', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }] } },
    },
  ],
  render: (o) => `${header('gc_compress_manifest', o.totals)}\n${JSON.stringify({ tools: o.tools })}`,
  handler: (ctx, { manifest, level, output_schema }) => {
    const r = compressManifest(manifest.tools as ManifestTool[], { level, outputSchema: output_schema });
    ctx.meter({ tokensIn: r.totals.original_tokens, tokensOut: r.totals.compressed_tokens });
    return { ...r, level };
  },
});

const compressRegistry = defineTool({
  name: 'compress_mcp_registry',
  toolset: 'gateway',
  plan: 'team',
  secrets: 'refuse',
  title: 'Compress many MCP manifests',
  description: "Compress the tools/list manifests of several MCP servers at once (given inline, or this project's registered upstreams), with savings per server and in total.",
  details: 'Same compression as gc_compress_manifest. Without `servers`, the manifests of the upstreams registered in this project are fetched live; an upstream that does not answer is listed with its error. include_tools=false returns only the figures.',
  input: z.object({
    servers: z
      .array(z.object({ name: z.string().min(1).max(64).describe('Server name.'), tools: z.array(ManifestToolIn).max(2000).describe('Its tools/list entries.') }))
      .max(50)
      .optional()
      .describe("Manifests to compress; omit to use this project's upstreams."),
    level: Level,
    output_schema: OutputSchemaMode,
    include_tools: z.boolean().default(true).describe('Return the compressed tools (default true).'),
  }),
  output: z.object({
    servers: z.array(z.object({ name: z.string(), error: z.string().nullable(), totals: Totals, tools: z.array(z.object({ name: z.string() }).catchall(z.unknown())).nullable() })),
    totals: Totals,
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  metered: true,
  rest: [{ method: 'POST', path: '/v1/gateway/compress-registry' }],
  examples: [{ description: "Every upstream of this project, figures only", args: { include_tools: false } }],
  render: (o) => `${header('compress_mcp_registry', o.totals)}\n` + o.servers.map((s) => `${s.name}: ${s.error ? `error: ${s.error}` : `${s.totals.original_tokens} → ${s.totals.compressed_tokens} tokens (${s.totals.savings_pct}%)`}`).join('\n'),
  handler: async (ctx, a) => {
    const input = a.servers
      ? a.servers.map((s) => ({ name: s.name, tools: s.tools as ManifestTool[], error: null as string | null }))
      : (await ctx.app.service(UpstreamsService).allTools(ctx.scope())).map((u) => ({ name: u.server.name, tools: u.tools as ManifestTool[], error: u.error }));
    const servers = input.map((s) => {
      const r = compressManifest(s.tools, { level: a.level, outputSchema: a.output_schema });
      return { name: s.name, error: s.error, totals: r.totals, tools: a.include_tools ? r.tools : null };
    });
    const sum = (k: keyof z.infer<typeof Totals>) => servers.reduce((acc, s) => acc + s.totals[k], 0);
    const o = sum('original_tokens');
    const c = sum('compressed_tokens');
    const db = sum('description_tokens_before');
    const da = sum('description_tokens_after');
    const pct = (b: number, x: number) => (b > 0 ? Math.round((1000 * (b - x)) / b) / 10 : 0);
    ctx.meter({ tokensIn: o, tokensOut: c });
    return { servers, totals: { original_tokens: o, compressed_tokens: c, tokens_saved: o - c, savings_pct: pct(o, c), description_tokens_before: db, description_tokens_after: da, description_savings_pct: pct(db, da) } };
  },
});


export const tools: AnyTool[] = [registerUpstream, listUpstreams, removeUpstream, listUpstreamTools, proxyMcp, compressManifestTool, compressRegistry];
