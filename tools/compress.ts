// compress toolset: compression, batch, fidelity advice, budgets, pre-flight, quality checks,
// prompt-cache planning and fidelity profiles. estimate_tokens is defined by the platform (tools/tokens.ts).
import { z } from 'zod';
import { LIMITS } from '../src/config.js';
import { BadRequest, exactlyOneOf, InvalidInput, PayloadTooLarge } from '../src/errors.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { adviseContext, checkBudget, preFlight, recommendFidelity, resolveWindow } from '../src/engine/advisory.js';
import { FIDELITIES, FIDELITY_DESCRIPTIONS, FIDELITY_RATIO, OUTPUT_STYLES, TERSE_SUFFIX, VERBOSITY_STYLES } from '../src/engine/compress.js';
import { auditCache, planPromptCache, PROVIDERS } from '../src/engine/prompt-cache.js';
import { detectIssues } from '../src/engine/quality.js';
import { STRUCTURE_CLASSES } from '../src/engine/structure.js';
import { countTokens } from '../src/engine/tokens.js';
import { adaptItems, CompressionService, type CompressRequest, type CompressResult } from '../src/services/compression.js';
import { FidelityProfilesService } from '../src/services/fidelity-profiles.js';
import { knownModel } from '../src/registry/schema.js';
import { plural } from '../src/engine/plural.js';

const Fidelity = z.enum(FIDELITIES);
const OutputStyle = z.enum(OUTPUT_STYLES);
const Model = z
  .string()
  .min(1)
  .describe('Target model (price, window, encoding), e.g. "claude-sonnet-4-6" or "gpt-4o"; an unknown name is refused with the list of known ones.');

const Counts = z.object({ code_blocks: z.number().int(), headings: z.number().int(), urls: z.number().int() });

const Stats = z.object({
  original_tokens: z.number().int(),
  compressed_tokens: z.number().int(),
  tokens_saved: z.number().int(),
  savings_pct: z.number().describe('Percentage reduction, 0–100.'),
  compression_ratio: z.number().describe('original_tokens / compressed_tokens.'),
  estimated_cost_saved: z.string().nullable().describe('"$0.0421"-style; only when cost_model was given.'),
  estimated_cost_saved_usd: z.number().describe("At cost_model's input price, else Opus 4.7 rates ($5/MTok)."),
  cost_model: z.string(),
  cost_note: z.string().optional().describe('Present when the named model is unknown: priced at the default rate.'),
  chunks: z.number().int(),
  kept_chunks: z.number().int(),
  budget_tokens: z.number().int().describe("The fidelity's token budget."),
});

const CompressOutput = z.object({
  compressed: z.string().describe('The compressed skeleton (for output_style "structured": a JSON string {sections:[{label, content}]}).'),
  fidelity: Fidelity,
  output_style: OutputStyle,
  query_guided: z.boolean(),
  profile: z.string().nullable(),
  stats: Stats,
  structural_loss: z.array(z.enum(STRUCTURE_CLASSES)).describe('Classes with fewer occurrences in the output than the input (also sent as the X-Fidelity-Warning header).'),
  structure: z.object({ input: Counts, output: Counts }),
  sections: z.array(z.object({ label: z.string(), content: z.string() })).nullable(),
  cache: z.object({
    hit: z.boolean(),
    source: z.enum(['exact', 'semantic']).nullable(),
    similarity: z.number().nullable(),
  }),
  system_prompt_suffix: z.string().nullable().describe('With style "terse": a versioned suffix for your system prompt that caps output verbosity.'),
  style_suffix_version: z.string().nullable(),
  embedder: z.string().nullable(),
});

const compressInputShape = {
  text: z.string().min(1).describe('The document to compress (min 1 char; plan size cap: free 100 KB, pro 1 MB, team 5 MB, enterprise 10 MB).'),
  fidelity: Fidelity.optional().describe('abstract (5% of tokens) | outline (10%) | balanced (20%, default) | detailed (40%) | raw (unchanged).'),
  query: z.string().max(4000).nullable().optional().describe('Query-guided mode: keep what is relevant to this question (exact identifiers are matched lexically too).'),
  output_style: OutputStyle.optional().describe('prose (default) | bullets | structured (JSON with section labels).'),
  style: z.enum(VERBOSITY_STYLES).default('normal').describe('"terse" adds system_prompt_suffix to cap the downstream model\'s verbosity; normal/verbose add nothing.'),
  cost_model: z.string().nullable().optional().describe('Model name for the cost estimate, e.g. "claude-sonnet-4-6" (unknown names are priced at the default rate, with cost_note). Does not change the compression.'),
  model: z.string().nullable().optional().describe('Alias of cost_model.'),
  profile: z.string().nullable().optional().describe('A saved fidelity profile (name or id); explicit arguments override it.'),
  chunk_tokens: z.number().int().min(50).max(2000).optional().describe('Largest chunk in tokens (default 400; smallest is half).'),
  use_cache: z.boolean().default(true).describe('false skips the cache lookup (the result is still cached).'),
};

function toRequest(a: { text: string; fidelity?: (typeof FIDELITIES)[number]; query?: string | null; output_style?: (typeof OUTPUT_STYLES)[number]; style?: (typeof VERBOSITY_STYLES)[number]; cost_model?: string | null; model?: string | null; profile?: string | null; chunk_tokens?: number; use_cache?: boolean }): CompressRequest {
  return {
    text: a.text,
    fidelity: a.fidelity,
    query: a.query ?? null,
    output_style: a.output_style,
    style: a.style,
    cost_model: a.cost_model ?? a.model ?? null,
    profile: a.profile ?? null,
    chunk_tokens: a.chunk_tokens,
    use_cache: a.use_cache,
  };
}

function meterResult(ctx: ToolContext, r: CompressResult): void {
  ctx.meter({ tokensIn: r.stats.original_tokens, tokensOut: r.stats.compressed_tokens, cache: r.cache.source, fidelity: r.fidelity });
}

const compressText = defineTool({
  name: 'compress_text',
  toolset: 'compress',
  secrets: 'refuse',
  title: 'Compress text',
  description: "Compress (shorten) a document or prompt to a fidelity (abstract 5% … detailed 40% of tokens), keeping its most central parts in original order; the reply is the compressed text after a one-line header of the figures.",
  details: "Chunks the text along its structure, ranks chunks by PageRank on an embedding-similarity graph (personalised toward `query` and blended with BM25 when given), and keeps the best parts within the fidelity's token budget. structuredContent has the token/cost stats, structural-loss advisory and cache status. Refuses text containing secrets (400 sensitive_content).",
  input: z.object(compressInputShape),
  output: CompressOutput,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  rest: [{ method: 'POST', path: '/v1/compress' }],
  restHeaders: (out) => {
    const h: Record<string, string> = { 'X-Cache-Hit': out.cache.hit ? 'true' : 'false' };
    if (out.cache.source) h['X-Cache-Source'] = out.cache.source;
    if (out.structural_loss.length) h['X-Fidelity-Warning'] = out.structural_loss.join(',');
    return h;
  },
  render: (o) => {
    const cost = o.stats.estimated_cost_saved ? `, ${o.stats.estimated_cost_saved} saved at ${o.stats.cost_model}` : '';
    const cache = o.cache.hit ? `; cache hit (${o.cache.source})` : '';
    const loss = o.structural_loss.length ? `; fewer ${o.structural_loss.join(', ')} than the input` : '';
    const suffix = o.system_prompt_suffix ? `\n[system_prompt_suffix ${o.style_suffix_version}: ${o.system_prompt_suffix}]` : '';
    return `[compress_text: ${o.fidelity}${o.query_guided ? ', query-guided' : ''}; ${o.stats.original_tokens} → ${o.stats.compressed_tokens} tokens, ${o.stats.savings_pct}% saved${cost}${cache}${loss}]${suffix}\n${o.compressed}`;
  },
  examples: [
    { description: 'Balanced compression of a document', args: { text: '# Design\n\nLong Markdown document ...', fidelity: 'balanced' } },
    { description: 'Query-guided outline with a cost estimate', args: { text: '...', fidelity: 'outline', query: 'how is authentication configured?', cost_model: 'claude-sonnet-4-6' } },
  ],
  handler: async (ctx, args) => {
    const scope = ctx.scope();
    const r = await ctx.app.service(CompressionService).compress(scope, ctx.caller!.plan, toRequest(args), ctx.signal, (d, t, m) => void ctx.progress(d, t, m));
    meterResult(ctx, r);
    return r;
  },
});

// The seed's REST quickstart compresses without a key. Anonymous calls are rate-limited per client
// address (the free plan's rate), capped in size, and touch no project: no cache, no metering.
const demoCompress = defineTool({
  name: 'demo_compress',
  toolset: 'compress',
  secrets: 'refuse',
  title: 'Demo compression',
  description: 'Try compression without an API key: compress_text for a short text (at most 16 KB), rate-limited per client address.',
  details: 'Nothing is stored or cached and nothing is metered. Same result shape as compress_text. Text over the cap is refused with 413; use compress_text with a key for larger documents.',
  input: z.object({
    text: z.string().min(1).describe('The text to compress (at most 16 KB).'),
    fidelity: Fidelity.optional().describe('abstract | outline | balanced (default) | detailed | raw.'),
    query: z.string().max(4000).nullable().optional().describe('Keep what is relevant to this question.'),
    cost_model: z.string().nullable().optional().describe('Model name for the cost estimate.'),
  }),
  output: CompressOutput,
  public: true,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/demo/compress' }],
  render: (o) => `[demo_compress: ${o.fidelity}; ${o.stats.original_tokens} → ${o.stats.compressed_tokens} tokens, ${o.stats.savings_pct}% saved]\n${o.compressed}`,
  examples: [{ description: 'The quickstart request', args: { text: 'gotcontext.ai is a semantic compression API ...', fidelity: 'balanced' } }],
  handler: async (ctx, args) => {
    const bytes = Buffer.byteLength(args.text);
    if (bytes > LIMITS.demoTextBytes) {
      throw new PayloadTooLarge(`text is ${bytes} bytes; the demo accepts at most ${LIMITS.demoTextBytes} bytes (use compress_text with an API key for more)`, { field: 'text', limit: LIMITS.demoTextBytes, unit: 'bytes', size: bytes });
    }
    return ctx.app.service(CompressionService).compress(null, 'free', toRequest({ ...args, use_cache: false }), ctx.signal);
  },
});

const BatchResult = z.object({
  compressed: z.string(),
  original_tokens: z.number().int(),
  compressed_tokens: z.number().int(),
  savings_pct: z.number(),
  compression_ratio: z.number(),
  fidelity: Fidelity.nullable(),
  cache_hit: z.boolean(),
  structural_loss: z.array(z.enum(STRUCTURE_CLASSES)),
  error: z.string().nullable().describe('Set when this document failed; the numeric fields are then 0.'),
  error_code: z.string().nullable(),
});

const batchCompress = defineTool({
  name: 'batch_compress',
  toolset: 'compress',
  // The refuse rule applies per document (compression service): a secret fails that item inline.
  title: 'Batch compress',
  description: "Compress 1–50 documents in one call, each with its own fidelity, query and output style.",
  details: "Runs 4 at a time. A failing document is reported inline (error, error_code); the batch itself succeeds.",
  input: z.object({
    documents: z
      .array(
        z.object({
          text: z.string().describe('The document.'),
          fidelity: Fidelity.optional().describe('Default balanced.'),
          query: z.string().max(4000).nullable().optional(),
          output_style: OutputStyle.optional(),
        }),
      )
      .describe(`1 to ${LIMITS.batchDocuments} documents.`),
    cost_model: z.string().nullable().optional().describe('Model for the cost estimate in the summary.'),
    profile: z.string().nullable().optional().describe('A saved fidelity profile applied to every document.'),
  }),
  output: z.object({
    results: z.array(BatchResult),
    summary: z.object({
      total_documents: z.number().int(),
      successful: z.number().int(),
      failed: z.number().int(),
      total_tokens_in: z.number().int(),
      total_tokens_saved: z.number().int(),
      avg_savings_pct: z.number(),
      avg_compression_ratio: z.number(),
      cache_hits: z.number().int(),
    }),
  }),
  render: (o) =>
    `[batch_compress: ${o.summary.successful}/${o.summary.total_documents} compressed, ${o.summary.failed} failed; ${o.summary.total_tokens_in} tokens in, ${o.summary.total_tokens_saved} saved (avg ${o.summary.avg_savings_pct}%)]` +
    o.results
      .map((r, i) => (r.error ? `\n\n## document ${i + 1}: error ${r.error_code}: ${r.error}` : `\n\n## document ${i + 1}: ${r.original_tokens} → ${r.compressed_tokens} tokens\n${r.compressed}`))
      .join(''),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  rest: [{ method: 'POST', path: '/v1/batch-compress' }],
  examples: [{ description: 'Three documents with different settings', args: { documents: [{ text: 'First document...' }, { text: 'Second...', query: 'neural networks' }, { text: 'Third...', fidelity: 'outline' }] } }],
  handler: async (ctx, args) => {
    const scope = ctx.scope();
    if (args.documents.length === 0 || args.documents.length > LIMITS.batchDocuments) {
      throw new BadRequest(`documents must hold 1 to ${LIMITS.batchDocuments} items, got ${args.documents.length}`, 'invalid_batch_size', { field: 'documents', max: LIMITS.batchDocuments });
    }
    const reqs = args.documents.map((d) => toRequest({ ...d, cost_model: args.cost_model, profile: args.profile }));
    const outcomes = await ctx.app.service(CompressionService).batch(scope, ctx.caller!.plan, reqs, {
      concurrency: LIMITS.batchConcurrency,
      signal: ctx.signal,
      onDone: (done, total) => ctx.progress(done, total, `compressed ${done}/${total}`),
    });
    const results = outcomes.map((o) => {
      if (!o.ok) {
        return { compressed: '', original_tokens: 0, compressed_tokens: 0, savings_pct: 0, compression_ratio: 0, fidelity: null, cache_hit: false, structural_loss: [], error: o.error.message, error_code: o.error.code };
      }
      const r = o.result;
      meterResult(ctx, r);
      return {
        compressed: r.compressed,
        original_tokens: r.stats.original_tokens,
        compressed_tokens: r.stats.compressed_tokens,
        savings_pct: r.stats.savings_pct,
        compression_ratio: r.stats.compression_ratio,
        fidelity: r.fidelity,
        cache_hit: r.cache.hit,
        structural_loss: r.structural_loss,
        error: null,
        error_code: null,
      };
    });
    const ok = results.filter((r) => r.error === null);
    const tin = ok.reduce((n, r) => n + r.original_tokens, 0);
    const tout = ok.reduce((n, r) => n + r.compressed_tokens, 0);
    const avg = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0);
    return {
      results,
      summary: {
        total_documents: results.length,
        successful: ok.length,
        failed: results.length - ok.length,
        total_tokens_in: tin,
        total_tokens_saved: tin - tout,
        avg_savings_pct: avg(ok.map((r) => r.savings_pct)),
        avg_compression_ratio: avg(ok.map((r) => r.compression_ratio)),
        cache_hits: ok.filter((r) => r.cache_hit).length,
      },
    };
  },
});

const recommend = defineTool({
  name: 'recommend_fidelity',
  toolset: 'compress',
  title: 'Recommend fidelity',
  description:
    'Pick a fidelity from the document size (<500 tokens detailed, 500–2,000 balanced, 2,000–10,000 outline, >10,000 abstract), stepped up while the output would exceed 70% of the target model\'s context window. Returns the expected ratio, output size and the reasoning.',
  input: z.object({
    text: z.string().min(1).describe('The document to analyse.'),
    model: Model.nullable().optional(),
    context_window: z.number().int().min(256).max(10_000_000).nullable().optional().describe("Override the window size in tokens (default: the model's, else 200,000)."),
  }),
  output: z.object({
    recommended_fidelity: Fidelity,
    estimated_ratio: z.number(),
    estimated_output_tokens: z.number().int(),
    original_tokens: z.number().int(),
    context_window: z.number().int(),
    reasoning: z.string(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/recommend' }],
  examples: [{ description: 'For Claude Sonnet', args: { text: 'Your long document...', model: 'claude-sonnet-4-6' } }],
  handler: (ctx, args) => {
    ctx.scope();
    if (args.model) knownModel(args.model);
    const { window } = resolveWindow(args.model, args.context_window);
    return recommendFidelity(countTokens(args.text), window);
  },
});

const presets = defineTool({
  name: 'get_compression_presets',
  toolset: 'compress',
  title: 'Compression presets',
  description: 'The fidelity levels (share of tokens kept and when to use each), output styles, verbosity styles and — with an API key — this project\'s saved fidelity profiles. No key needed.',
  input: z.object({}),
  output: z.object({
    fidelities: z.array(z.object({ name: Fidelity, keep_ratio: z.number(), keep_pct: z.number(), description: z.string(), default: z.boolean() })),
    output_styles: z.array(OutputStyle),
    styles: z.array(z.object({ name: z.enum(VERBOSITY_STYLES), description: z.string() })),
    profiles: z
      .array(z.object({ profile_id: z.string(), name: z.string(), fidelity: Fidelity, chunk_tokens: z.number().int(), skeleton_ratio: z.number().nullable(), output_style: OutputStyle.nullable() }))
      .nullable()
      .describe('Saved profiles of your project (null without an API key).'),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [{ description: 'List fidelity levels', args: {} }],
  handler: async (ctx) => {
    const profiles = ctx.caller
      ? (await ctx.app.service(FidelityProfilesService).list(ctx.scope())).map((p) => ({ profile_id: p.profile_id, name: p.name, fidelity: p.fidelity, chunk_tokens: p.chunk_tokens, skeleton_ratio: p.skeleton_ratio, output_style: p.output_style }))
      : null;
    return {
      fidelities: FIDELITIES.map((f) => ({ name: f, keep_ratio: FIDELITY_RATIO[f], keep_pct: FIDELITY_RATIO[f] * 100, description: FIDELITY_DESCRIPTIONS[f], default: f === 'balanced' })),
      output_styles: [...OUTPUT_STYLES],
      styles: [
        { name: 'terse' as const, description: `Adds system_prompt_suffix (${TERSE_SUFFIX.version}) to cap the downstream model's verbosity.` },
        { name: 'normal' as const, description: 'Default: no suffix.' },
        { name: 'verbose' as const, description: 'Reserved; currently no suffix (same as normal).' },
      ],
      profiles,
    };
  },
});

const budget = defineTool({
  name: 'check_budget',
  toolset: 'compress',
  title: 'Check context budget',
  description: "Share of a model's context window a text would use: OK under 50%, WARNING 50–80%, CRITICAL over 80%, with a recommendation on whether (and how far) to compress.",
  input: z.object({
    text: z.string().min(1).describe('Text to check.'),
    context_window: z.number().int().min(256).max(10_000_000).nullable().optional().describe("Window in tokens (default: the model's, else 200,000)."),
    model: Model.nullable().optional(),
  }),
  output: z.object({
    estimated_tokens: z.number().int(),
    context_window: z.number().int(),
    pct_used: z.number(),
    status: z.enum(['OK', 'WARNING', 'CRITICAL']),
    recommendation: z.string(),
    remaining_tokens: z.number().int(),
    model: z.string(),
  }),
  advertiseOutput: true,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/check-budget' }],
  examples: [{ description: 'Against a 200k window', args: { text: 'Your long document...', context_window: 200000, model: 'claude-opus-4' } }],
  handler: (ctx, args) => {
    ctx.scope();
    if (args.model) knownModel(args.model);
    const w = resolveWindow(args.model, args.context_window);
    const tokens = countTokens(args.text);
    return { estimated_tokens: tokens, context_window: w.window, model: w.model, ...checkBudget(tokens, w.window) };
  },
});

const adapt = defineTool({
  name: 'adapt_to_context_window',
  toolset: 'compress',
  secrets: 'refuse',
  title: 'Adapt to context window',
  description:
    'Fit a set of context items (documents, tool outputs, notes) into a model\'s window: the most relevant are kept whole, the next compressed at the lightest fidelity that fits, the rest dropped. Relevance is the query (BM25 + embeddings) when given, else priority then recency.',
  input: z.object({
    items: z
      .array(
        z.object({
          id: z.string().max(200).optional().describe('Your id for the item (default: its index).'),
          content: z.string().min(1).describe('The item text.'),
          priority: z.number().min(0).max(10).optional().describe('0–10; higher is kept first.'),
        }),
      )
      .min(1)
      .max(200)
      .describe('1–200 items.'),
    model: Model.nullable().optional(),
    context_window: z.number().int().min(256).max(10_000_000).nullable().optional().describe("Window in tokens (default: the model's, else 200,000)."),
    max_tokens: z.number().int().min(1).optional().describe('Token budget for the items (default: window − reserve_tokens).'),
    reserve_tokens: z.number().int().min(0).default(4096).describe('Room left for instructions and the answer.'),
    query: z.string().max(4000).nullable().optional().describe('What the context is for; drives relevance.'),
  }),
  output: z.object({
    items: z.array(
      z.object({
        id: z.string(),
        index: z.number().int(),
        action: z.enum(['kept', 'compressed', 'dropped']),
        fidelity: Fidelity.nullable(),
        relevance: z.number(),
        original_tokens: z.number().int(),
        tokens: z.number().int(),
        content: z.string().nullable(),
      }),
    ),
    limit_tokens: z.number().int(),
    total_tokens: z.number().int(),
    original_tokens: z.number().int(),
    fits: z.boolean(),
    kept: z.number().int(),
    compressed: z.number().int(),
    dropped: z.number().int(),
  }),
  render: (o) =>
    `[adapt_to_context_window: ${o.original_tokens} → ${o.total_tokens} of ${o.limit_tokens} tokens${o.fits ? '' : ' (does not fit)'}; ${o.kept} kept, ${o.compressed} compressed, ${o.dropped} dropped]` +
    o.items
      .filter((it) => it.content !== null)
      .map((it) => `\n\n## ${it.id} (${it.action}${it.fidelity ? `, ${it.fidelity}` : ''}, ${plural(it.tokens, 'token')})\n${it.content}`)
      .join(''),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  examples: [{ description: 'Fit three items into 8k tokens', args: { items: [{ id: 'spec', content: '...', priority: 8 }, { id: 'log', content: '...' }, { id: 'notes', content: '...' }], max_tokens: 8000, query: 'why does login fail?' } }],
  handler: async (ctx, args) => {
    ctx.scope();
    if (args.model) knownModel(args.model);
    const cap = ctx.app.config.plans[ctx.caller!.plan].maxTextBytes;
    const bytes = args.items.reduce((n, it) => n + Buffer.byteLength(it.content, 'utf8'), 0);
    if (bytes > cap) {
      throw new PayloadTooLarge(`items total ${bytes} bytes; the ${ctx.caller!.plan} plan accepts at most ${cap} bytes`, { field: 'items', limit_bytes: cap });
    }
    const w = resolveWindow(args.model, args.context_window);
    const limit = args.max_tokens ?? Math.max(0, w.window - args.reserve_tokens);
    const out = await adaptItems(ctx.app, args.items, limit, args.query?.trim() || null, ctx.signal);
    const total = out.reduce((n, i) => n + i.tokens, 0);
    const original = out.reduce((n, i) => n + i.original_tokens, 0);
    ctx.meter({ tokensIn: original, tokensOut: total });
    return {
      items: out,
      limit_tokens: limit,
      total_tokens: total,
      original_tokens: original,
      fits: total <= limit,
      kept: out.filter((i) => i.action === 'kept').length,
      compressed: out.filter((i) => i.action === 'compressed').length,
      dropped: out.filter((i) => i.action === 'dropped').length,
    };
  },
});

const Message = z.object({
  role: z.string().describe('user | assistant | system | tool'),
  content: z.string(),
});

/** Documents, code and tool output count as compressible material; plain dialogue does not. */
function isMaterial(m: { role: string; content: string }): boolean {
  if (m.role === 'tool' || m.role === 'function') return true;
  if (/```|^\s{4}\S/m.test(m.content)) return true;
  const lines = m.content.split('\n').length;
  return m.content.length > 4000 || lines > 40;
}

const advise = defineTool({
  name: 'advise_context',
  toolset: 'compress',
  title: 'Advise on context',
  description:
    'Recommend what to do with the current context: continue, compress (mostly documents / code / tool output), summarize (mostly conversation) or clear (task changed, or saturated with dialogue). Give messages, or a token count with the share that is material.',
  input: z.object({
    messages: z.array(Message).max(2000).optional().describe('The conversation so far (role + content).'),
    context_tokens: z.number().int().min(0).optional().describe('Current context size in tokens, when you do not send messages.'),
    material_tokens: z.number().int().min(0).optional().describe('Of context_tokens, how many are documents, code or tool output.'),
    model: Model.nullable().optional(),
    context_window: z.number().int().min(256).max(10_000_000).nullable().optional(),
    task_changed: z.boolean().default(false).describe('True when switching to an unrelated task.'),
  }),
  output: z.object({
    recommendation: z.enum(['continue', 'compress', 'summarize', 'clear']),
    pct_used: z.number(),
    status: z.enum(['OK', 'WARNING', 'CRITICAL']),
    context_tokens: z.number().int(),
    material_tokens: z.number().int(),
    dialogue_tokens: z.number().int(),
    context_window: z.number().int(),
    reasoning: z.string(),
    actions: z.array(z.string()),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'From a token count', args: { context_tokens: 150000, material_tokens: 110000, model: 'claude-sonnet-4-6' } }],
  handler: (ctx, args) => {
    ctx.scope();
    if (args.model) knownModel(args.model);
    if (!args.messages && args.context_tokens === undefined) {
      throw new InvalidInput('give messages or context_tokens', { field: 'messages', rule: 'required' });
    }
    let material = 0;
    let dialogue = 0;
    if (args.messages) {
      for (const m of args.messages) {
        const t = countTokens(m.content) + 4;
        if (isMaterial(m)) material += t;
        else dialogue += t;
      }
    } else {
      const total = args.context_tokens!;
      material = Math.min(total, args.material_tokens ?? 0);
      dialogue = total - material;
    }
    const w = resolveWindow(args.model, args.context_window);
    const total = material + dialogue;
    return { ...adviseContext(total, { material, dialogue }, w.window, args.task_changed), context_tokens: total, material_tokens: material, dialogue_tokens: dialogue, context_window: w.window };
  },
});

const preflight = defineTool({
  name: 'gc_pre_flight',
  toolset: 'compress',
  title: 'Context pre-flight',
  description: "One-call verdict before adding content to the context: send_as_is, send_compressed, warn_context_limit or clear_first, with the recommended fidelity and next steps.",
  details: "send_as_is: small, room to spare; send_compressed: ≥1,500 tokens (compress, or ingest + read_skeleton first); warn_context_limit: would pass 70% of the window; clear_first: context already ≥85% full.",
  input: z.object({
    text: z.string().optional().describe('The content about to be sent (optional).'),
    incoming_tokens: z.number().int().min(0).optional().describe('Its size in tokens, if you do not send the text.'),
    context_tokens: z.number().int().min(0).default(0).describe('Tokens already in the context window.'),
    model: Model.nullable().optional(),
    context_window: z.number().int().min(256).max(10_000_000).nullable().optional(),
  }),
  output: z.object({
    verdict: z.enum(['send_as_is', 'send_compressed', 'warn_context_limit', 'clear_first']),
    reasoning: z.string(),
    incoming_tokens: z.number().int(),
    context_tokens: z.number().int(),
    context_window: z.number().int(),
    pct_used_now: z.number(),
    pct_used_after: z.number(),
    recommended_fidelity: Fidelity.nullable(),
    estimated_tokens_after_compression: z.number().int().nullable(),
    next_steps: z.array(z.string()),
  }),
  advertiseOutput: true,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [
    { description: 'Nothing pending', args: {} },
    { description: 'A 6,000-token file into a half-full context', args: { incoming_tokens: 6000, context_tokens: 90000, model: 'claude-sonnet-4-6' } },
  ],
  handler: (ctx, args) => {
    ctx.scope();
    if (args.model) knownModel(args.model);
    const w = resolveWindow(args.model, args.context_window);
    // Both optional (nothing pending is a valid question); both at once is ambiguous: 422 one_of.
    if (args.text !== undefined && args.incoming_tokens !== undefined) exactlyOneOf(args, ['text', 'incoming_tokens']);
    const incoming = args.text ? countTokens(args.text) : (args.incoming_tokens ?? 0);
    return preFlight(incoming, args.context_tokens, w.window);
  },
});

const detect = defineTool({
  name: 'detect_issues',
  toolset: 'compress',
  secrets: 'refuse',
  title: 'Detect compression issues',
  description: "Compare a compressed text with its original and report hallucinations and blind spots, with a quality_score in [0, 1].",
  details: "Hallucinations: sentences whose numbers, identifiers or content words the source does not support. Blind spots: numbers, code identifiers, names and negations of the source that were lost, including negations dropped from kept statements; more than 3 lost values of one kind are one grouped issue (count, the first 12, \"and N more\"). 1 = no issues.",
  input: z.object({
    original_text: z.string().min(1).describe('The uncompressed source.'),
    compressed_text: z.string().min(1).describe('The compressed output to check.'),
    check_hallucination: z.boolean().default(true),
    check_blind_spots: z.boolean().default(true),
    max_issues: z.number().int().min(1).max(500).default(100).describe('Cap on listed issues (issues_found counts all).'),
  }),
  output: z.object({
    issues_found: z.number().int(),
    issues: z.array(z.object({ type: z.enum(['hallucination', 'blind_spot']), severity: z.enum(['low', 'medium', 'high']), description: z.string(), location: z.string().nullable() })),
    quality_score: z.number(),
    hallucination_score: z.number().nullable(),
    coverage_score: z.number().nullable(),
    checked: z.object({ sentences: z.number().int(), key_facts: z.number().int() }),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/detect-issues' }],
  examples: [{ description: 'Check a skeleton', args: { original_text: 'The full original document...', compressed_text: 'The compressed version...' } }],
  handler: (ctx, args) => {
    ctx.scope();
    const cap = ctx.app.config.plans[ctx.caller!.plan].maxTextBytes;
    for (const f of ['original_text', 'compressed_text'] as const) {
      if (Buffer.byteLength(args[f], 'utf8') > cap) throw new PayloadTooLarge(`${f} exceeds the ${cap}-byte cap of the ${ctx.caller!.plan} plan`, { field: f, limit_bytes: cap });
    }
    return detectIssues(args.original_text, args.compressed_text, { checkHallucination: args.check_hallucination, checkBlindSpots: args.check_blind_spots, maxIssues: args.max_issues });
  },
});

const Provider = z.enum(PROVIDERS);

const audit = defineTool({
  name: 'audit_cache',
  toolset: 'compress',
  title: 'Audit prompt-cache friendliness',
  description:
    "Score (0–1) how much of a prompt a provider's prompt cache could reuse on the next call: length versus the provider's minimum, and where per-call content (timestamps, ids, placeholders) first breaks the stable prefix. With recommendations and the estimated saving.",
  input: z.object({
    text: z.string().min(1).describe('The prompt or document to audit.'),
    provider: Provider.default('anthropic').describe('anthropic | openai | google'),
  }),
  output: z.object({
    provider: Provider,
    cache_friendly: z.boolean(),
    score: z.number(),
    recommendations: z.array(z.string()),
    estimated_savings_pct: z.number(),
    total_tokens: z.number().int(),
    stable_prefix_tokens: z.number().int(),
    min_cacheable_tokens: z.number().int(),
    dynamic_content: z.array(z.object({ kind: z.string(), line: z.number().int() })),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/audit-cache' }],
  examples: [{ description: 'Audit a system prompt for Anthropic', args: { text: 'You are a helpful assistant that...', provider: 'anthropic' } }],
  handler: (ctx, args) => {
    ctx.scope();
    return auditCache(args.text, args.provider);
  },
});

const planCache = defineTool({
  name: 'plan_prompt_cache',
  toolset: 'compress',
  secrets: 'refuse',
  title: 'Plan prompt caching',
  description:
    "Reorder a prompt's parts so static content (system, tools, reference docs) comes first and per-call content last, and place cache breakpoints for the provider (Anthropic: up to 4 cache_control points; OpenAI/Google: the stable prefix length).",
  input: z.object({
    parts: z
      .array(
        z.object({
          name: z.string().max(200).optional(),
          role: z.string().max(50).optional().describe('system | tools | documents | examples | user | assistant ...'),
          content: z.string().describe('The part text.'),
          kind: z.enum(['static', 'dynamic']).optional().describe('Detected from the content when omitted.'),
        }),
      )
      .min(1)
      .max(100),
    provider: Provider.default('anthropic'),
  }),
  output: z.object({
    provider: Provider,
    order: z.array(z.number().int()),
    parts: z.array(
      z.object({
        index: z.number().int(),
        name: z.string(),
        role: z.string().nullable(),
        kind: z.enum(['static', 'dynamic']),
        detected: z.boolean(),
        reason: z.string(),
        tokens: z.number().int(),
        cumulative_tokens: z.number().int(),
        cache_breakpoint: z.boolean(),
      }),
    ),
    breakpoints: z.array(z.object({ after_part: z.number().int(), cumulative_tokens: z.number().int() })),
    total_tokens: z.number().int(),
    cacheable_prefix_tokens: z.number().int(),
    estimated_savings_pct: z.number(),
    moved: z.number().int(),
    notes: z.array(z.string()),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [
    {
      description: 'System prompt, docs and a user turn',
      args: { provider: 'anthropic', parts: [{ role: 'user', content: 'Today is 2026-05-01 10:00. Question...' }, { role: 'system', content: 'You are...' }, { role: 'documents', content: '...reference...' }] },
    },
  ],
  handler: (ctx, args) => {
    ctx.scope();
    return planPromptCache(args.parts, args.provider);
  },
});

const ProfileOut = z.object({
  profile_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  fidelity: Fidelity,
  chunk_tokens: z.number().int(),
  skeleton_ratio: z.number().nullable(),
  output_style: OutputStyle.nullable(),
  created_at: z.string(),
});

const createProfile = defineTool({
  name: 'create_fidelity_profile',
  toolset: 'compress',
  title: 'Create fidelity profile',
  description: 'Save a named compression preset (fidelity, chunk size, optional skeleton ratio and output style) for this project; pass profile="<name>" on compress calls instead of the raw parameters.',
  input: z.object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - and _, up to 64, starting with a letter or digit').describe('Slug used as profile=...'),
    description: z.string().max(500).nullable().optional(),
    fidelity: Fidelity.default('balanced'),
    chunk_tokens: z.number().int().min(50).max(2000).default(400).describe('Largest chunk in tokens.'),
    skeleton_ratio: z.number().gt(0).max(1).nullable().optional().describe('Share of tokens to keep (overrides the fidelity\'s share).'),
    output_style: OutputStyle.nullable().optional(),
  }),
  output: ProfileOut,
  annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/profiles' }],
  restStatus: 201,
  examples: [{ description: 'A tight legal preset', args: { name: 'legal-tight', fidelity: 'detailed', chunk_tokens: 300, skeleton_ratio: 0.3 } }],
  handler: (ctx, args) => ctx.app.service(FidelityProfilesService).create(ctx.scope(), args),
});

const listProfiles = defineTool({
  name: 'list_fidelity_profiles',
  toolset: 'compress',
  title: 'List fidelity profiles',
  description: "This project's saved fidelity profiles.",
  input: z.object({}),
  output: z.object({ profiles: z.array(ProfileOut) }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'GET', path: '/v1/profiles' }],
  examples: [{ description: 'All profiles', args: {} }],
  handler: async (ctx) => ({ profiles: await ctx.app.service(FidelityProfilesService).list(ctx.scope()) }),
});

const getProfile = defineTool({
  name: 'get_fidelity_profile',
  toolset: 'compress',
  title: 'Get fidelity profile',
  description: 'One saved fidelity profile, by id or name.',
  input: z.object({ profile_id: z.string().min(1).describe('Profile id (fp_...) or name.') }),
  output: ProfileOut,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'GET', path: '/v1/profiles/:profile_id' }],
  examples: [{ description: 'By name', args: { profile_id: 'legal-tight' } }],
  handler: (ctx, args) => ctx.app.service(FidelityProfilesService).get(ctx.scope(), args.profile_id),
});

const deleteProfile = defineTool({
  name: 'delete_fidelity_profile',
  toolset: 'compress',
  title: 'Delete fidelity profile',
  description: 'Delete a saved fidelity profile, by id or name.',
  input: z.object({ profile_id: z.string().min(1).describe('Profile id (fp_...) or name.') }),
  output: z.object({ deleted: z.literal(true), profile: ProfileOut }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'DELETE', path: '/v1/profiles/:profile_id' }],
  examples: [{ description: 'By name', args: { profile_id: 'legal-tight' } }],
  handler: async (ctx, args) => ({ deleted: true as const, profile: await ctx.app.service(FidelityProfilesService).delete(ctx.scope(), args.profile_id) }),
});

export const tools: AnyTool[] = [
  compressText,
  demoCompress,
  batchCompress,
  recommend,
  presets,
  budget,
  adapt,
  advise,
  preflight,
  detect,
  audit,
  planCache,
  createProfile,
  listProfiles,
  getProfile,
  deleteProfile,
];
