// The one retrieval index across the four searchable stores: writes by another process are seen by
// the next search (change stamps in the database), the in-memory vector tables stay within their
// float bound, and one query tokeniser gives the same keyword answer in every store. The keyword leg
// (on PostgreSQL an in-memory index, on SQLite FTS5) is fresh after any write, scoped, filtered and
// bounded too.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { queryTerms } from '../../src/engine/retrieval/index.js';
import { DocumentsService } from '../../src/services/documents.js';
import { KbService, embeddingText } from '../../src/services/kb.js';
import { LookupService, passageEmbeddingText } from '../../src/services/lookup.js';
import { MemoryService } from '../../src/services/memory.js';
import { kbChunkSource } from '../../src/store/kb.js';
import { lookupChunkSource } from '../../src/store/lookup.js';
import { memorySource } from '../../src/store/memory.js';
import { RetrievalIndex, VectorCacheService } from '../../src/store/retrieval.js';
import { queryOne } from '../helpers/database.js';
import { appPool, newScope, writeFromChild } from './app.js';

const { open, dir } = appPool();

const JENKINS = 'The deployment pipeline runs on Jenkins with nightly builds and a manual approval step.';
const PENGUINS = 'Emperor penguins huddle together on Antarctic sea ice to survive the winter storms.';

describe('writes from another process', () => {
  it('documents and memories written by a second process are found by the first one’s next search', async () => {
    const d = dir();
    const app = await open(d);
    const scope = await newScope(app);
    const docs = app.deps.service(DocumentsService);
    const mem = app.deps.service(MemoryService);
    await docs.ingest(scope, { fileId: 'ci.md', text: JENKINS });
    await mem.add(scope, { text: JENKINS });
    expect((await docs.search(scope, { query: 'penguins antarctic ice', mode: 'semantic', topK: 5 })).results.map((r) => r.file_id)).toEqual(['ci.md']);
    expect((await mem.search(scope, { query: 'penguins antarctic ice', mode: 'semantic', topK: 5 })).results).toHaveLength(1);

    const [, added] = (await writeFromChild(d, scope, { op: 'doc-ingest', fileId: 'birds.md', text: PENGUINS }, { op: 'memory-add', text: PENGUINS })) as [unknown, { id: string }];
    expect((await docs.search(scope, { query: 'penguins antarctic ice', mode: 'semantic', topK: 5 })).results[0]?.file_id).toBe('birds.md');
    const found = await mem.search(scope, { query: 'penguins antarctic ice', mode: 'semantic', topK: 5 });
    expect(found.results[0]?.id).toBe(added.id);
    expect(found.candidates).toBe(2);
  });

  it('a second app on the same data dir sees the first one’s writes in every store, lookup included', async () => {
    const d = dir();
    const folder = path.join(d, 'docs');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'ci.md'), JENKINS);
    const a = await open(d, { allowedRoots: [d] });
    const b = await open(d, { allowedRoots: [d] });
    const scope = await newScope(a);
    const lookupIndex = new RetrievalIndex(b.deps, lookupChunkSource(passageEmbeddingText));
    const embedder = await b.deps.embedder();
    await a.deps.service(LookupService).add(scope, { kind: 'folder', path: folder, slug: 'notes' });
    expect((await lookupIndex.table(scope, embedder)).table.size).toBe(1);
    fs.writeFileSync(path.join(folder, 'birds.md'), PENGUINS);
    await a.deps.service(LookupService).add(scope, { kind: 'folder', path: folder, slug: 'notes', replace: true });
    expect((await lookupIndex.table(scope, embedder)).table.size).toBe(2);

    await b.deps.service(KbService).query(scope, { query: 'penguins', topK: 3, mode: 'semantic' });
    await a.deps.service(KbService).ingest(scope, { itemId: 'birds', mode: 'text', content: PENGUINS });
    expect((await b.deps.service(KbService).query(scope, { query: 'penguins antarctic', topK: 3, mode: 'semantic' })).results[0]?.item_id).toBe('birds');
  });
});

describe('vector tables stay within their float bound', () => {
  it('holds at most CTXGATE_VECTOR_CACHE_FLOATS floats over many scopes, and still answers for a scope larger than the bound', async () => {
    const d = dir();
    const probe = await open(d);
    const dim = (await probe.deps.embedder()).dim;
    const bound = dim * 24;
    const app = await open(d, { vectorCacheFloats: bound });
    const cache = app.deps.service(VectorCacheService).cache;
    const mem = app.deps.service(MemoryService);
    const scopes = [await newScope(app, 'a'), await newScope(app, 'b'), await newScope(app, 'c')];
    const sizes = [10, 10, 30]; // the last alone needs more floats than the bound
    for (const [s, scope] of scopes.entries()) {
      for (let i = 0; i < sizes[s]!; i++) {
        await mem.add(scope, { text: `Scope ${s} fact ${i}: the widget labelled zq${s}k${i} weighs ${i * 7 + s} grams.`, dedupe: false });
        expect(cache.floats).toBeLessThanOrEqual(bound);
      }
    }
    for (let round = 0; round < 3; round++) {
      for (const [s, scope] of scopes.entries()) {
        const hit = await mem.search(scope, { query: `widget labelled zq${s}k1`, mode: 'hybrid', topK: 3 });
        expect(hit.candidates).toBe(sizes[s]);
        expect(hit.results[0]!.text).toContain(`zq${s}k1 `);
        expect(cache.floats).toBeLessThanOrEqual(bound);
      }
    }
    // The two small scopes fit together and stay cached; the large one is never held.
    expect(cache.size).toBeGreaterThan(0);
    expect(vectorKeys(app).some((k) => k.includes(scopes[2]!.projectId))).toBe(false);
    // A deleted project's tables can be dropped at once.
    await mem.search(scopes[0]!, { query: 'widget', mode: 'semantic', topK: 1 });
    expect(cache.keys().some((k) => k.includes(scopes[0]!.projectId))).toBe(true);
    app.deps.service(VectorCacheService).forgetScope(scopes[0]!);
    expect(cache.keys().some((k) => k.includes(scopes[0]!.projectId))).toBe(false);
  });
});

describe('one query tokeniser', () => {
  const PASSAGES = [
    'Set maxRetries to three before the client gives up on the request.',
    'The retry_count field records how many retries a job has used so far.',
    'Résumé parsing extracts the candidate name from the uploaded file.',
    'Running the tests in parallel halves the time of the whole test suite.',
    'The HTTP server answers NOT FOUND when no route matches the path.',
    'A café near the station serves coffee from seven in the morning.',
  ];
  const QUERIES = ['maxRetries', 'retry_count', 'resume parsing', 'run tests', 'HTTP NOT found', 'cafe', 'Retries OR "tests" *', 'request AND client'];

  it('gives the same keyword answer in documents, kb, memory and lookup', async () => {
    const d = dir();
    const folder = path.join(d, 'corpus');
    fs.mkdirSync(folder);
    PASSAGES.forEach((p, i) => fs.writeFileSync(path.join(folder, `p${i}.txt`), p));
    const app = await open(d, { allowedRoots: [d] });
    const scope = await newScope(app);
    const docs = app.deps.service(DocumentsService);
    const kb = app.deps.service(KbService);
    const mem = app.deps.service(MemoryService);
    for (const [i, p] of PASSAGES.entries()) {
      await docs.ingest(scope, { fileId: `p${i}`, text: p });
      await kb.ingest(scope, { itemId: `p${i}`, mode: 'text', content: p });
      await mem.add(scope, { text: p, dedupe: false });
    }
    await app.deps.service(LookupService).add(scope, { kind: 'folder', path: folder, slug: 'corpus' });
    const lookupIndex = new RetrievalIndex(app.deps, lookupChunkSource(passageEmbeddingText));
    const kbIndex = new RetrievalIndex(app.deps, kbChunkSource(embeddingText));
    const lookupText = async (id: number) => (await queryOne<{ text: string }>(app.deps, 'SELECT text FROM lookup_chunks WHERE rowid = ?', id))!.text;
    const kbText = async (id: number) => (await queryOne<{ text: string }>(app.deps, 'SELECT text FROM kb_chunks WHERE rowid = ?', id))!.text;

    for (const q of QUERIES) {
      const fromDocs = (await docs.search(scope, { query: q, mode: 'keyword', topK: 10 })).results.map((r) => r.text);
      const fromKb = (await kb.query(scope, { query: q, mode: 'keyword', topK: 10 })).results.map((r) => r.passage);
      const fromMemory = (await mem.search(scope, { query: q, mode: 'keyword', topK: 10 })).results.map((r) => r.text);
      const fromLookup = await Promise.all((await lookupIndex.keyword([scope], queryTerms(q), 'any', 10)).map((h) => lookupText(h.id)));
      expect(fromDocs.length, q).toBeGreaterThan(0);
      expect(fromKb, q).toEqual(fromDocs);
      expect(fromMemory, q).toEqual(fromDocs);
      // Lookup indexes each passage with its source name: the same passages match, in bm25 order.
      expect(new Set(fromLookup), q).toEqual(new Set(fromDocs));
      expect(await Promise.all((await kbIndex.keyword([scope], queryTerms(q), 'any', 10)).map((h) => kbText(h.id))), q).toEqual(fromKb);
    }
    // The identifier and its parts: both retry passages, whichever way the query spells it.
    expect((await mem.search(scope, { query: 'maxRetries', mode: 'keyword', topK: 10 })).results.map((r) => r.text).sort()).toEqual([PASSAGES[0], PASSAGES[1]].sort());
  });
});

const inMemory = (app: App) => app.deps.store.dialect.ftsRows !== undefined;
const keywordKeys = (app: App) => app.deps.service(VectorCacheService).cache.keys().filter((k) => k.includes(':keywords'));
const vectorKeys = (app: App) => app.deps.service(VectorCacheService).cache.keys().filter((k) => !k.includes(':keywords'));

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
    await mem.forget(scope, { query: 'pipeline jenkins actions', dryRun: false, limit: 10 });
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
      await mem.add(theirs, { text: `${f} (zanzibar)`, dedupe: false });
    }
    const hits = await keywordTexts(mem, mine, 'nightly builds registry');
    expect(hits.sort()).toEqual([FACTS[0], FACTS[2], FACTS[3]].sort());
    expect(await keywordTexts(mem, mine, 'zanzibar')).toEqual([]);
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

    await keywordTexts(mem, theirs, 'zanzibar');
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
    const bound = dim * 12; // vectors of 12 memories, or the keyword index of ~30
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
