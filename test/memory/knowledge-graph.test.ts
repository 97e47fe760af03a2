// Knowledge graph service against a real SQLite store: the reference MCP memory server's semantics,
// doubles ignored, cascade on entity deletion, per-project isolation, persistence across reopen.
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { NotFound } from '../../src/errors.js';
import { KnowledgeGraphService } from '../../src/services/knowledge-graph.js';
import { newScope, openApp, tempDir } from './app.js';

const apps: App[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

function setup() {
  const dir = tempDir();
  const app = openApp(dir);
  apps.push(app);
  return { dir, app, kg: app.deps.service(KnowledgeGraphService), scope: newScope(app) };
}

describe('knowledge graph', () => {
  it('creates entities once: existing names and repeats within a call are ignored, observations deduplicated', () => {
    const { kg, scope } = setup();
    const first = kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: ['likes tea', 'likes tea', 'works on billing'] },
      { name: 'Alice', entityType: 'robot', observations: ['ignored'] },
      { name: 'billing', entityType: 'service', observations: [] },
    ]);
    expect(first).toEqual([
      { name: 'Alice', entityType: 'person', observations: ['likes tea', 'works on billing'] },
      { name: 'billing', entityType: 'service', observations: [] },
    ]);
    const again = kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: ['new fact'] },
      { name: 'Bob', entityType: 'person', observations: [] },
    ]);
    expect(again.map((e) => e.name)).toEqual(['Bob']);
    expect(kg.readGraph(scope).entities).toEqual([
      { name: 'Alice', entityType: 'person', observations: ['likes tea', 'works on billing'] },
      { name: 'billing', entityType: 'service', observations: [] },
      { name: 'Bob', entityType: 'person', observations: [] },
    ]);
  });

  it('creates relations once and returns only the new ones', () => {
    const { kg, scope } = setup();
    kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: [] },
      { name: 'billing', entityType: 'service', observations: [] },
    ]);
    const r = { from: 'Alice', to: 'billing', relationType: 'maintains' };
    expect(kg.createRelations(scope, [r, r])).toEqual([r]);
    expect(kg.createRelations(scope, [r, { ...r, relationType: 'uses' }])).toEqual([{ ...r, relationType: 'uses' }]);
    expect(kg.readGraph(scope).relations).toEqual([r, { ...r, relationType: 'uses' }]);
  });

  it('adds only new observations, and an unknown entity fails the whole call with nothing written', () => {
    const { kg, scope } = setup();
    kg.createEntities(scope, [{ name: 'Alice', entityType: 'person', observations: ['likes tea'] }]);
    expect(kg.addObservations(scope, [{ entityName: 'Alice', contents: ['likes tea', 'speaks French', 'speaks French'] }])).toEqual([
      { entityName: 'Alice', addedObservations: ['speaks French'] },
    ]);
    let err: unknown;
    try {
      kg.addObservations(scope, [
        { entityName: 'Alice', contents: ['should not stay'] },
        { entityName: 'Nobody', contents: ['x'] },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotFound);
    expect((err as Error).message).toBe('Entity with name Nobody not found');
    expect(kg.openNodes(scope, ['Alice']).entities[0]!.observations).toEqual(['likes tea', 'speaks French']);
  });

  it('deleting an entity removes its observations and every relation touching it', () => {
    const { kg, scope } = setup();
    kg.createEntities(scope, [
      { name: 'A', entityType: 't', observations: ['a1'] },
      { name: 'B', entityType: 't', observations: [] },
      { name: 'C', entityType: 't', observations: [] },
    ]);
    kg.createRelations(scope, [
      { from: 'A', to: 'B', relationType: 'r' },
      { from: 'C', to: 'A', relationType: 'r' },
      { from: 'B', to: 'C', relationType: 'r' },
    ]);
    expect(kg.deleteEntities(scope, ['A', 'missing'])).toEqual({ entities: 1, relations: 2 });
    expect(kg.readGraph(scope)).toEqual({
      entities: [
        { name: 'B', entityType: 't', observations: [] },
        { name: 'C', entityType: 't', observations: [] },
      ],
      relations: [{ from: 'B', to: 'C', relationType: 'r' }],
    });
    // A re-created entity starts clean: no observation survived the delete.
    expect(kg.createEntities(scope, [{ name: 'A', entityType: 't', observations: [] }])[0]!.observations).toEqual([]);
    expect(kg.openNodes(scope, ['A']).entities[0]!.observations).toEqual([]);
  });

  it('deletes observations and relations exactly, ignoring unknown ones', () => {
    const { kg, scope } = setup();
    kg.createEntities(scope, [{ name: 'A', entityType: 't', observations: ['keep', 'drop'] }]);
    kg.createRelations(scope, [
      { from: 'A', to: 'X', relationType: 'r' },
      { from: 'A', to: 'X', relationType: 's' },
    ]);
    expect(kg.deleteObservations(scope, [{ entityName: 'A', observations: ['drop', 'never there'] }, { entityName: 'Nobody', observations: ['x'] }])).toBe(1);
    expect(kg.deleteRelations(scope, [{ from: 'A', to: 'X', relationType: 'r' }, { from: 'X', to: 'A', relationType: 's' }])).toBe(1);
    expect(kg.readGraph(scope)).toEqual({
      entities: [{ name: 'A', entityType: 't', observations: ['keep'] }],
      relations: [{ from: 'A', to: 'X', relationType: 's' }],
    });
  });

  it('search_nodes matches name, type and observations case-insensitively; relations need one matching endpoint', () => {
    const { kg, scope } = setup();
    kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: ['Works on the BILLING service'] },
      { name: 'billing-api', entityType: 'Service', observations: [] },
      { name: 'Carol', entityType: 'person', observations: ['likes hiking'] },
    ]);
    kg.createRelations(scope, [
      { from: 'Alice', to: 'Carol', relationType: 'knows' },
      { from: 'Carol', to: 'Carol', relationType: 'self' },
    ]);
    const byObservation = kg.searchNodes(scope, 'billing');
    expect(byObservation.entities.map((e) => e.name)).toEqual(['Alice', 'billing-api']);
    expect(byObservation.relations).toEqual([{ from: 'Alice', to: 'Carol', relationType: 'knows' }]);
    expect(kg.searchNodes(scope, 'SERVICE').entities.map((e) => e.name)).toEqual(['Alice', 'billing-api']);
    expect(kg.searchNodes(scope, 'PERSON').entities.map((e) => e.name)).toEqual(['Alice', 'Carol']);
    expect(kg.searchNodes(scope, 'nothing like this')).toEqual({ entities: [], relations: [] });
  });

  it('open_nodes returns the named entities and relations with at least one endpoint among them', () => {
    const { kg, scope } = setup();
    kg.createEntities(scope, [
      { name: 'A', entityType: 't', observations: [] },
      { name: 'B', entityType: 't', observations: [] },
      { name: 'C', entityType: 't', observations: [] },
    ]);
    kg.createRelations(scope, [
      { from: 'A', to: 'B', relationType: 'r' },
      { from: 'B', to: 'C', relationType: 'r' },
    ]);
    const g = kg.openNodes(scope, ['A', 'missing']);
    expect(g.entities.map((e) => e.name)).toEqual(['A']);
    expect(g.relations).toEqual([{ from: 'A', to: 'B', relationType: 'r' }]);
  });

  it('keeps projects and owners apart', () => {
    const { kg, scope, app } = setup();
    const other = newScope(app, 'other');
    const sameOwnerOtherProject = { ownerId: scope.ownerId, projectId: other.projectId };
    kg.createEntities(scope, [{ name: 'Secret', entityType: 't', observations: ['hidden'] }]);
    kg.createRelations(scope, [{ from: 'Secret', to: 'X', relationType: 'r' }]);
    for (const s of [other, sameOwnerOtherProject]) {
      expect(kg.readGraph(s)).toEqual({ entities: [], relations: [] });
      expect(kg.searchNodes(s, 'hidden').entities).toEqual([]);
      // Same name elsewhere is a different entity; deleting it there leaves ours alone.
      expect(kg.createEntities(s, [{ name: 'Secret', entityType: 't', observations: [] }])).toHaveLength(1);
      kg.deleteEntities(s, ['Secret']);
      expect(() => kg.addObservations(s, [{ entityName: 'Secret', contents: ['x'] }])).toThrow(NotFound);
    }
    expect(kg.readGraph(scope)).toEqual({
      entities: [{ name: 'Secret', entityType: 't', observations: ['hidden'] }],
      relations: [{ from: 'Secret', to: 'X', relationType: 'r' }],
    });
  });

  it('persists across a restart', async () => {
    const { kg, scope, dir, app } = setup();
    kg.createEntities(scope, [{ name: 'A', entityType: 't', observations: ['o1', 'o2'] }]);
    kg.createRelations(scope, [{ from: 'A', to: 'A', relationType: 'self' }]);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    const reopened = openApp(dir);
    apps.push(reopened);
    expect(reopened.deps.service(KnowledgeGraphService).readGraph(scope)).toEqual({
      entities: [{ name: 'A', entityType: 't', observations: ['o1', 'o2'] }],
      relations: [{ from: 'A', to: 'A', relationType: 'self' }],
    });
  });
});
