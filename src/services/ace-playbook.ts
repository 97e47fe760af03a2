// Playbooks (the ace toolset): itemised, counted lessons per project and playbook name. Writes embed
// each bullet; a delta that restates an existing bullet (same normalised text, or embedding
// similarity at the threshold) strengthens it instead of being added. Reads rank by usefulness, or
// through the one retrieval index when a query is given, under a token budget. Curation merges
// near-duplicates (counts and provenance kept) and prunes bullets that proved harmful.
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { dot, vectorToBlob } from '../engine/embeddings/vector.js';
import { byUsefulness, fitPlaybook, normalizeBullet, planMerges, shouldPrune, utility, type MergeGroup } from '../engine/playbook.js';
import { Conflict, InvalidInput, NotFound } from '../errors.js';
import { aceBulletSource, type BulletMeta, type BulletRow } from '../store/ace-playbook.js';
import { newId, nowIso } from '../store/db.js';
import { RetrievalIndex } from '../store/retrieval.js';
import { normalizeTags, similarityDefaults } from './memory.js';

export const DEFAULT_PLAYBOOK = 'default';
/** Provenance entries kept per bullet (the oldest are dropped past this). */
const MAX_SOURCES = 50;
/** How often a write re-decides its duplicate check after another writer changed the scope. */
const WRITE_ATTEMPTS = 5;

export interface BulletView {
  id: string;
  section: string;
  text: string;
  tags: string[];
  helpful: number;
  harmful: number;
  merge_count: number;
  utility: number;
  sources: string[];
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

export interface NewBullet {
  section: string;
  text: string;
  tags?: string[];
  source?: string;
}

export interface AddResult {
  playbook: string;
  added: number;
  merged: number;
  results: Array<{ index: number; status: 'added' | 'merged'; id: string; similarity: number | null; text: string }>;
  bullets_total: number;
}

export interface CurateResult {
  playbook: string;
  dry_run: boolean;
  similarity_threshold: number;
  prune_margin: number;
  bullets_before: number;
  bullets_after: number;
  merges: Array<{ keep: string; text: string; merged: Array<{ id: string; text: string; similarity: number }>; helpful: number; harmful: number; merge_count: number }>;
  pruned: Array<{ id: string; text: string; helpful: number; harmful: number }>;
}

function view(r: BulletRow): BulletView {
  return {
    id: r.id,
    section: r.section,
    text: r.text,
    tags: r.tags,
    helpful: r.helpful,
    harmful: r.harmful,
    merge_count: r.merge_count,
    utility: utility(r),
    sources: r.sources,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_used_at: r.last_used_at,
  };
}

function unionSources(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].slice(-MAX_SOURCES);
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

export class AcePlaybookService {
  private readonly index: RetrievalIndex<BulletMeta>;

  constructor(private readonly deps: AppDeps) {
    this.index = new RetrievalIndex(deps, aceBulletSource);
  }

  /** The similarity at which two bullets are the same lesson: memory's dedupe floor for the active embedder. */
  async defaultThreshold(): Promise<number> {
    return similarityDefaults((await this.deps.embedder()).id).dedupe;
  }

  // ---- writes ---------------------------------------------------------------------------------

  async add(scope: Scope, playbook: string, bullets: NewBullet[], opts: { similarity?: number } = {}): Promise<AddResult> {
    const items = bullets.map((b, i) => {
      const text = b.text.trim();
      if (!text) throw new InvalidInput(`bullets[${i}].text must not be empty`, { field: `bullets[${i}].text` });
      const section = b.section.trim();
      if (!section) throw new InvalidInput(`bullets[${i}].section must not be empty`, { field: `bullets[${i}].section` });
      return { text, section, norm: normalizeBullet(text), tags: normalizeTags(b.tags), sources: b.source ? [b.source] : [] };
    });
    const embedder = await this.deps.embedder();
    const vecs = await embedder.embed(items.map((b) => b.text));
    const threshold = opts.similarity ?? similarityDefaults(embedder.id).dedupe;
    const inPlaybook = (_id: number, m: BulletMeta) => m.playbook === playbook;

    for (let attempt = 1; ; attempt++) {
      const { table, stamp } = await this.index.table(scope, embedder);
      // Best existing match per delta, from the vectors as of `stamp` (the write below re-checks it).
      const best = items.map((_, i) => {
        const b = { seq: -1, sim: -Infinity };
        table.scan(vecs[i]!, (seq, sim) => {
          if (sim > b.sim) {
            b.seq = seq;
            b.sim = sim;
          }
        }, inPlaybook);
        return b;
      });
      const out = await this.deps.store.tx(async (t) => {
        if ((await this.index.stamp(scope, t)) !== stamp) return null;
        const repo = t.acePlaybook(scope);
        const now = nowIso();
        const results: AddResult['results'] = [];
        // Deltas of this call are candidates for later deltas of the same call too.
        const fresh: Array<{ seq: number; id: string; norm: string; vec: Float32Array }> = [];
        const written: Array<{ seq: number; meta: BulletMeta; vec: Float32Array }> = [];
        // Rows written (added, or merged into: their tags change), for the keyword index.
        const changed: number[] = [];
        for (let i = 0; i < items.length; i++) {
          const it = items[i]!;
          const vec = vecs[i]!;
          let target: { seq: number; sim: number } | null = null;
          const sameNorm = (await repo.byNorm(playbook, it.norm)) ?? null;
          if (sameNorm) target = { seq: sameNorm.seq, sim: 1 };
          for (const f of fresh) {
            const sim = f.norm === it.norm ? 1 : dot(f.vec, vec);
            if (sim >= threshold - 1e-6 && (!target || sim > target.sim)) target = { seq: f.seq, sim };
          }
          if (!target && best[i]!.seq >= 0 && best[i]!.sim >= threshold - 1e-6) target = best[i]!;
          if (target) {
            const [old] = await repo.bySeqs([target.seq]);
            await repo.strengthen(target.seq, { helpful: 0, harmful: 0, merges: 1, tags: normalizeTags([...old!.tags, ...it.tags]), sources: unionSources(old!.sources, it.sources), now });
            results.push({ index: i, status: 'merged', id: old!.id, similarity: round(target.sim), text: old!.text });
            changed.push(target.seq);
            continue;
          }
          const id = newId('bul');
          const seq = await repo.insert({ id, playbook, section: it.section, text: it.text, norm: it.norm, tags: it.tags, sources: it.sources, embedding: vectorToBlob(vec), embedderId: embedder.id, now });
          fresh.push({ seq, id, norm: it.norm, vec });
          written.push({ seq, meta: { playbook, section: it.section }, vec });
          changed.push(seq);
          results.push({ index: i, status: 'added', id, similarity: best[i]!.seq >= 0 ? round(best[i]!.sim) : null, text: it.text });
        }
        return { results, written, changed, total: await repo.count(playbook), after: await this.index.stamp(scope, t) };
      });
      if (out) {
        this.index.applyOwnWrite(
          scope,
          stamp,
          out.after,
          (tb) => out.written.forEach((w) => tb.set(w.seq, w.meta, w.vec)),
          out.changed,
        );
        const added = out.results.filter((r) => r.status === 'added').length;
        return { playbook, added, merged: out.results.length - added, results: out.results, bullets_total: out.total };
      }
      if (attempt >= WRITE_ATTEMPTS) throw new Conflict("this project's playbook is being changed by another writer; retry ace_add_bullets", { field: 'bullets' });
    }
  }

  /** Counts one task's outcome: +1 helpful / +1 harmful on the named bullets (all must exist). */
  async recordOutcome(
    scope: Scope,
    playbook: string,
    input: { helpful: string[]; harmful: string[] },
  ): Promise<{ playbook: string; updated: number; bullets: BulletView[] }> {
    const helpful = [...new Set(input.helpful)];
    const harmful = [...new Set(input.harmful)];
    if (helpful.length === 0 && harmful.length === 0) throw new InvalidInput('give at least one bullet id in helpful or harmful', { field: 'helpful', rule: 'required' });
    const both = helpful.find((id) => harmful.includes(id));
    if (both) throw new InvalidInput(`bullet ${both} is listed as both helpful and harmful; an outcome counts a bullet one way`, { field: `harmful[${input.harmful.indexOf(both)}]` });
    return this.deps.store.tx(async (t) => {
      const repo = t.acePlaybook(scope);
      const rows = await repo.byIds(playbook, [...helpful, ...harmful]);
      const seqOf = new Map(rows.map((r) => [r.id, r.seq]));
      for (const [field, list] of [['helpful', input.helpful], ['harmful', input.harmful]] as const) {
        const i = list.findIndex((id) => !seqOf.has(id));
        if (i >= 0) throw new NotFound(`${field}[${i}]: bullet ${list[i]!.slice(0, 40)} is not in playbook '${playbook}' of this project`, { field: `${field}[${i}]` });
      }
      const now = nowIso();
      await repo.countOutcome(helpful.map((id) => seqOf.get(id)!), 'helpful', now);
      await repo.countOutcome(harmful.map((id) => seqOf.get(id)!), 'harmful', now);
      const updated = await repo.bySeqs(rows.map((r) => r.seq));
      return { playbook, updated: updated.length, bullets: updated.sort((a, b) => a.seq - b.seq).map(view) };
    });
  }

  /**
   * Merges near-duplicates and prunes harmful bullets; with dryRun only answers the plan. The plan is
   * made from one view of the playbook and applied in one transaction, which re-reads the counters
   * (an outcome recorded meanwhile is carried over, not lost) and gives up if a bullet was removed.
   */
  async curate(scope: Scope, playbook: string, opts: { similarity?: number; pruneMargin: number; dryRun: boolean }): Promise<CurateResult> {
    const embedder = await this.deps.embedder();
    const threshold = opts.similarity ?? similarityDefaults(embedder.id).dedupe;
    const { table } = await this.index.table(scope, embedder);
    const rows = await this.deps.store.acePlaybook(scope).list(playbook);
    if (rows.length === 0) throw new NotFound(`playbook '${playbook}' has no bullets in this project; add some with ace_add_bullets`, { field: 'playbook' });
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    const candidates = rows.filter((r) => table.has(r.seq)).map((r) => ({ key: r.seq, norm: r.norm, vec: table.vector(r.seq)!, helpful: r.helpful, harmful: r.harmful, merge_count: r.merge_count }));
    const groups = planMerges(candidates, threshold);
    const merged = new Set(groups.flatMap((g) => g.merged.map((m) => m.key)));
    const totals = (g: MergeGroup, of: Map<number, BulletRow>) => {
      const keep = of.get(g.keep)!;
      const parts = g.merged.map((m) => of.get(m.key)!);
      return {
        helpful: keep.helpful + parts.reduce((s, p) => s + p.helpful, 0),
        harmful: keep.harmful + parts.reduce((s, p) => s + p.harmful, 0),
        merge_count: keep.merge_count + parts.reduce((s, p) => s + p.merge_count + 1, 0),
      };
    };
    const after = new Map(groups.map((g) => [g.keep, totals(g, bySeq)]));
    const pruned = rows.filter((r) => !merged.has(r.seq) && shouldPrune(after.get(r.seq) ?? r, opts.pruneMargin));
    const result: CurateResult = {
      playbook,
      dry_run: opts.dryRun,
      similarity_threshold: threshold,
      prune_margin: opts.pruneMargin,
      bullets_before: rows.length,
      bullets_after: rows.length - merged.size - pruned.length,
      merges: groups.map((g) => {
        const keep = bySeq.get(g.keep)!;
        return {
          keep: keep.id,
          text: keep.text,
          merged: g.merged.map((m) => ({ id: bySeq.get(m.key)!.id, text: bySeq.get(m.key)!.text, similarity: m.similarity })),
          ...after.get(g.keep)!,
        };
      }),
      pruned: pruned.map((r) => {
        const c = after.get(r.seq) ?? r;
        return { id: r.id, text: r.text, helpful: c.helpful, harmful: c.harmful };
      }),
    };
    if (opts.dryRun || (groups.length === 0 && pruned.length === 0)) return result;

    const { before, stampAfter, removed, touched } = await this.deps.store.tx(async (t) => {
      const before = await this.index.stamp(scope, t);
      const repo = t.acePlaybook(scope);
      const touched = [...new Set([...groups.flatMap((g) => [g.keep, ...g.merged.map((m) => m.key)]), ...pruned.map((r) => r.seq)])];
      const now = new Map((await repo.bySeqs(touched)).map((r) => [r.seq, r]));
      if (now.size !== touched.length) throw new Conflict(`playbook '${playbook}' changed during curation (a bullet was removed); run ace_curate again`, { field: 'playbook' });
      const at = nowIso();
      for (const g of groups) {
        const keep = now.get(g.keep)!;
        const parts = g.merged.map((m) => now.get(m.key)!);
        await repo.strengthen(g.keep, {
          helpful: parts.reduce((s, p) => s + p.helpful, 0),
          harmful: parts.reduce((s, p) => s + p.harmful, 0),
          merges: parts.reduce((s, p) => s + p.merge_count + 1, 0),
          tags: normalizeTags([keep.tags, ...parts.map((p) => p.tags)].flat()),
          sources: unionSources(keep.sources, parts.flatMap((p) => [...p.sources, `bullet:${p.id}`])),
          now: at,
        });
      }
      const removed = [...merged, ...pruned.map((r) => r.seq)];
      await repo.delete(removed);
      return { before, removed, touched, stampAfter: await this.index.stamp(scope, t) };
    });
    // The kept bullets changed too (tags): the keyword index re-reads every touched row.
    this.index.applyOwnWrite(scope, before, stampAfter, (tb) => removed.forEach((seq) => tb.delete(seq)), touched);
    return result;
  }

  // ---- reads ----------------------------------------------------------------------------------

  /**
   * The playbook, most useful first (or, with a query, most relevant first by the retrieval index),
   * filtered by sections and tags, at most `limit` bullets and within `tokenBudget` tokens of Markdown.
   */
  async get(
    scope: Scope,
    playbook: string,
    opts: { query?: string; sections?: string[]; tags?: string[]; limit: number; tokenBudget?: number },
  ): Promise<{ playbook: string; query: string | null; bullets: Array<BulletView & { relevance: number | null }>; total: number; matched: number; omitted_by_budget: number; tokens: number; markdown: string }> {
    const repo = this.deps.store.acePlaybook(scope);
    const sections = opts.sections?.map((s) => s.trim()).filter(Boolean);
    const tags = normalizeTags(opts.tags);
    const hasTags = (r: BulletRow) => tags.length === 0 || tags.some((t) => r.tags.includes(t));
    const query = opts.query?.trim() || null;
    let ranked: Array<{ row: BulletRow; relevance: number | null }>;
    if (query) {
      const { hits } = await this.index.search({
        scopes: [scope],
        query,
        mode: 'hybrid',
        k: opts.limit,
        accept: (_id, m) => m.playbook === playbook && (!sections?.length || sections.includes(m.section)),
      });
      const rows = new Map((await repo.bySeqs(hits.map((h) => h.id))).map((r) => [r.seq, r]));
      ranked = hits.flatMap((h) => {
        const row = rows.get(h.id);
        return row && hasTags(row) ? [{ row, relevance: Math.round(h.fused * 1e6) / 1e6 }] : [];
      });
    } else {
      const rows = (await repo.list(playbook, sections)).filter(hasTags);
      ranked = rows
        .map((r) => ({ ...r, order: r.seq }))
        .sort(byUsefulness)
        .slice(0, opts.limit)
        .map((row) => ({ row, relevance: null }));
    }
    const total = await repo.count(playbook);
    const fit = fitPlaybook(
      ranked.map((r) => ({ ...view(r.row), relevance: r.relevance })),
      opts.tokenBudget ?? null,
      playbook,
    );
    return { playbook, query, bullets: fit.chosen, total, matched: ranked.length, omitted_by_budget: fit.omitted, tokens: fit.tokens, markdown: fit.markdown };
  }

  /** True when `id` is a bullet of any playbook of the project (handoff references). */
  async exists(scope: Scope, id: string): Promise<boolean> {
    return (await this.deps.store.acePlaybook(scope).existingIds([id])).length > 0;
  }
}
