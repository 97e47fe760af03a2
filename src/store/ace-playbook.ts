// Playbook bullets (the ace toolset): what the retrieval index needs of them (collection 'ace') and
// the scoped repository the playbook service writes through. Counters change by deltas in SQL
// (helpful = helpful + n), so two outcomes recorded at once both count.
import type { Scope } from '../domain/scope.js';
import { FTS_INDEXES, readJson } from './dialect.js';
import { loadScopedVectors, saveScopedVectors, staleScopedRows, type RetrievalSource } from './retrieval.js';
import type { RepoContext } from './store.js';

/** What search filters read beside each vector, without touching the store. */
export interface BulletMeta {
  playbook: string;
  section: string;
}

export const aceBulletSource: RetrievalSource<BulletMeta> = {
  collection: 'ace',
  fts: FTS_INDEXES.aceBullets,
  scopeByTable: true,
  loadVectors: (ctx, scope, embedderId) =>
    loadScopedVectors(ctx, { table: 'ace_bullets', id: 'seq', columns: ['playbook', 'section'], unordered: true }, scope, embedderId, (r) => ({ playbook: r.playbook as string, section: r.section as string })),
  staleRows: (ctx, scope, embedderId, limit) => staleScopedRows(ctx, { table: 'ace_bullets', id: 'seq' }, scope, embedderId, limit),
  saveVectors: (ctx, scope, embedderId, rows) => saveScopedVectors(ctx, { table: 'ace_bullets', id: 'seq', guardText: true }, scope, embedderId, rows),
};

export interface BulletRow {
  seq: number;
  id: string;
  playbook: string;
  section: string;
  text: string;
  norm: string;
  tags: string[];
  helpful: number;
  harmful: number;
  merge_count: number;
  sources: string[];
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

const COLS = ['seq', 'id', 'playbook', 'section', 'text', 'norm', 'tags', 'helpful', 'harmful', 'merge_count', 'sources', 'created_at', 'updated_at', 'last_used_at'] as const;

/** The bullets of one project (all its playbooks). */
export class AcePlaybookRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  private base() {
    return this.ctx.db.selectFrom('ace_bullets').select(COLS).where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId);
  }

  /** Every bullet of a playbook (optionally of some sections), oldest first. */
  async list(playbook: string, sections?: string[]): Promise<BulletRow[]> {
    let q = this.base().where('playbook', '=', playbook);
    if (sections && sections.length > 0) q = q.where('section', 'in', sections);
    return (await q.orderBy('seq').execute()).map(toRow);
  }

  async count(playbook: string): Promise<number> {
    const r = await this.ctx.db
      .selectFrom('ace_bullets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('playbook', '=', playbook)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async bySeqs(seqs: number[]): Promise<BulletRow[]> {
    if (seqs.length === 0) return [];
    return (await this.base().where('seq', 'in', seqs).execute()).map(toRow);
  }

  async byIds(playbook: string, ids: string[]): Promise<BulletRow[]> {
    if (ids.length === 0) return [];
    return (await this.base().where('playbook', '=', playbook).where('id', 'in', ids).execute()).map(toRow);
  }

  /** Which of these ids are bullets of any playbook of the project. */
  async existingIds(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await this.ctx.db.selectFrom('ace_bullets').select('id').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('id', 'in', ids).execute()).map((r) => r.id);
  }

  async byNorm(playbook: string, norm: string): Promise<BulletRow | undefined> {
    const r = await this.base().where('playbook', '=', playbook).where('norm', '=', norm).orderBy('seq').executeTakeFirst();
    return r && toRow(r);
  }

  async insert(row: { id: string; playbook: string; section: string; text: string; norm: string; tags: string[]; sources: string[]; embedding: Buffer; embedderId: string; now: string }): Promise<number> {
    const r = await this.ctx.db
      .insertInto('ace_bullets')
      .values({
        id: row.id,
        owner_id: this.scope.ownerId,
        project_id: this.scope.projectId,
        playbook: row.playbook,
        section: row.section,
        text: row.text,
        norm: row.norm,
        tags: this.ctx.dialect.json(row.tags),
        sources: this.ctx.dialect.json(row.sources),
        embedding: row.embedding,
        embedder_id: row.embedderId,
        created_at: row.now,
        updated_at: row.now,
        last_used_at: null,
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return Number(r.seq);
  }

  /**
   * Folds deltas into a bullet: counters are added to (never overwritten), tags and sources replace
   * the stored lists (the caller passes their union). The text is left as it is.
   */
  async strengthen(seq: number, d: { helpful: number; harmful: number; merges: number; tags: string[]; sources: string[]; now: string }): Promise<void> {
    await this.ctx.db
      .updateTable('ace_bullets')
      .set((eb) => ({
        helpful: eb('helpful', '+', d.helpful),
        harmful: eb('harmful', '+', d.harmful),
        merge_count: eb('merge_count', '+', d.merges),
        tags: this.ctx.dialect.json(d.tags),
        sources: this.ctx.dialect.json(d.sources),
        updated_at: d.now,
      }))
      .where('seq', '=', seq)
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .execute();
  }

  /** Counts one task outcome on these bullets and marks them used. */
  async countOutcome(seqs: number[], field: 'helpful' | 'harmful', now: string): Promise<void> {
    if (seqs.length === 0) return;
    await this.ctx.db
      .updateTable('ace_bullets')
      .set((eb) => ({ [field]: eb(field, '+', 1), last_used_at: now, updated_at: now }))
      .where('seq', 'in', seqs)
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .execute();
  }

  async delete(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    // Large curations delete in slices: bound parameter lists stay far below both backends' limits.
    for (let i = 0; i < seqs.length; i += 500) {
      await this.ctx.db
        .deleteFrom('ace_bullets')
        .where('seq', 'in', seqs.slice(i, i + 500))
        .where('owner_id', '=', this.scope.ownerId)
        .where('project_id', '=', this.scope.projectId)
        .execute();
    }
  }
}

function toRow(r: { seq: number; id: string; playbook: string; section: string; text: string; norm: string; tags: unknown; helpful: number; harmful: number; merge_count: number; sources: unknown; created_at: string; updated_at: string; last_used_at: string | null }): BulletRow {
  return { ...r, seq: Number(r.seq), tags: readJson<string[]>(r.tags), sources: readJson<string[]>(r.sources) };
}
