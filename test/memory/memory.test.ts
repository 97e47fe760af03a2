// Memory service against a real SQLite store and the real offline embedder: near-duplicate merging,
// hybrid search with filters, pagination, updates, forgetting, isolation, and the in-process vector
// cache staying correct when another connection writes.
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { InvalidInput, NotFound } from '../../src/errors.js';
import { MemoryService, similarityDefaults } from '../../src/services/memory.js';
import { onPostgres, query, queryOne } from '../helpers/database.js';
import { newScope, openApp, tempDir } from './app.js';

const apps: App[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function setup(dir = tempDir()) {
  const app = await openApp(dir);
  apps.push(app);
  return { dir, app, mem: app.deps.service(MemoryService), scope: await newScope(app) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FACTS = [
  'The API server listens on port 8080 and reads its port from CTXGATE_PORT.',
  'Use pnpm, not npm, in this repository.',
  'Alice maintains the billing service and reviews its pull requests.',
  'Production deploys happen every Tuesday after the standup.',
  'The staging database password is rotated monthly by the ops team.',
  'Integration tests need Docker running locally.',
];

describe('memory service', () => {
  it('stores a memory with normalised tags and reads it back', async () => {
    const { mem, scope } = await setup();
    const r = await mem.add(scope, { text: '  Use pnpm, not npm, in this repository. ', tags: ['Tooling', 'tooling ', 'JS'], source: 'user' });
    expect(r.merged).toBe(false);
    expect(r.similarity).toBeNull();
    expect(r.id).toMatch(/^mem_/);
    const got = await mem.get(scope, r.id);
    expect(got).toMatchObject({ id: r.id, text: 'Use pnpm, not npm, in this repository.', tags: ['tooling', 'js'], source: 'user', merge_count: 0 });
    expect(got.created_at).toBe(got.updated_at);
  });

  it('merges a near-duplicate into the existing memory instead of storing it twice', async () => {
    const { mem, scope, app } = await setup();
    const hybridEmbedder = (await app.deps.embedder()).id;
    const first = await mem.add(scope, { text: 'The user prefers dark mode in the editor.', tags: ['ui'] });
    await mem.add(scope, { text: 'Production deploys happen every Tuesday.' });
    const second = await mem.add(scope, { text: 'The user prefers the dark mode in their editor', tags: ['prefs'], source: 'chat' });
    expect(second.merged).toBe(true);
    expect(second.id).toBe(first.id);
    expect(second.similarity!).toBeGreaterThanOrEqual(similarityDefaults(hybridEmbedder).dedupe);
    expect(second.previous_text).toBe('The user prefers dark mode in the editor.');
    expect(second.memory).toMatchObject({ text: 'The user prefers the dark mode in their editor', tags: ['ui', 'prefs'], source: 'chat', merge_count: 1 });
    expect((await mem.list(scope, { limit: 10, offset: 0, order: 'newest' })).total).toBe(2);

    // A different fact about the same subject is not a duplicate.
    const other = await mem.add(scope, { text: 'The user wants the editor font size at 14 points.' });
    expect(other.merged).toBe(false);
    // dedupe: false always stores.
    const forced = await mem.add(scope, { text: 'The user prefers dark mode in the editor.', dedupe: false });
    expect(forced.merged).toBe(false);
    expect(forced.id).not.toBe(first.id);
    expect((await mem.list(scope, { limit: 10, offset: 0, order: 'newest' })).total).toBe(4);
  });

  it('hybrid search ranks the relevant memory first; semantic finds paraphrases, keyword needs the words', async () => {
    const { mem, scope } = await setup();
    const ids = [];
    for (const text of FACTS) ids.push((await mem.add(scope, { text })).id);

    const hybrid = await mem.search(scope, { query: 'which port does the server listen on', topK: 3, mode: 'hybrid' });
    expect(hybrid.results[0]!.id).toBe(ids[0]);
    expect(hybrid.results[0]!.keyword_rank).toBe(1);
    expect(hybrid.results[0]!.semantic_rank).toBe(1);
    expect(hybrid.results).toHaveLength(3);
    expect(hybrid.candidates).toBe(FACTS.length);
    expect(hybrid.embedder).toMatch(/^offline/);

    // A paraphrase: semantic ranking finds it; its distinctive words ("db", "secrets") are not in the text.
    const para = await mem.search(scope, { query: 'how often are db secrets rotated', topK: 2, mode: 'semantic' });
    expect(para.results[0]!.id).toBe(ids[4]);
    expect(para.results[0]!.semantic_rank).toBe(1);
    expect(para.results[0]!.keyword_rank).toBeNull();
    const kwOnly = await mem.search(scope, { query: 'db secrets', topK: 5, mode: 'keyword' });
    expect(kwOnly.results).toEqual([]);

    // Keyword mode finds exact identifiers and stems (deploys ~ deploy).
    const kw = await mem.search(scope, { query: 'CTXGATE_PORT', topK: 5, mode: 'keyword' });
    expect(kw.results.map((r) => r.id)).toEqual([ids[0]]);
    const stem = await mem.search(scope, { query: 'deploy', topK: 5, mode: 'keyword' });
    expect(stem.results.map((r) => r.id)).toEqual([ids[3]]);

    // min_similarity drops weak matches.
    const strict = await mem.search(scope, { query: 'which port does the server listen on', topK: 5, mode: 'hybrid', minSimilarity: 0.5 });
    expect(strict.results.map((r) => r.id)).toEqual([ids[0]]);
  });

  it('filters search and lists by tags, source and time range', async () => {
    const { mem, scope } = await setup();
    const a = await mem.add(scope, { text: 'The frontend is built with Vite.', tags: ['frontend', 'build'], source: 'README.md' });
    await sleep(15);
    const t1 = new Date().toISOString();
    await sleep(15);
    const b = await mem.add(scope, { text: 'The backend is built with esbuild.', tags: ['backend', 'build'] });
    const c = await mem.add(scope, { text: 'The frontend uses React 19.', tags: ['frontend'] });

    const q = { query: 'how is it built', topK: 10, mode: 'hybrid' as const };
    const ids = async (f: object) => (await mem.search(scope, { ...q, ...f })).results.map((r) => r.id).sort();
    expect(await ids({ tags: ['FRONTEND'] })).toEqual([a.id, c.id].sort());
    expect(await ids({ tags: ['frontend', 'build'], matchAllTags: true })).toEqual([a.id]);
    expect(await ids({ tags: ['frontend', 'backend'] })).toEqual([a.id, b.id, c.id].sort());
    expect(await ids({ since: t1 })).toEqual([b.id, c.id].sort());
    expect(await ids({ until: t1 })).toEqual([a.id]);
    expect(await ids({ source: 'README.md' })).toEqual([a.id]);
    expect(await ids({ tags: ['nope'] })).toEqual([]);

    const listed = await mem.list(scope, { limit: 10, offset: 0, order: 'oldest', tags: ['build'] });
    expect(listed.memories.map((m) => m.id)).toEqual([a.id, b.id]);
    expect((await mem.list(scope, { limit: 10, offset: 0, order: 'newest', since: t1 })).memories.map((m) => m.id)).toEqual([c.id, b.id]);

    await expect(mem.search(scope, { ...q, since: 'yesterday-ish' })).rejects.toThrow(InvalidInput);
    await expect(mem.search(scope, { ...q, since: '2026-02-01', until: '2026-01-01' })).rejects.toThrow(/since/);
  });

  it('paginates with a stable order, total and next_offset', async () => {
    const { mem, scope } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await mem.add(scope, { text: `Fact number ${i}: component ${'abcdefg'[i]} owns queue ${i * 11}.`, dedupe: false })).id);
    const p1 = await mem.list(scope, { limit: 3, offset: 0, order: 'oldest' });
    const p2 = await mem.list(scope, { limit: 3, offset: p1.next_offset!, order: 'oldest' });
    const p3 = await mem.list(scope, { limit: 3, offset: p2.next_offset!, order: 'oldest' });
    expect(p1.total).toBe(7);
    expect([...p1.memories, ...p2.memories, ...p3.memories].map((m) => m.id)).toEqual(ids);
    expect(p3.next_offset).toBeNull();
    expect((await mem.list(scope, { limit: 2, offset: 0, order: 'newest' })).memories.map((m) => m.id)).toEqual([ids[6], ids[5]]);
  });

  it('updates text (re-embedded, re-indexed), tags and source; deletes', async () => {
    const { mem, scope } = await setup();
    const m = await mem.add(scope, { text: 'The API server listens on port 8080.', tags: ['ops'], source: 'README.md' });
    await mem.add(scope, { text: 'Alice maintains the billing service.' });
    const u = await mem.update(scope, m.id, { text: 'Kubernetes namespaces are named after teams.' });
    expect(u.text).toBe('Kubernetes namespaces are named after teams.');
    expect(u.tags).toEqual(['ops']);
    expect(u.updated_at >= u.created_at).toBe(true);
    expect((await mem.search(scope, { query: 'kubernetes namespace naming', topK: 1, mode: 'semantic' })).results[0]!.id).toBe(m.id);
    expect((await mem.search(scope, { query: 'port 8080', topK: 5, mode: 'keyword' })).results).toEqual([]);

    const t = await mem.update(scope, m.id, { tags: ['K8S'], source: null });
    expect(t).toMatchObject({ tags: ['k8s'], source: null, text: 'Kubernetes namespaces are named after teams.' });
    await expect(mem.update(scope, m.id, {})).rejects.toThrow(InvalidInput);
    await expect(mem.update(scope, 'mem_missing', { tags: [] })).rejects.toThrow(NotFound);

    expect(await mem.delete(scope, m.id)).toEqual({ id: m.id, deleted: true });
    await expect(mem.get(scope, m.id)).rejects.toThrow(NotFound);
    await expect(mem.delete(scope, m.id)).rejects.toThrow(NotFound);
    expect((await mem.search(scope, { query: 'kubernetes namespace naming', topK: 5, mode: 'hybrid' })).results.map((r) => r.id)).not.toContain(m.id);
  });

  it('forgets by query and by filter, with a dry run that deletes nothing', async () => {
    const { mem, scope } = await setup();
    const ids = [];
    for (const text of FACTS) ids.push((await mem.add(scope, { text, tags: text.includes('database') || text.includes('Docker') ? ['infra'] : [] })).id);
    const extra = await mem.add(scope, { text: 'The staging database runs PostgreSQL 15 on its own host.', tags: ['infra'] });

    const dry = await mem.forget(scope, { query: 'staging database', limit: 100, dryRun: true });
    expect(dry.dry_run).toBe(true);
    expect(dry.deleted).toBe(0);
    expect(dry.memories.map((m) => m.id).sort()).toEqual([ids[4], extra.id].sort());
    expect((await mem.list(scope, { limit: 100, offset: 0, order: 'newest' })).total).toBe(7);

    const real = await mem.forget(scope, { query: 'staging database', limit: 1, dryRun: false });
    expect(real).toMatchObject({ matched: 2, deleted: 1, truncated: true });
    const again = await mem.forget(scope, { query: 'staging database', limit: 100, dryRun: false });
    expect(again).toMatchObject({ matched: 1, deleted: 1, truncated: false });
    expect((await mem.search(scope, { query: 'staging database', topK: 10, mode: 'keyword' })).results).toEqual([]);

    const byTag = await mem.forget(scope, { tags: ['infra'], limit: 100, dryRun: false });
    expect(byTag.memories.map((m) => m.id)).toEqual([ids[5]]);
    const byIds = await mem.forget(scope, { ids: [ids[0]!, 'mem_unknown'], limit: 100, dryRun: false });
    expect(byIds.memories.map((m) => m.id)).toEqual([ids[0]]);
    expect((await mem.list(scope, { limit: 100, offset: 0, order: 'oldest' })).memories.map((m) => m.id)).toEqual([ids[1], ids[2], ids[3]]);
    await expect(mem.forget(scope, { limit: 100, dryRun: false })).rejects.toThrow(InvalidInput);
  });

  it('never lets one project reach another project\'s memories', async () => {
    const { mem, scope, app } = await setup();
    const other = await newScope(app, 'other');
    const sibling = { ownerId: scope.ownerId, projectId: other.projectId };
    const m = await mem.add(scope, { text: 'The staging database password is rotated monthly.', tags: ['secret'] });
    for (const s of [other, sibling]) {
      await expect(mem.get(s, m.id)).rejects.toThrow(NotFound);
      await expect(mem.delete(s, m.id)).rejects.toThrow(NotFound);
      await expect(mem.update(s, m.id, { text: 'hijacked' })).rejects.toThrow(NotFound);
      expect((await mem.search(s, { query: 'staging database password', topK: 5, mode: 'hybrid' })).results).toEqual([]);
      expect((await mem.list(s, { limit: 10, offset: 0, order: 'newest' })).total).toBe(0);
      expect((await mem.forget(s, { ids: [m.id], limit: 10, dryRun: false })).deleted).toBe(0);
      // The same text elsewhere is a new memory, not a merge into ours.
      expect((await mem.add(s, { text: 'The staging database password is rotated monthly.' })).merged).toBe(false);
    }
    expect((await mem.get(scope, m.id)).text).toBe('The staging database password is rotated monthly.');
  });

  it('sees writes made through another connection (another process) and re-embeds rows of another embedder', async () => {
    const { mem, scope, dir, app } = await setup();
    const a = await mem.add(scope, { text: 'The API server listens on port 8080.' });
    expect((await mem.search(scope, { query: 'billing service owner', topK: 5, mode: 'hybrid' })).results.map((r) => r.id)).toEqual([a.id]);

    const second = await openApp(dir);
    apps.push(second);
    const mem2 = second.deps.service(MemoryService);
    const b = await mem2.add(scope, { text: 'Alice maintains the billing service.' });
    await mem2.delete(scope, a.id);
    // First app's cached vectors are stale; the version counter tells it so.
    const hits = (await mem.search(scope, { query: 'billing service owner', topK: 5, mode: 'semantic' })).results.map((r) => r.id);
    expect(hits).toEqual([b.id]);
    // Duplicate detection also sees the other connection's write.
    expect((await mem.add(scope, { text: 'Alice maintains the billing service.' })).merged).toBe(true);

    // Rows written by a different embedder are re-embedded with the active one before use.
    await query(app.deps, "UPDATE memories SET embedder_id = 'old-model', embedding = ? WHERE id = ?", Buffer.alloc(16), b.id);
    const found = await mem.search(scope, { query: 'who maintains billing', topK: 1, mode: 'semantic' });
    expect(found.results[0]!.id).toBe(b.id);
    expect(found.results[0]!.similarity).toBeGreaterThan(0.5);
    const embedder = await app.deps.embedder();
    const row = await queryOne<{ embedder_id: string; n: number }>(app.deps, `SELECT embedder_id, ${onPostgres ? 'octet_length' : 'length'}(embedding) AS n FROM memories WHERE id = ?`, b.id);
    expect(row).toEqual({ embedder_id: embedder.id, n: embedder.dim * 4 });
  });

  it('keeps the keyword index in step with the table', async () => {
    const { mem, scope, app } = await setup();
    for (const text of FACTS) await mem.add(scope, { text });
    const first = (await mem.list(scope, { limit: 1, offset: 0, order: 'oldest' })).memories[0]!;
    await mem.update(scope, first.id, { text: 'Renamed fact about zebras.' });
    await mem.delete(scope, (await mem.list(scope, { limit: 1, offset: 0, order: 'newest' })).memories[0]!.id);
    // FTS5's own consistency check against the content table throws on any drift (PostgreSQL's
    // tsvector is a generated column: it cannot drift).
    if (!onPostgres) await query(app.deps, "INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)");
    expect((await mem.search(scope, { query: 'zebras', topK: 5, mode: 'keyword' })).results.map((r) => r.id)).toEqual([first.id]);
  });
});
