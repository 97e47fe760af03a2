// distill toolset: stateless conversation transformation by named strategies (seed 003), served at
// the seed's /api routes and the same under /v1. Billing routes (balance, top-up) are not served.
// Logic: src/services/distill.ts; selection rules: src/engine/conversation/.
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { INJECT_MAX_CHARS, STRATEGY_ID_RE, UNIT_KINDS, type Strategy } from '../src/engine/conversation/index.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { DistillService, FEEDBACK_RATINGS, FEEDBACK_REASONS } from '../src/services/distill.js';

const svc = (ctx: ToolContext) => ctx.app.service(DistillService);

const Json = z.record(z.string(), z.unknown());
const ContentPart = z.object({
  type: z.string().max(64).describe('text (both forms), tool_use / tool_result (Anthropic), image_url / image (kept with their message).'),
  text: z.string().optional(),
  id: z.string().max(256).optional().describe('tool_use id.'),
  name: z.string().max(256).optional().describe('tool_use name.'),
  input: Json.optional().describe('tool_use input.'),
  tool_use_id: z.string().max(256).optional().describe('tool_result: the tool_use it answers.'),
  content: z.union([z.string(), z.array(z.object({ type: z.string().max(64), text: z.string().optional() }))]).optional().describe('tool_result content.'),
  is_error: z.boolean().optional(),
  image_url: Json.optional(),
  source: Json.optional(),
  cache_control: Json.optional(),
});
/** A chat message in OpenAI or Anthropic form (also read by the spaces toolset). */
export const Message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']).describe('Message role.'),
  content: z.union([z.string(), z.array(ContentPart)]).nullable().optional().describe('A string, or content parts / blocks (OpenAI or Anthropic form).'),
  name: z.string().max(256).optional(),
  tool_calls: z
    .array(z.object({ id: z.string().max(256), type: z.string().max(32).optional(), function: z.object({ name: z.string().max(256), arguments: z.string() }) }))
    .optional()
    .describe('OpenAI assistant tool calls.'),
  tool_call_id: z.string().max(256).optional().describe('OpenAI role "tool": the call it answers.'),
});
const StrategyId = z.string().min(1).max(64).describe('Strategy id: lowercase letters, digits and underscores (e.g. "technical_dense").');

const StrategySummary = z.object({ id: z.string(), name: z.string(), description: z.string(), tier: z.enum(['builtin', 'custom']), version: z.string() });
const StrategyFull = StrategySummary.extend({
  default_provider: z.string(),
  expected_compression: z.string().describe('Share of input tokens the output is expected to take, "low-high".'),
  system_prompt: z.string(),
  mode: z.enum(['rules', 'compress', 'llm']).describe('rules/compress run without an LLM; llm needs CTXGATE_LLM_URL.'),
  always: z.array(z.enum(UNIT_KINDS)).describe('rules mode: kinds kept whatever the budget.'),
  keep: z.array(z.enum(UNIT_KINDS)).describe('rules mode: kinds kept within the budget, most important first.'),
  target_ratio: z.number(),
  fill: z.boolean(),
  decision_context: z.boolean(),
});
const full = (s: Strategy) => ({ ...s, always: [...s.always], keep: [...s.keep] });

const distill = defineTool({
  name: 'distill',
  toolset: 'distill',
  secrets: 'refuse',
  metered: true,
  title: 'Distill a conversation',
  description: 'Compress or summarize a conversation history (a messages array in OpenAI or Anthropic form, or text) with a named strategy; returns messages to drop into the next LLM call, plus metadata and a call_id for feedback.',
  details:
    `Strategies (list_strategies): compress (to target_token, default), summarize (decisions, outcomes, open questions; 8–15% of tokens), technical_dense (all code byte-exact, errors de-duplicated, commands, paths, decisions; 10–20%), extract_decisions (decisions and their rationale; 5–10%), and the project's own. ` +
    `Always: roles and order kept, last user message verbatim, code blocks never cut, a tool result never without its call nor a call without its result. ` +
    `inject (≤ ${INJECT_MAX_CHARS} chars) extends the strategy; without an LLM it is a keep-rule ("preserve all mentions of authToken" keeps every unit naming authToken verbatim); override phrases are refused (400 naming the rule). ` +
    'Prompt strategies and postprocess_prompt need the operator\'s LLM provider (CTXGATE_LLM_URL): 422 without one, 502/504 naming it when it fails.',
  input: z.object({
    messages: z.array(Message).optional().describe('The conversation (either this or text).'),
    text: z.string().optional().describe('Plain text instead of messages.'),
    strategy_id: StrategyId.default('compress'),
    inject: z.string().optional().describe(`One-off instruction appended to the strategy (at most ${INJECT_MAX_CHARS} characters; 400 beyond).`),
    target_token: z.number().int().min(50).max(131072).default(131072).describe('Output size in tokens (compress strategy only).'),
    postprocess_prompt: z.string().max(4000).optional().describe('Instruction an LLM applies after distilling (needs a configured provider).'),
  }),
  output: z.object({
    messages: z.array(Json).describe('The distilled conversation, each message in the form it came in.'),
    metadata: z.object({
      strategy_id: z.string(),
      strategy_version: z.string(),
      provider: z.string().describe('ctxgate-rules without an LLM, else the configured model.'),
      tokens_in: z.number().int(),
      tokens_out: z.number().int(),
      compression_ratio: z.number().describe('tokens_out / tokens_in.'),
      inject_used: z.boolean(),
      call_id: z.string().describe('For submit_feedback.'),
    }),
    kept_units: z.record(z.string(), z.number().int()).describe('Units kept by kind (rules strategies).'),
  }),
  render: (o) =>
    `[distill: ${o.metadata.strategy_id} ${o.metadata.strategy_version}; ${o.metadata.tokens_in} → ${o.metadata.tokens_out} tokens (${Math.round(o.metadata.compression_ratio * 1000) / 10}%); call ${o.metadata.call_id}]\n` +
    JSON.stringify(o.messages),
  annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
  rest: [
    { method: 'POST', path: '/api/distill' },
    { method: 'POST', path: '/v1/distill' },
  ],
  examples: [
    {
      description: 'The seed quickstart',
      args: {
        messages: [
          { role: 'user', content: 'How do I reverse a linked list?' },
          { role: 'assistant', content: 'You can reverse a linked list iteratively by walking it once and pointing each node at the previous one.' },
        ],
        strategy_id: 'technical_dense',
      },
    },
    {
      description: 'Keep a name verbatim',
      args: {
        messages: [
          { role: 'user', content: 'Login fails after refresh.' },
          { role: 'assistant', content: 'The authToken is read before the cookie is set. We decided to read authToken from the response instead.' },
          { role: 'user', content: 'Where do I change that?' },
        ],
        strategy_id: 'extract_decisions',
        inject: 'preserve all mentions of variable authToken exactly as written',
      },
    },
  ],
  handler: async (ctx, a) => {
    const r = await svc(ctx).distill(ctx.scope(), ctx.caller!.plan, a, ctx.signal);
    ctx.meter({ tokensIn: r.metadata.tokens_in, tokensOut: r.metadata.tokens_out });
    return r;
  },
});

const list = defineTool({
  name: 'list_strategies',
  toolset: 'distill',
  title: 'List distill strategies',
  description: 'The built-in distill strategies and, with an API key, the project\'s own. No key needed.',
  input: z.object({}),
  output: z.object({ strategies: z.array(StrategySummary) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  public: true,
  rest: [
    { method: 'GET', path: '/api/strategies' },
    { method: 'GET', path: '/v1/strategies' },
  ],
  examples: [{ description: 'All strategies', args: {} }],
  handler: async (ctx) => ({
    strategies: (await svc(ctx).list(ctx.caller ? ctx.scope() : null)).map((s) => ({ id: s.id, name: s.name, description: s.description, tier: s.tier, version: s.version })),
  }),
});

const get = defineTool({
  name: 'get_strategy',
  toolset: 'distill',
  title: 'Get a distill strategy',
  description: 'The full config of one strategy, including its system prompt and what it keeps without an LLM. No key needed for built-in ones.',
  input: z.object({ id: StrategyId }),
  output: StrategyFull,
  annotations: { readOnlyHint: true, idempotentHint: true },
  public: true,
  rest: [
    { method: 'GET', path: '/api/strategies/:id' },
    { method: 'GET', path: '/v1/strategies/:id' },
  ],
  examples: [{ description: 'Technical Dense', args: { id: 'technical_dense' } }],
  handler: async (ctx, a) => full(await svc(ctx).get(ctx.caller ? ctx.scope() : null, a.id)),
});

const create = defineTool({
  name: 'create_strategy',
  toolset: 'distill',
  secrets: 'redact',
  title: 'Create a distill strategy',
  description: 'Save a custom strategy for this project: declarative data (prompt, kinds of content kept, target share), never code.',
  details:
    `mode rules runs without an LLM: units of the kinds in always are all kept; units of the kinds in keep (${UNIT_KINDS.join(', ')}) are ranked together (a kind earlier in keep counts for more; outcome wording, the conversation's recurring terms and lateness raise a unit) and kept up to target_ratio of the whole request's tokens (within expected_compression); fill adds the most salient other units when short of the range; decision_context keeps the units around each decision. mode llm sends system_prompt to the configured provider.`,
  input: z.object({
    id: z.string().regex(STRATEGY_ID_RE).describe('Lowercase letters, digits and underscores, starting with a letter (2–64).'),
    name: z.string().min(1).max(120).optional().describe('Display name (default: the id).'),
    version: z.string().max(64).describe('Semver, e.g. 1.0.0.'),
    description: z.string().min(1).max(500).describe('One sentence: what it keeps, what it removes.'),
    default_provider: z.string().max(120).optional(),
    expected_compression: z.string().max(32).describe('Share of input tokens kept, "low-high", e.g. "0.10-0.20".'),
    system_prompt: z.string().min(1).max(8000).describe('Prompt for the LLM path.'),
    mode: z.enum(['rules', 'llm']).default('rules'),
    always: z.array(z.enum(UNIT_KINDS)).max(UNIT_KINDS.length).optional().describe('rules mode: kinds always kept, whatever the budget.'),
    keep: z.array(z.enum(UNIT_KINDS)).max(UNIT_KINDS.length).optional().describe('rules mode: kinds kept within the budget, most important first.'),
    target_ratio: z.number().min(0).max(1).optional().describe('rules mode: share to aim for (default: middle of expected_compression).'),
    fill: z.boolean().optional(),
    decision_context: z.boolean().optional(),
  }),
  output: StrategyFull.extend({ secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [
    { method: 'POST', path: '/api/strategies' },
    { method: 'POST', path: '/v1/strategies' },
  ],
  examples: [
    {
      description: 'Keep errors and commands only',
      args: {
        id: 'incident_log',
        version: '1.0.0',
        description: 'Keeps errors, stack traces and commands; drops the rest.',
        expected_compression: '0.05-0.15',
        system_prompt: 'Keep every error, stack trace and command; drop everything else.',
        mode: 'rules',
        always: ['error'],
        keep: ['command'],
      },
    },
  ],
  handler: async (ctx, a) => full(await svc(ctx).create(ctx.scope(), a)),
});

const del = defineTool({
  name: 'delete_strategy',
  toolset: 'distill',
  title: 'Delete a distill strategy',
  description: 'Delete one of the project\'s custom strategies (built-in ones cannot be deleted).',
  input: z.object({ id: StrategyId }),
  output: z.object({ deleted: z.boolean(), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  rest: [
    { method: 'DELETE', path: '/api/strategies/:id' },
    { method: 'DELETE', path: '/v1/strategies/:id' },
  ],
  examples: [{ description: 'Delete a custom strategy', args: { id: 'incident_log' } }],
  handler: async (ctx, a) => {
    await svc(ctx).delete(ctx.scope(), a.id);
    return { deleted: true, id: a.id };
  },
});

const feedback = defineTool({
  name: 'submit_feedback',
  toolset: 'distill',
  secrets: 'redact',
  title: 'Rate a distillation',
  description: 'Rate a distill result (bad / ok / good with a reason category) by its call_id; stored with the call record. REST answers 204.',
  input: z.object({
    call_id: z.string().min(1).max(64).describe('metadata.call_id of the distill call.'),
    rating: z.enum(FEEDBACK_RATINGS),
    reason_category: z.enum(FEEDBACK_REASONS).describe('too_aggressive, lost_code, lost_decisions, wrong_focus, format_broken, other.'),
    reason_text: z.string().max(500).optional(),
    strategy_id: StrategyId,
    strategy_version: z.string().max(64),
    inject_used: z.boolean(),
    inject_text: z.string().max(INJECT_MAX_CHARS).optional(),
    messages_in: z.array(Message).optional().describe('The original messages, for analysis.'),
    messages_out: z.array(Message).optional().describe('The distilled messages.'),
  }),
  output: z.object({ secrets_redacted: SecretsRedactedField, call_id: z.string(), stored: z.boolean() }),
  annotations: { readOnlyHint: false },
  restStatus: 204,
  rest: [
    { method: 'POST', path: '/api/feedback' },
    { method: 'POST', path: '/v1/feedback' },
  ],
  examples: [
    {
      description: 'Code went missing',
      args: { call_id: '550e8400-e29b-41d4-a716-446655440000', rating: 'bad', reason_category: 'lost_code', strategy_id: 'summarize', strategy_version: '1.0.0', inject_used: false },
    },
  ],
  handler: async (ctx, a) => {
    await svc(ctx).feedback(ctx.scope(), a);
    return { call_id: a.call_id, stored: true };
  },
});

export const tools: AnyTool[] = [distill, list, get, create, del, feedback];
