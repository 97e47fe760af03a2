// Strategies as data: what a strategy is (declarative — a prompt for the LLM path and, for the path
// without one, which kinds of content to keep and the share to aim for; never code), the built-in
// ones, and the checks a custom one must pass. Pure: no I/O.
import { UNIT_KINDS, type UnitKind } from './units.js';

/**
 * rules: kept units picked by kind under a share of the input (no LLM);
 * compress: message-aware compression to target_token with the compression engine (no LLM);
 * llm: the system prompt is sent to the configured provider with the conversation (needs one).
 */
export const STRATEGY_MODES = ['rules', 'compress', 'llm'] as const;
export type StrategyMode = (typeof STRATEGY_MODES)[number];

export interface Strategy {
  id: string;
  name: string;
  description: string;
  tier: 'builtin' | 'custom';
  version: string;
  default_provider: string;
  /** "0.10-0.20": the share of input tokens the output is expected to take. */
  expected_compression: string;
  system_prompt: string;
  mode: StrategyMode;
  /** rules mode: kinds kept whatever the budget (technical_dense: all code and errors). */
  always: UnitKind[];
  /** rules mode: kinds kept, most important first (the budget fills in this order). */
  keep: UnitKind[];
  /** rules mode: the share of input tokens to aim for, within expected_compression. */
  target_ratio: number;
  /** rules mode: when the kept kinds fall short of the range's lower end, add the most informative other units. */
  fill: boolean;
  /** rules mode: keep the unit before and after each kept decision (the problem it answers, the reason given). */
  decision_context: boolean;
}

export const STRATEGY_ID_RE = /^[a-z][a-z0-9_]{1,63}$/;
export const SEMVER_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
export const RATIO_RANGE_RE = /^(0(?:\.\d+)?|1(?:\.0+)?)\s*-\s*(0(?:\.\d+)?|1(?:\.0+)?)$/;
export { UNIT_KINDS };

/** [lo, hi] of an "0.10-0.20" range; null when it is not one. */
export function ratioRange(s: string): [number, number] | null {
  const m = RATIO_RANGE_RE.exec(s.trim());
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo <= hi ? [lo, hi] : null;
}

const NO_LLM = 'none (rules; any configured CTXGATE_LLM_URL provider for postprocess_prompt)';

export const BUILTIN_STRATEGIES: readonly Strategy[] = [
  {
    id: 'compress',
    name: 'Compress',
    description: 'Message-aware compression to target_token with the compression engine; last user message, tool pairs and code blocks intact.',
    tier: 'builtin',
    version: '1.0.0',
    default_provider: NO_LLM,
    expected_compression: '0.00-1.00',
    system_prompt:
      'Compress the conversation to the target token budget. Keep every role and the order of messages. Keep the last user message verbatim. Never cut inside a code block. Never keep a tool result without the call it answers, or a call without its result.',
    mode: 'compress',
    always: [],
    keep: [],
    target_ratio: 1,
    fill: false,
    decision_context: false,
  },
  {
    id: 'summarize',
    name: 'Aggressive Summarize',
    description: 'Reduces conversation to decisions, outcomes, and open questions.',
    tier: 'builtin',
    version: '1.1.0',
    default_provider: NO_LLM,
    expected_compression: '0.08-0.15',
    system_prompt:
      'Reduce the conversation to what a reader needs to continue it: the decisions taken, their outcomes (what was fixed, merged, released, or failed) and the questions still open. Drop greetings, thanks, quoted text and repetition. Keep roles and message order; keep the last user message verbatim.',
    mode: 'rules',
    // Decisions first, then open questions and TODOs, within the range: every unit phrased as a
    // decision kept whatever the budget pushed long review threads far past 15%.
    always: [],
    keep: ['decision', 'question', 'todo', 'rationale', 'error', 'other'],
    target_ratio: 0.135,
    fill: true,
    decision_context: false,
  },
  {
    id: 'technical_dense',
    name: 'Technical Dense',
    description: 'Preserves all code, errors, and decisions. Strips conversational filler.',
    tier: 'builtin',
    version: '1.1.0',
    default_provider: NO_LLM,
    expected_compression: '0.10-0.20',
    system_prompt:
      'Keep every code block byte for byte, every error message and stack trace (once, duplicates removed), every command, file path and decision. Remove conversational filler, greetings, thanks and quoted text. Keep roles and message order; keep the last user message verbatim.',
    mode: 'rules',
    always: ['code', 'error'],
    // Decisions first within the budget: with code and logs always kept, every decision too would
    // push code-heavy conversations well past the 20% the seed states.
    keep: ['decision', 'command', 'path'],
    target_ratio: 0.15,
    fill: true,
    decision_context: false,
  },
  {
    id: 'extract_decisions',
    name: 'Extract Decisions',
    description: 'Extracts only explicit decisions and their rationale.',
    tier: 'builtin',
    version: '1.1.0',
    default_provider: NO_LLM,
    expected_compression: '0.05-0.10',
    system_prompt:
      'Extract only the explicit decisions made in the conversation and the rationale given for each. Drop everything else. Keep roles and message order; keep the last user message verbatim.',
    mode: 'rules',
    always: [],
    keep: ['decision', 'rationale'],
    target_ratio: 0.09,
    // Short of 5%: the units that most read like an outcome (outcome words, late, on the thread's
    // subject), not arbitrary text.
    fill: true,
    decision_context: true,
  },
];

export function builtinStrategy(id: string): Strategy | undefined {
  return BUILTIN_STRATEGIES.find((s) => s.id === id);
}

/** The kinds a strategy keeps must all be known (checked when a custom strategy is created). */
export function unknownKinds(kinds: readonly string[]): string[] {
  return kinds.filter((k) => !(UNIT_KINDS as readonly string[]).includes(k));
}
