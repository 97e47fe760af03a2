// Chat export files people actually have → conversations of {role, text}: a ChatGPT data export's
// conversations.json (each conversation a tree of nodes in `mapping`; the thread shown is the path
// from `current_node` up to the root) and a Claude data export's conversations.json (each with
// `chat_messages`, sender human/assistant). Several conversations per file. Pure: JSON in, turns out;
// a malformed file throws ConversationError naming the path of the bad field.
import { ConversationError } from './conversation/messages.js';
import type { TextMessage } from './artifacts.js';

export const EXPORT_FORMATS = ['chatgpt', 'claude'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportedConversation {
  title: string | null;
  messages: TextMessage[];
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Which export a parsed file is, from its shape; null when neither. */
export function detectExport(data: unknown): ExportFormat | null {
  const list = Array.isArray(data) ? data : isObj(data) && Array.isArray(data.conversations) ? data.conversations : null;
  const first = list?.find(isObj);
  if (!first) return null;
  if (isObj(first.mapping)) return 'chatgpt';
  if (Array.isArray(first.chat_messages)) return 'claude';
  return null;
}

function conversationsOf(data: unknown, field: string): unknown[] {
  const list = Array.isArray(data) ? data : isObj(data) && Array.isArray(data.conversations) ? data.conversations : null;
  if (!list) throw new ConversationError(`${field} must be the export's conversations.json: an array of conversations`, field);
  if (list.length === 0) throw new ConversationError(`${field} holds no conversations`, field);
  return list;
}

function chatgptText(content: unknown): string {
  if (!isObj(content)) return '';
  if (Array.isArray(content.parts)) return content.parts.filter((p): p is string => typeof p === 'string').join('\n\n');
  return typeof content.text === 'string' ? content.text : '';
}

const CHATGPT_ROLES = new Set(['user', 'assistant', 'system', 'tool']);

function parseChatgpt(c: unknown, at: string): ExportedConversation {
  if (!isObj(c) || !isObj(c.mapping)) throw new ConversationError(`${at}.mapping is required (ChatGPT export)`, `${at}.mapping`);
  const mapping = c.mapping as Record<string, unknown>;
  // The thread shown: current_node up to the root. Without current_node, the last leaf by time.
  let nodeId = typeof c.current_node === 'string' ? c.current_node : null;
  if (!nodeId) {
    const leaves = Object.entries(mapping).filter(([, n]) => isObj(n) && (!Array.isArray(n.children) || n.children.length === 0));
    nodeId = leaves.length ? leaves[leaves.length - 1]![0] : null;
  }
  const chain: Record<string, unknown>[] = [];
  const visited = new Set<string>();
  while (nodeId && !visited.has(nodeId)) {
    visited.add(nodeId);
    const node = mapping[nodeId];
    if (!isObj(node)) throw new ConversationError(`${at}.mapping["${nodeId.slice(0, 64)}"] is missing`, `${at}.mapping`);
    chain.push(node);
    nodeId = typeof node.parent === 'string' ? node.parent : null;
  }
  const messages: TextMessage[] = [];
  for (const node of chain.reverse()) {
    const m = node.message;
    if (!isObj(m)) continue;
    const role = isObj(m.author) ? m.author.role : undefined;
    if (typeof role !== 'string' || !CHATGPT_ROLES.has(role)) {
      throw new ConversationError(`${at}: message ${String(m.id ?? '').slice(0, 64)} has author.role ${JSON.stringify(String(role)).slice(0, 40)}; expected user, assistant, system or tool`, `${at}.mapping.message.author.role`);
    }
    const text = chatgptText(m.content);
    // Hidden system prompts and empty tool stubs are not part of the thread anyone read.
    if (!text.trim() || (role === 'system' && isObj(m.metadata) && m.metadata.is_visually_hidden_from_conversation === true)) continue;
    messages.push({ role, text });
  }
  return { title: typeof c.title === 'string' ? c.title : null, messages };
}

function parseClaude(c: unknown, at: string): ExportedConversation {
  if (!isObj(c) || !Array.isArray(c.chat_messages)) throw new ConversationError(`${at}.chat_messages is required (Claude export)`, `${at}.chat_messages`);
  const messages: TextMessage[] = [];
  c.chat_messages.forEach((m, j) => {
    const here = `${at}.chat_messages[${j}]`;
    if (!isObj(m)) throw new ConversationError(`${here} must be an object`, here);
    const sender = m.sender;
    if (sender !== 'human' && sender !== 'assistant') throw new ConversationError(`${here}.sender must be "human" or "assistant"`, `${here}.sender`);
    let text = typeof m.text === 'string' ? m.text : '';
    if (!text && Array.isArray(m.content)) {
      text = m.content.map((p) => (isObj(p) && p.type === 'text' && typeof p.text === 'string' ? p.text : '')).filter(Boolean).join('\n\n');
    }
    if (text.trim()) messages.push({ role: sender === 'human' ? 'user' : 'assistant', text });
  });
  return { title: typeof c.name === 'string' && c.name ? c.name : null, messages };
}

/** Every conversation of an export file (conversations with no text are dropped; none at all throws). */
export function parseExport(data: unknown, format: ExportFormat | null, field: string): ExportedConversation[] {
  const fmt = format ?? detectExport(data);
  if (!fmt) throw new ConversationError(`${field} is neither a ChatGPT nor a Claude conversations.json export`, field);
  const list = conversationsOf(data, field);
  const out = list.map((c, i) => (fmt === 'chatgpt' ? parseChatgpt(c, `${field}[${i}]`) : parseClaude(c, `${field}[${i}]`))).filter((c) => c.messages.length > 0);
  if (out.length === 0) throw new ConversationError(`${field}: every conversation in the export is empty`, field);
  return out;
}
