// A conversation → a compact, resumable snapshot: goal, decisions with their reasons, current state,
// open questions, next steps, the artifacts that matter (by reference, newest inline on request) and
// the last turns verbatim; as JSON and as Markdown to paste into a new chat. By rules (the unit
// classification of conversation/units.ts): decisions are kept first and verbatim, then the last turn,
// then the rest, until the token budget (default: the conversation's tokens / 3.5) is spent. Pure.
import { openQuestions, splitUnits } from './conversation/units.js';
import { countTokens } from './tokens.js';
import { reasonAfter, type TextMessage } from './artifacts.js';

/** Default size of a snapshot relative to its conversation (the 3–4× promise: 1 / 3.5). */
export const SNAPSHOT_DEFAULT_RATIO = 3.5;
export const SNAPSHOT_MIN_BUDGET = 64;
export interface SnapshotArtifactRef {
  id: string;
  kind: string;
  name: string | null;
  language: string | null;
  version: number;
  /** Present when the newest version is inlined. */
  content?: string;
}

export interface SnapshotState {
  title: string | null;
  goal: string;
  decisions: Array<{ text: string; reason: string | null; message_index: number }>;
  current_state: string;
  open_questions: string[];
  next_steps: string[];
  artifacts: SnapshotArtifactRef[];
  last_turns: Array<{ role: string; content: string; message_index: number }>;
}

export interface SnapshotResult {
  state: SnapshotState;
  markdown: string;
  tokensIn: number;
  tokensOut: number;
  budget: number;
}

/** The first sentences of a text's prose (never code or logs), at most `maxTokens`. */
function lead(text: string, maxTokens: number): string {
  let out = '';
  for (const u of splitUnits(text)) {
    // A pasted log or trace is not prose; a sentence naming an error code ("writes fail with
    // SQLITE_BUSY") is the problem statement itself.
    if (u.kind === 'code' || u.kind === 'filler' || (u.kind === 'error' && u.text.trim().includes('\n'))) continue;
    const next = out ? `${out} ${u.text.trim()}` : u.text.trim();
    if (countTokens(next) > maxTokens) break;
    out = next;
  }
  return out;
}

export function renderSnapshot(s: SnapshotState): string {
  const parts: string[] = [`# Snapshot${s.title ? `: ${s.title}` : ''}`];
  if (s.goal) parts.push('', '## Goal', s.goal);
  if (s.decisions.length) parts.push('', '## Decisions', ...s.decisions.map((d) => `- ${d.text}${d.reason ? ` — why: ${d.reason}` : ''}`));
  if (s.current_state) parts.push('', '## Current state', s.current_state);
  if (s.open_questions.length) parts.push('', '## Open questions', ...s.open_questions.map((q) => `- ${q}`));
  if (s.next_steps.length) parts.push('', '## Next steps', ...s.next_steps.map((q) => `- ${q}`));
  if (s.artifacts.length) {
    parts.push('', '## Artifacts');
    for (const a of s.artifacts) {
      parts.push(`- ${a.kind}${a.name ? ` ${a.name}` : ''}${a.language ? ` (${a.language})` : ''} — ${a.id} v${a.version}`);
      if (a.content !== undefined) parts.push('', '```' + (a.language ?? ''), a.content, '```');
    }
  }
  if (s.last_turns.length) parts.push('', '## Last turns (verbatim)', ...s.last_turns.flatMap((t) => [`**${t.role}:**`, t.content, '']));
  return parts.join('\n').trimEnd() + '\n';
}

export interface SnapshotOptions {
  title?: string | null;
  /** Token budget of the Markdown; default tokensIn / SNAPSHOT_DEFAULT_RATIO. */
  budget?: number;
  /** How many of the last turns to keep verbatim when they fit (default 2). */
  lastTurns?: number;
  /** The artifacts that matter, newest first; `content` set when they are to be inlined. */
  artifacts?: SnapshotArtifactRef[];
}

const EMPTY: SnapshotState = { title: null, goal: '', decisions: [], current_state: '', open_questions: [], next_steps: [], artifacts: [], last_turns: [] };

/**
 * The default budget: the conversation's tokens / 3.5, plus what the artifact reference lines cost
 * (at 1/3.5 of a short conversation they would not fit beside its decisions), up to 3/4 of the
 * conversation.
 */
function defaultBudget(tokensIn: number, refs: SnapshotArtifactRef[]): number {
  const base = Math.round(tokensIn / SNAPSHOT_DEFAULT_RATIO);
  if (!refs.length) return base;
  const refTokens = countTokens(renderSnapshot({ ...EMPTY, artifacts: refs.map((a) => ({ ...a, content: undefined })) })) - countTokens(renderSnapshot(EMPTY));
  return Math.min(base + refTokens, Math.max(base, Math.round(tokensIn * 0.75)));
}

export function buildSnapshot(messages: TextMessage[], opts: SnapshotOptions = {}): SnapshotResult {
  const tokensIn = countTokens(messages.map((m) => m.text).join('\n\n'));
  const refs = opts.artifacts ?? [];
  const budget = Math.max(SNAPSHOT_MIN_BUDGET, opts.budget ?? defaultBudget(tokensIn, refs));
  const firstUser = messages.find((m) => m.role === 'user') ?? messages[0];
  const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant');
  const state: SnapshotState = {
    title: opts.title ?? null,
    goal: '',
    decisions: [],
    current_state: '',
    open_questions: [],
    next_steps: [],
    artifacts: [],
    last_turns: [],
  };
  const size = () => countTokens(renderSnapshot(state));
  /** Adds when the snapshot still fits the budget; false (and nothing added) otherwise. */
  const tryAdd = (apply: () => void, undo: () => void): boolean => {
    apply();
    if (size() <= budget) return true;
    undo();
    return false;
  };

  const decisions: SnapshotState['decisions'] = [];
  const split = messages.map((m) => splitUnits(m.text));
  // The conversation engine's rule: unanswered questions and explicit open ones.
  const questions = openQuestions(messages, split);
  const todos: string[] = [];
  const seen = new Set<string>();
  split.forEach((units, mi) => {
    units.forEach((u, i) => {
      if (seen.has(u.norm)) return;
      if (u.kind === 'decision') {
        decisions.push({ text: u.text.trim(), reason: reasonAfter(units, i), message_index: mi });
        seen.add(u.norm);
      } else if (u.kind === 'todo') {
        todos.push(u.text.trim());
        seen.add(u.norm);
      }
    });
  });

  // Decisions first (the facts a resumed chat must not lose), verbatim and in order; their reasons
  // and the goal next; everything else only in what is left of the budget.
  // Newest first when they do not all fit: later decisions settle or replace earlier ones.
  for (const d of [...decisions].reverse()) tryAdd(() => state.decisions.unshift({ ...d, reason: null }), () => state.decisions.shift());
  state.decisions.sort((a, b) => a.message_index - b.message_index);
  if (firstUser) {
    const goal = lead(firstUser.text, Math.max(24, Math.round(budget * 0.12)));
    tryAdd(() => (state.goal = goal), () => (state.goal = ''));
  }
  // The artifacts by reference (a line each) before the rest: a resumed chat must know what exists.
  for (const a of refs) tryAdd(() => state.artifacts.push({ ...a, content: undefined }), () => state.artifacts.pop());
  for (const kept of state.decisions) {
    const reason = decisions.find((d) => d.text === kept.text && d.message_index === kept.message_index)?.reason ?? null;
    if (reason) tryAdd(() => (kept.reason = reason), () => (kept.reason = null));
  }
  // The last turns verbatim, newest first, each whole or not at all.
  const lastN = opts.lastTurns ?? 2;
  for (let i = messages.length - 1; i >= Math.max(0, messages.length - lastN); i--) {
    const t = { role: messages[i]!.role, content: messages[i]!.text, message_index: i };
    if (!tryAdd(() => state.last_turns.unshift(t), () => state.last_turns.shift())) break;
  }
  if (lastAssistant && !state.last_turns.some((t) => t.content === lastAssistant.text)) {
    const cur = lead(lastAssistant.text, Math.max(24, Math.round(budget * 0.1)));
    tryAdd(() => (state.current_state = cur), () => (state.current_state = ''));
  }
  // Later TODOs and questions matter more: they are the ones still open.
  for (const t of todos.reverse()) tryAdd(() => state.next_steps.unshift(t), () => state.next_steps.shift());
  for (const q of questions.reverse()) tryAdd(() => state.open_questions.unshift(q), () => state.open_questions.shift());
  // Inline content where asked, newest first, while it fits (too big: the reference alone stays); an
  // artifact whose reference did not fit earlier gets another chance in what is left.
  for (const a of refs) {
    const i = state.artifacts.findIndex((x) => x.id === a.id);
    if (i >= 0) {
      if (a.content !== undefined) tryAdd(() => (state.artifacts[i] = a), () => (state.artifacts[i] = { ...a, content: undefined }));
    } else {
      tryAdd(() => state.artifacts.push({ ...a, content: undefined }), () => state.artifacts.pop());
    }
  }
  const markdown = renderSnapshot(state);
  return { state: { ...state, artifacts: state.artifacts.map((a) => (a.content === undefined ? { id: a.id, kind: a.kind, name: a.name, language: a.language, version: a.version } : a)) }, markdown, tokensIn, tokensOut: countTokens(markdown), budget };
}
