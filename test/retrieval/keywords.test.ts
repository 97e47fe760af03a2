// The retrieval index's keyword leg as the stores see it, on either backend (on PostgreSQL it is the
// in-memory keyword index, on SQLite FTS5): fresh after another process's or connection's write,
// fresh after this process's own writes, scoped to owner + project, filtered, and within the cache's
// float bound (a scope whose index does not fit is searched in SQL and answers the same).
import { describe, expect, it } from 'vitest';
import { queryTerms } from '../../src/engine/retrieval/index.js';
import type { App } from '../../src/app.js';
import { DocumentsService } from '../../src/services/documents.js';
import { MemoryService } from '../../src/services/memory.js';
import { memorySource } from '../../src/store/memory.js';
import { RetrievalIndex, VectorCacheService } from '../../src/store/retrieval.js';
import { appPool, newScope, writeFromChild } from './app.js';

const { open, dir } = appPool();

const inMemory = (app: App) => app.deps.store.dialect.ftsRows !== undefined;
const keywordKeys = (app: App) => app.deps.service(VectorCacheService).cache.keys().filter((k) => k.includes(':keywords'));

const FACTS = [
  'The deployment pipeline runs on Jenkins with nightly builds and a manual approval step.',
  'Emperor penguins huddle together on Antarctic sea ice to survive the winter storms.',
  'Nightly builds publish their artifacts to the internal package registry.',
  'The registry keeps every artifact for ninety days before pruning it.',
];

async function keywordTexts(mem: MemoryService, scope: { ownerId: string; projectId: string }, query: string, extra: object = {}): Promise<string[]> {
  return (await mem.search(scope, { query, mode: 'keyword', topK: 10, ...extra })).results.map((r) => r.text);
}

describe('keyword search sees every write at once', () => {
  it('after writes by another process and by another connection to the same store', async () => {
    const d = dir();
    const a = await open(d);
    const b = await open(d);
    const scope = await newScope(a);
    const mem = a.deps.service(MemoryService);
    const docs = a.deps.service(DocumentsService);
    await mem.add(scope, { text: FACTS[0]!, dedupe: false });
    await docs.ingest(scope, { fileId: 'ci.md', text: FACTS[0]! });
    expect(await keywordTexts(mem, scope, 'penguins antarctic')).toEqual([]);
    expect((await docs.search(scope, { query: 'penguins antarctic', mode: 'keyword', topK: 5 })).results).toEqual([]);
    if (inMemory(a)) expect(keywordKeys(a).length).toBe(2); // both indexes built and cached

    await writeFromChild(d, scope, { op: 'memory-add', text: FACTS[1]! }, { op: 'doc-ingest', fileId: 'birds.md', text: FACTS[1]! });
    expect(await keywordTexts(mem, scope, 'penguins antarctic')).toEqual([FACTS[1]]);
    expect((await docs.search(scope, { query: 'penguins antarctic', mode: 'keyword', topK: 5 })).results.map((r) => r.file_id)).toEqual(['birds.md']);

    // Another app (its own connection, as a replica): an update and a delete.
    const other = b.deps.service(MemoryService);
    const [penguins] = (await other.search(scope, { query: 'penguins', mode: 'keyword', topK: 1 })).results;
    await other.update(scope, penguins!.id, { text: 'Emperor penguins dive for krill under the ice.' });
    expect(await keywordTexts(mem, scope, 'krill')).toEqual(['Emperor penguins dive for krill under the ice.']);
    expect(await keywordTexts(mem, scope, 'antarctic')).toEqual([]);
    await other.delete(scope, penguins!.id);
    expect(await keywordTexts(mem, scope, 'krill penguins')).toEqual([]);
  });

  it('after this process’s own adds, merges, updates, tag changes and deletes (applied to the cached index)', async () => {
    const app = await open(dir());
    const scope = await newScope(app);
    const mem = app.deps.service(MemoryService);
    const first = await mem.add(scope, { text: FACTS[0]!, tags: ['ci'] });
    expect(await keywordTexts(mem, scope, 'jenkins')).toEqual([FACTS[0]]);
    const cached = keywordKeys(app);
    if (inMemory(app)) expect(cached).toHaveLength(1);

    const second = await mem.add(scope, { text: FACTS[2]!, tags: ['ci'] });
    expect(await keywordTexts(mem, scope, 'registry artifacts')).toEqual([FACTS[2]]);
    await mem.update(scope, second.id, { tags: ['zebracorn'] }); // the keyword text holds the tags
    expect(await keywordTexts(mem, scope, 'zebracorn')).toEqual([FACTS[2]]);
    await mem.update(scope, first.id, { text: 'The pipeline moved from Jenkins to GitHub Actions.' });
    expect(await keywordTexts(mem, scope, 'actions')).toEqual(['The pipeline moved from Jenkins to GitHub Actions.']);
    expect(await keywordTexts(mem, scope, 'nightly approval')).toEqual([FACTS[2]]);
    const merged = await mem.add(scope, { text: 'The pipeline moved from Jenkins to GitHub Actions.', tags: ['quokka'] });
    expect(merged.merged).toBe(true);
    expect(await keywordTexts(mem, scope, 'quokka')).toEqual(['The pipeline moved from Jenkins to GitHub Actions.']);
    await mem.delete(scope, second.id);
    expect(await keywordTexts(mem, scope, 'registry zebracorn')).toEqual([]);
    await mem.forget(scope, { query: "pipeline jenkins actions", dryRun: false, limit: 10 });
    expect(await keywordTexts(mem, scope, 'pipeline quokka')).toEqual([]);
    // The same entry was kept current throughout (not rebuilt under another key).
    expect(keywordKeys(app)).toEqual(cached);
  });
});

describe('keyword search is scoped and filtered', () => {
  it('answers only from the searched project, honours tag filters, and forgets a deleted project’s index', async () => {
    const app = await open(dir());
    const mine = await newScope(app, 'me');
    const theirs = await newScope(app, 'them');
    const mem = app.deps.service(MemoryService);
    for (const [i, f] of FACTS.entries()) {
      await mem.add(mine, { text: f, tags: [i % 2 ? 'odd' : 'even'], dedupe: false });
      await mem.add(theirs, { text: `${f} (theirs)`, dedupe: false });
    }
    const hits = await keywordTexts(mem, mine, 'nightly builds registry');
    expect(hits.sort()).toEqual([FACTS[0], FACTS[2], FACTS[3]].sort());
    expect(await keywordTexts(mem, mine, 'theirs')).toEqual([]);
    expect(await keywordTexts(mem, mine, 'nightly builds registry', { tags: ['even'] })).toEqual([FACTS[0], FACTS[2]].sort((x, y) => hits.indexOf(x) - hits.indexOf(y)));
    const hybrid = (await mem.search(mine, { query: 'nightly builds registry', mode: 'hybrid', topK: 10, tags: ['odd'] })).results.map((r) => r.text);
    expect(hybrid.every((t) => t === FACTS[1] || t === FACTS[3])).toBe(true);
    expect(hybrid).toContain(FACTS[3]);

    // Documents: the keyword leg restricted to one document (`where` in SQL, its metadata in memory).
    const docs = app.deps.service(DocumentsService);
    await docs.ingest(mine, { fileId: 'a.md', text: FACTS[0]! });
    await docs.ingest(mine, { fileId: 'b.md', text: FACTS[2]! });
    for (const mode of ['keyword', 'hybrid'] as const) {
      expect((await docs.search(mine, { query: 'nightly builds', mode, topK: 5, ref: { fileId: 'b.md' } })).results.map((r) => r.file_id)).toEqual(['b.md']);
      expect((await docs.search(mine, { query: 'nightly builds', mode, topK: 5 })).results.map((r) => r.file_id).sort()).toEqual(['a.md', 'b.md']);
    }

    if (inMemory(app)) expect(keywordKeys(app).some((k) => k.includes(mine.projectId))).toBe(true);
    app.deps.service(VectorCacheService).forgetScope(mine);
    expect(keywordKeys(app).some((k) => k.includes(mine.projectId))).toBe(false);
    expect(keywordKeys(app).some((k) => k.includes(theirs.projectId))).toBe(inMemory(app));
  });
});

describe('keyword indexes stay within the cache bound', () => {
  it('never holds more than the bound; a scope too large for it is searched in SQL with the same answers', async () => {
    const d = dir();
    const probe = await open(d);
    const dim = (await probe.deps.embedder()).dim;
    const bound = dim * 24; // vectors of ~24 memories, and their keyword indexes, in all
    const app = await open(d, { vectorCacheFloats: bound });
    const cache = app.deps.service(VectorCacheService).cache;
    const mem = app.deps.service(MemoryService);
    const small = await newScope(app, 'small');
    const large = await newScope(app, 'large');
    for (let i = 0; i < 6; i++) await mem.add(small, { text: `Small fact ${i}: the gadget zs${i} weighs ${i} grams.`, dedupe: false });
    for (let i = 0; i < 40; i++) await mem.add(large, { text: `Large fact ${i}: the widget zl${i} ships with part number pn${i * 13} and ${i % 3 ? 'blue' : 'red'} paint.`, dedupe: false });

    // The answer with the in-memory index (when it fits) and through SQL must agree; compare with
    // an app whose bound holds everything.
    const roomy = await open(d);
    for (const [scope, q] of [
      [small, 'gadget zs3'],
      [large, 'widget zl17 red paint'],
      [large, 'pn13 blue'],
    ] as const) {
      const got = await keywordTexts(mem, scope, q);
      expect(got.length).toBeGreaterThan(0);
      expect(cache.floats).toBeLessThanOrEqual(bound);
      expect(got).toEqual(await keywordTexts(roomy.deps.service(MemoryService), scope, q));
    }
    expect(keywordKeys(app).some((k) => k.includes(large.projectId))).toBe(false);
    if (inMemory(app)) {
      const index = new RetrievalIndex(app.deps, memorySource);
      expect(await index.keywordIndex(large)).toBeNull();
      expect(await index.keywordIndex(small)).not.toBeNull();
      // Both legs of a keyword search that loads no vectors use the same path.
      expect((await index.keyword([large], queryTerms('zl5'), 'any', 3)).length).toBe(1);
    }
  });
});
