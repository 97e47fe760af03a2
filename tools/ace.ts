// ace toolset: playbooks that learn by counted deltas (src/services/ace-playbook.ts), handoffs
// between agents or sessions (src/services/ace-handoffs.ts) and experiments comparing compression
// settings on the caller's documents (src/services/ace-experiments.ts). Handlers parse, scope, delegate.
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { AcePlaybookService, DEFAULT_PLAYBOOK } from '../src/services/ace-playbook.js';

const playbooks = (ctx: ToolContext) => ctx.app.service(AcePlaybookService);

const Playbook = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits and . _ : - (1–64, starting with a letter or digit)')
  .default(DEFAULT_PLAYBOOK)
  .describe('Playbook name within the project (default "default"), e.g. "deploys" or "code-review".');
const BulletId = z.string().min(1).max(64).describe('A bullet id (bul_...).');
const Similarity = z.number().min(0.5).max(1).optional().describe('Similarity at or above which two bullets are the same lesson (default: per embedder, 0.95 offline / 0.9 MiniLM).');

const BulletOut = z.object({
  id: z.string(),
  section: z.string(),
  text: z.string(),
  tags: z.array(z.string()),
  helpful: z.number().int(),
  harmful: z.number().int(),
  merge_count: z.number().int().describe('Near-duplicate deltas folded into this bullet.'),
  utility: z.number().int().describe('helpful − harmful + merge_count: the order without a query.'),
  sources: z.array(z.string()).describe('Provenance: where this bullet and the ones merged into it came from.'),
  created_at: z.string(),
  updated_at: z.string(),
  last_used_at: z.string().nullable().describe('When an outcome was last recorded for it.'),
});

const getPlaybook = defineTool({
  name: 'ace_get_playbook',
  toolset: 'ace',
  title: 'Get the playbook',
  description: "The project's playbook of learned bullets as Markdown, most useful first, or most relevant to `query`, within a token budget.",
  details:
    'Without a query, bullets are ordered by utility (helpful − harmful + merges), oldest first on ties. With a query, the retrieval index ranks them (hybrid: meaning and keywords). ' +
    'token_budget counts the rendered Markdown (o200k_base); a bullet that does not fit is left out and smaller ones after it may still fit. An empty playbook answers no bullets.',
  input: z.object({
    playbook: Playbook,
    query: z.string().min(1).max(2000).optional().describe('Rank by relevance to this task description instead of by usefulness.'),
    sections: z.array(z.string().min(1).max(100)).max(50).optional().describe('Only these sections.'),
    tags: z.array(z.string().min(1).max(64)).max(20).optional().describe('Only bullets carrying any of these tags.'),
    limit: z.number().int().min(1).max(5000).default(100).describe('Most bullets to consider.'),
    token_budget: z.number().int().min(50).max(200_000).optional().describe('Cap on the Markdown returned, in tokens.'),
  }),
  output: z.object({
    playbook: z.string(),
    query: z.string().nullable(),
    bullets: z.array(BulletOut.extend({ relevance: z.number().nullable().describe('Fused rank score (with a query).') })),
    total: z.number().int().describe('Bullets in the playbook.'),
    matched: z.number().int().describe('Bullets that matched the filters (before the budget).'),
    omitted_by_budget: z.number().int(),
    tokens: z.number().int().describe('Tokens of `markdown`.'),
    markdown: z.string(),
  }),
  render: (o) => `[ace_get_playbook: ${o.bullets.length} of ${o.total} bullets, ${o.tokens} tokens${o.omitted_by_budget ? `, ${o.omitted_by_budget} left out by the budget` : ''}]\n${o.markdown}`,
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/ace/playbook' }],
  examples: [
    { description: 'The whole playbook', args: {} },
    { description: 'What matters for a task, in 800 tokens', args: { query: 'deploying the billing service', token_budget: 800 } },
  ],
  handler: (ctx, a) => playbooks(ctx).get(ctx.scope(), a.playbook, { query: a.query, sections: a.sections, tags: a.tags, limit: a.limit, tokenBudget: a.token_budget }),
});

const addBullets = defineTool({
  name: 'ace_add_bullets',
  toolset: 'ace',
  secrets: 'redact',
  title: 'Add playbook bullets',
  description: 'Add lessons to the playbook as small deltas; a bullet that restates an existing one strengthens it instead of being added twice.',
  details:
    'A delta is a near-duplicate when its normalised text (case, punctuation and spacing ignored) equals a bullet of the playbook or its embedding similarity reaches `similarity`; ' +
    'it then adds one to that bullet\'s merge_count and its tags and source to the bullet\'s. Deltas of one call are checked against each other too. All bullets are written in one transaction.',
  input: z.object({
    playbook: Playbook,
    bullets: z
      .array(
        z.object({
          section: z.string().min(1).max(100).describe('Where the lesson belongs, e.g. "strategies", "pitfalls", "commands".'),
          text: z.string().min(1).max(2000).describe('The lesson, one or two sentences.'),
          tags: z.array(z.string().min(1).max(64)).max(20).optional().describe('Labels for filtering.'),
          source: z.string().min(1).max(200).optional().describe('Where it was learned (task id, session, file).'),
        }),
      )
      .min(1)
      .max(200)
      .describe('The deltas (1–200).'),
    similarity: Similarity,
  }),
  output: z.object({
    secrets_redacted: SecretsRedactedField,
    playbook: z.string(),
    added: z.number().int(),
    merged: z.number().int(),
    results: z.array(
      z.object({
        index: z.number().int().describe('Position in `bullets`.'),
        status: z.enum(['added', 'merged']),
        id: z.string().describe('The new bullet, or the one it strengthened.'),
        similarity: z.number().nullable().describe('Similarity to the closest existing bullet (1 for the same normalised text).'),
        text: z.string().describe('The bullet\'s stored text.'),
      }),
    ),
    bullets_total: z.number().int(),
  }),
  annotations: { readOnlyHint: false, idempotentHint: false },
  rest: [{ method: 'POST', path: '/v1/ace/bullets' }],
  examples: [
    {
      description: 'Two lessons from a task',
      args: {
        bullets: [
          { section: 'pitfalls', text: 'Run the migrations before starting the API server, or requests fail with missing tables.', source: 'task-118' },
          { section: 'commands', text: 'Use `npm run test -- test/ace` to run only the ace tests.', tags: ['testing'] },
        ],
      },
    },
  ],
  handler: (ctx, a) => playbooks(ctx).add(ctx.scope(), a.playbook, a.bullets, { similarity: a.similarity }),
});

const recordOutcome = defineTool({
  name: 'ace_record_outcome',
  toolset: 'ace',
  title: 'Record a task outcome',
  description: 'Count a task outcome on playbook bullets: +1 helpful for the bullets that helped, +1 harmful for those that misled.',
  details: 'Every id must be a bullet of the playbook (else 404 naming the field, and nothing is counted). Marks the bullets used now (last_used_at).',
  input: z.object({
    playbook: Playbook,
    helpful: z.array(BulletId).max(200).default([]).describe('Bullets that helped.'),
    harmful: z.array(BulletId).max(200).default([]).describe('Bullets that were wrong or misleading.'),
    outcome: z.enum(['success', 'failure', 'partial']).optional().describe('How the task went (echoed back).'),
  }),
  output: z.object({
    playbook: z.string(),
    outcome: z.enum(['success', 'failure', 'partial']).nullable(),
    updated: z.number().int(),
    bullets: z.array(BulletOut),
  }),
  annotations: { readOnlyHint: false, idempotentHint: false },
  rest: [{ method: 'POST', path: '/v1/ace/outcomes' }],
  examples: [{ description: 'One bullet helped, one misled', args: { helpful: ['bul_kM2cXb7rQ1sTz9aa'], harmful: ['bul_Pq8wLm3nYx0cVv1b'], outcome: 'success' } }],
  handler: async (ctx, a) => ({ ...(await playbooks(ctx).recordOutcome(ctx.scope(), a.playbook, { helpful: a.helpful, harmful: a.harmful })), outcome: a.outcome ?? null }),
});

const curate = defineTool({
  name: 'ace_curate',
  toolset: 'ace',
  title: 'Curate the playbook',
  description: 'Merge near-duplicate bullets (keeping their counts and provenance) and prune bullets that proved harmful; dry_run answers the plan without changing anything.',
  details:
    'Groups form around the most useful bullet: it takes every bullet with the same normalised text or a similarity ≥ `similarity` to it (no chaining). ' +
    'The kept bullet gains the others\' helpful/harmful counts, merges, tags and sources (plus "bullet:<id>" for each merged one). ' +
    'A bullet is pruned when harmful − helpful > prune_margin (after merging). No LLM rewording. 404 for a playbook without bullets.',
  input: z.object({
    playbook: Playbook,
    dry_run: z.boolean().default(true).describe('Answer the plan only (default). false applies it.'),
    similarity: Similarity,
    prune_margin: z.number().int().min(0).max(1000).default(1).describe('Prune when harmful exceeds helpful by more than this.'),
  }),
  output: z.object({
    playbook: z.string(),
    dry_run: z.boolean(),
    similarity_threshold: z.number(),
    prune_margin: z.number().int(),
    bullets_before: z.number().int(),
    bullets_after: z.number().int(),
    merges: z.array(
      z.object({
        keep: z.string().describe('The bullet that stays.'),
        text: z.string(),
        merged: z.array(z.object({ id: z.string(), text: z.string(), similarity: z.number() })),
        helpful: z.number().int().describe('Counts after the merge.'),
        harmful: z.number().int(),
        merge_count: z.number().int(),
      }),
    ),
    pruned: z.array(z.object({ id: z.string(), text: z.string(), helpful: z.number().int(), harmful: z.number().int() })),
  }),
  render: (o) =>
    `[ace_curate: ${o.dry_run ? 'plan (dry run)' : 'applied'}; ${o.bullets_before} → ${o.bullets_after} bullets, ${o.merges.length} merge groups, ${o.pruned.length} pruned]\n` +
    JSON.stringify({ merges: o.merges, pruned: o.pruned }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  rest: [{ method: 'POST', path: '/v1/ace/curate' }],
  examples: [
    { description: 'See what curation would do', args: { dry_run: true } },
    { description: 'Apply it, pruning anything with more harmful than helpful outcomes', args: { dry_run: false, prune_margin: 0 } },
  ],
  handler: (ctx, a) => playbooks(ctx).curate(ctx.scope(), a.playbook, { similarity: a.similarity, pruneMargin: a.prune_margin, dryRun: a.dry_run }),
});

export const tools: AnyTool[] = [getPlaybook, addBullets, recordOutcome, curate];
