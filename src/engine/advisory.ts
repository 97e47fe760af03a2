// Context-budget advice: recommend_fidelity, check_budget, advise_context, gc_pre_flight and the
// planning half of adapt_to_context_window. Pure: token counts in, decisions and reasons out.
import { FIDELITY_RATIO, type Fidelity } from './compress.js';
import { DEFAULT_MODEL, findModel } from './tokens.js';
import { plural } from './plural.js';

export const DEFAULT_CONTEXT_WINDOW = 200_000;
/** Below this many tokens compression is not worth a round trip (the seed's ~1,500 tokens). */
export const COMPRESS_WORTHWHILE_TOKENS = 1_500;

/** The context window to plan against: explicit > the model's > 200k. */
export function resolveWindow(model?: string | null, contextWindow?: number | null): { window: number; model: string; source: 'argument' | 'model' | 'default' } {
  const m = findModel(model ?? DEFAULT_MODEL) ?? findModel(DEFAULT_MODEL)!;
  if (contextWindow) return { window: contextWindow, model: m.id, source: 'argument' };
  if (model && findModel(model)) return { window: m.contextWindow, model: m.id, source: 'model' };
  return { window: DEFAULT_CONTEXT_WINDOW, model: m.id, source: 'default' };
}

const STEP_UP: Record<Fidelity, Fidelity | null> = { raw: 'detailed', detailed: 'balanced', balanced: 'outline', outline: 'abstract', abstract: null };

export interface FidelityRecommendation {
  recommended_fidelity: Fidelity;
  estimated_ratio: number;
  estimated_output_tokens: number;
  original_tokens: number;
  context_window: number;
  reasoning: string;
}

/** Size rules (<500 detailed, 500–2,000 balanced, 2,000–10,000 outline, >10,000 abstract), stepped up while the output would pass 70% of the window. */
export function recommendFidelity(originalTokens: number, window: number): FidelityRecommendation {
  let f: Fidelity;
  let why: string;
  if (originalTokens < 500) [f, why] = ['detailed', `${plural(originalTokens, 'token')} is under 500: keep 40% so little is lost`];
  else if (originalTokens <= 2000) [f, why] = ['balanced', `${originalTokens} tokens is in 500–2,000: balanced (20%) is the usual sweet spot`];
  else if (originalTokens <= 10_000) [f, why] = ['outline', `${originalTokens} tokens is in 2,000–10,000: outline (10%) keeps structure and key claims`];
  else [f, why] = ['abstract', `${originalTokens} tokens is over 10,000: abstract (5%) keeps the backbone`];
  const steps: string[] = [];
  while (originalTokens * FIDELITY_RATIO[f] > 0.7 * window && STEP_UP[f]) {
    const up: Fidelity = STEP_UP[f]!;
    steps.push(`${f} would use ${Math.round(originalTokens * FIDELITY_RATIO[f])} tokens, over 70% of the ${window}-token window, so stepped up to ${up}`);
    f = up;
  }
  const out = Math.round(originalTokens * FIDELITY_RATIO[f]);
  let reasoning = why + '.';
  if (steps.length) reasoning += ' ' + steps.join('; ') + '.';
  if (out > 0.7 * window) reasoning += ` Even at abstract the output (${out} tokens) exceeds 70% of the window: split the document or search it instead.`;
  return { recommended_fidelity: f, estimated_ratio: FIDELITY_RATIO[f], estimated_output_tokens: out, original_tokens: originalTokens, context_window: window, reasoning };
}

export type BudgetStatus = 'OK' | 'WARNING' | 'CRITICAL';

export function budgetStatus(pct: number): BudgetStatus {
  return pct < 50 ? 'OK' : pct <= 80 ? 'WARNING' : 'CRITICAL';
}

export function checkBudget(tokens: number, window: number): { pct_used: number; status: BudgetStatus; recommendation: string; remaining_tokens: number } {
  const pct = Math.round((tokens / window) * 10000) / 100;
  const status = budgetStatus((tokens / window) * 100);
  const rec = recommendFidelity(tokens, window);
  const recommendation =
    status === 'OK'
      ? tokens >= COMPRESS_WORTHWHILE_TOKENS
        ? `Fits comfortably (${pct}% of ${window}). Compression is optional; at ${rec.recommended_fidelity} it would use about ${rec.estimated_output_tokens} tokens.`
        : `Fits comfortably (${pct}% of ${window}); too small for compression to pay off. Send as is.`
      : status === 'WARNING'
        ? `Uses ${pct}% of the window: compress first (fidelity ${rec.recommended_fidelity}, about ${rec.estimated_output_tokens} tokens) to leave room for the conversation and the answer.`
        : `Uses ${pct}% of the window: do not send as is. Compress at ${rec.recommended_fidelity} (about ${rec.estimated_output_tokens} tokens) or search for the relevant parts.`;
  return { pct_used: pct, status, recommendation, remaining_tokens: Math.max(0, window - tokens) };
}

export type PreFlightVerdict = 'send_as_is' | 'send_compressed' | 'warn_context_limit' | 'clear_first';

export interface PreFlight {
  verdict: PreFlightVerdict;
  reasoning: string;
  incoming_tokens: number;
  context_tokens: number;
  context_window: number;
  pct_used_now: number;
  pct_used_after: number;
  recommended_fidelity: Fidelity | null;
  estimated_tokens_after_compression: number | null;
  next_steps: string[];
}

/**
 * The four verdicts: clear_first when the context is already ≥ 85% full; warn_context_limit when
 * sending would take it to ≥ 70%; send_compressed when the incoming text is worth compressing
 * (≥ 1,500 tokens); otherwise send_as_is.
 */
export function preFlight(incoming: number, context: number, window: number): PreFlight {
  const now = Math.round((context / window) * 10000) / 100;
  const after = Math.round(((context + incoming) / window) * 10000) / 100;
  const rec = incoming > 0 ? recommendFidelity(incoming, window) : null;
  const compressedAfter = rec ? Math.round(((context + rec.estimated_output_tokens) / window) * 10000) / 100 : now;
  const base = { incoming_tokens: incoming, context_tokens: context, context_window: window, pct_used_now: now, pct_used_after: after };
  if (now >= 85) {
    return {
      ...base,
      verdict: 'clear_first',
      reasoning: `The context is ${now}% full already: clear or summarise it before adding anything.`,
      recommended_fidelity: rec?.recommended_fidelity ?? null,
      estimated_tokens_after_compression: rec?.estimated_output_tokens ?? null,
      next_steps: ['Summarise the conversation so far (or start a fresh session with a handoff)', 'then re-run gc_pre_flight'],
    };
  }
  if (after >= 70) {
    return {
      ...base,
      verdict: 'warn_context_limit',
      reasoning: `Sending this would take the context from ${now}% to ${after}% of ${window} tokens.` + (rec ? ` Compressed at ${rec.recommended_fidelity} it would reach about ${compressedAfter}%.` : ''),
      recommended_fidelity: rec?.recommended_fidelity ?? null,
      estimated_tokens_after_compression: rec?.estimated_output_tokens ?? null,
      next_steps: rec
        ? [`compress_text(fidelity="${rec.recommended_fidelity}") or ingest_context + search_semantic for just the relevant parts`, 'summarise older turns if the context keeps growing']
        : ['summarise older turns or clear the context'],
    };
  }
  if (incoming >= COMPRESS_WORTHWHILE_TOKENS && rec) {
    return {
      ...base,
      verdict: 'send_compressed',
      reasoning: `${incoming} tokens is above the ${COMPRESS_WORTHWHILE_TOKENS}-token threshold where compression pays off; at ${rec.recommended_fidelity} it becomes about ${rec.estimated_output_tokens} tokens.`,
      recommended_fidelity: rec.recommended_fidelity,
      estimated_tokens_after_compression: rec.estimated_output_tokens,
      next_steps: [`compress_text(fidelity="${rec.recommended_fidelity}")`, 'or ingest_context(file_id=...) then read_skeleton(doc_id=...) for a document you will revisit'],
    };
  }
  return {
    ...base,
    verdict: 'send_as_is',
    reasoning: incoming > 0 ? `${plural(incoming, 'token')} is small and the context is ${now}% full: no action needed.` : `The context is ${now}% full: no action needed.`,
    recommended_fidelity: null,
    estimated_tokens_after_compression: null,
    next_steps: [],
  };
}

export type ContextAdvice = 'continue' | 'compress' | 'summarize' | 'clear';

export interface ContextShare {
  /** Tokens of documents, code, tool output (compressible material). */
  material: number;
  /** Tokens of dialogue (user/assistant prose). */
  dialogue: number;
}

/**
 * compress when most of the context is documents/code/tool output; summarize when it is mostly
 * conversation; clear when the task changed or the context is saturated with stale material.
 */
export function adviseContext(total: number, share: ContextShare, window: number, taskChanged: boolean): {
  recommendation: ContextAdvice;
  pct_used: number;
  status: BudgetStatus;
  reasoning: string;
  actions: string[];
} {
  const pct = Math.round((total / window) * 10000) / 100;
  const status = budgetStatus((total / window) * 100);
  const materialShare = total > 0 ? share.material / total : 0;
  const pctMaterial = Math.round(materialShare * 100);
  if (taskChanged && pct >= 20) {
    return {
      recommendation: 'clear',
      pct_used: pct,
      status,
      reasoning: `The task changed and ${pct}% of the window holds context for the old one: clear it (keep a short handoff) rather than carrying it along.`,
      actions: ['create_handoff or add_memory for what must survive', 'clear the context', 'reload only what the new task needs'],
    };
  }
  if (pct < 50) {
    return { recommendation: 'continue', pct_used: pct, status, reasoning: `${pct}% of the window is used: nothing to do yet.`, actions: [] };
  }
  if (pct >= 90 && materialShare < 0.5) {
    return {
      recommendation: 'clear',
      pct_used: pct,
      status,
      reasoning: `${pct}% used and mostly conversation (${100 - pctMaterial}%): summarising would not free enough; clear with a handoff.`,
      actions: ['summarise decisions and open items into a handoff', 'clear the context', 'resume from the handoff'],
    };
  }
  if (materialShare >= 0.5) {
    return {
      recommendation: 'compress',
      pct_used: pct,
      status,
      reasoning: `${pct}% used, ${pctMaterial}% of it documents, code or tool output: compress those (they shrink 80–95%) and keep the dialogue verbatim.`,
      actions: ['compress_text large documents (balanced or outline)', 'filter_cli_output for logs and test output', 'ingest_context + search_semantic for reference material'],
    };
  }
  return {
    recommendation: 'summarize',
    pct_used: pct,
    status,
    reasoning: `${pct}% used, ${100 - pctMaterial}% of it conversation: summarise older turns; compression helps little on dialogue.`,
    actions: ['summarise turns older than the current subtask', 'keep the latest turns and open questions verbatim'],
  };
}

/** Which model was meant: the name when known, else the default, for messages. */
export function modelLabel(model?: string | null): string {
  return findModel(model ?? undefined)?.id ?? DEFAULT_MODEL;
}
