// cache toolset: the compression cache's semantic threshold, hit statistics and clearing.
import { z } from 'zod';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { CompressCacheService, DEFAULT_SEMANTIC_THRESHOLD, THRESHOLD_MAX, THRESHOLD_MIN } from '../src/services/compress-cache.js';

const Threshold = z.object({
  threshold: z.number().describe('Cosine similarity a near-duplicate request needs to be served from cache.'),
  source: z.enum(['user', 'global']).describe('user = your override; global = the server default.'),
});

const getThreshold = defineTool({
  name: 'get_semantic_cache_threshold',
  toolset: 'cache',
  title: 'Get semantic-cache threshold',
  description: `The cosine-similarity cutoff for semantic cache hits in this project (server default ${DEFAULT_SEMANTIC_THRESHOLD}).`,
  input: z.object({}),
  output: Threshold,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'GET', path: '/v1/settings/semantic-cache-threshold' }],
  examples: [{ description: 'Read the cutoff', args: {} }],
  handler: (ctx) => ctx.app.service(CompressCacheService).threshold(ctx.scope()),
});

const setThreshold = defineTool({
  name: 'set_semantic_cache_threshold',
  toolset: 'cache',
  plan: 'team',
  title: 'Set semantic-cache threshold',
  description: `Set this project's semantic-cache cutoff in [${THRESHOLD_MIN}, ${THRESHOLD_MAX}], or null to return to the server default. 0.95–0.97 for factual or high-stakes work, ~0.92 balanced, 0.85–0.90 where an imprecise hit is cheap.`,
  input: z.object({
    threshold: z.number().nullable().describe(`Cosine similarity in [${THRESHOLD_MIN}, ${THRESHOLD_MAX}], or null for the default.`),
  }),
  output: Threshold,
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  rest: [
    { method: 'PUT', path: '/v1/settings/semantic-cache-threshold' },
    { method: 'POST', path: '/v1/settings/semantic-cache-threshold' },
  ],
  examples: [
    { description: 'Balanced cutoff', args: { threshold: 0.92 } },
    { description: 'Back to the default', args: { threshold: null } },
  ],
  handler: (ctx, args) => ctx.app.service(CompressCacheService).setThreshold(ctx.scope(), args.threshold),
});

const stats = defineTool({
  name: 'cache_stats',
  toolset: 'cache',
  title: 'Cache statistics',
  description: 'Compression-cache statistics for this project: entries, hits split by source (exact request hash vs semantic near-duplicate), misses, hit rate, tokens saved by hits, and the threshold in force.',
  input: z.object({}),
  output: z.object({
    entries: z.number().int(),
    exact_hits: z.number().int(),
    semantic_hits: z.number().int(),
    hits: z.number().int().describe('exact_hits + semantic_hits'),
    misses: z.number().int(),
    hit_rate: z.number(),
    tokens_saved_by_hits: z.number().int(),
    threshold: z.number(),
    threshold_source: z.enum(['user', 'global']),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'Hit rates', args: {} }],
  handler: (ctx) => ctx.app.service(CompressCacheService).stats(ctx.scope()),
});

const clear = defineTool({
  name: 'clear_cache',
  toolset: 'cache',
  title: 'Clear cache',
  description: "Delete this project's cached compressions (the next identical call recomputes). Optionally reset the hit counters too.",
  input: z.object({ reset_stats: z.boolean().default(false).describe('Also zero the hit/miss counters.') }),
  output: z.object({ deleted_entries: z.number().int(), stats_reset: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'Drop cached results', args: {} }],
  handler: (ctx, args) => ctx.app.service(CompressCacheService).clear(ctx.scope(), args.reset_stats),
});

export const tools: AnyTool[] = [getThreshold, setThreshold, stats, clear];
