// cli toolset: filter_cli_output (compress terminal output, failures kept verbatim) and list_cli_filters.
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { AppError, BadRequest, exactlyOneOf, InvalidInput, PayloadTooLarge } from '../src/errors.js';
import { countTokens } from '../src/engine/tokens.js';
import { describeFilters, filterCliOutputSteps, looksBinary, resolveHint, supportedHints, type FilterResult } from '../src/engine/cli/index.js';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { excerpt } from '../src/registry/schema.js';

/** Above this size, tokens for metering are estimated (chars/4): exact counting blocks ~0.5 s per MB. */
const EXACT_TOKEN_LIMIT = 256 * 1024;

/** The client went away mid-filter: nothing to answer. */
class Cancelled extends AppError {
  constructor() {
    super(499, 'cancelled', 'The request was cancelled by the client');
  }
}

/**
 * Runs the filter, giving the event loop a turn between its steps (every few thousand lines), so a
 * multi-megabyte log does not stall other clients. Small inputs finish without a single pause.
 */
async function runFiltered(steps: Generator<undefined, FilterResult, unknown>, signal: AbortSignal): Promise<FilterResult> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (signal.aborted) throw new Cancelled();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function meterTokens(text: string): number {
  return text.length <= EXACT_TOKEN_LIMIT ? countTokens(text) : Math.ceil(text.length / 4);
}

const filterCli = defineTool({
  name: 'filter_cli_output',
  toolset: 'cli',
  secrets: 'redact',
  title: 'Filter CLI output',
  description: "Compress verbose terminal output (git, test runners, compilers, linters, package managers, any log) before it reaches the model: repeated lines folded, every failure kept verbatim.",
  details: "Detectors: git diff/log/status, pytest, jest, vitest, mocha, go test, cargo build/test, tsc, eslint, make/gcc/clang, npm/yarn/pnpm install, and a generic one (ANSI and progress bars stripped, repeats folded with counts, timestamps normalised). Auto-detected; pass command_hint to force one. What survives verbatim: every failing test name, its assertion message and user-code stack frames; every compiler/linter error with file:line; diff file names, hunk headers and changed lines; final summary lines. Elided runs are marked \"[… N what]\". See list_cli_filters for what each detector keeps.",
  input: z.object({
    output: z.string().optional().describe('Raw CLI output to compress (required, at least one non-blank character).'),
    content: z.string().optional().describe('Alias of `output` (accepted for clients that send `content`).'),
    command_hint: z
      .string()
      .max(200)
      .nullable()
      .optional()
      .describe(`Force a detector instead of auto-detection: an id (${supportedHints().join(', ')}), an alias such as "npm ci" or "cargo test", or the command line that produced the output ("npx jest --ci", "git diff HEAD~1").`),
    source: z.string().max(200).nullable().optional().describe('Alias of `command_hint`.'),
  }),
  output: z.object({
    secrets_redacted: SecretsRedactedField,
    filtered: z.string().describe('The compressed output.'),
    original_chars: z.number().int(),
    filtered_chars: z.number().int(),
    savings_pct: z.number().describe('Characters saved, percent of the original (0–100, one decimal).'),
    detected_type: z.string().nullable().describe('The detector used, e.g. "git_diff", "pytest", "generic".'),
    original_lines: z.number().int(),
    filtered_lines: z.number().int(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  rest: [{ method: 'POST', path: '/v1/filter-cli' }],
  render: (out) => `[filter_cli_output: ${out.detected_type}; ${out.original_chars} → ${out.filtered_chars} chars, ${out.savings_pct}% saved]\n${out.filtered}`,
  examples: [
    { description: 'Auto-detect a pytest run', args: { output: '============================= test session starts ==============================\n...\n========================= 1 failed, 144 passed in 11.73s =========================' } },
    { description: 'Force the git diff filter', args: { output: 'diff --git a/src/main.py b/src/main.py\n...', command_hint: 'git_diff' } },
  ],
  handler: async (ctx, args) => {
    const field = exactlyOneOf(args, ['output', 'content']);
    const raw = args[field];
    if (raw === undefined || raw.trim() === '') {
      throw new InvalidInput(`${field} is required and must contain at least one non-blank character (the raw CLI output to compress)`, { field });
    }
    const plan = ctx.caller?.plan ?? 'free';
    const cap = ctx.app.config.plans[plan].maxTextBytes;
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > cap) throw new PayloadTooLarge(`${field} is ${bytes} bytes; the ${plan} plan's cap is ${cap} bytes`, { field, limit: cap });
    if (looksBinary(raw)) {
      throw new BadRequest(`${field} looks like binary data (NUL bytes or control characters), not terminal output`, 'binary_content', { field });
    }
    const hintField = args.command_hint != null ? 'command_hint' : 'source';
    const hint = args.command_hint ?? args.source ?? null;
    if (hint !== null && hint.trim() !== '' && !resolveHint(hint)) {
      throw new BadRequest(`${hintField} ${excerpt(hint, 40)} names no known filter; use one of: ${supportedHints().join(', ')} (or omit it to auto-detect)`, 'invalid_value', {
        field: hintField,
        valid: supportedHints(),
      });
    }
    const res = await runFiltered(filterCliOutputSteps(raw, { hint: hint && hint.trim() !== '' ? hint : null }), ctx.signal);
    ctx.meter({ tokensIn: meterTokens(raw), tokensOut: meterTokens(res.filtered) });
    return res;
  },
});

const listCliFilters = defineTool({
  name: 'list_cli_filters',
  toolset: 'cli',
  title: 'List CLI filters',
  description: 'The detectors filter_cli_output can apply: id (usable as command_hint), the hints that select it, what each keeps verbatim and what it drops or folds.',
  input: z.object({}),
  output: z.object({
    filters: z.array(
      z.object({
        id: z.string(),
        family: z.string(),
        title: z.string(),
        hints: z.array(z.string()),
        keeps: z.array(z.string()),
        drops: z.array(z.string()),
      }),
    ),
    group_hints: z.array(z.string()).describe('Hints that pick the best-matching detector within a group (e.g. test_output).'),
    default: z.string().describe('The detector used when nothing else matches.'),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [{ description: 'See every detector and what it keeps', args: {} }],
  handler: () => {
    const filters = describeFilters();
    const ids = new Set(filters.map((f) => f.id));
    return { filters, group_hints: supportedHints().filter((h) => !ids.has(h)), default: 'generic' };
  },
});

export const tools: AnyTool[] = [filterCli, listCliFilters];
