// Handoffs: a task's state packed for another agent or session, from explicit fields and/or a plain
// conversation, fitted to a token budget and rendered as Markdown. Pure.
//
// Conversations are parsed by the conversation engine (src/engine/conversation: OpenAI and Anthropic
// forms) and read here as plain role + text: the goal defaults to the first user message, progress to
// the last assistant message, and lines that look like file paths, shell commands, next steps or
// decisions are picked up by pattern. Open questions follow the conversation engine's rule
// (`openQuestions`: unanswered or explicitly open; the latest when there are more than the cap).
// Explicit fields always come first; extracted items are added after them, without repeats.
import { openQuestions, type Role } from './conversation/index.js';
import { countTokens, truncateToTokens } from './tokens.js';
import { plural } from './plural.js';

export const REFERENCE_KINDS = ['memory', 'kb', 'document', 'bullet'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

export interface HandoffContent {
  goal: string;
  progress: string | null;
  decisions: Array<{ decision: string; reason: string | null }>;
  files: string[];
  symbols: string[];
  commands: string[];
  open_questions: string[];
  next_steps: string[];
  references: Array<{ kind: ReferenceKind; id: string; note: string | null }>;
}

/** A message as the extraction reads it: its role and its plain text (conversation engine's messageText). */
export interface PlainMessage {
  role: Role;
  content: string;
}

/** Where a field's items came from an extracted conversation, they are capped at this many. */
const EXTRACT_MAX = 20;

const FILE_RE = /(?<![\w@/.-])((?:\.{1,2}\/)?(?:[\w@.-]+\/)+[\w.-]+\.[A-Za-z0-9]{1,8}|[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|rb|php|c|h|cpp|hpp|cs|md|json|ya?ml|toml|sql|sh|css|html))(?![\w/])/g;
const FENCE_RE = /```(?:sh|bash|shell|console|zsh)?[^\n]*\n([\s\S]*?)```/g;

function firstParagraph(text: string, maxChars: number): string {
  const p = text.trim().split(/\n\s*\n/)[0]!.trim();
  return p.length > maxChars ? p.slice(0, maxChars - 1).trimEnd() + '…' : p;
}

function pushUnique(list: string[], items: Iterable<string>, cap: number): void {
  const seen = new Set(list.map((x) => x.toLowerCase()));
  let added = 0;
  for (const raw of items) {
    const item = raw.trim();
    if (!item || seen.has(item.toLowerCase())) continue;
    if (added >= cap) break;
    seen.add(item.toLowerCase());
    list.push(item);
    added++;
  }
}

/** What the plain-message extraction finds in a conversation. */
export function extractFromMessages(messages: PlainMessage[]): Omit<HandoffContent, 'references' | 'symbols'> {
  const firstUser = messages.find((m) => m.role === 'user' && m.content.trim());
  const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant' && m.content.trim());
  const files: string[] = [];
  const commands: string[] = [];
  const next: string[] = [];
  const decisions: HandoffContent['decisions'] = [];
  for (const m of messages) {
    const text = m.content;
    pushUnique(files, [...text.matchAll(FILE_RE)].map((x) => x[1]!), EXTRACT_MAX);
    const cmds: string[] = [];
    for (const f of text.matchAll(FENCE_RE)) if (/^```(sh|bash|shell|console|zsh)/.test(f[0])) cmds.push(...f[1]!.split('\n').map((l) => l.replace(/^\$\s+/, '')));
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (/^\$\s+\S/.test(t)) cmds.push(t.replace(/^\$\s+/, ''));
      const step = /^(?:[-*]\s*)?(?:next(?: step)?s?|todo|then)\s*[:\-–]\s*(.+)$/i.exec(t);
      if (step) pushUnique(next, [step[1]!], EXTRACT_MAX);
      const dec = /\b(?:decided to|we decided|decision:|going with|we will use|we'll use|chose)\s+(.+?)(?:[,;]?\s+because\s+(.+?))?[.!]?$/i.exec(t);
      if (dec && decisions.length < EXTRACT_MAX) decisions.push({ decision: dec[1]!.trim(), reason: dec[2]?.trim() ?? null });
    }
    pushUnique(commands, cmds, EXTRACT_MAX);
  }
  return {
    goal: firstUser ? firstParagraph(firstUser.content, 500) : '',
    progress: lastAssistant ? firstParagraph(lastAssistant.content, 1500) : null,
    decisions,
    files,
    commands,
    // Later questions are the ones most likely still open: the last EXTRACT_MAX, in order.
    open_questions: openQuestions(messages.map((m) => ({ role: m.role, text: m.content }))).slice(-EXTRACT_MAX),
    next_steps: next,
  };
}

/** Explicit fields first, then what the conversation adds (lists without repeats). */
export function mergeContent(explicit: Partial<HandoffContent>, extracted: Partial<HandoffContent> | null): HandoffContent {
  const list = (k: 'files' | 'symbols' | 'commands' | 'open_questions' | 'next_steps') => {
    const out = [...(explicit[k] ?? [])];
    pushUnique(out, extracted?.[k] ?? [], EXTRACT_MAX);
    return out;
  };
  const decisions = [...(explicit.decisions ?? [])];
  for (const d of extracted?.decisions ?? []) if (!decisions.some((x) => x.decision.toLowerCase() === d.decision.toLowerCase())) decisions.push(d);
  return {
    goal: (explicit.goal ?? '').trim() || (extracted?.goal ?? '').trim(),
    progress: explicit.progress?.trim() || extracted?.progress?.trim() || null,
    decisions,
    files: list('files'),
    symbols: list('symbols'),
    commands: list('commands'),
    open_questions: list('open_questions'),
    next_steps: list('next_steps'),
    references: explicit.references ?? [],
  };
}

export function renderHandoff(title: string, c: HandoffContent): string {
  const out = [`# Handoff: ${title}`, '', '## Goal', c.goal];
  if (c.progress) out.push('', '## Progress', c.progress);
  if (c.decisions.length) out.push('', '## Decisions', ...c.decisions.map((d) => `- ${d.decision}${d.reason ? ` — because ${d.reason}` : ''}`));
  if (c.files.length) out.push('', '## Files touched', ...c.files.map((f) => `- \`${f}\``));
  if (c.symbols.length) out.push('', '## Symbols', ...c.symbols.map((s) => `- \`${s}\``));
  if (c.commands.length) out.push('', '## Commands to reproduce', '```sh', ...c.commands, '```');
  if (c.open_questions.length) out.push('', '## Open questions', ...c.open_questions.map((q) => `- ${q}`));
  if (c.next_steps.length) out.push('', '## Next steps', ...c.next_steps.map((s, i) => `${i + 1}. ${s}`));
  if (c.references.length) out.push('', '## References', ...c.references.map((r) => `- ${r.kind} \`${r.id}\`${r.note ? ` — ${r.note}` : ''}`));
  return out.join('\n');
}

/**
 * Lists given up first when over budget (last items first), least important first; the goal is never
 * cut, and progress is shortened only after every list here is empty except next steps.
 */
const TRIM_ORDER = ['references', 'symbols', 'files', 'commands', 'open_questions', 'decisions'] as const;

export class BudgetTooSmall extends Error {
  constructor(readonly needed: number) {
    super(`the goal alone needs ${plural(needed, 'token')}`);
  }
}

/** The content cut to fit `budget` tokens of rendered Markdown, with notes of what was left out. */
export function fitHandoff(title: string, content: HandoffContent, budget: number): { content: HandoffContent; markdown: string; tokens: number; trimmed: string[] } {
  const c: HandoffContent = structuredClone(content);
  const dropped = new Map<string, number>();
  const note = (k: string, n = 1) => dropped.set(k, (dropped.get(k) ?? 0) + n);
  let markdown = renderHandoff(title, c);
  let tokens = countTokens(markdown);
  const over = () => tokens > budget;
  const recount = () => {
    markdown = renderHandoff(title, c);
    tokens = countTokens(markdown);
  };
  for (const key of [...TRIM_ORDER, 'progress', 'next_steps'] as const) {
    if (!over()) break;
    if (key === 'progress') {
      if (!c.progress) continue;
      const excess = tokens - budget;
      const keep = countTokens(c.progress) - excess - 2;
      c.progress = keep > 20 ? truncateToTokens(c.progress, keep) + ' …' : null;
      note('progress (shortened)', 0);
      recount();
      continue;
    }
    const list = c[key] as unknown[];
    // Drop by estimate (a line's tokens), then recount: one encode per dropped item is too slow for long lists.
    while (over() && list.length > 0) {
      let excess = tokens - budget;
      while (excess > 0 && list.length > 0) {
        const item = list.pop()!;
        excess -= countTokens(typeof item === 'string' ? item : JSON.stringify(item)) + 2;
        note(key);
      }
      recount();
    }
  }
  if (over()) throw new BudgetTooSmall(countTokens(renderHandoff(title, { ...c, progress: null, decisions: [], files: [], symbols: [], commands: [], open_questions: [], next_steps: [], references: [] })));
  const trimmed = [...dropped].map(([k, n]) => (n ? `${k}: ${n} left out` : k));
  return { content: c, markdown, tokens, trimmed };
}
