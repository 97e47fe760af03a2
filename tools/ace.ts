// ace toolset: playbooks that learn by counted deltas (src/services/ace-playbook.ts), handoffs
// between agents or sessions (src/services/ace-handoffs.ts) and experiments comparing compression
// settings on the caller's documents (src/services/ace-experiments.ts). Handlers parse, scope, delegate.
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { REFERENCE_KINDS } from '../src/engine/handoff.js';
import { FIDELITIES } from '../src/engine/compress.js';
import { RETENTION_CLASSES } from '../src/engine/experiment.js';
import { AceExperimentsService } from '../src/services/ace-experiments.js';
import { AceHandoffsService, HANDOFF_STATUSES } from '../src/services/ace-handoffs.js';
import { JOB_STATUSES } from '../src/services/jobs.js';
import { Message as ChatMessage } from './distill.js';
import { AcePlaybookService, DEFAULT_PLAYBOOK } from '../src/services/ace-playbook.js';
import { plural } from '../src/engine/plural.js';

const playbooks = (ctx: ToolContext) => ctx.app.service(AcePlaybookService);

const Playbook = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits and . _ : - (1–64, starting with a letter or digit)')
  .default(DEFAULT_PLAYBOOK)
  .describe('Playbook name within the project (default "default"), e.g. "deploys" or "code-review".');
const BulletId = z.string().min(1).max(64).describe('A bullet id (bul_...), from ace_get_playbook.');
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
  requires: 'viewer',
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
  render: (o) => `[ace_get_playbook: ${o.bullets.length} of ${o.total} bullets, ${plural(o.tokens, 'token')}${o.omitted_by_budget ? `, ${o.omitted_by_budget} left out by the budget` : ''}]\n${o.markdown}`,
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
  requires: 'operator',
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
  requires: 'operator',
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
  requires: 'operator',
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

// ---- handoffs -------------------------------------------------------------------------------

const handoffs = (ctx: ToolContext) => ctx.app.service(AceHandoffsService);
const Item = (what: string) => z.string().min(1).max(1000).describe(what);

const HandoffContentOut = z.object({
  goal: z.string(),
  progress: z.string().nullable(),
  decisions: z.array(z.object({ decision: z.string(), reason: z.string().nullable() })),
  files: z.array(z.string()),
  symbols: z.array(z.string()),
  commands: z.array(z.string()),
  open_questions: z.array(z.string()),
  next_steps: z.array(z.string()),
  references: z.array(z.object({ kind: z.enum(REFERENCE_KINDS), id: z.string(), note: z.string().nullable() })),
});

const HandoffMeta = z.object({
  id: z.string(),
  title: z.string(),
  from_agent: z.string().nullable(),
  to_agent: z.string().nullable(),
  status: z.enum(HANDOFF_STATUSES),
  created_at: z.string(),
  expires_at: z.string().describe('After this the handoff is deleted.'),
  picked_up_at: z.string().nullable(),
  picked_up_by: z.string().nullable().describe('Name of the API key that picked it up.'),
  token_budget: z.number().int(),
  tokens: z.number().int().describe('Tokens of the Markdown rendering (o200k_base).'),
  trimmed: z.array(z.string()).describe('What the budget left out, e.g. "files: 3 left out".'),
});

const HandoffOut = HandoffMeta.extend({ content: HandoffContentOut, markdown: z.string() });

const createHandoff = defineTool({
  name: 'create_handoff',
  toolset: 'ace',
  requires: 'operator',
  secrets: 'redact',
  title: 'Create a handoff',
  description: "Pack a task's state (goal, progress, decisions, files, commands, open questions, next steps, references) for another agent or session, within a token budget.",
  details:
    'Give the fields, a conversation (`messages`, OpenAI or Anthropic form, read by the distill conversation parser), or both: explicit fields come first; from messages the goal defaults to the first user message, progress to the last assistant message, ' +
    'and file paths, shell commands (```sh blocks, "$ " lines), "Next:"/"TODO:" lines, decisions ("decided to … because …") are picked up by pattern; open questions are those nobody answered later plus explicit ones ("open question: …", "not sure whether …"), the latest 20 (the rule create_snapshot uses). ' +
    'Over budget, the least important lists lose their last items first (references, symbols, files, commands, questions, decisions), then progress is shortened; `trimmed` says what went. ' +
    'References must name a memory, KB item, document or playbook bullet of this project. Expires after ttl_seconds (default CTXGATE_HANDOFF_TTL_HOURS, 168 h).',
  input: z.object({
    title: z.string().min(1).max(200).optional().describe('Short title; default: the goal\'s first line.'),
    goal: z.string().min(1).max(4000).optional().describe('What the task is for. Required unless messages contain a user message.'),
    progress: z.string().min(1).max(20_000).optional().describe('What is done and where things stand.'),
    decisions: z.array(z.object({ decision: Item('What was decided.'), reason: z.string().min(1).max(1000).optional().describe('Why.') })).max(100).optional(),
    files: z.array(Item('A path.')).max(200).optional().describe('Files touched.'),
    symbols: z.array(Item('A function, class or type name.')).max(200).optional().describe('Symbols touched.'),
    commands: z.array(Item('A shell command.')).max(100).optional().describe('Commands that reproduce the state (build, test, run).'),
    open_questions: z.array(Item('A question.')).max(100).optional(),
    next_steps: z.array(Item('A step.')).max(100).optional().describe('In order.'),
    references: z
      .array(z.object({ kind: z.enum(REFERENCE_KINDS), id: z.string().min(1).max(200).describe('memory id, KB item_id, doc_id or bullet id.'), note: z.string().min(1).max(500).optional().describe('Why it matters.') }))
      .max(100)
      .optional()
      .describe('Memories, KB items, documents and playbook bullets the next agent should read.'),
    messages: z
      .array(ChatMessage)
      .max(2000)
      .optional()
      .describe('A conversation to take the state from (OpenAI or Anthropic message form).'),
    from_agent: z.string().min(1).max(100).optional().describe('Who hands over.'),
    to_agent: z.string().min(1).max(100).optional().describe('Who should pick it up.'),
    token_budget: z.number().int().min(50).max(50_000).default(2000).describe('Cap on the Markdown rendering, in tokens.'),
    ttl_seconds: z.number().int().min(1).max(90 * 86_400).optional().describe('Time to live (default 7 days, or CTXGATE_HANDOFF_TTL_HOURS).'),
  }),
  output: HandoffOut.extend({ secrets_redacted: SecretsRedactedField }),
  render: (o) => `[create_handoff: ${o.id}; ${o.tokens}/${o.token_budget} tokens${o.trimmed.length ? `; trimmed ${o.trimmed.join(', ')}` : ''}; expires ${o.expires_at}]\n${o.markdown}`,
  annotations: { readOnlyHint: false, idempotentHint: false },
  rest: [{ method: 'POST', path: '/v1/handoffs' }],
  examples: [
    {
      description: 'Hand over a half-done fix',
      args: {
        goal: 'Fix the flaky upload test in CI',
        progress: 'Reproduced locally with 50 runs; the temp dir is shared between workers.',
        decisions: [{ decision: 'Give each worker its own temp dir', reason: 'the race is on the shared path' }],
        files: ['test/upload.test.ts'],
        commands: ['npx vitest run test/upload.test.ts --repeat 50'],
        next_steps: ['Patch the fixture helper', 'Run the suite 50 times'],
        to_agent: 'reviewer',
        token_budget: 800,
      },
    },
  ],
  handler: (ctx, a) =>
    handoffs(ctx).create(ctx.scope(), {
      title: a.title,
      fromAgent: a.from_agent,
      toAgent: a.to_agent,
      fields: {
        goal: a.goal,
        progress: a.progress,
        decisions: a.decisions?.map((d) => ({ decision: d.decision, reason: d.reason ?? null })),
        files: a.files,
        symbols: a.symbols,
        commands: a.commands,
        open_questions: a.open_questions,
        next_steps: a.next_steps,
        references: a.references?.map((r) => ({ kind: r.kind, id: r.id, note: r.note ?? null })),
      },
      messages: a.messages,
      tokenBudget: a.token_budget,
      ttlSeconds: a.ttl_seconds,
    }),
});

const HandoffId = z.string().min(1).max(64).describe('The handoff id (hof_...), from create_handoff or list_handoffs.');

const getHandoff = defineTool({
  name: 'get_handoff',
  toolset: 'ace',
  // pick_up writes (marks the handoff taken): an operator's call, like every write.
  requires: 'operator',
  title: 'Get a handoff',
  description: 'A handoff rendered as Markdown ready to paste, or as JSON; pick_up marks it picked up by you.',
  details: 'pick_up: true sets status picked_up with your key name and time; a handoff already picked up answers 409. Expired handoffs are gone (404).',
  input: z.object({
    handoff_id: HandoffId,
    format: z.enum(['markdown', 'json']).default('markdown').describe('What the text content is: the Markdown, or the JSON of the handoff.'),
    pick_up: z.boolean().default(false).describe('Mark it picked up by the caller.'),
  }),
  output: HandoffMeta.extend({ content: HandoffContentOut, markdown: z.string().nullable().describe('The Markdown (format markdown); null for format json.') }),
  render: (o) => o.markdown ?? JSON.stringify(o),
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/handoffs/:handoff_id' }],
  examples: [
    { description: 'Read it', args: { handoff_id: 'hof_Vx2kP9mQ4rT7sY1a' } },
    { description: 'Take it over', args: { handoff_id: 'hof_Vx2kP9mQ4rT7sY1a', pick_up: true } },
  ],
  handler: async (ctx, a) => {
    const h = await handoffs(ctx).get(ctx.scope(), a.handoff_id, { pickUp: a.pick_up, by: ctx.caller?.keyName ?? 'unknown' });
    return a.format === 'json' ? { ...h, markdown: null } : h;
  },
});

const listHandoffs = defineTool({
  name: 'list_handoffs',
  toolset: 'ace',
  requires: 'viewer',
  title: 'List handoffs',
  description: "The project's handoffs that have not expired, newest first, with their goal and status.",
  input: z.object({
    status: z.enum(HANDOFF_STATUSES).optional().describe('Only open or only picked-up handoffs.'),
    limit: z.number().int().min(1).max(100).default(20).describe('Page size.'),
    offset: z.number().int().min(0).default(0).describe('Handoffs to skip.'),
  }),
  output: z.object({
    handoffs: z.array(HandoffMeta.extend({ goal: z.string() })),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    has_more: z.boolean(),
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/handoffs' }],
  examples: [{ description: 'Handoffs waiting for someone', args: { status: 'open' } }],
  handler: async (ctx, a) => {
    const { handoffs: list, total } = await handoffs(ctx).list(ctx.scope(), { status: a.status, limit: a.limit, offset: a.offset });
    return { handoffs: list, total, limit: a.limit, offset: a.offset, has_more: a.offset + list.length < total };
  },
});

// ---- experiments ----------------------------------------------------------------------------

const experiments = (ctx: ToolContext) => ctx.app.service(AceExperimentsService);
const Retained = z.object({ total: z.number().int(), kept: z.number().int(), retention: z.number().nullable().describe('kept / total (0–1); null when the documents had none.') });
const RunOut = z.object({
  runs: z.number().int(),
  original_tokens: z.number().int(),
  compressed_tokens: z.number().int(),
  ms: z.number(),
  answers_total: z.number().int(),
  answers_kept: z.number().int(),
  kept_questions: z.array(z.number().int()).describe('Indexes of the questions whose answer survived.'),
  structure: z.record(z.string(), z.object({ total: z.number().int(), kept: z.number().int() })),
});

const ExperimentOut = z.object({
  experiment_id: z.string(),
  name: z.string().nullable(),
  job_id: z.string().describe('The job running it (get_batch_job, cancel_batch_job).'),
  status: z.enum(JOB_STATUSES),
  progress_pct: z.number(),
  documents: z.number().int(),
  documents_done: z.number().int(),
  documents_failed: z.number().int(),
  questions: z.number().int(),
  settings: z.array(z.object({ label: z.string(), fidelity: z.enum(FIDELITIES).nullable(), profile: z.string().nullable(), query: z.boolean() })),
  table: z.array(
    z.object({
      setting: z.string(),
      documents: z.number().int().describe('Documents finished.'),
      compressions: z.number().int(),
      original_tokens: z.number().int(),
      compressed_tokens: z.number().int(),
      savings_pct: z.number(),
      compression_ms: z.number().int().describe('Total wall time of the compressions (cache not used).'),
      ms_per_compression: z.number(),
      answers_total: z.number().int(),
      answers_kept: z.number().int(),
      answer_retention: z.number().nullable().describe('Share of exact-span answers found verbatim in the output (0–1); null without questions.'),
      structure: z.object(Object.fromEntries(RETENTION_CLASSES.map((c) => [c, Retained])) as Record<(typeof RETENTION_CLASSES)[number], typeof Retained>),
    }),
  ),
  errors: z.array(z.object({ document: z.number().int(), name: z.string(), error: z.string() })),
  per_document: z.array(z.object({ document: z.number().int(), name: z.string(), settings: z.array(RunOut.extend({ setting: z.string() })) })).optional(),
  created_at: z.string(),
});

function renderExperiment(o: z.output<typeof ExperimentOut>): string {
  const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 1000) / 10}%`);
  const head = `[get_experiment: ${o.experiment_id} ${o.status}, ${o.documents_done}/${o.documents} documents${o.documents_failed ? `, ${o.documents_failed} failed` : ''}, ${o.questions} questions]`;
  const rows = o.table.map(
    (r) =>
      `| ${r.setting} | ${r.savings_pct}% | ${r.ms_per_compression} | ${r.answers_total ? `${pct(r.answer_retention)} (${r.answers_kept}/${r.answers_total})` : '–'} | ${pct(r.structure.headings.retention)} | ${pct(r.structure.code_blocks.retention)} | ${pct(r.structure.urls.retention)} | ${pct(r.structure.numbers.retention)} |`,
  );
  return [head, '| setting | saved | ms/compression | answers kept | headings | code blocks | URLs | numbers |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

const createExperiment = defineTool({
  name: 'create_experiment',
  toolset: 'ace',
  requires: 'operator',
  secrets: 'redact',
  metered: true,
  title: 'Create an experiment',
  description: 'Compare compression settings on your own documents (stored or given as text): savings, time and what each keeps, side by side. Runs as a job.',
  details:
    'Each setting is a fidelity and/or a saved profile, with or without `query` (then the document is compressed once per question, the question as the query). ' +
    'Questions are exact-span answers: an answer counts as kept when it occurs verbatim in the output; every answer must occur in its document (else 422). ' +
    'Structural retention (headings, code blocks, URLs by count; numbers as distinct values) is reported for every setting. Compressions skip the cache lookup and count against the monthly quota. ' +
    'wait: true keeps the call open with progress per document; otherwise poll get_experiment.',
  input: z.object({
    name: z.string().min(1).max(200).optional().describe('A name to recognise it by.'),
    documents: z
      .array(
        z.object({
          doc_id: z.string().min(1).max(64).optional().describe('A stored document (ingest_context).'),
          file_id: z.string().min(1).max(512).optional().describe('A stored document by its file_id.'),
          text: z.string().min(1).optional().describe('Or the text itself.'),
          name: z.string().min(1).max(200).optional().describe('Label in the results (default: title or file_id).'),
        }),
      )
      .min(1)
      .max(100)
      .describe('1–100 documents, each with exactly one of doc_id, file_id or text.'),
    settings: z
      .array(
        z.object({
          label: z.string().min(1).max(100).optional().describe('Name in the table (default from the fields, e.g. "detailed+query").'),
          fidelity: z.enum(FIDELITIES).optional().describe('abstract | outline | balanced | detailed | raw'),
          profile: z.string().min(1).max(100).optional().describe('A saved fidelity profile (name or id).'),
          query: z.boolean().default(false).describe('Compress with each question as the query.'),
        }),
      )
      .min(1)
      .max(12)
      .default([
        { fidelity: 'outline', query: false },
        { fidelity: 'balanced', query: false },
        { fidelity: 'detailed', query: false },
      ])
      .describe('What to compare (default outline, balanced, detailed).'),
    questions: z
      .array(
        z.object({
          document: z.number().int().min(0).describe('Index into `documents` (0-based).'),
          question: z.string().min(1).max(1000).describe('A question the answer answers (used as the query by query settings).'),
          answer: z.string().min(1).max(1000).describe('The exact span of the document that answers it.'),
        }),
      )
      .max(1000)
      .default([])
      .describe('Optional question/answer pairs (exact-span answers).'),
    wait: z.boolean().default(false).describe('Keep the call open until the experiment finishes, with progress notifications.'),
  }),
  output: ExperimentOut.extend({ secrets_redacted: SecretsRedactedField }),
  render: renderExperiment,
  restStatus: 202,
  annotations: { readOnlyHint: false, idempotentHint: false },
  rest: [{ method: 'POST', path: '/v1/experiments' }],
  examples: [
    {
      description: 'Which fidelity keeps the answers in two stored documents?',
      args: {
        documents: [{ doc_id: 'doc_8Qm1vX2k9ZbT0aLp' }, { file_id: 'docs/runbook.md' }],
        settings: [{ fidelity: 'balanced' }, { fidelity: 'detailed' }, { fidelity: 'balanced', query: true }],
        questions: [{ document: 0, question: 'default similarity threshold', answer: '0.35' }],
        wait: true,
      },
    },
  ],
  handler: async (ctx, a) => {
    const scope = ctx.scope();
    const svc = experiments(ctx);
    const made = await svc.create(ctx.caller!, scope, { name: a.name, documents: a.documents, settings: a.settings, questions: a.questions });
    await ctx.progress(0, made.documents, `queued as ${made.experiment_id}`);
    if (!a.wait) return made;
    return svc.wait(scope, made.experiment_id, (done, total) => void ctx.progress(done, total, `${done} of ${total} documents`), ctx.signal);
  },
});

const getExperiment = defineTool({
  name: 'get_experiment',
  toolset: 'ace',
  requires: 'viewer',
  title: 'Get an experiment',
  description: "An experiment's progress and its table: per setting, savings, compression time, share of answers kept and structural retention.",
  details: 'The table sums the documents finished so far (see documents_done); per_document: true adds each document\'s figures.',
  input: z.object({
    experiment_id: z.string().min(1).max(64).describe('The experiment id (exp_...), from create_experiment.'),
    per_document: z.boolean().default(false).describe('Also return each document\'s figures per setting.'),
  }),
  output: ExperimentOut,
  render: renderExperiment,
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/experiments/:experiment_id' }],
  examples: [{ description: 'Read the table', args: { experiment_id: 'exp_Tz4mQ8vK1pX7sW2c' } }],
  handler: (ctx, a) => experiments(ctx).get(ctx.scope(), a.experiment_id, { perDocument: a.per_document }),
});

export const tools: AnyTool[] = [getPlaybook, addBullets, recordOutcome, curate, createHandoff, getHandoff, listHandoffs, createExperiment, getExperiment];
