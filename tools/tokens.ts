// estimate_tokens: exact counts with js-tiktoken; charges no compression.
import { z } from 'zod';
import { PayloadTooLarge } from '../src/errors.js';
import { countTokens, inputCost, modelIds } from '../src/engine/tokens.js';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { knownModel } from '../src/registry/schema.js';

/** Below this many tokens compression is not worth its overhead (seed guidance: ~1,500 tokens). */
export const COMPRESS_WORTHWHILE_TOKENS = 1500;

const estimateTokens = defineTool({
  name: 'estimate_tokens',
  toolset: 'compress',
  title: 'Estimate tokens',
  description: "Count a text's tokens exactly and, for a named model, its input cost and share of the context window. Use it before compressing: under ~1,500 tokens, send as is.",
  details: `js-tiktoken, o200k_base unless the model uses another encoding (approximate=true where the model's tokenizer is not public). Charges no compression. Known models: ${modelIds().join(', ')}.`,
  input: z.object({
    text: z.string().describe('The text to count.'),
    model: z.string().min(1).optional().describe('Target model for encoding, cost and window, e.g. "gpt-4o", "claude-sonnet-4-6" (tool_help lists the known ones).'),
  }),
  output: z.object({
    tokens: z.number().int(),
    characters: z.number().int(),
    encoding: z.string(),
    model: z.string().nullable().describe('The model the estimate is for (null: default encoding, no cost).'),
    approximate: z.boolean().describe("True when the model's own tokenizer is not public and tiktoken approximates it."),
    estimated_cost_usd: z.number().nullable(),
    input_price_per_mtok: z.number().nullable(),
    context_window: z.number().int().nullable(),
    window_used_pct: z.number().nullable(),
    recommendation: z.enum(['send_as_is', 'consider_compressing']),
  }),
  advertiseOutput: true,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  public: true,
  examples: [
    { description: 'Count a snippet', args: { text: 'The quick brown fox jumps over the lazy dog.' } },
    { description: 'Count and price for a model', args: { text: '...long document...', model: 'claude-sonnet-4-6' } },
  ],
  handler: (ctx, args) => {
    const cap = ctx.app.config.plans[ctx.caller?.plan ?? 'free'].maxTextBytes;
    const bytes = Buffer.byteLength(args.text, 'utf8');
    if (bytes > cap) {
      throw new PayloadTooLarge(`text is ${bytes} bytes; the ${ctx.caller?.plan ?? 'free (no key)'} plan's cap is ${cap} bytes`, { field: 'text', limit: cap });
    }
    const model = args.model ? knownModel(args.model) : undefined;
    const encoding = model?.encoding ?? 'o200k_base';
    const tokens = countTokens(args.text, encoding);
    return {
      tokens,
      characters: args.text.length,
      encoding,
      model: model?.id ?? null,
      approximate: model?.approximate ?? false,
      estimated_cost_usd: model ? Number(inputCost(tokens, model).toFixed(6)) : null,
      input_price_per_mtok: model?.inputPerMTok ?? null,
      context_window: model?.contextWindow ?? null,
      window_used_pct: model ? Number(((100 * tokens) / model.contextWindow).toFixed(2)) : null,
      recommendation: tokens >= COMPRESS_WORTHWHILE_TOKENS ? ('consider_compressing' as const) : ('send_as_is' as const),
    };
  },
});

export const tools: AnyTool[] = [estimateTokens];
