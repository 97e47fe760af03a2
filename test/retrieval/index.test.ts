// The one retrieval index across the four searchable stores: writes by another process are seen by
// the next search (change stamps in the database), the in-memory vector tables stay within their
// float bound, and one query tokeniser gives the same keyword answer in every store.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryTerms } from '../../src/engine/retrieval/index.js';
import { DocumentsService } from '../../src/services/documents.js';
import { KbService, embeddingText } from '../../src/services/kb.js';
import { LookupService, passageEmbeddingText } from '../../src/services/lookup.js';
import { MemoryService } from '../../src/services/memory.js';
import { kbChunkSource } from '../../src/store/kb.js';
import { lookupChunkSource } from '../../src/store/lookup.js';
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
    expect(cache.keys().some((k) => k.includes(scopes[2]!.projectId))).toBe(false);
    // A deleted project's tables can be dropped at once.
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
