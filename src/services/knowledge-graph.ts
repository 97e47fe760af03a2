// Knowledge graph with the semantics of the reference MCP memory server
// (modelcontextprotocol/servers, src/memory): entities carry ordered observations, relations link
// entity names. Differences are deliberate and only make it stricter about doubles: a name, a
// relation or an observation that already exists (or repeats within one call) is ignored, never
// stored twice. Stored through the knowledge-graph repository (src/store/knowledge-graph.ts).
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { NotFound } from '../errors.js';

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

export class KnowledgeGraphService {
  constructor(private readonly deps: AppDeps) {}

  private repo(scope: Scope) {
    return this.deps.store.knowledgeGraph(scope);
  }

  /** Creates entities whose names are new in the scope; returns only those (as the reference does). */
  createEntities(scope: Scope, entities: Entity[]): Promise<Entity[]> {
    return this.repo(scope).createEntities(entities);
  }

  /** Creates relations not already present; returns only the new ones. Endpoints need not exist yet. */
  createRelations(scope: Scope, relations: Relation[]): Promise<Relation[]> {
    return this.repo(scope).createRelations(relations);
  }

  /**
   * Appends observations to existing entities; per entity, returns the ones actually added.
   * Any unknown entity fails the whole call with nothing written.
   */
  async addObservations(scope: Scope, additions: ObservationAddition[]): Promise<Array<{ entityName: string; addedObservations: string[] }>> {
    const r = await this.repo(scope).addObservations(additions);
    if ('missing' in r) {
      throw new NotFound(`Entity with name ${r.missing} not found`, { field: 'observations[].entityName', entityName: r.missing });
    }
    return r.added;
  }

  /** Deletes entities (unknown names ignored) with their observations and every relation touching them. */
  deleteEntities(scope: Scope, names: string[]): Promise<{ entities: number; relations: number }> {
    return this.repo(scope).deleteEntities(names);
  }

  /** Removes the listed observations; unknown entities or observations are ignored, as in the reference. */
  deleteObservations(scope: Scope, deletions: ObservationDeletion[]): Promise<number> {
    return this.repo(scope).deleteObservations(deletions);
  }

  /** Removes exactly matching relations; others are ignored. */
  deleteRelations(scope: Scope, relations: Relation[]): Promise<number> {
    return this.repo(scope).deleteRelations(relations);
  }

  async readGraph(scope: Scope): Promise<KnowledgeGraph> {
    return { entities: await this.repo(scope).entities(), relations: await this.repo(scope).relations() };
  }

  /**
   * Entities whose name, type or any observation contains the query (case-insensitive), plus every
   * relation with at least one endpoint among them — the reference server's rule.
   */
  async searchNodes(scope: Scope, query: string): Promise<KnowledgeGraph> {
    const q = query.toLowerCase();
    const entities = (await this.repo(scope).entities()).filter(
      (e) => e.name.toLowerCase().includes(q) || e.entityType.toLowerCase().includes(q) || e.observations.some((o) => o.toLowerCase().includes(q)),
    );
    return { entities, relations: await this.relationsTouching(scope, entities) };
  }

  /** The named entities, plus every relation with at least one endpoint among them. */
  async openNodes(scope: Scope, names: string[]): Promise<KnowledgeGraph> {
    const wanted = new Set(names);
    const entities = (await this.repo(scope).entities()).filter((e) => wanted.has(e.name));
    return { entities, relations: await this.relationsTouching(scope, entities) };
  }

  private async relationsTouching(scope: Scope, entities: Entity[]): Promise<Relation[]> {
    const names = new Set(entities.map((e) => e.name));
    return (await this.repo(scope).relations()).filter((r) => names.has(r.from) || names.has(r.to));
  }
}
