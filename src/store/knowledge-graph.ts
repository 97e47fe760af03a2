// The knowledge graph of one project: entities with ordered observations, and typed relations
// between entity names. Doubles are ignored on insert (ON CONFLICT DO NOTHING on both backends).
import type { Scope } from '../domain/scope.js';
import { nowIso } from './db.js';
import type { RepoContext } from './store.js';

export interface GraphEntity { name: string; entityType: string; observations: string[] }
export interface GraphRelation { from: string; to: string; relationType: string }

export class KnowledgeGraphRepo {
  constructor(private readonly ctx: RepoContext, private readonly scope: Scope) {}

  private get own() {
    return { owner_id: this.scope.ownerId, project_id: this.scope.projectId };
  }

  /** Inserts entities whose names are new (with their new observations); returns only those. */
  async createEntities(entities: GraphEntity[]): Promise<GraphEntity[]> {
    return this.ctx.tx(async (t) => {
      const now = nowIso();
      const created: GraphEntity[] = [];
      for (const e of entities) {
        const row = await t.db
          .insertInto('kg_entities')
          .values({ ...this.own, name: e.name, entity_type: e.entityType, created_at: now })
          .onConflict((oc) => oc.doNothing())
          .returning('seq')
          .executeTakeFirst();
        if (!row) continue; // existing name (or an earlier one in this call): ignored
        created.push({ name: e.name, entityType: e.entityType, observations: await t.knowledgeGraph(this.scope).insertObservations(row.seq, e.observations, now) });
      }
      return created;
    });
  }

  /** Inserts the observations not yet on the entity; returns the ones added, in order. */
  async insertObservations(entitySeq: number, contents: string[], now = nowIso()): Promise<string[]> {
    const added: string[] = [];
    for (const c of contents) {
      const r = await this.ctx.db
        .insertInto('kg_observations')
        .values({ ...this.own, entity_seq: entitySeq, content: c, created_at: now })
        .onConflict((oc) => oc.doNothing())
        .returning('seq')
        .executeTakeFirst();
      if (r) added.push(c);
    }
    return added;
  }

  /** Inserts relations not already present; returns the new ones. */
  async createRelations(relations: GraphRelation[]): Promise<GraphRelation[]> {
    return this.ctx.tx(async (t) => {
      const now = nowIso();
      const created: GraphRelation[] = [];
      for (const r of relations) {
        const row = await t.db
          .insertInto('kg_relations')
          .values({ ...this.own, from_name: r.from, to_name: r.to, relation_type: r.relationType, created_at: now })
          .onConflict((oc) => oc.doNothing())
          .returning('seq')
          .executeTakeFirst();
        if (row) created.push({ from: r.from, to: r.to, relationType: r.relationType });
      }
      return created;
    });
  }

  /**
   * Appends observations to existing entities, all or nothing: when any entity is unknown nothing is
   * written and its name comes back as `missing`.
   */
  async addObservations(additions: Array<{ entityName: string; contents: string[] }>): Promise<{ missing: string } | { added: Array<{ entityName: string; addedObservations: string[] }> }> {
    return this.ctx.tx(async (t) => {
      const repo = t.knowledgeGraph(this.scope);
      const seqs: number[] = [];
      for (const a of additions) {
        const seq = await repo.entitySeq(a.entityName);
        if (seq === undefined) return { missing: a.entityName };
        seqs.push(seq);
      }
      const now = nowIso();
      const added = [];
      for (const [i, a] of additions.entries()) added.push({ entityName: a.entityName, addedObservations: await repo.insertObservations(seqs[i]!, a.contents, now) });
      return { added };
    });
  }

  /** Deletes entities (their observations cascade) and every relation touching them. */
  async deleteEntities(names: string[]): Promise<{ entities: number; relations: number }> {
    return this.ctx.tx(async (t) => {
      let entities = 0;
      let relations = 0;
      for (const name of new Set(names)) {
        const e = await t.db.deleteFrom('kg_entities').where('owner_id', '=', this.scope.ownerId).where('project_id', '=', this.scope.projectId).where('name', '=', name).executeTakeFirst();
        entities += Number(e.numDeletedRows);
        const r = await t.db
          .deleteFrom('kg_relations')
          .where('owner_id', '=', this.scope.ownerId)
          .where('project_id', '=', this.scope.projectId)
          .where((eb) => eb.or([eb('from_name', '=', name), eb('to_name', '=', name)]))
          .executeTakeFirst();
        relations += Number(r.numDeletedRows);
      }
      return { entities, relations };
    });
  }

  /** Removes the listed observations of existing entities; returns how many went. */
  async deleteObservations(deletions: Array<{ entityName: string; observations: string[] }>): Promise<number> {
    return this.ctx.tx(async (t) => {
      let n = 0;
      for (const d of deletions) {
        const seq = await t.knowledgeGraph(this.scope).entitySeq(d.entityName);
        if (seq === undefined || d.observations.length === 0) continue;
        const r = await t.db
          .deleteFrom('kg_observations')
          .where('owner_id', '=', this.scope.ownerId)
          .where('project_id', '=', this.scope.projectId)
          .where('entity_seq', '=', seq)
          .where('content', 'in', d.observations)
          .executeTakeFirst();
        n += Number(r.numDeletedRows);
      }
      return n;
    });
  }

  async deleteRelations(relations: GraphRelation[]): Promise<number> {
    return this.ctx.tx(async (t) => {
      let n = 0;
      for (const r of relations) {
        const d = await t.db
          .deleteFrom('kg_relations')
          .where('owner_id', '=', this.scope.ownerId)
          .where('project_id', '=', this.scope.projectId)
          .where('from_name', '=', r.from)
          .where('to_name', '=', r.to)
          .where('relation_type', '=', r.relationType)
          .executeTakeFirst();
        n += Number(d.numDeletedRows);
      }
      return n;
    });
  }

  async entitySeq(name: string): Promise<number | undefined> {
    const row = await this.ctx.db
      .selectFrom('kg_entities')
      .select('seq')
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.seq;
  }

  /** Every entity in creation order, observations in the order they were added. */
  async entities(): Promise<GraphEntity[]> {
    const rows = await this.ctx.db
      .selectFrom('kg_entities')
      .select(['seq', 'name', 'entity_type'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .orderBy('seq')
      .execute();
    const bySeq = new Map<number, GraphEntity>();
    const out = rows.map((r) => {
      const e: GraphEntity = { name: r.name, entityType: r.entity_type, observations: [] };
      bySeq.set(Number(r.seq), e);
      return e;
    });
    const obs = await this.ctx.db
      .selectFrom('kg_observations')
      .select(['entity_seq', 'content'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .orderBy('seq')
      .execute();
    for (const o of obs) bySeq.get(Number(o.entity_seq))?.observations.push(o.content);
    return out;
  }

  async relations(): Promise<GraphRelation[]> {
    const rows = await this.ctx.db
      .selectFrom('kg_relations')
      .select(['from_name', 'to_name', 'relation_type'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ from: r.from_name, to: r.to_name, relationType: r.relation_type }));
  }
}
