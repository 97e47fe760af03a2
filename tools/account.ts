// account toolset: projects, API keys, usage and savings. Every call acts on the caller's own account.
import { z } from 'zod';
import { PLANS, type Plan } from '../src/config.js';
import { DEFAULT_MODEL, findModel, inputCost } from '../src/engine/tokens.js';
import { BadRequest, exactlyOneOf, Forbidden, projectBoundRefusal } from '../src/errors.js';
import { ROLES, roleAtLeast, type Role } from '../src/domain/scope.js';
import { MembersService } from '../src/services/members.js';
import { AuditService } from '../src/services/audit.js';
import { AnalyticsService } from '../src/services/analytics.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { AccountsService } from '../src/services/accounts.js';
import { KeysService } from '../src/services/keys.js';
import { ProjectsService } from '../src/services/projects.js';
import { UsageService, lifetimeSavings } from '../src/services/usage.js';

const Stats = z.object({
  compressions: z.number().int(),
  tokens_in: z.number().int(),
  tokens_saved: z.number().int(),
  avg_savings_pct: z.number(),
  compressions_this_month: z.number().int(),
});
const Project = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  is_default: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  stats: Stats,
});
const ProjectId = z.string().min(1).max(100).describe('Project id (prj_...), from list_projects.');
const KeySummary = z.object({
  key_id: z.string(),
  name: z.string(),
  plan: z.enum(PLANS),
  masked_key: z.string(),
  status: z.enum(['active', 'revoked']),
  project_id: z.string().nullable(),
  member_user_id: z.string().nullable().describe('The member the key acts for (null: the account holder).'),
  created_at: z.string(),
  last_used: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
const CreatedKey = z.object({
  key: z.string().describe('The full key: shown once, store it now.'),
  key_id: z.string(),
  name: z.string(),
  plan: z.enum(PLANS),
  project_id: z.string().nullable(),
  created_at: z.string(),
});

const owner = (ctx: ToolContext) => ctx.scope().ownerId;
const RANK: Record<Plan, number> = { free: 0, pro: 1, team: 2, enterprise: 3 };

function checkPlan(ctx: ToolContext, plan: Plan | undefined): Plan {
  const mine = ctx.caller!.plan;
  const wanted = plan ?? mine;
  if (RANK[wanted] > RANK[mine]) throw new Forbidden(`A ${mine}-plan key cannot create a key on the ${wanted} plan`, { field: 'plan', plan: mine, required_plan: wanted });
  return wanted;
}

/**
 * A key bound to a project acts only inside that project: it sees and manages that project and the
 * keys bound to it, nothing else. Account-level actions (creating or deleting projects, keys for
 * other projects) need an unbound key.
 */
function requireUnbound(ctx: ToolContext, action: string): void {
  if (ctx.caller?.projectBound) {
    throw new Forbidden(`A key bound to a project cannot ${action}: that is an account-level action and needs a key that is not bound to a project`, { reason: 'project_bound_key' });
  }
}

function requireOwnProject(ctx: ToolContext, projectId: string | null | undefined, field = 'project_id'): void {
  if (ctx.caller?.projectBound && projectId !== ctx.caller.projectId) throw projectBoundRefusal(ctx.caller.projectId, field);
}

/**
 * Keys a caller may see and manage: all of the account's, or for a bound key those bound to its
 * project; an operator manages only its own member's keys (the seed: "manage API keys for itself").
 */
async function manageableKeys(ctx: ToolContext) {
  const all = await ctx.app.service(KeysService).list(owner(ctx));
  const inScope = ctx.caller?.projectBound ? all.filter((k) => k.project_id === ctx.caller!.projectId) : all;
  // Other members' keys are key management (admin); an operator or a viewer sees only its own.
  return roleAtLeast(actorRole(ctx), 'admin') ? inScope : inScope.filter((k) => (k.member_user_id ?? k.user_id) === actor(ctx));
}

async function manageableKey(ctx: ToolContext, keyId: string, action: 'revoke' | 'rotate') {
  const k = await ctx.app.service(KeysService).get(keyId, owner(ctx));
  requireOwnProject(ctx, k.project_id, 'key_id');
  const holder = k.member_user_id ?? k.user_id;
  if (holder === actor(ctx)) return k;
  const role = actorRole(ctx);
  if (!roleAtLeast(role, 'admin')) {
    throw new Forbidden(`An operator manages only its own keys; key ${keyId} belongs to another member (admin role needed)`, { field: 'key_id', role, required_role: 'admin', reason: 'role' });
  }
  if (role === 'owner') return k;
  // An admin may not act on an owner's key (it cannot remove or demote an owner either), and may not
  // rotate anyone else's: the new key string would let it act as that person, an owner included.
  const holderRole = k.project_id ? await ctx.app.service(MembersService).roleOf({ ownerId: owner(ctx), projectId: k.project_id }, holder) : 'owner';
  if (action === 'rotate' || holderRole === 'owner') {
    const why = action === 'rotate' ? "rotating another member's key hands over their credential" : "the key belongs to one of the project's owners";
    throw new Forbidden(`Only an owner can ${action} key ${keyId}: ${why}`, { field: 'key_id', role, required_role: 'owner', reason: 'role' });
  }
  return k;
}

/** The person acting (a member, or the account holder). */
const actor = (ctx: ToolContext) => ctx.caller?.actorId ?? owner(ctx);
const actorRole = (ctx: ToolContext): Role => ctx.caller?.role ?? 'owner';

function summary(k: Awaited<ReturnType<KeysService['list']>>[number]) {
  return { key_id: k.key_id, name: k.name, plan: k.plan, masked_key: k.masked_key, status: k.status, project_id: k.project_id, member_user_id: k.member_user_id, created_at: k.created_at, last_used: k.last_used, revoked_at: k.revoked_at };
}

const RoleField = z.enum(ROLES).describe('owner (everything) | admin (members, integrations) | operator (jobs, own keys) | viewer (read only).');
const Member = z.object({
  user_id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  account_holder: z.boolean().describe('Owns the project\'s data; can be demoted but not removed.'),
  added_by: z.string().nullable(),
  created_at: z.string(),
});
const UserId = z.string().min(1).max(100).describe('User id (usr_...) of the member, from list_members.');
const who = (ctx: ToolContext) => ({ userId: actor(ctx), role: actorRole(ctx) });

const memberTools: AnyTool[] = [
  defineTool({
    name: 'add_member',
    toolset: 'account',
    plan: 'team',
    title: 'Add member',
    description: 'Add a person to this project with a role (owner, admin, operator, viewer); returns their first API key, bound to the project and carrying that role.',
    details: 'Give user_id for an existing user of this server, or name to create one. Only an owner adds owners. The key is shown once; the member makes more with create_api_key. Needs the admin role.',
    input: z.object({
      user_id: UserId.optional().describe('An existing user of this server (usr_...).'),
      name: z.string().trim().min(1).max(100).optional().describe('Name of a new user to create (when no user_id).'),
      role: RoleField,
      issue_key: z.boolean().default(true).describe('Also create an API key for the member (default true).'),
    }),
    output: z.object({ member: Member, key: CreatedKey.nullable() }),
    rest: [{ method: 'POST', path: '/v1/members' }],
    restStatus: 201,
    requires: 'admin',
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'A read-only teammate', args: { name: 'dana', role: 'viewer' } }],
    handler: async (ctx, a) => {
      exactlyOneOf(a, ['user_id', 'name']);
      const scope = ctx.scope();
      const member = await ctx.app.service(MembersService).add(scope, who(ctx), { userId: a.user_id, name: a.name, role: a.role });
      if (!a.issue_key) return { member, key: null };
      const k = await ctx.app.service(KeysService).create({ name: `${member.name} (${scope.projectId})`.slice(0, 100), plan: ctx.caller!.plan, ownerId: scope.ownerId, projectId: scope.projectId, memberUserId: member.user_id });
      return { member, key: { key: k.key, key_id: k.key_id, name: k.name, plan: k.plan, project_id: k.project_id, created_at: k.created_at } };
    },
  }),
  defineTool({
    name: 'list_members',
    toolset: 'account',
    plan: 'team',
    title: 'List members',
    description: 'Members of this project with their roles.',
    input: z.object({}),
    output: z.object({ members: z.array(Member) }),
    rest: [{ method: 'GET', path: '/v1/members' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Who is on this project?', args: {} }],
    handler: async (ctx) => ({ members: await ctx.app.service(MembersService).list(ctx.scope()) }),
  }),
  defineTool({
    name: 'set_member_role',
    toolset: 'account',
    plan: 'team',
    title: 'Set member role',
    description: "Change a member's role in this project. Only an owner makes or unmakes owners; the last owner cannot be demoted.",
    input: z.object({ user_id: UserId, role: RoleField }),
    output: Member,
    rest: [{ method: 'PUT', path: '/v1/members/:user_id' }],
    requires: 'admin',
    annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Promote to operator', args: { user_id: 'usr_abc', role: 'operator' } }],
    handler: (ctx, a) => ctx.app.service(MembersService).setRole(ctx.scope(), who(ctx), a.user_id, a.role),
  }),
  defineTool({
    name: 'remove_member',
    toolset: 'account',
    plan: 'team',
    title: 'Remove member',
    description: 'Remove a member from this project; the keys they hold here are revoked with the membership. The last owner cannot be removed.',
    input: z.object({ user_id: UserId }),
    output: z.object({ removed: z.literal(true), user_id: z.string(), keys_revoked: z.number().int() }),
    rest: [{ method: 'DELETE', path: '/v1/members/:user_id' }],
    requires: 'admin',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'Offboard a teammate', args: { user_id: 'usr_abc' } }],
    handler: async (ctx, a) => ({ removed: true as const, ...(await ctx.app.service(MembersService).remove(ctx.scope(), who(ctx), a.user_id)) }),
  }),
];

/** An ISO date or date-time argument, normalised; 400 naming the field when it is not one. */
export function isoArg(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new BadRequest(`${field} must be an ISO date (2026-04-01) or date-time (2026-04-01T12:00:00Z)`, 'invalid_value', { field, rule: 'iso_date' });
  }
  return new Date(t).toISOString();
}

const AuditEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor_user_id: z.string().describe('Who: the member (or account holder) whose key made the call.'),
  key_id: z.string().nullable().describe('Which key (its id; never the key).'),
  role: z.string().nullable(),
  transport: z.string().describe('mcp | rest | stdio'),
  client_address: z.string().nullable(),
  tool: z.string(),
  outcome: z.enum(['ok', 'refused', 'error']),
  status: z.number().int().describe('HTTP-style status of the outcome.'),
  error_code: z.string().nullable(),
  targets: z.record(z.string(), z.union([z.string(), z.array(z.string())])).describe('Ids the call named or produced (never argument values).'),
  request_id: z.string().nullable(),
});

/** A bound key sees its own project only; an unbound key the whole account. */
const analyticsScope = (ctx: ToolContext) => (ctx.caller?.projectBound ? ctx.caller.projectId : undefined);

const analyticsTools: AnyTool[] = [
  defineTool({
    name: 'analytics_summary',
    toolset: 'account',
    plan: 'team',
    title: 'Analytics summary',
    description: 'This billing month per project: compressions, tokens saved and average savings, with totals (a project-bound key sees its project only).',
    input: z.object({}),
    output: z.object({
      period: z.string().describe('YYYY-MM (UTC).'),
      total_compressions: z.number().int(),
      total_tokens_saved: z.number().int(),
      projects: z.array(z.object({ project_id: z.string(), project_name: z.string(), compressions: z.number().int(), tokens_saved: z.number().int(), avg_savings_pct: z.number() })),
    }),
    rest: [{ method: 'GET', path: '/v1/analytics/summary' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'This month by project', args: {} }],
    handler: (ctx) => ctx.app.service(AnalyticsService).summary(owner(ctx), analyticsScope(ctx)),
  }),
  defineTool({
    name: 'analytics_export',
    toolset: 'account',
    plan: 'team',
    title: 'Analytics export',
    description: 'Daily usage per project between two dates as CSV (date,project,compressions,tokens_in,tokens_saved,savings_pct); 400 on a missing or bad range.',
    details: 'start and end are YYYY-MM-DD (UTC days, both included; at most 366 days). Over REST, GET /v1/analytics/export?start=…&end=… answers text/csv; MCP gets the CSV in `csv`.',
    input: z.object({
      start: z.string().max(10).optional().describe('First day, YYYY-MM-DD.'),
      end: z.string().max(10).optional().describe('Last day, YYYY-MM-DD (included).'),
    }),
    output: z.object({ csv: z.string(), rows: z.number().int() }),
    rest: [{ method: 'GET', path: '/v1/analytics/export' }],
    restRaw: (o) => ({ contentType: 'text/csv; charset=utf-8', body: o.csv, filename: 'analytics.csv' }),
    render: (o) => `[analytics_export: ${o.rows} rows]\n${o.csv}`,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'The first half of April', args: { start: '2026-04-01', end: '2026-04-14' } }],
    handler: (ctx, a) => ctx.app.service(AnalyticsService).exportCsv(owner(ctx), a.start, a.end, analyticsScope(ctx)),
  }),
  defineTool({
    name: 'get_cache_savings',
    toolset: 'account',
    title: 'Cache-adjusted savings',
    description: 'Semantic-cache hits and misses over the last days (exact vs semantic), and savings from compression alone versus with cache hits added.',
    input: z.object({ period_days: z.number().int().min(1).max(365).default(30).describe('Window in days (default 30).') }),
    output: z.object({
      period_days: z.number().int(),
      semantic_cache: z.object({ hits: z.number().int(), misses: z.number().int(), hit_rate: z.number() }),
      by_source: z.object({ exact_hits: z.number().int(), semantic_hits: z.number().int(), misses: z.number().int() }),
      savings: z.object({
        compression_only_tokens_saved: z.number().int(),
        cache_adjusted_tokens_saved: z.number().int(),
        compression_only_usd: z.number(),
        cache_adjusted_usd: z.number(),
        pricing_model: z.string(),
      }),
    }),
    rest: [{ method: 'GET', path: '/v1/usage/by-cache' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Last 30 days', args: {} }],
    handler: (ctx, a) => ctx.app.service(AnalyticsService).byCache(owner(ctx), a.period_days, analyticsScope(ctx)),
  }),
  defineTool({
    name: 'analytics_daily',
    toolset: 'account',
    title: 'Savings by day',
    description: 'Compressions, tokens in and tokens saved per UTC day over the last days (days without use as zeros), with the dollar value saved at the default model\'s input rate.',
    details: 'A project-bound key sees its project only; an unbound key the whole account. Today is the last day. The dashboard\'s savings chart reads this route.',
    input: z.object({ days: z.number().int().min(1).max(366).default(30).describe('How many days back, today included (1-366, default 30).') }),
    output: z.object({
      days: z.array(z.object({ date: z.string().describe('YYYY-MM-DD (UTC).'), compressions: z.number().int(), tokens_in: z.number().int(), tokens_saved: z.number().int(), cost_saved_usd: z.number() })),
      total_tokens_saved: z.number().int(),
      total_cost_saved_usd: z.number(),
      pricing_model: z.string(),
    }),
    rest: [{ method: 'GET', path: '/v1/analytics/daily' }],
    render: (o) => `[analytics_daily: ${o.days.length} days, ${o.total_tokens_saved} tokens saved, $${o.total_cost_saved_usd}]\n` + o.days.filter((d) => d.compressions).map((d) => `${d.date} ${d.compressions} compressions, ${d.tokens_saved} saved`).join('\n'),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'The last two weeks', args: { days: 14 } }],
    handler: (ctx, a) => ctx.app.service(AnalyticsService).daily(owner(ctx), a.days, analyticsScope(ctx)),
  }),
  defineTool({
    name: 'recent_compressions',
    toolset: 'account',
    title: 'Recent compressions',
    description: 'The newest metered calls (compressions, skeletons, filters...) with tool, fidelity, tokens before and after, ratio and cache source.',
    details: 'ratio = tokens_out / tokens_in. fidelity is null for tools without one (CLI filters, code digests). A project-bound key sees its project only.',
    input: z.object({ limit: z.number().int().min(1).max(100).default(10).describe('How many (1-100, default 10).') }),
    output: z.object({
      compressions: z.array(
        z.object({
          at: z.string(),
          tool: z.string(),
          project_id: z.string(),
          fidelity: z.string().nullable(),
          tokens_in: z.number().int(),
          tokens_out: z.number().int(),
          tokens_saved: z.number().int(),
          ratio: z.number(),
          savings_pct: z.number(),
          cache: z.enum(['exact', 'semantic']).nullable(),
        }),
      ),
    }),
    rest: [{ method: 'GET', path: '/v1/usage/recent' }],
    render: (o) => `[recent_compressions: ${o.compressions.length}]\n` + o.compressions.map((c) => `${c.at} ${c.tool}${c.fidelity ? ` ${c.fidelity}` : ''} ${c.tokens_in} → ${c.tokens_out} tokens (${c.savings_pct}% saved)${c.cache ? ` cache:${c.cache}` : ''}`).join('\n'),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'The last 10', args: {} }],
    handler: (ctx, a) => ctx.app.service(AnalyticsService).recent(owner(ctx), a.limit, analyticsScope(ctx)),
  }),
];

const getAuditLog = defineTool({
  name: 'get_audit_log',
  toolset: 'account',
  plan: 'enterprise',
  title: 'Audit log',
  description: 'Who did what in this project: every call that changed something and every refused call, newest first, filtered by time, actor, tool and outcome; format "jsonl" exports JSON Lines.',
  details: 'Entries keep ids only (user, key id, target ids), never arguments. Page with before = next_before. Retention: CTXGATE_AUDIT_RETENTION_DAYS (default 90). Over REST, GET /v1/audit-log?format=jsonl answers application/x-ndjson. Needs the admin role.',
  input: z.object({
    from: z.string().max(40).optional().describe('Only entries at or after this ISO date/time.'),
    to: z.string().max(40).optional().describe('Only entries before this ISO date/time.'),
    actor: z.string().max(100).optional().describe('Only this user id (usr_...) or key id (key_...).'),
    tool: z.string().max(64).optional().describe('Only calls of this tool.'),
    outcome: z.enum(['ok', 'refused', 'error']).optional().describe('Only this outcome.'),
    limit: z.number().int().min(1).max(1000).default(100).describe('Page size (1-1000, default 100).'),
    before: z.number().int().min(1).optional().describe('Continue after this entry id (next_before of the previous page).'),
    format: z.enum(['json', 'jsonl']).default('json').describe('json (entries) or jsonl (one JSON object per line in `jsonl`).'),
  }),
  output: z.object({
    entries: z.array(AuditEntry),
    next_before: z.number().int().nullable().describe('Pass as `before` for the next page; null at the end.'),
    jsonl: z.string().optional().describe('With format "jsonl": the page as JSON Lines.'),
  }),
  rest: [{ method: 'GET', path: '/v1/audit-log' }],
  restRaw: (o) => (o.jsonl === undefined ? null : { contentType: 'application/x-ndjson; charset=utf-8', body: o.jsonl, filename: 'audit-log.jsonl' }),
  render: (o) => `[get_audit_log: ${o.entries.length} entries${o.next_before ? `, more before ${o.next_before}` : ''}]\n` + (o.jsonl ?? o.entries.map((e) => `${e.at} ${e.actor_user_id} ${e.tool} ${e.outcome} ${e.status}${Object.keys(e.targets).length ? ' ' + JSON.stringify(e.targets) : ''}`).join('\n')),
  requires: 'admin',
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'Refused calls of the last day', args: { outcome: 'refused', from: '2026-04-01T00:00:00Z' } }],
  handler: async (ctx, a) => {
    const page = await ctx.app.service(AuditService).query(ctx.scope(), {
      from: isoArg(a.from, 'from'),
      to: isoArg(a.to, 'to'),
      actor: a.actor,
      tool: a.tool,
      outcome: a.outcome,
      before: a.before,
      limit: a.limit,
    });
    if (a.format === 'jsonl') return { ...page, jsonl: page.entries.map((e) => JSON.stringify(e)).join('\n') + (page.entries.length ? '\n' : '') };
    return page;
  },
});

const bindApiKey = defineTool({
  name: 'bind_api_key',
  toolset: 'account',
  title: 'Bind API key to a project',
  description: 'Re-bind one of your keys to another project (or unbind it with project_id null) in place: the key string stays the same, so client configurations keep working.',
  details: 'Usage already recorded stays with the old project; calls from now on count against the new one. Needs a key that is not bound to a project (an account-level action). Member keys stay in their project.',
  input: z.object({
    key_id: z.string().min(1).describe('Key to re-bind (key_...), from list_api_keys.'),
    project_id: ProjectId.nullable().describe('The project to bind it to, from list_projects; null unbinds it (the account default).'),
  }),
  output: KeySummary,
  rest: [{ method: 'PATCH', path: '/v1/keys/:key_id' }],
  requires: 'owner',
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'Move a key to a project', args: { key_id: 'key_abc', project_id: 'prj_abc' } }],
  handler: async (ctx, a) => {
    requireUnbound(ctx, 're-bind keys');
    const { key, previousProjectId } = await ctx.app.service(KeysService).rebind(a.key_id, owner(ctx), a.project_id);
    // Both projects' admins see the key arrive or leave.
    for (const p of [previousProjectId, key.project_id]) if (p) ctx.alsoAudit(p);
    return summary(key);
  },
});

export const tools: AnyTool[] = [
  defineTool({
    name: 'create_project',
    toolset: 'account',
    title: 'Create project',
    description: 'Create a project to attribute usage and keep documents, memories and knowledge-base items apart. Bind a key to it with create_api_key(project_id) or rotate_api_key.',
    input: z.object({
      name: z.string().trim().min(1).max(100).describe('Project name, unique per account (1-100 chars).'),
      description: z.string().max(500).nullable().optional().describe('Optional description.'),
    }),
    output: Project.extend({ project_id: z.string().describe('Same as id (the seed\'s name for it).') }),
    rest: [{ method: 'POST', path: '/v1/projects' }],
    restStatus: 201,
    requires: 'owner',
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'A project for one repository', args: { name: 'my-repo', description: 'Compression project for my-repo' } }],
    handler: async (ctx, a) => {
      requireUnbound(ctx, 'create projects');
      const p = await ctx.app.service(ProjectsService).create(owner(ctx), a.name, a.description ?? null);
      return { ...p, project_id: p.id };
    },
  }),
  defineTool({
    name: 'list_projects',
    toolset: 'account',
    title: 'List projects',
    description: 'All projects of your account with their usage stats; the default project comes first.',
    input: z.object({}),
    output: z.object({ projects: z.array(Project) }),
    rest: [{ method: 'GET', path: '/v1/projects' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'List projects', args: {} }],
    handler: async (ctx) => {
      const projects = await ctx.app.service(ProjectsService).list(owner(ctx));
      return { projects: ctx.caller?.projectBound ? projects.filter((p) => p.id === ctx.caller!.projectId) : projects };
    },
  }),
  defineTool({
    name: 'get_project',
    toolset: 'account',
    title: 'Get project',
    description: 'One project with its usage statistics.',
    input: z.object({ project_id: ProjectId }),
    output: Project,
    rest: [{ method: 'GET', path: '/v1/projects/:project_id' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Inspect a project', args: { project_id: 'prj_abc' } }],
    handler: (ctx, a) => {
      requireOwnProject(ctx, a.project_id);
      return ctx.app.service(ProjectsService).get(owner(ctx), a.project_id);
    },
  }),
  defineTool({
    name: 'update_project',
    toolset: 'account',
    title: 'Update project',
    description: "Rename a project or change its description.",
    input: z.object({
      project_id: ProjectId,
      name: z.string().trim().min(1).max(100).nullable().optional().describe('New name.'),
      description: z.string().max(500).nullable().optional().describe('New description (null clears it).'),
    }),
    output: Project,
    rest: [{ method: 'PUT', path: '/v1/projects/:project_id' }],
    requires: 'admin',
    annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Rename', args: { project_id: 'prj_abc', name: 'backend-docs-v2' } }],
    handler: (ctx, a) => {
      requireOwnProject(ctx, a.project_id);
      return ctx.app.service(ProjectsService).update(owner(ctx), a.project_id, { name: a.name, description: a.description });
    },
  }),
  defineTool({
    name: 'delete_project',
    toolset: 'account',
    title: 'Delete project',
    description: "Delete a project and everything stored in it (documents, memories, knowledge-base items...); the default project cannot be deleted.",
    details: "Usage history is kept, unlinked. Keys bound to the project are revoked with it.",
    input: z.object({ project_id: ProjectId }),
    output: z.object({ success: z.literal(true), id: z.string(), deleted_rows: z.number().int() }),
    rest: [{ method: 'DELETE', path: '/v1/projects/:project_id' }],
    requires: 'owner',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'Delete a scratch project', args: { project_id: 'prj_abc' } }],
    handler: async (ctx, a) => {
      requireUnbound(ctx, 'delete projects');
      return { success: true as const, id: a.project_id, ...(await ctx.app.service(ProjectsService).delete(owner(ctx), a.project_id)) };
    },
  }),
  defineTool({
    name: 'project_stats',
    toolset: 'account',
    title: 'Project stats',
    description: "Usage of the project your key is bound to (or a given one): compressions this month and in total, tokens in and saved. Use it to verify attribution after binding a key.",
    input: z.object({ project_id: ProjectId.optional().describe('Defaults to the project of the calling key.') }),
    output: z.object({ project_id: z.string(), project_name: z.string(), is_default: z.boolean(), compressions_this_month: z.number().int(), compressions_total: z.number().int(), tokens_in: z.number().int(), tokens_saved: z.number().int(), avg_savings_pct: z.number() }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Check attribution', args: {} }],
    handler: async (ctx, a) => {
      const id = a.project_id ?? ctx.scope().projectId;
      requireOwnProject(ctx, id);
      const p = await ctx.app.service(ProjectsService).get(owner(ctx), id);
      return {
        project_id: p.id,
        project_name: p.name,
        is_default: p.is_default,
        compressions_this_month: p.stats.compressions_this_month,
        compressions_total: p.stats.compressions,
        tokens_in: p.stats.tokens_in,
        tokens_saved: p.stats.tokens_saved,
        avg_savings_pct: p.stats.avg_savings_pct,
      };
    },
  }),
  defineTool({
    name: 'get_usage',
    toolset: 'account',
    title: 'Get usage',
    description: "What you used this month and what is left: compressions against your account's quota (shared by all its keys), tokens in and saved for its project, rate limit, and cache hits split by source (exact request hash vs semantic similarity).",
    input: z.object({ by: z.enum(['cache']).optional().describe('"cache" adds the by_source breakdown (always included; accepted for compatibility).') }),
    output: z.object({
      period: z.string(),
      plan: z.enum(PLANS),
      compressions_used: z.number().int(),
      compressions_limit: z.number().int(),
      pct_used: z.number(),
      tokens_in: z.number().int(),
      tokens_saved: z.number().int(),
      resets_at: z.string(),
      rate_limit_per_minute: z.number().int(),
      by_source: z.object({ exact_hits: z.number().int(), semantic_hits: z.number().int() }),
    }),
    rest: [{ method: 'GET', path: '/v1/usage' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'How much quota is left?', args: {} }],
    handler: async (ctx) => {
      const caller = ctx.caller!;
      const s = await ctx.app.service(UsageService).summary(caller);
      const used = s.quota - s.remaining;
      return {
        period: s.month,
        plan: caller.plan,
        compressions_used: used,
        compressions_limit: s.quota,
        pct_used: s.quota ? Number(((100 * used) / s.quota).toFixed(1)) : 0,
        tokens_in: s.tokens_in,
        tokens_saved: s.tokens_saved,
        resets_at: s.resets_at,
        rate_limit_per_minute: ctx.app.config.plans[caller.plan].requestsPerMinute,
        by_source: { exact_hits: s.cache_hits.exact, semantic_hits: s.cache_hits.semantic },
      };
    },
  }),
  defineTool({
    name: 'get_savings',
    toolset: 'account',
    title: 'Get savings',
    description: `Lifetime compression savings of your account: compressions, tokens processed and saved, and the dollar value at ${DEFAULT_MODEL} input rates.`,
    input: z.object({}),
    output: z.object({ total_compressions: z.number().int(), total_tokens_in: z.number().int(), total_tokens_saved: z.number().int(), savings_pct: z.number(), estimated_cost_saved_usd: z.number(), pricing_model: z.string() }),
    rest: [{ method: 'GET', path: '/v1/savings' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Lifetime savings', args: {} }],
    handler: async (ctx) => {
      const s = await lifetimeSavings(ctx.app, owner(ctx), ctx.caller?.projectBound ? ctx.caller.projectId : undefined);
      const model = findModel(DEFAULT_MODEL)!;
      return { ...s, estimated_cost_saved_usd: Number(inputCost(s.total_tokens_saved, model).toFixed(4)), pricing_model: model.id };
    },
  }),
  defineTool({
    name: 'create_api_key',
    toolset: 'account',
    title: 'Create API key',
    description: 'Create a gc_ API key for your account, optionally bound to a project and on a plan no higher than your own. The full key is returned once.',
    input: z.object({
      name: z.string().trim().min(1).max(100).describe('Label, 1-100 chars.'),
      plan: z.enum(PLANS).optional().describe("Plan of the new key; defaults to the calling key's plan and cannot exceed it."),
      project_id: ProjectId.optional().describe('Bind the key to this project, from list_projects (default: unbound; a project-bound caller can only mint keys for its own project).'),
    }),
    output: CreatedKey,
    rest: [{ method: 'POST', path: '/v1/keys' }],
    restStatus: 201,
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'A key for CI bound to a project', args: { name: 'ci', project_id: 'prj_abc' } }],
    handler: async (ctx, a) => {
      // A bound key mints keys for its own project only (by default, too: never the account default).
      if (a.project_id !== undefined) requireOwnProject(ctx, a.project_id);
      const projectId = a.project_id ?? (ctx.caller?.projectBound ? ctx.caller.projectId : null);
      // A member's new key is the member's own: same project, same person, same role.
      const member = actor(ctx) !== owner(ctx) ? actor(ctx) : null;
      const k = await ctx.app.service(KeysService).create({ name: a.name, plan: checkPlan(ctx, a.plan), ownerId: owner(ctx), projectId, memberUserId: member });
      if (k.project_id) ctx.alsoAudit(k.project_id);
      return { key: k.key, key_id: k.key_id, name: k.name, plan: k.plan, project_id: k.project_id, created_at: k.created_at };
    },
  }),
  defineTool({
    name: 'list_api_keys',
    toolset: 'account',
    title: 'List API keys',
    description: 'Your API keys with masked values, plan, bound project, last use and status. Full keys cannot be retrieved after creation.',
    input: z.object({}),
    output: z.object({ keys: z.array(KeySummary) }),
    rest: [{ method: 'GET', path: '/v1/keys' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'List keys', args: {} }],
    handler: async (ctx) => ({ keys: (await manageableKeys(ctx)).map(summary) }),
  }),
  defineTool({
    name: 'revoke_api_key',
    toolset: 'account',
    title: 'Revoke API key',
    description: 'Revoke one of your keys; it is refused from its next request on.',
    input: z.object({ key_id: z.string().min(1).describe('Key id (key_...), from list_api_keys.') }),
    output: z.object({ success: z.literal(true), key_id: z.string() }),
    rest: [{ method: 'DELETE', path: '/v1/keys/:key_id' }],
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'Revoke a leaked key', args: { key_id: 'key_abc' } }],
    handler: async (ctx, a) => {
      const k = await manageableKey(ctx, a.key_id, 'revoke');
      if (k.project_id) ctx.alsoAudit(k.project_id);
      await ctx.app.service(KeysService).revoke(a.key_id, owner(ctx));
      return { success: true as const, key_id: a.key_id };
    },
  }),
  defineTool({
    name: 'rotate_api_key',
    toolset: 'account',
    title: 'Rotate API key',
    description: 'Replace a key with a new one of the same name and plan (the old one is revoked at once), optionally binding the new key to another project.',
    input: z.object({
      key_id: z.string().min(1).describe('Key to replace (key_...), from list_api_keys.'),
      project_id: ProjectId.optional().describe('Bind the new key to this project (from list_projects) instead of the old binding.'),
    }),
    output: CreatedKey.extend({ replaced_key_id: z.string() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'Rotate and rebind', args: { key_id: 'key_abc', project_id: 'prj_abc' } }],
    handler: async (ctx, a) => {
      const old = await manageableKey(ctx, a.key_id, 'rotate');
      if (a.project_id) requireOwnProject(ctx, a.project_id);
      const created = await ctx.app.service(KeysService).rotate(a.key_id, owner(ctx), a.project_id);
      for (const p of [old.project_id, created.project_id]) if (p) ctx.alsoAudit(p);
      return { key: created.key, key_id: created.key_id, name: created.name, plan: created.plan, project_id: created.project_id, created_at: created.created_at, replaced_key_id: a.key_id };
    },
  }),
  bindApiKey,
  ...memberTools,
  getAuditLog,
  ...analyticsTools,
];
