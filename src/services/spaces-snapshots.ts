// Snapshots: a conversation (a stored source, or messages passed in) → compact resumable state, as
// Markdown and JSON (src/engine/snapshot.ts), stored and readable later. The artifacts that matter
// are the newest versions of the source's code, schemas and diagrams, by reference (inline on request).
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import type { TextMessage } from '../engine/artifacts.js';
import { buildSnapshot, SNAPSHOT_MIN_BUDGET, type SnapshotArtifactRef, type SnapshotState } from '../engine/snapshot.js';
import { exactlyOneOf, InvalidInput, NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import { ArtifactsService } from './spaces-artifacts.js';
import { fromMessages, SourcesService } from './spaces-sources.js';
import { SpacesService } from './spaces.js';

export const SNAPSHOT_LIMITS = { minBudget: SNAPSHOT_MIN_BUDGET, maxBudget: 200_000, artifacts: 20, lastTurnsMax: 20 } as const;

export interface SnapshotView {
  id: string;
  space_id: string | null;
  source_id: string | null;
  title: string | null;
  budget_tokens: number;
  tokens_in: number;
  tokens_out: number;
  compression_ratio: number;
  markdown: string;
  state: SnapshotState;
  created_at: string;
}

const ratio = (r: { tokens_in: number; tokens_out: number }) => (r.tokens_out ? Math.round((r.tokens_in / r.tokens_out) * 100) / 100 : 0);

export class SnapshotsService {
  constructor(private readonly deps: AppDeps) {}

  async create(
    scope: Scope,
    a: { source_id?: string; space_id?: string; messages?: unknown[]; title?: string; budget_tokens?: number; last_turns?: number; inline_artifacts?: boolean },
  ): Promise<SnapshotView> {
    exactlyOneOf(a, ['source_id', 'messages']);
    let messages: TextMessage[];
    let spaceId = a.space_id ?? null;
    let title = a.title ?? null;
    let refs: SnapshotArtifactRef[] = [];
    if (a.source_id) {
      const s = await this.deps.service(SourcesService).messages(scope, a.source_id);
      messages = s.messages;
      spaceId = s.source.space_id;
      title ??= s.source.title;
      const newest = await this.deps.service(ArtifactsService).newestOfSource(scope, a.source_id, SNAPSHOT_LIMITS.artifacts);
      refs = newest.map((x) => ({ id: x.id, kind: x.kind, name: x.name, language: x.language, version: x.version, ...(a.inline_artifacts ? { content: x.content } : {}) }));
    } else {
      if (spaceId) await this.deps.service(SpacesService).get(scope, spaceId, 'space_id');
      messages = fromMessages(a.messages!, 'messages');
    }
    if (messages.length === 0) throw new InvalidInput('the conversation is empty: nothing to snapshot', { field: a.source_id ? 'source_id' : 'messages', rule: 'empty' });
    const r = buildSnapshot(messages, { title, budget: a.budget_tokens, lastTurns: a.last_turns, artifacts: refs });
    const row = { id: newId('snp'), space_id: spaceId, source_id: a.source_id ?? null, title, budget_tokens: r.budget, tokens_in: r.tokensIn, tokens_out: r.tokensOut, markdown: r.markdown, state: r.state, created_at: nowIso() };
    await this.deps.store.spaces(scope).insertSnapshot(row);
    return this.view(row);
  }

  private view(r: Omit<SnapshotView, 'compression_ratio' | 'state'> & { state: unknown }): SnapshotView {
    return { ...r, state: r.state as SnapshotState, compression_ratio: ratio(r) };
  }

  async get(scope: Scope, id: string): Promise<SnapshotView> {
    const r = await this.deps.store.spaces(scope).getSnapshot(id);
    if (!r) throw new NotFound(`id: no snapshot ${id.slice(0, 64)} in this project`, { field: 'id' });
    return this.view(r);
  }

  async list(scope: Scope, f: { space_id?: string; source_id?: string; limit: number; offset: number }) {
    const { rows, total } = await this.deps.store.spaces(scope).listSnapshots(f);
    return { snapshots: rows.map((r) => ({ ...r, compression_ratio: ratio(r) })), total };
  }
}
