// Distill: a conversation in, a shorter one out, by a named strategy (seed 003). Stateless for the
// conversation itself: only strategies, call records (with the inject of each call) and feedback are
// stored. Selection is the engine's (src/engine/conversation); the compress pathway shortens each
// message with the compression engine (buildSkeleton); prompt strategies and postprocess_prompt go to
// the configured LLM provider (src/services/llm.ts).
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { BadRequest, Cancelled, Conflict, exactlyOneOf, InvalidInput, NotFound, PayloadTooLarge, UpstreamFailed, UpstreamTimeout } from '../errors.js';
import type { Plan } from '../config.js';
import { chunkTextAsync, countTokensAsync, countTokensEachAsync } from '../engine/chunking.js';
import { buildSkeletonAsync } from '../engine/compress.js';
import {
  assembleCompressed,
  BUILTIN_STRATEGIES,
  builtinStrategy,
  checkInject,
  ConversationError,
  distillRules,
  INJECT_MAX_CHARS,
  keepTerms,
  messageText,
  normalizeMessages,
  planCompress,
  ratioRange,
  renderMessage,
  SEMVER_RE,
  unknownKinds,
  type Conversation,
  type Strategy,
  type UnitKind,
} from '../engine/conversation/index.js';
import { nowIso } from '../store/db.js';
import { embedInBatches } from './compression.js';
import { LlmService, type ChatMessage } from './llm.js';

export const FEEDBACK_RATINGS = ['bad', 'ok', 'good'] as const;
export const FEEDBACK_REASONS = ['too_aggressive', 'lost_code', 'lost_decisions', 'wrong_focus', 'format_broken', 'other'] as const;
/** Messages sent with feedback are stored; this bounds what one feedback may store (JSON bytes). */
const FEEDBACK_MESSAGES_BYTES = 1024 * 1024;

export interface DistillRequest {
  messages?: unknown[];
  text?: string;
  strategy_id: string;
  inject?: string;
  target_token: number;
  postprocess_prompt?: string;
}

export interface DistillResult {
  messages: Array<Record<string, unknown>>;
  metadata: {
    strategy_id: string;
    strategy_version: string;
    provider: string;
    tokens_in: number;
    tokens_out: number;
    compression_ratio: number;
    inject_used: boolean;
    call_id: string;
  };
  kept_units: Partial<Record<UnitKind, number>>;
}

export interface StrategyInput {
  id: string;
  name?: string;
  version: string;
  description: string;
  default_provider?: string;
  expected_compression: string;
  system_prompt: string;
  mode: 'rules' | 'llm';
  always?: UnitKind[];
  keep?: UnitKind[];
  target_ratio?: number;
  fill?: boolean;
  decision_context?: boolean;
}

export interface FeedbackInput {
  call_id: string;
  rating: (typeof FEEDBACK_RATINGS)[number];
  reason_category: (typeof FEEDBACK_REASONS)[number];
  reason_text?: string;
  strategy_id: string;
  strategy_version: string;
  inject_used: boolean;
  inject_text?: string;
  messages_in?: unknown[];
  messages_out?: unknown[];
}

/** The no-LLM provider name in metadata. */
export const RULES_PROVIDER = 'ctxgate-rules';

export class DistillService {
  constructor(private readonly deps: AppDeps) {}

  private get llm(): LlmService {
    return this.deps.service(LlmService);
  }

  /** Built-in strategies, then the project's own (only with a key). */
  async list(scope: Scope | null): Promise<Strategy[]> {
    const custom = scope ? ((await this.deps.store.distill(scope).listStrategies()) as Strategy[]) : [];
    return [...BUILTIN_STRATEGIES, ...custom];
  }

  async get(scope: Scope | null, id: string): Promise<Strategy> {
    const s = builtinStrategy(id) ?? (scope ? ((await this.deps.store.distill(scope).findStrategy(id)) as Strategy | undefined) : undefined);
    if (!s) throw new NotFound(`Strategy not found: ${id.slice(0, 64)}`, { field: 'strategy_id' });
    return s;
  }

  async create(scope: Scope, input: StrategyInput): Promise<Strategy> {
    if (builtinStrategy(input.id)) throw new Conflict(`id: "${input.id}" is a built-in strategy; choose another id`, { field: 'id' });
    if (!SEMVER_RE.test(input.version)) throw new InvalidInput(`version: "${input.version.slice(0, 32)}" is not semver (MAJOR.MINOR.PATCH, e.g. 1.0.0)`, { field: 'version', rule: 'semver' });
    const range = ratioRange(input.expected_compression);
    if (!range) {
      throw new InvalidInput('expected_compression: a range of shares of the input such as "0.10-0.20" (low-high, each between 0 and 1)', { field: 'expected_compression', rule: 'range' });
    }
    const keep = input.keep ?? [];
    const always = input.always ?? [];
    const bad = unknownKinds([...always, ...keep]);
    if (bad.length) throw new InvalidInput(`keep: unknown kind ${bad[0]}`, { field: 'keep', rule: 'enum' });
    if (input.mode === 'rules' && keep.length + always.length === 0) {
      throw new InvalidInput('keep: a rules strategy needs at least one kind of content to keep (keep or always)', { field: 'keep', rule: 'required' });
    }
    const target = input.target_ratio ?? (range[0] + range[1]) / 2;
    if (target < range[0] || target > range[1]) {
      throw new InvalidInput(`target_ratio: ${target} is outside expected_compression ${input.expected_compression}`, { field: 'target_ratio', rule: 'range' });
    }
    const strategy: Strategy = {
      id: input.id,
      name: input.name ?? input.id,
      description: input.description,
      tier: 'custom',
      version: input.version,
      default_provider: input.default_provider ?? (input.mode === 'llm' ? 'configured' : RULES_PROVIDER),
      expected_compression: `${range[0].toFixed(2)}-${range[1].toFixed(2)}`,
      system_prompt: input.system_prompt,
      mode: input.mode,
      always: [...new Set(always)],
      keep: [...new Set(keep)],
      target_ratio: target,
      fill: input.fill ?? false,
      decision_context: input.decision_context ?? (keep.includes('rationale') && always.includes('decision')),
    };
    if ((await this.deps.store.distill(scope).insertStrategy(strategy.id, strategy.version, strategy, nowIso())) === 'duplicate') {
      throw new Conflict(`id: this project already has a strategy "${strategy.id}"; delete it first or choose another id`, { field: 'id' });
    }
    return strategy;
  }

  async delete(scope: Scope, id: string): Promise<void> {
    if (builtinStrategy(id)) throw new BadRequest(`strategy_id: "${id}" is built in and cannot be deleted`, 'builtin_strategy', { field: 'strategy_id' });
    if (!(await this.deps.store.distill(scope).deleteStrategy(id))) throw new NotFound(`Strategy not found: ${id.slice(0, 64)}`, { field: 'strategy_id' });
  }

  async distill(scope: Scope, plan: Plan, req: DistillRequest, signal?: AbortSignal): Promise<DistillResult> {
    // The same per-call size cap as compress_text, on the conversation as sent.
    const field = exactlyOneOf(req, ['messages', 'text']);
    const cap = this.deps.config.plans[plan].maxTextBytes;
    const bytes = Buffer.byteLength(field === 'messages' ? JSON.stringify(req.messages) : (req.text ?? ''), 'utf8');
    if (bytes > cap) throw new PayloadTooLarge(`${field} is ${bytes} bytes; the ${plan} plan accepts at most ${cap} bytes per distill call`, { field, limit: cap, unit: 'bytes', size: bytes, plan });
    if (field === 'messages' && req.messages!.length === 0) throw new InvalidInput('messages: the conversation is empty (give at least one message)', { field: 'messages', rule: 'min_items' });
    if (field === 'text' && !req.text!.trim()) throw new InvalidInput('text is empty', { field: 'text', rule: 'required' });
    const inject = req.inject?.trim() ? req.inject : undefined;
    if (inject !== undefined) {
      if (inject.length > INJECT_MAX_CHARS) {
        throw new BadRequest(`inject is ${inject.length} characters; at most ${INJECT_MAX_CHARS}`, 'inject_too_long', { field: 'inject', rule: 'max_length', limit: INJECT_MAX_CHARS, unit: 'characters', size: inject.length });
      }
      const hit = checkInject(inject);
      if (hit) throw new BadRequest(`inject refused: it ${hit.label} (rule ${hit.rule}); an inject may extend the strategy, never override it`, 'inject_refused', { field: 'inject', rule: hit.rule });
    }
    const strategy = await this.get(scope, req.strategy_id);
    const needsLlm = strategy.mode === 'llm' || req.postprocess_prompt !== undefined;
    if (needsLlm && !this.llm.provider) {
      const why = strategy.mode === 'llm' ? `strategy "${strategy.id}" is prompt-based` : 'postprocess_prompt is applied by an LLM';
      throw new InvalidInput(`${why}, and no LLM provider is configured (the operator sets CTXGATE_LLM_URL and CTXGATE_LLM_MODEL)`, {
        field: strategy.mode === 'llm' ? 'strategy_id' : 'postprocess_prompt',
        rule: 'provider_required',
      });
    }

    let conv: Conversation;
    try {
      // Plain text is one message to shorten, not a last user message to keep verbatim.
      conv = field === 'text' ? { ...normalizeMessages([{ role: 'user', content: req.text! }]), lastUser: -1 } : normalizeMessages(req.messages!);
    } catch (e) {
      if (e instanceof ConversationError) throw new BadRequest(e.message, 'invalid_messages', { field: e.field });
      throw e;
    }
    const tokensIn = await countAll(conv.messages.map(messageText));
    const terms = inject ? keepTerms(inject) : [];
    const provider = needsLlm ? this.llm.provider! : RULES_PROVIDER;
    const callId = randomUUID();
    const record = async (status: 'ok' | 'failed', tokensOut: number | null, errorCode: string | null) =>
      this.deps.store.distill(scope).insertCall({
        id: callId,
        strategy_id: strategy.id,
        strategy_version: strategy.version,
        provider,
        status,
        error_code: errorCode,
        tokens_in: tokensIn,
        tokens_out: tokensOut,
        inject_used: inject ? 1 : 0,
        inject_text: inject ?? null,
        postprocess_used: req.postprocess_prompt !== undefined ? 1 : 0,
        created_at: nowIso(),
      });

    let messages: Array<Record<string, unknown>>;
    let kept: Partial<Record<UnitKind, number>> = {};
    try {
      if (strategy.mode === 'llm') {
        messages = await this.viaLlm(conv.messages.map((m) => renderMessage(m)), strategy.system_prompt, inject, signal);
      } else {
        if (strategy.mode === 'compress') messages = await this.compress(conv, req.target_token, terms, signal);
        else ({ messages, kept } = distillRules(conv, strategy, { keepTerms: terms }));
        if (req.postprocess_prompt !== undefined) messages = await this.viaLlm(messages, req.postprocess_prompt, inject, signal);
      }
    } catch (e) {
      if (e instanceof UpstreamFailed || e instanceof UpstreamTimeout) await record('failed', null, e.code);
      throw e;
    }
    if (field === 'text') messages = messages.length ? messages : [{ role: 'user', content: '' }];
    const tokensOut = await countAll(normalizeMessages(messages).messages.map(messageText));
    await record('ok', tokensOut, null);
    return {
      messages,
      metadata: {
        strategy_id: strategy.id,
        strategy_version: strategy.version,
        provider,
        tokens_in: tokensIn,
        tokens_out: tokensOut,
        compression_ratio: tokensIn > 0 ? Math.round((tokensOut / tokensIn) * 1000) / 1000 : 1,
        inject_used: inject !== undefined,
        call_id: callId,
      },
      kept_units: kept,
    };
  }

  /** compress: each flexible message shortened by the compression engine to its share of target_token. */
  private async compress(conv: Conversation, target: number, terms: string[], signal?: AbortSignal): Promise<Array<Record<string, unknown>>> {
    const plan = planCompress(conv, target, terms);
    const texts = new Map<number, string>();
    if (!plan.passthrough) {
      const embedder = await this.deps.embedder();
      for (const [i, share] of plan.shares) {
        if (signal?.aborted) throw new Cancelled();
        const m = conv.messages[i]!;
        const text = m.blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n\n');
        if (!text.trim() || share <= 0) {
          texts.set(i, '');
          continue;
        }
        // Cooperatively (yielding every few ms): a long message must not stall other clients.
        const chunks = await chunkTextAsync(text);
        const vectors = await embedInBatches(embedder, chunks.map((c) => c.text));
        const sk = await buildSkeletonAsync({ chunks, vectors, ratio: Math.max(0.01, share), source: text, originalTokens: await countTokensAsync(text) });
        texts.set(i, sk.passthrough ? text : sk.text);
      }
    }
    return assembleCompressed(conv, plan, texts, target);
  }

  /**
   * The LLM path: the system prompt (+ the inject after a separator) and the conversation as a
   * transcript; the answer replaces the history before the last user message, which is kept verbatim
   * with everything after it (and any tool call its results answer).
   */
  private async viaLlm(current: Array<Record<string, unknown>>, systemPrompt: string, inject: string | undefined, signal?: AbortSignal) {
    const view = normalizeMessages(current);
    const tailFrom = view.lastUser >= 0 ? tailStart(view) : view.messages.length;
    const head = view.messages.slice(0, tailFrom).filter((m) => m.role !== 'system' && m.role !== 'developer');
    if (!head.length) return current;
    const transcript = head.map((m) => `### ${m.role}\n${messageText(m)}`).join('\n\n');
    const system = inject ? `${systemPrompt}\n\n--- Additional instruction for this call (it extends the rules above, never replaces them) ---\n${inject}` : systemPrompt;
    const chat: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: `Distill this conversation. Answer with the distilled text only.\n\n${transcript}` },
    ];
    const answer = await this.llm.chat(chat, { signal });
    const systems = view.messages.slice(0, tailFrom).filter((m) => m.role === 'system' || m.role === 'developer');
    return [
      ...systems.map((m) => renderMessage(m)),
      { role: 'user', content: `[Distilled conversation so far]\n${answer.trim()}` },
      ...view.messages.slice(tailFrom).map((m) => renderMessage(m)),
    ];
  }

  async feedback(scope: Scope, input: FeedbackInput): Promise<void> {
    const repo = this.deps.store.distill(scope);
    const call = await repo.findCall(input.call_id);
    if (!call) throw new NotFound(`call_id: no distill call ${input.call_id.slice(0, 64)} in this project`, { field: 'call_id' });
    for (const field of ['messages_in', 'messages_out'] as const) {
      const v = input[field];
      if (v && Buffer.byteLength(JSON.stringify(v)) > FEEDBACK_MESSAGES_BYTES) {
        throw new BadRequest(`${field} is larger than ${FEEDBACK_MESSAGES_BYTES} bytes of JSON`, 'payload_too_large', { field, rule: 'max_size', limit: FEEDBACK_MESSAGES_BYTES, unit: 'bytes' });
      }
    }
    await repo.insertFeedback({
      id: randomUUID(),
      call_id: call.id,
      rating: input.rating,
      reason_category: input.reason_category,
      reason_text: input.reason_text ?? null,
      strategy_id: input.strategy_id,
      strategy_version: input.strategy_version,
      inject_used: input.inject_used ? 1 : 0,
      inject_text: input.inject_text ?? null,
      messages_in: input.messages_in ?? null,
      messages_out: input.messages_out ?? null,
      created_at: nowIso(),
    });
  }
}

/** Tokens of a conversation's messages, counted cooperatively (a long conversation must not stall other clients). */
async function countAll(texts: string[]): Promise<number> {
  return (await countTokensEachAsync(texts)).reduce((s, n) => s + n, 0);
}

/** Where the verbatim tail starts: the last user message, or earlier if a call its results answer comes before. */
function tailStart(conv: Conversation): number {
  let from = conv.lastUser;
  const callAt = new Map<string, number>();
  for (const m of conv.messages) for (const b of m.blocks) if (b.type === 'tool_call') callAt.set(b.id, m.index);
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of conv.messages.slice(from)) {
      for (const b of m.blocks) {
        if (b.type === 'tool_result' && callAt.get(b.callId)! < from) {
          from = callAt.get(b.callId)!;
          changed = true;
        }
      }
    }
  }
  // A call before the tail whose result is inside it was handled above; a call in the head whose
  // result is in the head is summarised with it.
  return from;
}
