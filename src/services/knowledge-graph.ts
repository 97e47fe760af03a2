// Knowledge graph with the semantics of the reference MCP memory server
// (modelcontextprotocol/servers, src/memory): entities carry ordered observations, relations link
// entity names. Differences are deliberate and only make it stricter about doubles: a name, a
// relation or an observation that already exists (or repeats within one call) is ignored, never
// stored twice. Stored in SQLite, every statement scoped by owner and project.
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../registry/define.js';
import { NotFound } from '../errors.js';
import { nowIso } from '../store/db.js';

export interface Entity { name: string; entityType: string; observations: string[] }
export interface Relation { from: string; to: string; relationType: string }
export interface KnowledgeGraph { entities: Entity[]; relations: Relation[] }
export interface ObservationAddition { entityName: string; contents: string[] }
export interface ObservationDeletion { entityName: string; observations: string[] }

/** Sizes the tool schemas enforce; generous enough for any real agent use of the reference server. */
export const KG_LIMITS = {
  batch: 1000,
  nameChars: 500,
  typeChars: 200,
  observationChars: 10_000,
  queryChars: 1000,
} as const;

interface EntityRow { seq: number; name: string; entity_type: string }
interface ObservationRow { entity_seq: number; content: string }
interface RelationRow { from_name: string; to_name: string; relation_type: string }

export class KnowledgeGraphService {
  // Write transactions are IMMEDIATE: they read before writing, and a deferred one would fail with
  // SQLITE_BUSY_SNAPSHOT (not retried) if another process committed in between.
  constructor(private readonly deps: AppDeps) {}

  /** Creates entities whose names are new in the scope; returns only those (as the reference does). */
  createEntities(scope: Scope, entities: Entity[]): Entity[] {
    const db = this.deps.db;
    const insertEntity = db.prepare(
      'INSERT OR IGNORE INTO kg_entities (owner_id, project_id, name, entity_type, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const insertObs = db.prepare(
      'INSERT OR IGNORE INTO kg_observations (owner_id, project_id, entity_seq, content, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    return db.transaction(() => {
      const now = nowIso();
      const created: Entity[] = [];
      for (const e of entities) {
        const r = insertEntity.run(scope.ownerId, scope.projectId, e.name, e.entityType, now);
        if (r.changes === 0) continue; // existing name (or an earlier one in this call): ignored
        const seq = Number(r.lastInsertRowid);
        const kept: string[] = [];
        for (const o of e.observations) {
          if (insertObs.run(scope.ownerId, scope.projectId, seq, o, now).changes === 1) kept.push(o);
        }
        created.push({ name: e.name, entityType: e.entityType, observations: kept });
      }
      return created;
    }).immediate();
  }

  /** Creates relations not already present; returns only the new ones. Endpoints need not exist yet. */
  createRelations(scope: Scope, relations: Relation[]): Relation[] {
    const db = this.deps.db;
    const insert = db.prepare(
      'INSERT OR IGNORE INTO kg_relations (owner_id, project_id, from_name, to_name, relation_type, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    return db.transaction(() => {
      const now = nowIso();
      return relations.filter((r) => insert.run(scope.ownerId, scope.projectId, r.from, r.to, r.relationType, now).changes === 1)
        .map((r) => ({ from: r.from, to: r.to, relationType: r.relationType }));
    }).immediate();
  }

  /**
   * Appends observations to existing entities; per entity, returns the ones actually added.
   * Any unknown entity fails the whole call with nothing written.
   */
  addObservations(scope: Scope, additions: ObservationAddition[]): Array<{ entityName: string; addedObservations: string[] }> {
    const db = this.deps.db;
    const insert = db.prepare(
      'INSERT OR IGNORE INTO kg_observations (owner_id, project_id, entity_seq, content, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    return db.transaction(() => {
      const now = nowIso();
      return additions.map((a) => {
        const seq = this.entitySeq(scope, a.entityName);
        if (seq === undefined) {
          throw new NotFound(`Entity with name ${a.entityName} not found`, { field: 'observations[].entityName', entityName: a.entityName });
        }
        const added = a.contents.filter((c) => insert.run(scope.ownerId, scope.projectId, seq, c, now).changes === 1);
        return { entityName: a.entityName, addedObservations: added };
      });
    }).immediate();
  }

  /** Deletes entities (unknown names ignored) with their observations and every relation touching them. */
  deleteEntities(scope: Scope, names: string[]): { entities: number; relations: number } {
    const db = this.deps.db;
    const delEntity = db.prepare('DELETE FROM kg_entities WHERE owner_id = ? AND project_id = ? AND name = ?');
    const delRelations = db.prepare(
      'DELETE FROM kg_relations WHERE owner_id = ? AND project_id = ? AND (from_name = ? OR to_name = ?)',
    );
    return db.transaction(() => {
      let entities = 0;
      let relations = 0;
      for (const name of new Set(names)) {
        // Observations go with the entity (ON DELETE CASCADE).
        entities += delEntity.run(scope.ownerId, scope.projectId, name).changes;
        relations += delRelations.run(scope.ownerId, scope.projectId, name, name).changes;
      }
      return { entities, relations };
    }).immediate();
  }

  /** Removes the listed observations; unknown entities or observations are ignored, as in the reference. */
  deleteObservations(scope: Scope, deletions: ObservationDeletion[]): number {
    const db = this.deps.db;
    const del = db.prepare('DELETE FROM kg_observations WHERE owner_id = ? AND project_id = ? AND entity_seq = ? AND content = ?');
    return db.transaction(() => {
      let n = 0;
      for (const d of deletions) {
        const seq = this.entitySeq(scope, d.entityName);
        if (seq === undefined) continue;
        for (const o of d.observations) n += del.run(scope.ownerId, scope.projectId, seq, o).changes;
      }
      return n;
    }).immediate();
  }

  /** Removes exactly matching relations; others are ignored. */
  deleteRelations(scope: Scope, relations: Relation[]): number {
    const db = this.deps.db;
    const del = db.prepare(
      'DELETE FROM kg_relations WHERE owner_id = ? AND project_id = ? AND from_name = ? AND to_name = ? AND relation_type = ?',
    );
    return db.transaction(() => {
      let n = 0;
      for (const r of relations) n += del.run(scope.ownerId, scope.projectId, r.from, r.to, r.relationType).changes;
      return n;
    }).immediate();
  }

  readGraph(scope: Scope): KnowledgeGraph {
    return { entities: this.loadEntities(scope), relations: this.loadRelations(scope) };
  }

  /**
   * Entities whose name, type or any observation contains the query (case-insensitive), plus every
   * relation with at least one endpoint among them — the reference server's rule.
   */
  searchNodes(scope: Scope, query: string): KnowledgeGraph {
    const q = query.toLowerCase();
    const entities = this.loadEntities(scope).filter(
      (e) => e.name.toLowerCase().includes(q) || e.entityType.toLowerCase().includes(q) || e.observations.some((o) => o.toLowerCase().includes(q)),
    );
    return { entities, relations: this.relationsTouching(scope, entities) };
  }

  /** The named entities, plus every relation with at least one endpoint among them. */
  openNodes(scope: Scope, names: string[]): KnowledgeGraph {
    const wanted = new Set(names);
    const entities = this.loadEntities(scope).filter((e) => wanted.has(e.name));
    return { entities, relations: this.relationsTouching(scope, entities) };
  }

  private entitySeq(scope: Scope, name: string): number | undefined {
    const row = this.deps.db
      .prepare('SELECT seq FROM kg_entities WHERE owner_id = ? AND project_id = ? AND name = ?')
      .get(scope.ownerId, scope.projectId, name) as { seq: number } | undefined;
    return row?.seq;
  }

  /** Every entity of the scope in creation order, observations in the order they were added. */
  private loadEntities(scope: Scope): Entity[] {
    const db = this.deps.db;
    const rows = db
      .prepare('SELECT seq, name, entity_type FROM kg_entities WHERE owner_id = ? AND project_id = ? ORDER BY seq')
      .all(scope.ownerId, scope.projectId) as EntityRow[];
    const bySeq = new Map<number, Entity>();
    const out = rows.map((r) => {
      const e: Entity = { name: r.name, entityType: r.entity_type, observations: [] };
      bySeq.set(r.seq, e);
      return e;
    });
    const obs = db
      .prepare('SELECT entity_seq, content FROM kg_observations WHERE owner_id = ? AND project_id = ? ORDER BY seq')
      .all(scope.ownerId, scope.projectId) as ObservationRow[];
    for (const o of obs) bySeq.get(o.entity_seq)?.observations.push(o.content);
    return out;
  }

  private loadRelations(scope: Scope): Relation[] {
    const rows = this.deps.db
      .prepare('SELECT from_name, to_name, relation_type FROM kg_relations WHERE owner_id = ? AND project_id = ? ORDER BY seq')
      .all(scope.ownerId, scope.projectId) as RelationRow[];
    return rows.map((r) => ({ from: r.from_name, to: r.to_name, relationType: r.relation_type }));
  }

  private relationsTouching(scope: Scope, entities: Entity[]): Relation[] {
    const names = new Set(entities.map((e) => e.name));
    return this.loadRelations(scope).filter((r) => names.has(r.from) || names.has(r.to));
  }
}
