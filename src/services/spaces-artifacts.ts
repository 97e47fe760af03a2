// Artifacts: processing a source (a job item) extracts its artifacts (src/engine/artifacts.ts) and
// files each under its lineage in the space — the same artifact seen again, changed, becomes the next
// version linked to the older one; seen again unchanged, it is not stored twice. Listing (filters),
// one artifact with its versions and the message it came from, and search through the one retrieval
// index (hybrid keyword + vectors, same filters).
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { artifactSearchText, extractArtifacts, type ArtifactKind } from '../engine/artifacts.js';
import { Cancelled, NotFound } from '../errors.js';
import { newId, nowIso } from '../store/db.js';
import { RetrievalIndex, type SearchMode } from '../store/retrieval.js';
import { artifactSource, type ArtifactFilter, type ArtifactMeta, type ArtifactRow } from '../store/spaces.js';
import type { JobKind } from './jobs.js';
import { PROCESS_JOB_KIND, SourcesService } from './spaces-sources.js';

export interface ArtifactView extends Omit<ArtifactRow, 'rowid' | 'content_hash' | 'lineage' | 'kind'> {
  kind: ArtifactKind;
  reason: string | null;
}

/** Decisions carry their reason after a marker line in the stored content (kept verbatim, searchable). */
const REASON_SEP = '\n\u2014 why: ';

export function artifactView(r: ArtifactRow): ArtifactView {
  const { rowid: _r, content_hash: _h, lineage: _l, ...row } = r;
  const rest = { ...row, kind: r.kind as ArtifactKind };
  const at = r.kind === 'decision' ? r.content.indexOf(REASON_SEP) : -1;
  return at >= 0 ? { ...rest, content: r.content.slice(0, at), reason: r.content.slice(at + REASON_SEP.length) } : { ...rest, reason: null };
}

export class ArtifactsService {
  private readonly index: RetrievalIndex<ArtifactMeta>;

  constructor(private readonly deps: AppDeps) {
    this.index = new RetrievalIndex(deps, artifactSource);
  }

  /**
   * Extracts a source's artifacts and stores them in one transaction (its earlier artifacts replaced:
   * running again after an interruption gives the same result). Returns how many were stored.
   */
  async process(scope: Scope, sourceId: string, signal?: AbortSignal): Promise<{ artifacts: number; new_versions: number }> {
    const { source, messages } = await this.deps.service(SourcesService).messages(scope, sourceId);
    await this.deps.store.spaces(scope).setSourceStatus(sourceId, { status: 'processing' });
    const found = extractArtifacts(messages);
    if (signal?.aborted) throw new Cancelled('processing was cancelled');
    const now = nowIso();
    return this.deps.store.tx(async (t) => {
      const repo = t.spaces(scope);
      await repo.deleteArtifactsOf(sourceId);
      let stored = 0;
      let versions = 0;
      for (const a of found) {
        const latest = await repo.latestOf(source.space_id, a.lineage);
        if (latest && latest.content_hash === a.contentHash) continue;
        const content = a.reason ? `${a.content}${REASON_SEP}${a.reason}` : a.content;
        await repo.insertArtifact({
          id: newId('art'),
          space_id: source.space_id,
          collection_id: source.collection_id,
          source_id: sourceId,
          kind: a.kind,
          subtype: a.subtype,
          language: a.language,
          name: a.name,
          lineage: a.lineage,
          version: (latest?.version ?? 0) + 1,
          previous_id: latest?.id ?? null,
          content,
          content_hash: a.contentHash,
          message_index: a.messageIndex,
          role: a.role,
          created_at: now,
          text: artifactSearchText(a),
        });
        stored++;
        if (latest) versions++;
      }
      await repo.setSourceStatus(sourceId, { status: 'ready', artifacts_count: stored, error: null });
      return { artifacts: stored, new_versions: versions };
    });
  }

  async list(scope: Scope, f: ArtifactFilter & { limit: number; offset: number }): Promise<{ artifacts: ArtifactView[]; total: number }> {
    const { rows, total } = await this.deps.store.spaces(scope).listArtifacts(f);
    return { artifacts: rows.map(artifactView), total };
  }

  /** One artifact with every version of its lineage and the message it came from. */
  async get(scope: Scope, id: string): Promise<{ artifact: ArtifactView; versions: Array<Pick<ArtifactView, 'id' | 'version' | 'source_id' | 'message_index' | 'created_at'>>; message: { role: string; content: string; index: number } | null }> {
    const repo = this.deps.store.spaces(scope);
    const row = await repo.getArtifact(id);
    if (!row) throw new NotFound(`id: no artifact ${id.slice(0, 64)} in this project`, { field: 'id' });
    const versions = await repo.versions(row.space_id, row.lineage);
    let message = null;
    const content = (await repo.sourceContent(row.source_id)) as { messages: Array<{ role: string; text: string }> } | undefined;
    const m = row.message_index !== null ? content?.messages[row.message_index] : undefined;
    if (m) message = { role: m.role, content: m.text, index: row.message_index! };
    return { artifact: artifactView(row), versions: versions.map((v) => ({ id: v.id, version: v.version, source_id: v.source_id, message_index: v.message_index, created_at: v.created_at })), message };
  }

  /** The newest version of each lineage a source's artifacts belong to (for snapshots). */
  async newestOfSource(scope: Scope, sourceId: string, limit: number): Promise<ArtifactView[]> {
    const repo = this.deps.store.spaces(scope);
    const { rows } = await repo.listArtifacts({ source_id: sourceId, limit: 500, offset: 0 });
    const out: ArtifactView[] = [];
    const seen = new Set<string>();
    for (const r of rows.reverse()) {
      if (!['code', 'schema', 'diagram'].includes(r.kind) || seen.has(r.lineage)) continue;
      seen.add(r.lineage);
      const newest = (await repo.latestOf(r.space_id, r.lineage)) ?? r;
      out.push(artifactView(newest));
      if (out.length >= limit) break;
    }
    return out;
  }

  async search(scope: Scope, a: ArtifactFilter & { query: string; mode: SearchMode; limit: number }): Promise<{ results: Array<ArtifactView & { score: number }>; mode: SearchMode }> {
    const accept = (_id: number, m: ArtifactMeta) =>
      (!a.space_id || m.space === a.space_id) &&
      (!a.collection_id || m.collection === a.collection_id) &&
      (!a.source_id || m.source === a.source_id) &&
      (!a.kind || m.kind === a.kind) &&
      (!a.language || m.language === a.language);
    const filtered = !!(a.space_id || a.collection_id || a.source_id || a.kind || a.language);
    const { hits } = await this.index.search({ scopes: [scope], query: a.query, mode: a.mode, k: a.limit, accept: filtered ? accept : undefined });
    const rows = await this.deps.store.spaces(scope).artifactsByRowids(hits.map((h) => h.id));
    const byRow = new Map(rows.map((r) => [Number(r.rowid), r]));
    return {
      results: hits.filter((h) => byRow.has(h.id)).map((h) => ({ ...artifactView(byRow.get(h.id)!), score: Math.round(h.score * 1e6) / 1e6 })),
      mode: a.mode,
    };
  }
}

/** The processing job kind (registered by the app's wiring under PROCESS_JOB_KIND): one source per item. */
export const processSourcesJobKind: JobKind<{ source_id: string }, { source_id: string; artifacts: number; new_versions: number }> = {
  tool: 'create_source',
  run: async (deps, item) => {
    try {
      const r = await deps.service(ArtifactsService).process(item.scope, item.input.source_id, item.signal);
      return { result: { source_id: item.input.source_id, ...r } };
    } catch (e) {
      // The source says what went wrong too (a deleted source has nothing to mark).
      await deps.store.spaces(item.scope).setSourceStatus(item.input.source_id, { status: 'failed', error: e instanceof Error ? e.message.slice(0, 500) : 'internal error' });
      throw e;
    }
  },
};
export { PROCESS_JOB_KIND };
