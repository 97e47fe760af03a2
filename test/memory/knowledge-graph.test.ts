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

async function setup() {
  const dir = tempDir();
  const app = await openApp(dir);
  apps.push(app);
  return { dir, app, kg: app.deps.service(KnowledgeGraphService), scope: await newScope(app) };
}

describe('knowledge graph', async () => {
  it('creates entities once: existing names and repeats within a call are ignored, observations deduplicated', async () => {
    const { kg, scope } = await setup();
    const first = await kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: ['likes tea', 'likes tea', 'works on billing'] },
      { name: 'Alice', entityType: 'robot', observations: ['ignored'] },
      { name: 'billing', entityType: 'service', observations: [] },
    ]);
    expect(first).toEqual([
      { name: 'Alice', entityType: 'person', observations: ['likes tea', 'works on billing'] },
      { name: 'billing', entityType: 'service', observations: [] },
    ]);
    const again = await kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: ['new fact'] },
      { name: 'Bob', entityType: 'person', observations: [] },
    ]);
    expect(again.map((e) => e.name)).toEqual(['Bob']);
    expect((await kg.readGraph(scope)).entities).toEqual([
      { name: 'Alice', entityType: 'person', observations: ['likes tea', 'works on billing'] },
      { name: 'billing', entityType: 'service', observations: [] },
      { name: 'Bob', entityType: 'person', observations: [] },
    ]);
  });

  it('creates relations once and returns only the new ones', async () => {
    const { kg, scope } = await setup();
    await kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: [] },
      { name: 'billing', entityType: 'service', observations: [] },
    ]);
    const r = { from: 'Alice', to: 'billing', relationType: 'maintains' };
    expect(await kg.createRelations(scope, [r, r])).toEqual([r]);
    expect(await kg.createRelations(scope, [r, { ...r, relationType: 'uses' }])).toEqual([{ ...r, relationType: 'uses' }]);
    expect((await kg.readGraph(scope)).relations).toEqual([r, { ...r, relationType: 'uses' }]);
  });

  it('adds only new observations, and an unknown entity fails the whole call with nothing written', async () => {
    const { kg, scope } = await setup();
    await kg.createEntities(scope, [{ name: 'Alice', entityType: 'person', observations: ['likes tea'] }]);
    expect(await kg.addObservations(scope, [{ entityName: 'Alice', contents: ['likes tea', 'speaks French', 'speaks French'] }])).toEqual([
      { entityName: 'Alice', addedObservations: ['speaks French'] },
    ]);
    let err: unknown;
    try {
      await kg.addObservations(scope, [
        { entityName: 'Alice', contents: ['should not stay'] },
        { entityName: 'Nobody', contents: ['x'] },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotFound);
    expect((err as Error).message).toBe('Entity with name Nobody not found');
    expect((await kg.openNodes(scope, ['Alice'])).entities[0]!.observations).toEqual(['likes tea', 'speaks French']);
  });

  it('deleting an entity removes its observations and every relation touching it', async () => {
    const { kg, scope } = await setup();
    await kg.createEntities(scope, [
      { name: 'A', entityType: 't', observations: ['a1'] },
      { name: 'B', entityType: 't', observations: [] },
      { name: 'C', entityType: 't', observations: [] },
    ]);
    await kg.createRelations(scope, [
      { from: 'A', to: 'B', relationType: 'r' },
      { from: 'C', to: 'A', relationType: 'r' },
      { from: 'B', to: 'C', relationType: 'r' },
    ]);
    expect(await kg.deleteEntities(scope, ['A', 'missing'])).toEqual({ entities: 1, relations: 2 });
    expect(await kg.readGraph(scope)).toEqual({
      entities: [
        { name: 'B', entityType: 't', observations: [] },
        { name: 'C', entityType: 't', observations: [] },
      ],
      relations: [{ from: 'B', to: 'C', relationType: 'r' }],
    });
    // A re-created entity starts clean: no observation survived the delete.
    expect((await kg.createEntities(scope, [{ name: 'A', entityType: 't', observations: [] }]))[0]!.observations).toEqual([]);
    expect((await kg.openNodes(scope, ['A'])).entities[0]!.observations).toEqual([]);
  });

  it('deletes observations and relations exactly, ignoring unknown ones', async () => {
    const { kg, scope } = await setup();
    await kg.createEntities(scope, [{ name: 'A', entityType: 't', observations: ['keep', 'drop'] }]);
    await kg.createRelations(scope, [
      { from: 'A', to: 'X', relationType: 'r' },
      { from: 'A', to: 'X', relationType: 's' },
    ]);
    expect(await kg.deleteObservations(scope, [{ entityName: 'A', observations: ['drop', 'never there'] }, { entityName: 'Nobody', observations: ['x'] }])).toBe(1);
    expect(await kg.deleteRelations(scope, [{ from: 'A', to: 'X', relationType: 'r' }, { from: 'X', to: 'A', relationType: 's' }])).toBe(1);
    expect(await kg.readGraph(scope)).toEqual({
      entities: [{ name: 'A', entityType: 't', observations: ['keep'] }],
      relations: [{ from: 'A', to: 'X', relationType: 's' }],
    });
  });

  it('search_nodes matches name, type and observations case-insensitively; relations need one matching endpoint', async () => {
    const { kg, scope } = await setup();
    await kg.createEntities(scope, [
      { name: 'Alice', entityType: 'person', observations: ['Works on the BILLING service'] },
      { name: 'billing-api', entityType: 'Service', observations: [] },
      { name: 'Carol', entityType: 'person', observations: ['likes hiking'] },
    ]);
    await kg.createRelations(scope, [
      { from: 'Alice', to: 'Carol', relationType: 'knows' },
      { from: 'Carol', to: 'Carol', relationType: 'self' },
    ]);
    const byObservation = await kg.searchNodes(scope, 'billing');
    expect(byObservation.entities.map((e) => e.name)).toEqual(['Alice', 'billing-api']);
    expect(byObservation.relations).toEqual([{ from: 'Alice', to: 'Carol', relationType: 'knows' }]);
    expect((await kg.searchNodes(scope, 'SERVICE')).entities.map((e) => e.name)).toEqual(['Alice', 'billing-api']);
    expect((await kg.searchNodes(scope, 'PERSON')).entities.map((e) => e.name)).toEqual(['Alice', 'Carol']);
    expect(await kg.searchNodes(scope, 'nothing like this')).toEqual({ entities: [], relations: [] });
  });

  it('open_nodes returns the named entities and relations with at least one endpoint among them', async () => {
    const { kg, scope } = await setup();
    await kg.createEntities(scope, [
      { name: 'A', entityType: 't', observations: [] },
      { name: 'B', entityType: 't', observations: [] },
      { name: 'C', entityType: 't', observations: [] },
    ]);
    await kg.createRelations(scope, [
      { from: 'A', to: 'B', relationType: 'r' },
      { from: 'B', to: 'C', relationType: 'r' },
    ]);
    const g = await kg.openNodes(scope, ['A', 'missing']);
    expect(g.entities.map((e) => e.name)).toEqual(['A']);
    expect(g.relations).toEqual([{ from: 'A', to: 'B', relationType: 'r' }]);
  });

  it('keeps projects and owners apart', async () => {
    const { kg, scope, app } = await setup();
    const other = await newScope(app, 'other');
    const sameOwnerOtherProject = { ownerId: scope.ownerId, projectId: other.projectId };
    await kg.createEntities(scope, [{ name: 'Secret', entityType: 't', observations: ['hidden'] }]);
    await kg.createRelations(scope, [{ from: 'Secret', to: 'X', relationType: 'r' }]);
    for (const s of [other, sameOwnerOtherProject]) {
      expect(await kg.readGraph(s)).toEqual({ entities: [], relations: [] });
      expect((await kg.searchNodes(s, 'hidden')).entities).toEqual([]);
      // Same name elsewhere is a different entity; deleting it there leaves ours alone.
      expect(await kg.createEntities(s, [{ name: 'Secret', entityType: 't', observations: [] }])).toHaveLength(1);
      await kg.deleteEntities(s, ['Secret']);
      await expect(kg.addObservations(s, [{ entityName: 'Secret', contents: ['x'] }])).rejects.toThrow(NotFound);
    }
    expect(await kg.readGraph(scope)).toEqual({
      entities: [{ name: 'Secret', entityType: 't', observations: ['hidden'] }],
      relations: [{ from: 'Secret', to: 'X', relationType: 'r' }],
    });
  });

  it('persists across a restart', async () => {
    const { kg, scope, dir, app } = await setup();
    await kg.createEntities(scope, [{ name: 'A', entityType: 't', observations: ['o1', 'o2'] }]);
    await kg.createRelations(scope, [{ from: 'A', to: 'A', relationType: 'self' }]);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    const reopened = await openApp(dir);
    apps.push(reopened);
    expect(await reopened.deps.service(KnowledgeGraphService).readGraph(scope)).toEqual({
      entities: [{ name: 'A', entityType: 't', observations: ['o1', 'o2'] }],
      relations: [{ from: 'A', to: 'A', relationType: 'self' }],
    });
  });
});
