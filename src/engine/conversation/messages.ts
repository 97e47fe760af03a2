// One internal model for chat messages in OpenAI form (string content or content parts, assistant
// tool_calls, role "tool" results) and Anthropic form (string content or content blocks, tool_use /
// tool_result blocks), and the way back to the form each message came in. Pure: no I/O.
//
//   normalizeMessages(raw) → Conversation   (throws ConversationError naming messages[i].field)
//   renderMessage(msg, texts?) → the message in its own form, with its text replaced when asked
//
// Anything we do not understand inside a message (images, documents, cache_control, extra keys) is
// carried through untouched when the message is kept verbatim, and dropped only with the text it
// belongs to.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';
export type Form = 'openai' | 'anthropic';

/** A piece of a message: prose/code text, a tool call, a tool result, or something opaque (image). */
export type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; id: string; name: string; args: string }
  | { type: 'tool_result'; callId: string; text: string; isError: boolean }
  | { type: 'opaque'; raw: unknown };

export interface Message {
  index: number;
  role: Role;
  form: Form;
  blocks: Block[];
  /** The message exactly as given (returned as-is when kept verbatim). */
  raw: Record<string, unknown>;
}

export interface Conversation {
  messages: Message[];
  /** Index of the last user message with text of its own (not only tool results); -1 if none. */
  lastUser: number;
}

export class ConversationError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

const ROLES = new Set<Role>(['system', 'developer', 'user', 'assistant', 'tool']);

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .filter(Boolean)
      .join('\n\n');
  }
  return '';
}

function normalizeOne(m: unknown, index: number): Message {
  const at = `messages[${index}]`;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ConversationError(`${at} must be an object with role and content`, at);
  const raw = m as Record<string, unknown>;
  const role = raw.role as Role;
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw new ConversationError(`${at}.role must be one of user, assistant, system, developer, tool`, `${at}.role`);
  }
  const blocks: Block[] = [];
  let form: Form = 'openai';
  const content = raw.content;
  if (typeof content === 'string') {
    if (content.length) blocks.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((p, j) => {
      if (!p || typeof p !== 'object') throw new ConversationError(`${at}.content[${j}] must be an object`, `${at}.content[${j}]`);
      const part = p as Record<string, unknown>;
      if (part.type === 'text' && typeof part.text === 'string') blocks.push({ type: 'text', text: part.text });
      else if (part.type === 'tool_use') {
        form = 'anthropic';
        if (typeof part.id !== 'string' || !part.id) throw new ConversationError(`${at}.content[${j}].id is required on a tool_use block`, `${at}.content[${j}].id`);
        blocks.push({ type: 'tool_call', id: part.id, name: String(part.name ?? ''), args: JSON.stringify(part.input ?? {}) });
      } else if (part.type === 'tool_result') {
        form = 'anthropic';
        if (typeof part.tool_use_id !== 'string' || !part.tool_use_id) {
          throw new ConversationError(`${at}.content[${j}].tool_use_id is required on a tool_result block`, `${at}.content[${j}].tool_use_id`);
        }
        blocks.push({ type: 'tool_result', callId: part.tool_use_id, text: textOfContent(part.content), isError: part.is_error === true });
      } else {
        if (part.type === 'image' || part.type === 'document') form = 'anthropic';
        blocks.push({ type: 'opaque', raw: part });
      }
    });
  } else if (content !== null && content !== undefined) {
    throw new ConversationError(`${at}.content must be a string or an array of content parts`, `${at}.content`);
  }
  if (Array.isArray(raw.tool_calls)) {
    raw.tool_calls.forEach((c, j) => {
      const call = c as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
      if (!call || typeof call.id !== 'string' || !call.id) throw new ConversationError(`${at}.tool_calls[${j}].id is required`, `${at}.tool_calls[${j}].id`);
      const args = call.function?.arguments;
      blocks.push({ type: 'tool_call', id: call.id, name: String(call.function?.name ?? ''), args: typeof args === 'string' ? args : JSON.stringify(args ?? {}) });
    });
  }
  if (role === 'tool') {
    if (typeof raw.tool_call_id !== 'string' || !raw.tool_call_id) throw new ConversationError(`${at}.tool_call_id is required on a role "tool" message`, `${at}.tool_call_id`);
    const text = textOfContent(content);
    blocks.length = 0;
    blocks.push({ type: 'tool_result', callId: raw.tool_call_id, text, isError: false });
  }
  return { index, role, form, blocks, raw };
}

/**
 * Parse and check: every tool result answers an earlier call, no call id twice. A call with no result
 * yet (the model's last turn, the client about to run it) is allowed: it is kept as it came.
 */
export function normalizeMessages(raw: unknown[]): Conversation {
  const messages = raw.map(normalizeOne);
  const calls = new Map<string, number>();
  for (const m of messages) {
    for (const b of m.blocks) {
      if (b.type === 'tool_call') {
        if (calls.has(b.id)) throw new ConversationError(`messages[${m.index}]: tool call id "${b.id.slice(0, 64)}" appears twice`, `messages[${m.index}]`);
        calls.set(b.id, m.index);
      } else if (b.type === 'tool_result') {
        if (!calls.has(b.callId)) {
          throw new ConversationError(`messages[${m.index}]: tool result for "${b.callId.slice(0, 64)}" answers no earlier tool call`, `messages[${m.index}]`);
        }
      }
    }
  }
  let lastUser = -1;
  for (const m of messages) if (m.role === 'user' && m.blocks.some((b) => b.type === 'text')) lastUser = m.index;
  return { messages, lastUser };
}

/** Plain text of a message for reading and counting: text, tool calls as name(args), results. */
export function messageText(m: Message): string {
  return m.blocks
    .map((b) => (b.type === 'text' ? b.text : b.type === 'tool_call' ? `${b.name}(${b.args})` : b.type === 'tool_result' ? b.text : ''))
    .filter(Boolean)
    .join('\n\n');
}

/**
 * What to put back in a kept message: the distilled text of its text blocks (one string replaces
 * them all), the tool calls it keeps (ids), and the distilled text of each kept tool result.
 */
export interface Rewrite {
  text: string | null;
  calls: Set<string>;
  results: Map<string, string>;
}

/** The message in its own form. With no rewrite, the original object, untouched. */
export function renderMessage(m: Message, rw?: Rewrite): Record<string, unknown> {
  if (!rw) return m.raw;
  const { role } = m;
  if (role === 'tool') {
    const b = m.blocks[0] as Extract<Block, { type: 'tool_result' }>;
    return { ...m.raw, content: rw.results.get(b.callId) ?? b.text };
  }
  const text = rw.text;
  if (m.form === 'anthropic') {
    if (typeof m.raw.content === 'string') return { ...m.raw, content: text ?? '' };
    const out: unknown[] = [];
    let textPlaced = false;
    for (const [j, b] of m.blocks.entries()) {
      const orig = (m.raw.content as unknown[])[j] as Record<string, unknown>;
      if (b.type === 'text') {
        if (!textPlaced && text) out.push({ type: 'text', text });
        textPlaced = true;
      } else if (b.type === 'tool_call') {
        if (rw.calls.has(b.id)) out.push(orig);
      } else if (b.type === 'tool_result') {
        const t = rw.results.get(b.callId);
        if (t !== undefined) out.push(t === b.text ? orig : { ...orig, content: t });
      } else if (text !== null) {
        // Opaque parts (images) travel with the message's text.
        out.push(orig);
      }
    }
    if (!textPlaced && text) out.unshift({ type: 'text', text });
    return { ...m.raw, content: out };
  }
  // OpenAI form.
  const out: Record<string, unknown> = { ...m.raw };
  if (Array.isArray(m.raw.content)) {
    const parts: unknown[] = text ? [{ type: 'text', text }] : [];
    for (const p of m.raw.content as Array<Record<string, unknown>>) if (p.type !== 'text' && text !== null) parts.push(p);
    out.content = parts;
  } else {
    out.content = text ?? (Array.isArray(m.raw.tool_calls) ? null : '');
  }
  if (Array.isArray(m.raw.tool_calls)) {
    const kept = (m.raw.tool_calls as Array<{ id: string }>).filter((c) => rw.calls.has(c.id));
    if (kept.length) out.tool_calls = kept;
    else delete out.tool_calls;
  }
  return out;
}
