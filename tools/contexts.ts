// contexts toolset: context files (seed 001, /v1/contexts) and hierarchical project contexts with the
// assembled brain (seed 002, /api/contexts, camelCase). One store, one id: both APIs are views of the
// same rows. Files: src/services/contexts.ts; hierarchy/populate/compaction: contexts-tree.ts; brain:
// contexts-brain.ts.
import { z } from 'zod';
import { LIMITS } from '../src/config.js';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import type { Caller } from '../src/domain/scope.js';
import { defineTool, type AnyTool, type RestAlias, type ToolContext } from '../src/registry/define.js';
import { CONTEXT_SORTS } from '../src/store/contexts.js';
import { BrainService } from '../src/services/contexts-brain.js';
import { ContextTreeService } from '../src/services/contexts-tree.js';
import { CONTEXT_STATES, CONTEXT_TYPES, ContextsService, SLUG_RE } from '../src/services/contexts.js';

const files = (ctx: ToolContext) => ctx.app.service(ContextsService);
const hierarchy = (ctx: ToolContext) => ctx.app.service(ContextTreeService);
/** The caller; a call without a key is refused here (ctx.scope() throws Unauthorized). */
function callerOf(ctx: ToolContext): Caller {
  ctx.scope();
  return ctx.caller!;
}
/** The call's scope: the key's project, or another project of the owner named by project_id. */
const scopeOf = (ctx: ToolContext, projectId?: string) => files(ctx).scopeFor(callerOf(ctx), projectId);

/** Seed 001's routes: snake_case, 400 for invalid fields. */
const v1 = (method: RestAlias['method'], path: string, extra: Partial<RestAlias> = {}): RestAlias => ({ method, path, invalidStatus: 400, ...extra });
/** Seed 002's routes: camelCase names in and out. */
const api = (method: RestAlias['method'], path: string, extra: Partial<RestAlias> = {}): RestAlias => ({ method, path, casing: 'camel', ...extra });

const Id = z.string().min(1).max(200).describe('The context id (a UUID), or its slug.');
const ProjectId = z.string().min(1).max(128).describe("Project (default: the key's own). Account-level keys may name another project of the same account.");
const Content = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .describe('The content: a JSON object (context files) or Markdown text (project contexts); at most 500 KB.');
const Slug = z.string().min(1).max(100).regex(SLUG_RE, 'lowercase letters, digits and single hyphens').describe('URL-friendly identifier, unique per account: lowercase letters, digits, hyphens.');
const SchemaKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / -')
  .describe('Unique key within the project, a path like "root/api/auth".');
const Tier = z.number().int().min(1).max(3).describe('1 always in the brain, 2 on demand (ranked by relevance), 3 archive.');
const ContextType = z.enum(CONTEXT_TYPES).describe('system | reference | memory');

const Summary = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullable(),
  is_public: z.boolean(),
  version: z.string().describe('semver; the minor part advances with each content change.'),
  version_number: z.number().int(),
  view_count: z.number().int(),
  copy_count: z.number().int(),
  project_id: z.string(),
  schema_key: z.string().nullable(),
  parent_context_id: z.string().nullable(),
  tier: z.number().int(),
  context_type: z.enum(CONTEXT_TYPES),
  state: z.enum(CONTEXT_STATES),
  tokens: z.number().int().describe('Tokens of the content (o200k_base).'),
  created_at: z.string(),
  updated_at: z.string(),
  deleted_at: z.string().nullable().describe('Set while soft-deleted (restorable for 30 days).'),
});
const Full = Summary.extend({
  secrets_redacted: SecretsRedactedField,
  content: Content,
  source: z.string().nullable(),
  copied_from: z.string().nullable(),
  entries: z.number().int().describe('Journal entries not yet compacted into the content.'),
});

const render = (o: z.output<typeof Full>) =>
  `[${o.name} (${o.slug}) v${o.version}, ${o.state}, tier ${o.tier}${o.schema_key ? `, ${o.schema_key}` : ''}; id ${o.id}]\n\n` +
  (typeof o.content === 'string' ? o.content : JSON.stringify(o.content, null, 2));

const create = defineTool({
  name: 'create_context',
  toolset: 'contexts',
  secrets: 'redact',
  title: 'Create a context',
  description: 'Create a context file or a project context (instructions, architecture notes, decisions); optionally placed in the project tree by parent and schema key.',
  details:
    'slug defaults to one made from the name (unique per account; a taken slug you name is 409). A context is private unless is_public; POST /v1/contexts defaults it to true as the ' +
    'context-file API does (anyone with the id or slug can read it, without a key). New contexts are drafts: approve_context puts them in the brain. Content at most 500 KB (413).',
  input: z.object({
    name: z.string().min(1).max(100).describe('Name (at most 100 characters).'),
    slug: Slug.optional(),
    description: z.string().max(500).optional().describe('Brief description (at most 500 characters).'),
    content: Content.optional(),
    is_public: z.boolean().default(false).describe('Readable by anyone with the id or slug, without a key (default false; true on POST /v1/contexts).'),
    parent_context_id: z.string().min(1).max(200).optional().describe('Parent context id (hierarchy).'),
    schema_key: SchemaKey.optional(),
    tier: Tier.default(2),
    context_type: ContextType.default('memory'),
    state: z.enum(CONTEXT_STATES).default('draft').describe('draft (default) | approved | deprecated'),
    project_id: ProjectId.optional(),
  }),
  output: Full,
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [v1('POST', '/v1/contexts', { status: 201, args: { is_public: true } }), api('POST', '/api/contexts', { status: 201 })],
  examples: [
    { description: 'A context file', args: { name: 'My AI Assistant', slug: 'my-ai-assistant', description: 'Context for my personal AI assistant', content: { basics: { name: 'Claude', role: 'Personal Assistant' } }, is_public: false } },
    { description: 'A project context in the tree', args: { name: 'Authentication', slug: 'authentication', content: '# Auth\nUsing JWT with refresh tokens.', schema_key: 'root/architecture/auth', tier: 1, is_public: false, state: 'approved' } },
  ],
  render,
  handler: async (ctx, a) => {
    const { project_id, ...fields } = a;
    return files(ctx).create(await scopeOf(ctx, project_id), fields);
  },
});

const list = defineTool({
  name: 'list_contexts',
  toolset: 'contexts',
  title: 'List contexts',
  description: "The project's contexts without their content, paginated and sorted; filter by parent, or list the soft-deleted ones.",
  details: 'sort: updated_at (default), created_at, name, view_count, copy_count; order desc (default) or asc. deleted=true lists the restorable (soft-deleted) contexts instead.',
  input: z.object({
    limit: z.number().int().min(1).max(100).default(50).describe('Page size (1–100).'),
    offset: z.number().int().min(0).default(0).describe('Contexts to skip.'),
    sort: z.enum(CONTEXT_SORTS).default('updated_at').describe('updated_at | created_at | name | view_count | copy_count'),
    order: z.enum(['asc', 'desc']).default('desc').describe('asc | desc'),
    parent_id: z.string().min(1).max(200).optional().describe('Only children of this context.'),
    deleted: z.boolean().default(false).describe('List soft-deleted contexts (restorable) instead.'),
    project_id: ProjectId.optional(),
  }),
  output: z.object({ contexts: z.array(Summary), total: z.number().int(), limit: z.number().int(), offset: z.number().int(), has_more: z.boolean() }),
  annotations: { readOnlyHint: true },
  rest: [v1('GET', '/v1/contexts'), api('GET', '/api/contexts', { unwrap: 'contexts', args: { limit: 100 } })],
  examples: [{ description: 'Most recently updated first', args: { limit: 20 } }, { description: 'By name', args: { sort: 'name', order: 'asc' } }],
  handler: async (ctx, a) =>
    files(ctx).list(await scopeOf(ctx, a.project_id), { limit: a.limit, offset: a.offset, sort: a.sort, order: a.order, parentId: a.parent_id, deleted: a.deleted }),
});

const get = defineTool({
  name: 'get_context',
  toolset: 'contexts',
  public: true,
  title: 'Get a context',
  description: 'One context with its content, by id or slug: your own, or anyone\'s public context (no key needed; counts a view).',
  input: z.object({ id: Id }),
  output: Full,
  annotations: { readOnlyHint: true },
  rest: [v1('GET', '/v1/contexts/:id'), api('GET', '/api/contexts/:id')],
  examples: [{ description: 'By slug', args: { id: 'my-ai-assistant' } }],
  render,
  handler: (ctx, a) => files(ctx).get(ctx.caller, a.id),
});

const update = defineTool({
  name: 'update_context',
  toolset: 'contexts',
  secrets: 'redact',
  title: 'Update a context',
  description: 'Change only the fields sent; new content replaces the old and advances version and version_number (earlier versions stay readable).',
  input: z.object({
    id: Id,
    name: z.string().min(1).max(100).optional().describe('New name.'),
    slug: Slug.optional(),
    description: z.string().max(500).nullable().optional().describe('New description.'),
    content: Content.optional(),
    is_public: z.boolean().optional().describe('Visibility.'),
    parent_context_id: z.string().min(1).max(200).nullable().optional().describe('New parent (null: a root).'),
    schema_key: SchemaKey.nullable().optional(),
    tier: Tier.optional(),
    context_type: ContextType.optional(),
  }),
  output: Full,
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [v1('PATCH', '/v1/contexts/:id'), api('PATCH', '/api/contexts/:id')],
  examples: [{ description: 'Replace the content', args: { id: 'my-ai-assistant', content: { basics: { name: 'Claude', role: 'Expert Coder' } } } }],
  render,
  handler: async (ctx, a) => {
    const { id, ...fields } = a;
    return files(ctx).update(await scopeOf(ctx), id, fields);
  },
});

const del = defineTool({
  name: 'delete_context',
  toolset: 'contexts',
  title: 'Delete a context',
  description: 'Soft-delete a context (restore_context brings it back within 30 days, then it is purged), or delete it permanently.',
  details: 'permanent=true removes it with its versions and entries at once (DELETE /api/contexts/:id does this, as seed 002 says); its children move up to its parent.',
  input: z.object({ id: Id, permanent: z.boolean().default(false).describe('Delete for good now instead of soft-deleting.') }),
  output: z.object({ id: z.string(), deleted: z.literal(true), permanent: z.boolean(), restorable_until: z.string().nullable() }),
  annotations: { readOnlyHint: false, destructiveHint: true },
  rest: [v1('DELETE', '/v1/contexts/:id'), api('DELETE', '/api/contexts/:id', { status: 204, args: { permanent: true } })],
  examples: [{ description: 'Soft delete', args: { id: 'my-ai-assistant' } }],
  handler: async (ctx, a) => files(ctx).delete(await scopeOf(ctx), a.id, a.permanent),
});

const restore = defineTool({
  name: 'restore_context',
  toolset: 'contexts',
  title: 'Restore a deleted context',
  description: 'Bring back a soft-deleted context (within 30 days of its deletion), by id.',
  input: z.object({ id: z.string().min(1).max(200).describe('Id of the deleted context (list_contexts with deleted=true).') }),
  output: Full,
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [v1('POST', '/v1/contexts/:id/restore')],
  examples: [{ description: 'Restore', args: { id: '550e8400-e29b-41d4-a716-446655440000' } }],
  render,
  handler: async (ctx, a) => files(ctx).restore(await scopeOf(ctx), a.id),
});

const copy = defineTool({
  name: 'copy_context',
  toolset: 'contexts',
  title: 'Copy a context',
  description: "Copy a public context (anyone's) or one of your own into your project as a new draft; counts a copy on the original.",
  input: z.object({
    id: Id,
    name: z.string().min(1).max(100).optional().describe('Name of the copy (default: the original\'s).'),
    slug: Slug.optional().describe('Slug of the copy (default: the original\'s + "-copy").'),
    is_public: z.boolean().default(false).describe('Whether the copy is public.'),
  }),
  output: Full,
  annotations: { readOnlyHint: false },
  rest: [v1('POST', '/v1/contexts/:id/copy', { status: 201 })],
  examples: [{ description: 'Copy by slug', args: { id: 'my-ai-assistant', slug: 'my-assistant-copy' } }],
  render,
  handler: (ctx, a) => files(ctx).copy(callerOf(ctx), a.id, { name: a.name, slug: a.slug, is_public: a.is_public }),
});

const VersionInfo = z.object({
  version_number: z.number().int(),
  version: z.string(),
  change: z.enum(['create', 'update', 'compact', 'copy', 'populate']),
  name: z.string(),
  description: z.string().nullable(),
  created_at: z.string(),
});

const versions = defineTool({
  name: 'list_context_versions',
  toolset: 'contexts',
  title: 'List context versions',
  description: 'Every kept version of a context, newest first (each content change is one).',
  input: z.object({ id: Id }),
  output: z.object({ id: z.string(), current_version_number: z.number().int(), versions: z.array(VersionInfo) }),
  annotations: { readOnlyHint: true },
  rest: [v1('GET', '/v1/contexts/:id/versions')],
  examples: [{ description: 'History', args: { id: 'my-ai-assistant' } }],
  handler: async (ctx, a) => files(ctx).versions(await scopeOf(ctx), a.id),
});

const version = defineTool({
  name: 'get_context_version',
  toolset: 'contexts',
  title: 'Get a context version',
  description: 'The content of a context as it was at an earlier version_number.',
  input: z.object({ id: Id, version_number: z.number().int().min(1).describe('A version_number from list_context_versions.') }),
  output: VersionInfo.extend({ context_id: z.string(), content: Content, current: z.boolean() }),
  annotations: { readOnlyHint: true },
  rest: [v1('GET', '/v1/contexts/:id/versions/:version_number')],
  examples: [{ description: 'The first version', args: { id: 'my-ai-assistant', version_number: 1 } }],
  handler: async (ctx, a) => files(ctx).version(await scopeOf(ctx), a.id, a.version_number),
});

const approve = defineTool({
  name: 'approve_context',
  toolset: 'contexts',
  title: 'Approve or deprecate a context',
  description: 'Approve a context (it goes into the brain) or deprecate it (kept, never in the brain).',
  input: z.object({ id: Id, action: z.enum(['approve', 'deprecate']).describe('approve | deprecate') }),
  output: Summary,
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [api('POST', '/api/contexts/:id/approve')],
  examples: [{ description: 'Approve', args: { id: 'my-ai-assistant', action: 'approve' } }],
  handler: async (ctx, a) => hierarchy(ctx).approve(await scopeOf(ctx), a.id, a.action),
});

const entry = defineTool({
  name: 'add_context_entry',
  toolset: 'contexts',
  secrets: 'redact',
  title: 'Add a journal entry',
  description: 'Append an entry to a journal-like context (a decision, a bug, a session note); compact_context later folds the entries into one block.',
  input: z.object({ id: Id, text: z.string().min(1).max(LIMITS.contexts.entryChars).describe('The entry (Markdown).') }),
  output: z.object({ secrets_redacted: SecretsRedactedField, id: z.string(), entry_id: z.number().int(), entries: z.number().int().describe('Live entries now.'), tokens: z.number().int(), created_at: z.string() }),
  annotations: { readOnlyHint: false },
  rest: [api('POST', '/api/contexts/:id/entries', { status: 201 })],
  examples: [{ description: 'Log a decision in a Markdown context', args: { id: 'authentication', text: '2025-01-20: refresh tokens rotate on every use; sessions live in Redis for horizontal scaling.' } }],
  handler: async (ctx, a) => hierarchy(ctx).addEntry(await scopeOf(ctx), a.id, a.text),
});

const compact = defineTool({
  name: 'compact_context',
  toolset: 'contexts',
  metered: true,
  title: 'Compact a journal context',
  description: "Fold a Markdown context's content and journal entries into one block compressed by the engine, as a new version; reports the tokens saved.",
  details: 'fidelity: detailed (keeps about 40%), balanced (20%, default) or outline (10%). The entries stay in history, stamped with the version that holds them. Counts as one compression.',
  input: z.object({ id: Id, fidelity: z.enum(['detailed', 'balanced', 'outline']).default('balanced').describe('detailed | balanced | outline') }),
  output: z.object({
    id: z.string(),
    entries_before: z.number().int(),
    entries_after: z.number().int(),
    tokens_before: z.number().int(),
    tokens_after: z.number().int(),
    tokens_saved: z.number().int(),
    version: z.string(),
    version_number: z.number().int(),
  }),
  advertiseOutput: true,
  annotations: { readOnlyHint: false },
  rest: [api('POST', '/api/contexts/:id/compact')],
  examples: [{ description: 'Compact a journal (a Markdown context)', args: { id: 'authentication' } }],
  handler: async (ctx, a) => {
    const out = await hierarchy(ctx).compact(await scopeOf(ctx), ctx.caller!.plan, a.id, a.fidelity);
    if (out.tokens_before > 0) ctx.meter({ tokensIn: out.tokens_before, tokensOut: out.tokens_after });
    return out;
  },
});

interface TreeNodeShape {
  id: string;
  name: string;
  schema_key: string | null;
  description: string | null;
  tier: number;
  context_type: (typeof CONTEXT_TYPES)[number];
  state: (typeof CONTEXT_STATES)[number];
  children: TreeNodeShape[];
}
const TreeNode: z.ZodType<TreeNodeShape> = z.object({
  id: z.string(),
  name: z.string(),
  schema_key: z.string().nullable(),
  description: z.string().nullable(),
  tier: z.number().int(),
  context_type: z.enum(CONTEXT_TYPES),
  state: z.enum(CONTEXT_STATES),
  get children(): z.ZodArray<z.ZodType<TreeNodeShape>> {
    return z.array(TreeNode);
  },
});

const tree = defineTool({
  name: 'get_context_tree',
  toolset: 'contexts',
  title: 'Context tree',
  description: "The project's contexts as a tree (nested children), siblings ordered by schema key.",
  input: z.object({ project_id: ProjectId.optional() }),
  output: z.object({ project_id: z.string(), total: z.number().int(), tree: z.array(TreeNode) }),
  annotations: { readOnlyHint: true },
  rest: [api('GET', '/api/contexts/tree', { unwrap: 'tree' })],
  examples: [{ description: 'The whole tree', args: {} }],
  render: (o) => {
    const lines: string[] = [`[get_context_tree: ${o.total} contexts in project ${o.project_id}]`];
    const walk = (n: TreeNodeShape, depth: number) => {
      lines.push(`${'  '.repeat(depth)}- ${n.name}${n.schema_key ? ` (${n.schema_key})` : ''} [tier ${n.tier}, ${n.state}] ${n.id}`);
      n.children.forEach((c) => walk(c, depth + 1));
    };
    o.tree.forEach((n) => walk(n, 0));
    return lines.join('\n');
  },
  handler: async (ctx, a) => hierarchy(ctx).tree(await scopeOf(ctx, a.project_id)),
});

const Change = z.object({ field: z.string(), before: z.union([z.string(), z.number()]).nullable(), after: z.union([z.string(), z.number()]).nullable() });

const populate = defineTool({
  name: 'populate_contexts',
  toolset: 'contexts',
  secrets: 'redact',
  title: 'Populate contexts',
  description: 'Batch create or update project contexts by schema key, building the tree from parent_schema_key; dry_run answers the diff without writing.',
  details:
    `Up to ${LIMITS.contexts.populateNodes} nodes in one transaction. A node whose schema_key exists is updated (only the fields it sends are compared), else created as a draft. ` +
    'A parent_schema_key that is neither in the batch nor in the project is created as a placeholder (its own parent from the key\'s path), or only reported with create_missing_parents=false.',
  input: z.object({
    nodes: z
      .array(
        z.object({
          schema_key: SchemaKey,
          name: z.string().min(1).max(100).describe('Display name.'),
          description: z.string().max(500).optional().describe('Brief description.'),
          content: z.string().max(LIMITS.contexts.contentBytes).optional().describe('Markdown content.'),
          parent_schema_key: SchemaKey.optional().describe('Schema key of the parent.'),
          context_type: ContextType.optional(),
          tier: Tier.optional(),
        }),
      )
      .min(1)
      .max(LIMITS.contexts.populateNodes)
      .describe('The context nodes.'),
    source: z.string().max(100).optional().describe('Where the nodes come from, e.g. "cli-scan".'),
    dry_run: z.boolean().default(false).describe('Only return the diff; write nothing.'),
    create_missing_parents: z.boolean().default(true).describe('Create placeholder parents that do not exist (else report them).'),
    project_id: ProjectId.optional(),
  }),
  output: z.object({
    secrets_redacted: SecretsRedactedField,
    dry_run: z.boolean(),
    source: z.string().nullable(),
    created: z.array(z.object({ schema_key: z.string(), id: z.string().nullable().describe('null in a dry run.'), name: z.string(), placeholder: z.boolean() })),
    updated: z.array(z.object({ schema_key: z.string(), id: z.string(), changes: z.array(Change) })),
    unchanged: z.array(z.object({ schema_key: z.string(), id: z.string() })),
    missing_parents: z.array(z.object({ schema_key: z.string(), created: z.boolean() })),
    counts: z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() }),
  }),
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [api('POST', '/api/contexts/populate')],
  examples: [
    {
      description: 'Push scanned routes (dry run)',
      args: { source: 'cli-scan', dry_run: true, nodes: [{ schema_key: 'root/scan/routes', name: 'Routes', content: '## API Routes\n- GET /api/users\n- POST /api/auth/login', parent_schema_key: 'root/scan' }] },
    },
  ],
  render: (o) =>
    `[populate_contexts${o.dry_run ? ' (dry run)' : ''}: ${o.counts.created} created, ${o.counts.updated} updated, ${o.counts.unchanged} unchanged]` +
    o.updated.map((u) => `\n~ ${u.schema_key}: ${u.changes.map((c) => c.field).join(', ')}`).join('') +
    o.created.map((c) => `\n+ ${c.schema_key}${c.placeholder ? ' (placeholder parent)' : ''}`).join(''),
  handler: async (ctx, a) =>
    hierarchy(ctx).populate(await scopeOf(ctx, a.project_id), a.nodes, {
      source: a.source ?? null,
      dryRun: a.dry_run,
      createMissingParents: a.create_missing_parents,
      signal: ctx.signal,
      progress: (done, total) => ctx.progress(done, total, 'nodes'),
    }),
});

const Inclusion = z.enum(['whole', 'compressed', 'omitted']);

const brain = defineTool({
  name: 'get_brain',
  toolset: 'contexts',
  secrets: 'refuse',
  title: 'Project brain',
  description: "The project's approved contexts assembled into one Markdown document under a token budget, tier 1 first; load it at the start of a session.",
  details:
    'Tier 1 always goes in (compressed and flagged when tier 1 alone is over the budget); tier 2 is ranked by relevance to `query` (keyword + meaning) and compressed to fit; tier 3 only with include_archive; ' +
    'drafts and deprecated contexts never. Sections follow the tree. `version` changes whenever any context changes: cache by it. Also the MCP resource ctxgate://brain/{project}.',
  input: z.object({
    project_id: ProjectId.optional(),
    query: z.string().min(1).max(2000).optional().describe('What the session is about: ranks tier-2 contexts by relevance.'),
    budget_tokens: z.number().int().min(LIMITS.contexts.brainMinTokens).max(LIMITS.contexts.brainMaxTokens).default(LIMITS.contexts.brainDefaultTokens).describe('Token budget of the document.'),
    include_archive: z.boolean().default(false).describe('Also consider tier-3 (archive) contexts, after tier 2.'),
  }),
  output: z.object({
    project_id: z.string(),
    version: z.string().describe('Changes whenever any context of the project (or the request) changes.'),
    document: z.string(),
    tokens: z.number().int(),
    budget_tokens: z.number().int(),
    query: z.string().nullable(),
    include_archive: z.boolean(),
    tier1_compressed: z.boolean().describe('Tier 1 alone exceeded the budget and was compressed.'),
    contexts: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        schema_key: z.string().nullable(),
        tier: z.number().int(),
        inclusion: Inclusion,
        reason: z.string().nullable().describe('tier1_over_budget | budget | archive'),
        original_tokens: z.number().int(),
        tokens: z.number().int(),
        relevance_rank: z.number().int().nullable(),
      }),
    ),
    counts: z.object({ whole: z.number().int(), compressed: z.number().int(), omitted: z.number().int() }),
  }),
  annotations: { readOnlyHint: true },
  rest: [api('GET', '/api/brain')],
  restHeaders: (o) => ({ ETag: `"${o.version}"` }),
  examples: [{ description: 'The brain at the default budget', args: {} }, { description: 'Focused on a task', args: { query: 'authentication tokens', budget_tokens: 2000 } }],
  render: (o) =>
    `[get_brain: ${o.tokens}/${o.budget_tokens} tokens; ${o.counts.whole} whole, ${o.counts.compressed} compressed, ${o.counts.omitted} left out${o.tier1_compressed ? '; tier 1 over budget, compressed' : ''}; version ${o.version}]\n\n${o.document}`,
  resource: {
    uriTemplate: 'ctxgate://brain/{project}',
    name: 'brain',
    title: 'Project brain',
    description: "The project's approved contexts as one Markdown document (4,000-token budget).",
    mimeType: 'text/markdown',
    args: (vars) => ({ project_id: vars.project }),
    text: (o) => o.document,
    listFor: (projectId) => ({ project: projectId }),
  },
  handler: async (ctx, a) => ctx.app.service(BrainService).assemble(await scopeOf(ctx, a.project_id), { budgetTokens: a.budget_tokens, query: a.query ?? null, includeArchive: a.include_archive }),
});

export const tools: AnyTool[] = [create, list, get, update, del, restore, copy, versions, version, approve, entry, compact, tree, populate, brain];
