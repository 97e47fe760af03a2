// Handoffs (the ace toolset): create_handoff packs a task's state for another agent or session under
// a token budget; get_handoff renders it (Markdown or JSON) and can mark it picked up; list_handoffs.
// A handoff expires after its time to live and is then deleted (every call of this service first
// deletes the scope's expired handoffs, so nothing expired is ever served or kept).
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { BudgetTooSmall, extractFromMessages, fitHandoff, mergeContent, renderHandoff, type HandoffContent, type PlainMessage, type ReferenceKind } from '../engine/handoff.js';
import { AppError, BadRequest, Conflict, InvalidInput, NotFound } from '../errors.js';
import { ConversationError, messageText, normalizeMessages } from '../engine/conversation/index.js';
import type { HandoffRow } from '../store/ace-handoffs.js';
import { newId, nowIso } from '../store/db.js';
import { AcePlaybookService } from './ace-playbook.js';
import { DocumentsService } from './documents.js';
import { KbService } from './kb.js';
import { MemoryService } from './memory.js';
import { plural } from '../engine/plural.js';

export const HANDOFF_STATUSES = ['open', 'picked_up'] as const;

export interface CreateHandoffInput {
  title?: string;
  fromAgent?: string;
  toAgent?: string;
  fields: Partial<HandoffContent>;
  /** Chat messages in OpenAI or Anthropic form (parsed by the conversation engine). */
  messages?: unknown[];
  tokenBudget: number;
  ttlSeconds?: number;
}

export interface HandoffView {
  id: string;
  title: string;
  from_agent: string | null;
  to_agent: string | null;
  status: 'open' | 'picked_up';
  created_at: string;
  expires_at: string;
  picked_up_at: string | null;
  picked_up_by: string | null;
  token_budget: number;
  tokens: number;
  trimmed: string[];
  content: HandoffContent;
}

function view(r: HandoffRow): HandoffView {
  return {
    id: r.id,
    title: r.title,
    from_agent: r.from_agent,
    to_agent: r.to_agent,
    status: r.status,
    created_at: r.created_at,
    expires_at: r.expires_at,
    picked_up_at: r.picked_up_at,
    picked_up_by: r.picked_up_by,
    token_budget: r.token_budget,
    tokens: r.tokens,
    trimmed: r.trimmed,
    content: r.content as HandoffContent,
  };
}

/** The conversation engine's reading of the messages, as role + plain text. */
function plainMessages(raw: unknown[]): PlainMessage[] {
  try {
    return normalizeMessages(raw).messages.map((m) => ({ role: m.role, content: messageText(m) }));
  } catch (e) {
    if (e instanceof ConversationError) throw new BadRequest(e.message, 'invalid_messages', { field: e.field });
    throw e;
  }
}

export class AceHandoffsService {
  constructor(private readonly deps: AppDeps) {}

  private repo(scope: Scope) {
    return this.deps.store.aceHandoffs(scope);
  }

  async create(scope: Scope, input: CreateHandoffInput): Promise<HandoffView & { markdown: string }> {
    await this.repo(scope).purgeExpired(nowIso());
    const extracted = input.messages?.length ? extractFromMessages(plainMessages(input.messages)) : null;
    const content = mergeContent(input.fields, extracted);
    if (!content.goal) {
      throw new InvalidInput('goal is required: give `goal`, or `messages` with a user message to take it from', { field: 'goal', rule: 'required' });
    }
    await this.checkReferences(scope, content.references);
    const title = (input.title?.trim() || content.goal.split('\n')[0]!).slice(0, 120);
    let fit: ReturnType<typeof fitHandoff>;
    try {
      fit = fitHandoff(title, content, input.tokenBudget);
    } catch (e) {
      if (e instanceof BudgetTooSmall) {
        throw new InvalidInput(`token_budget ${input.tokenBudget} is too small: the title and goal alone need ${plural(e.needed, 'token')}`, { field: 'token_budget', limit: e.needed, unit: 'tokens' });
      }
      throw e;
    }
    const now = new Date();
    const ttl = input.ttlSeconds ?? this.deps.config.handoffTtlHours * 3600;
    const row = {
      id: newId('hof'),
      title,
      from_agent: input.fromAgent ?? null,
      to_agent: input.toAgent ?? null,
      content: fit.content,
      token_budget: input.tokenBudget,
      tokens: fit.tokens,
      trimmed: fit.trimmed,
      expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
      created_at: now.toISOString(),
    };
    await this.repo(scope).insert(row);
    return { ...view({ ...row, status: 'open', picked_up_at: null, picked_up_by: null }), markdown: fit.markdown };
  }

  /** One handoff; with pickUp, marks it picked up by `by` (409 if someone picked it up already). */
  async get(scope: Scope, id: string, opts: { pickUp: boolean; by: string }): Promise<HandoffView & { markdown: string }> {
    const repo = this.repo(scope);
    await repo.purgeExpired(nowIso());
    let row = await repo.get(id);
    if (!row) throw new NotFound(`handoff ${id.slice(0, 40)} not found in this project (it may have expired)`, { field: 'handoff_id' });
    if (opts.pickUp) {
      if (!(await repo.pickUp(id, opts.by, nowIso()))) {
        throw new Conflict(`handoff ${id} was already picked up at ${row.picked_up_at} by ${row.picked_up_by}`, { field: 'pick_up', picked_up_at: row.picked_up_at });
      }
      row = (await repo.get(id))!;
    }
    const v = view(row);
    return { ...v, markdown: renderHandoff(v.title, v.content) };
  }

  async list(scope: Scope, opts: { status?: 'open' | 'picked_up'; limit: number; offset: number }): Promise<{ handoffs: Array<Omit<HandoffView, 'content'> & { goal: string }>; total: number }> {
    const repo = this.repo(scope);
    await repo.purgeExpired(nowIso());
    const { rows, total } = await repo.list(opts);
    return {
      handoffs: rows.map((r) => {
        const { content, ...rest } = view(r);
        return { ...rest, goal: content.goal };
      }),
      total,
    };
  }

  /** Every reference must name something of this project: a 404 naming references[i].id otherwise. */
  private async checkReferences(scope: Scope, refs: HandoffContent['references']): Promise<void> {
    const exists: Record<ReferenceKind, (id: string) => Promise<unknown>> = {
      memory: (id) => this.deps.service(MemoryService).get(scope, id),
      kb: (id) => this.deps.service(KbService).history(scope, id),
      document: async (id) => this.deps.service(DocumentsService).get(scope, { docId: id }),
      bullet: async (id) => {
        if (!(await this.deps.service(AcePlaybookService).exists(scope, id))) throw new NotFound(`bullet ${id}`);
      },
    };
    for (const [i, r] of refs.entries()) {
      try {
        await exists[r.kind](r.id);
      } catch (e) {
        if (e instanceof NotFound || (e instanceof AppError && e.status === 422)) {
          throw new NotFound(`references[${i}].id: no ${r.kind} ${r.id.slice(0, 60)} in this project`, { field: `references[${i}].id` });
        }
        throw e;
      }
    }
  }
}
