// DocumentsService on a real app (SQLite file or PostgreSQL database, migrations, offline embedder): storage, refresh,
// search modes, skeletons, scoping and transactional delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { chunkText } from '../../src/engine/chunking.js';
import { buildSkeleton } from '../../src/engine/compress.js';
import { blobToVector, vectorToBlob } from '../../src/engine/embeddings/vector.js';
import { countTokens } from '../../src/engine/tokens.js';
import { Conflict, InvalidInput, NotFound, PayloadTooLarge } from '../../src/errors.js';
import type { Scope } from '../../src/registry/define.js';
import { DocumentsService } from '../../src/services/documents.js';
import { FTS_INDEXES } from '../../src/store/dialect.js';
import { queryTerms } from '../../src/engine/retrieval/index.js';
import { query, queryOwnConnection } from '../helpers/database.js';
import { disposeApp, newTenant, openApp, tempDir } from '../jobs/app.js';
import { HANDBOOK, HANDBOOK_SECTIONS, RECIPES } from './fixtures.js';

let app: App;
let docs: DocumentsService;
let a: Scope;
let b: Scope;

beforeAll(async () => {
  app = await openApp(tempDir());
  docs = app.deps.service(DocumentsService);
  a = (await newTenant(app, 'a')).scope;
  b = (await newTenant(app, 'b')).scope;
});
afterAll(async () => {
  await disposeApp(app);
});

function chunkRows(docId: string) {
  return query<{ rowid: number; id: string; idx: number; text: string; embedding: Buffer; embedder_id: string }>(
    app.deps,
    `SELECT rowid, id, idx, text, embedding, embedder_id FROM document_chunks WHERE doc_id = ? ORDER BY idx`,
    docId,
  );
}

/** Keyword rows matching `word` in the scope; on SQLite straight from the FTS5 table (orphans included). */
async function ftsHits(scope: Scope, word: string): Promise<number> {
  const { db, dialect } = app.deps.store;
  return (await dialect.ftsSearch(db, FTS_INDEXES.documentChunks, { terms: queryTerms(word), mode: 'any', scopes: [scope], callerScopes: true, limit: 1000 })).length;
}

describe('ingest', () => {
  it('stores chunks, vectors and counts; identical re-ingest is a no-op; different content conflicts unless replaced', async () => {
    const s = (await newTenant(app, 'ingest')).scope;
    const r = await docs.ingest(s, { fileId: 'ops/handbook.md', text: HANDBOOK, title: 'Handbook' });
    expect(r.status).toBe('created');
    expect(r.doc_id).toMatch(/^doc_/);
    expect(r.tokens_before).toBe(countTokens(HANDBOOK));
    expect(r.tokens_after).toBeGreaterThan(0);
    expect(r.tokens_after).toBeLessThan(r.tokens_before * 0.5);
    expect(r.tokens_saved).toBe(r.tokens_before - r.tokens_after);
    expect(r.chunks).toBe(chunkText(HANDBOOK).length);
    expect(r.chunks_embedded).toBe(r.chunks);
    const embedder = await app.deps.embedder();
    const rows = (await chunkRows(r.doc_id));
    expect(rows).toHaveLength(r.chunks);
    expect(rows.every((c) => c.embedder_id === embedder.id && c.embedding.byteLength === embedder.dim * 4)).toBe(true);
    const [expected] = await embedder.embed([rows[0]!.text]);
    expect(Array.from(blobToVector(rows[0]!.embedding))).toEqual(Array.from(expected!));

    const again = await docs.ingest(s, { fileId: 'ops/handbook.md', text: HANDBOOK, title: 'Handbook' });
    expect(again).toMatchObject({ status: 'unchanged', doc_id: r.doc_id, chunks_embedded: 0, tokens_before: r.tokens_before });
    expect((await chunkRows(r.doc_id)).map((c) => c.id)).toEqual(rows.map((c) => c.id));

    const retitled = await docs.ingest(s, { fileId: 'ops/handbook.md', text: HANDBOOK, title: 'Harbor ops' });
    expect(retitled).toMatchObject({ status: 'updated', doc_id: r.doc_id, chunks_embedded: 0, chunks_reused: r.chunks, title: 'Harbor ops' });
    await expect(docs.ingest(s, { fileId: 'ops/handbook.md', text: RECIPES })).rejects.toThrow(Conflict);
    const replaced = await docs.ingest(s, { fileId: 'ops/handbook.md', text: RECIPES }, { onExisting: 'replace' });
    expect(replaced).toMatchObject({ status: 'updated', doc_id: r.doc_id });
    expect((await docs.get(s, { docId: r.doc_id })).version).toBe(3);
    expect((await docs.get(s, { docId: r.doc_id }, true)).content).toBe(RECIPES);
  });

  it('concurrent ingests of one new file_id: one stores, an identical twin is unchanged, a different one conflicts', async () => {
    const s = (await newTenant(app, 'race')).scope;
    const same = await Promise.all([docs.ingest(s, { fileId: 'r', text: HANDBOOK }), docs.ingest(s, { fileId: 'r', text: HANDBOOK })]);
    expect(same.map((r) => r.status).sort()).toEqual(['created', 'unchanged']);
    expect(same[0]!.doc_id).toBe(same[1]!.doc_id);
    const diff = await Promise.allSettled([docs.ingest(s, { fileId: 'q', text: HANDBOOK }), docs.ingest(s, { fileId: 'q', text: RECIPES })]);
    expect(diff.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((diff.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(Conflict);
    expect((await docs.list(s, { limit: 10, offset: 0 })).total).toBe(2);
  });

  it('rejects bad input naming the field, and stores nothing', async () => {
    const s = (await newTenant(app, 'bad')).scope;
    await expect(docs.ingest(s, { fileId: 'x', text: '   ' })).rejects.toThrow(/content must be a non-empty string/);
    await expect(docs.ingest(s, { fileId: '', text: 'hello' })).rejects.toThrow(InvalidInput);
    await expect(docs.ingest(s, { fileId: 'a\u0000b', text: 'hello' })).rejects.toThrow(/file_id must not contain control characters/);
    const err = await docs.ingest(s, { fileId: 'big', text: 'x'.repeat(2000) }, { maxBytes: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLarge);
    expect((err as PayloadTooLarge).message).toContain('1000 bytes');
    await expect(docs.resolve(s, { docId: 'doc_1', fileId: 'x' })).rejects.toThrow(/exactly one of doc_id or file_id/);
    expect((await docs.list(s, { limit: 10, offset: 0 })).total).toBe(0);
  });
});

describe('refresh', () => {
  it('keeps the stored embeddings (and ids) of unchanged chunks and embeds only the changed ones', async () => {
    const s = (await newTenant(app, 'refresh')).scope;
    const first = await docs.ingest(s, { fileId: 'handbook', text: HANDBOOK });
    const before = (await chunkRows(first.doc_id));
    expect(before.length).toBeGreaterThanOrEqual(3);

    // Plant a sentinel vector on the first chunk: re-embedding would overwrite it with the real one.
    const embedder = await app.deps.embedder();
    const sentinel = new Float32Array(embedder.dim).fill(0);
    sentinel[0] = 1;
    await query(app.deps, `UPDATE document_chunks SET embedding = ? WHERE rowid = ?`, vectorToBlob(sentinel), before[0]!.rowid);

    const changedTail = HANDBOOK_SECTIONS.troubleshooting.replace('75 seconds', '120 seconds') + '\n\nDisk-full errors stop ingest until space is freed.';
    const text = HANDBOOK.replace(HANDBOOK_SECTIONS.troubleshooting, changedTail);
    const r = await docs.refresh(s, { fileId: 'handbook' }, { text });
    expect(r.status).toBe('updated');
    expect(r.doc_id).toBe(first.doc_id);
    expect(r.chunks_reused).toBeGreaterThanOrEqual(2);
    expect(r.chunks_embedded).toBeGreaterThanOrEqual(1);
    expect(r.chunks_reused + r.chunks_embedded).toBe(r.chunks);

    const after = (await chunkRows(first.doc_id));
    // The unchanged first chunk kept its id and its stored (sentinel) vector.
    expect(after[0]!.id).toBe(before[0]!.id);
    expect(Array.from(blobToVector(after[0]!.embedding))).toEqual(Array.from(sentinel));
    // The changed chunk is new text with a fresh, real embedding.
    const changed = after.find((c) => c.text.includes('120 seconds'))!;
    expect(before.some((c) => c.id === changed.id)).toBe(false);
    const [fresh] = await embedder.embed([changed.text]);
    expect(Array.from(blobToVector(changed.embedding))).toEqual(Array.from(fresh!));
    // Keyword index follows the new text.
    expect(await ftsHits(s, '120')).toBeGreaterThanOrEqual(1);
    const search = await docs.search(s, { query: '75 seconds keep-alive', mode: 'keyword', topK: 5 });
    expect(search.results.every((h) => !h.text.includes('75 seconds'))).toBe(true);

    const same = await docs.refresh(s, { docId: first.doc_id }, { text });
    expect(same.status).toBe('unchanged');
    expect((await docs.get(s, { docId: first.doc_id })).version).toBe(2);
  });

  it('re-embeds chunks stored by a different embedder before using them', async () => {
    const s = (await newTenant(app, 'reembed')).scope;
    const r = await docs.ingest(s, { fileId: 'recipes', text: RECIPES });
    const embedder = await app.deps.embedder();
    const junk = new Float32Array(embedder.dim).fill(0.1);
    await query(app.deps, `UPDATE document_chunks SET embedder_id = 'some-old-model', embedding = ? WHERE doc_id = ?`, vectorToBlob(junk), r.doc_id);
    const hits = await docs.search(s, { query: 'feeding the sourdough starter', mode: 'semantic', topK: 1 });
    expect(hits.results[0]!.text).toContain('Feed the starter');
    const rows = (await chunkRows(r.doc_id));
    expect(rows.every((c) => c.embedder_id === embedder.id)).toBe(true);
    const fresh = await embedder.embed(rows.map((c) => c.text));
    rows.forEach((c, i) => expect(Array.from(blobToVector(c.embedding))).toEqual(Array.from(fresh[i]!)));
  });
});

describe('search', () => {
  let handbookId: string;
  let recipesId: string;
  beforeAll(async () => {
    handbookId = (await docs.ingest(a, { fileId: 'handbook', text: HANDBOOK, title: 'Harbor handbook' })).doc_id;
    recipesId = (await docs.ingest(a, { fileId: 'recipes', text: RECIPES, title: 'Bread' })).doc_id;
  });

  it('keyword mode finds an exact identifier through the FTS5 index', async () => {
    const r = await docs.search(a, { query: 'refreshAccessToken', mode: 'keyword', topK: 3 });
    expect(r.embedder).toBeNull();
    expect(r.results.length).toBeGreaterThanOrEqual(1);
    expect(r.results[0]!.text).toContain('refreshAccessToken');
    expect(r.results[0]!).toMatchObject({ doc_id: handbookId, file_id: 'handbook', title: 'Harbor handbook' });
    expect(r.results[0]!.heading_path).toContain('Authentication');
  });

  it('semantic mode ranks the chunk that answers a paraphrased question first', async () => {
    const r = await docs.search(a, { query: 'how long before a bread dough starter doubles in size', mode: 'semantic', topK: 2 });
    expect(r.results[0]!.doc_id).toBe(recipesId);
    const r2 = await docs.search(a, { query: 'which credentials and tokens does a client send to the server', mode: 'semantic', topK: 3, ref: { docId: handbookId } });
    expect(r2.results.every((h) => h.doc_id === handbookId)).toBe(true);
    expect(r2.results[0]!.text).toContain('bearer token');
    expect(r2.searched_documents).toBe(1);
  });

  it('hybrid mode fuses both rankings and honours top_k and the document filter', async () => {
    const all = await docs.search(a, { query: 'refreshAccessToken token expiry', mode: 'hybrid', topK: 2 });
    expect(all.results).toHaveLength(2);
    expect(all.results[0]!.text).toContain('refreshAccessToken');
    expect(all.results[0]!.score).toBeGreaterThan(all.results[1]!.score);
    const one = await docs.search(a, { query: 'baking temperature', mode: 'hybrid', topK: 10, ref: { fileId: 'recipes' } });
    expect(one.results.length).toBeGreaterThan(0);
    expect(one.results.every((h) => h.doc_id === recipesId)).toBe(true);
    expect(one.results.length).toBeLessThanOrEqual((await chunkRows(recipesId)).length);
  });

  it('semantic search sees writes made after it cached the vectors, by this service or another connection', async () => {
    const s = (await newTenant(app, 'cache')).scope;
    await docs.ingest(s, { fileId: 'recipes', text: RECIPES });
    const q = 'quarterly tax filing deadlines for freelancers';
    const first = await docs.search(s, { query: q, mode: 'semantic', topK: 1 });
    expect(first.results[0]!.file_id).toBe('recipes');
    const tax = await docs.ingest(s, { fileId: 'tax', text: '# Taxes\n\nFreelancers file quarterly tax returns; the filing deadlines fall in April, June, September and January.' });
    expect((await docs.search(s, { query: q, mode: 'semantic', topK: 1 })).results[0]!.doc_id).toBe(tax.doc_id);
    await docs.delete(s, { docId: tax.doc_id });
    expect((await docs.search(s, { query: q, mode: 'semantic', topK: 1 })).results[0]!.file_id).toBe('recipes');

    // Another connection (e.g. the CLI) rewrites a vector: the cached matrix must not be used.
    const embedder = await app.deps.embedder();
    const [qv] = await embedder.embed(['shaping dough surface tension']);
    const target = (await chunkRows((await docs.get(s, { fileId: 'recipes' })).doc_id)).at(-1)!;
    await queryOwnConnection(app.deps.config, `UPDATE document_chunks SET embedding = ? WHERE rowid = ?`, vectorToBlob(qv!), target.rowid);
    const after = await docs.search(s, { query: 'shaping dough surface tension', mode: 'semantic', topK: 1 });
    expect(after.results[0]!.chunk_id).toBe(target.id);
    expect(after.results[0]!.score).toBeCloseTo(1, 5);
  });

  it('keyword queries cannot inject FTS5 syntax', async () => {
    const r = await docs.search(a, { query: 'NEAR( "unbalanced * OR AND) col:text', mode: 'keyword', topK: 5 });
    expect(Array.isArray(r.results)).toBe(true);
    await expect(docs.search(a, { query: '   ', mode: 'keyword', topK: 5 })).rejects.toThrow(InvalidInput);
  });

  it('get_context_block returns a chunk with its neighbours', async () => {
    const rows = (await chunkRows(handbookId));
    const mid = rows[1]!;
    const blk = (await docs.block(a, mid.id, 1));
    expect(blk.chunk.text).toBe(mid.text);
    expect(blk.before.map((c) => c.index)).toEqual([0]);
    expect(blk.after.map((c) => c.index)).toEqual([2]);
    expect((await docs.block(a, rows[0]!.id, 2)).before).toEqual([]);
    expect((await docs.block(a, mid.id, 0)).after).toEqual([]);
  });

  it('read_skeleton uses exactly the compress_text ranking over the stored chunks', async () => {
    const embedder = await app.deps.embedder();
    const chunks = chunkText(HANDBOOK);
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    for (const fidelity of ['outline', 'balanced'] as const) {
      const direct = buildSkeleton({ chunks, vectors, fidelity, source: HANDBOOK });
      const stored = await docs.skeleton(a, { docId: handbookId }, { fidelity });
      expect(stored.skeleton).toBe(direct.text);
      expect(stored.stats.compressed_tokens).toBe(direct.tokens);
      expect(stored.stats.original_tokens).toBe(countTokens(HANDBOOK));
    }
    const q = 'refreshAccessToken';
    const [qv] = await embedder.embed([q]);
    const guided = await docs.skeleton(a, { fileId: 'handbook' }, { fidelity: 'outline', query: q });
    expect(guided.skeleton).toBe(buildSkeleton({ chunks, vectors, fidelity: 'outline', source: HANDBOOK, query: q, queryVector: qv }).text);
    expect(guided.skeleton).toContain('refreshAccessToken');
    const raw = await docs.skeleton(a, { docId: handbookId }, { fidelity: 'raw' });
    expect(raw.skeleton).toBe(HANDBOOK);
    expect(raw.passthrough).toBe(true);
  });
});

describe('scoping and delete', () => {
  it('one project cannot see, search, read or delete another project\'s documents', async () => {
    const owner = (await newTenant(app, 'owner')).scope;
    const other = (await newTenant(app, 'other')).scope;
    const sameOwnerOtherProject: Scope = { ownerId: owner.ownerId, projectId: other.projectId };
    const r = await docs.ingest(owner, { fileId: 'private', text: HANDBOOK });
    const chunkId = (await chunkRows(r.doc_id))[0]!.id;
    for (const s of [other, sameOwnerOtherProject]) {
      expect((await docs.list(s, { limit: 50, offset: 0 })).total).toBe(0);
      await expect(docs.get(s, { docId: r.doc_id })).rejects.toThrow(NotFound);
      await expect(docs.get(s, { fileId: 'private' })).rejects.toThrow(NotFound);
      await expect(docs.block(s, chunkId, 1)).rejects.toThrow(NotFound);
      await expect(docs.delete(s, { docId: r.doc_id })).rejects.toThrow(NotFound);
      await expect(docs.skeleton(s, { docId: r.doc_id }, {})).rejects.toThrow(NotFound);
      for (const mode of ['semantic', 'keyword', 'hybrid'] as const) {
        expect((await docs.search(s, { query: 'bearer token refreshAccessToken', mode, topK: 10 })).results).toEqual([]);
      }
    }
    // The same file_id in another project is a separate document.
    const mine = await docs.ingest(other, { fileId: 'private', text: RECIPES });
    expect(mine.status).toBe('created');
    expect(mine.doc_id).not.toBe(r.doc_id);
    expect((await docs.get(owner, { fileId: 'private' })).doc_id).toBe(r.doc_id);
  });

  it('delete removes the document, its chunks, vectors and full-text rows together', async () => {
    const s = (await newTenant(app, 'del')).scope;
    const text = RECIPES + '\n\nThe zanzibarian glaze is brushed on last.';
    const r = await docs.ingest(s, { fileId: 'to-delete', text });
    expect(await ftsHits(s, 'zanzibarian')).toBe(1);
    const out = (await docs.delete(s, { fileId: 'to-delete' }));
    expect(out).toEqual({ deleted: true, doc_id: r.doc_id, file_id: 'to-delete', chunks_deleted: r.chunks });
    expect((await chunkRows(r.doc_id))).toEqual([]);
    expect(await ftsHits(s, 'zanzibarian')).toBe(0);
    await expect(docs.get(s, { docId: r.doc_id })).rejects.toThrow(NotFound);
    // file_id is free again
    expect((await docs.ingest(s, { fileId: 'to-delete', text })).status).toBe('created');
  });

  it('lists documents newest first with paging', async () => {
    const s = (await newTenant(app, 'list')).scope;
    for (let i = 0; i < 5; i++) await docs.ingest(s, { fileId: `doc-${i}`, text: `# Note ${i}\n\nThis is note number ${i}.` });
    const p1 = (await docs.list(s, { limit: 2, offset: 0 }));
    const p3 = (await docs.list(s, { limit: 2, offset: 4 }));
    expect(p1.total).toBe(5);
    expect(p1.documents.map((d) => d.file_id)).toEqual(['doc-4', 'doc-3']);
    expect(p3.documents.map((d) => d.file_id)).toEqual(['doc-0']);
  });
});
