// Finding 1 (issue 11): a deleted project leaves no trace that another tenant's search can reach.
// Before the fix, delete_project removed the chunk rows but not their full-text rows; the next
// tenant's chunks reused the row ids, so their keyword search matched the deleted project's words.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { loadMigrations, migrate } from '../../src/store/db.js';
import Database from 'better-sqlite3';
import { onPostgres, queryOne } from '../helpers/database.js';

/** Keyword-index rows of `table` matching `word`, whatever row they belong to (SQLite: the FTS5 table itself). */
async function keywordRows(s: TestServer, table: 'document_chunks' | 'kb_chunks' | 'lookup_chunks' | 'memories', word: string): Promise<number> {
  const q = onPostgres
    ? `SELECT COUNT(*) AS n FROM ${table} WHERE fts @@ plainto_tsquery('simple', ?)`
    : `SELECT COUNT(*) AS n FROM ${table}_fts WHERE ${table}_fts MATCH ?`;
  return (await queryOne<{ n: number }>(s.deps, q, word))!.n;
}

const SECRET_WORD = 'quokkanomical';
const call = (s: TestServer, key: string, tool: string, body: Record<string, unknown>) => rest(s, 'POST', `/v1/tools/${tool}`, { key, body });

describe('delete_project erases every trace', () => {
  let s: TestServer;
  let docsRoot: string;
  beforeAll(async () => {
    docsRoot = tempDir('ctxgate-lookup-root-');
    s = await startTestServer({ config: { allowedRoots: [docsRoot] } });
  });
  afterAll(async () => {
    await s.close();
    fs.rmSync(docsRoot, { recursive: true, force: true });
  });

  it("another tenant's keyword search never matches the deleted project's words (documents, KB, lookup)", async () => {
    const p = await call(s, s.ownerKey, 'create_project', { name: 'to-delete' });
    expect(p.status).toBe(201);
    const a = (await s.createKey({ projectId: p.body.id })).keyString;
    const text = `# Notes\n\nThe ${SECRET_WORD} pipeline feeds the ${SECRET_WORD} cache every night.\n`;
    expect((await call(s, a, 'ingest_context', { content: text, file_id: 'notes' })).status).toBe(200);
    expect((await call(s, a, 'gc_kb_ingest', { item_id: 'notes', mode: 'text', content: text })).status).toBeLessThan(300);
    const folderA = path.join(docsRoot, 'a');
    fs.mkdirSync(folderA);
    fs.writeFileSync(path.join(folderA, 'README.md'), text);
    expect((await call(s, a, 'add_lookup_source', { kind: 'folder', path: folderA, slug: 'team-docs' })).status).toBeLessThan(300);
    // The project's own search finds the word before deletion (the test would be vacuous otherwise).
    const before = await call(s, a, 'search_semantic', { query: SECRET_WORD, mode: 'keyword' });
    expect(before.body.results.length).toBeGreaterThan(0);

    const del = await call(s, s.ownerKey, 'delete_project', { project_id: p.body.id });
    expect(del.status).toBe(200);
    // The full-text indexes hold no row that has no owned row behind it.
    // (SQLite's FTS5 tables are separate; PostgreSQL's keyword index is a column of the row itself.)
    if (!onPostgres) {
      for (const [fts, base] of [['document_chunks_fts', 'document_chunks'], ['kb_chunks_fts', 'kb_chunks'], ['lookup_chunks_fts', 'lookup_chunks']] as const) {
        const orphans = (await queryOne<{ n: number }>(s.deps, `SELECT COUNT(*) AS n FROM ${fts} f WHERE NOT EXISTS (SELECT 1 FROM ${base} c WHERE c.rowid = f.rowid)`))!;
        expect(orphans.n, fts).toBe(0);
      }
    }

    // A second tenant stores unrelated text: its chunks take the freed row ids.
    const b = (await s.createKey({ newUser: true, name: 'tenant-b' })).keyString;
    const other = '# Garden\n\nTomatoes need sun and water every day.\n';
    expect((await call(s, b, 'ingest_context', { content: other, file_id: 'garden' })).status).toBe(200);
    expect((await call(s, b, 'gc_kb_ingest', { item_id: 'garden', mode: 'text', content: other })).status).toBeLessThan(300);
    const folderB = path.join(docsRoot, 'b');
    fs.mkdirSync(folderB);
    fs.writeFileSync(path.join(folderB, 'README.md'), other);
    expect((await call(s, b, 'add_lookup_source', { kind: 'folder', path: folderB, slug: 'garden-docs' })).status).toBeLessThan(300);

    const docs = await call(s, b, 'search_semantic', { query: SECRET_WORD, mode: 'keyword' });
    expect(docs.status).toBe(200);
    expect(docs.body.results).toEqual([]);
    const kb = await call(s, b, 'gc_kb_query', { query: SECRET_WORD, mode: 'keyword' });
    expect(kb.status).toBe(200);
    expect(kb.body.results).toEqual([]);
    // Lookup ranks by meaning too (a nearest passage always comes back), so check its keyword leg
    // where it lives: no full-text row anywhere still matches the deleted word.
    expect((await call(s, b, 'gc_lookup', { query_text: SECRET_WORD, slug: 'garden-docs' })).status).toBe(200);
    for (const table of ['document_chunks', 'kb_chunks', 'lookup_chunks', 'memories'] as const) expect(await keywordRows(s, table, SECRET_WORD), table).toBe(0);
  });

  it('a key bound to the deleted project is refused with a reason, not moved to the default project', async () => {
    const p = await call(s, s.ownerKey, 'create_project', { name: 'short-lived' });
    const k = (await s.createKey({ projectId: p.body.id })).keyString;
    expect((await call(s, s.ownerKey, 'delete_project', { project_id: p.body.id })).status).toBe(200);
    const r = await call(s, k, 'list_documents', {});
    expect([401, 403]).toContain(r.status);
    expect(r.body.detail).toMatch(/project.*deleted/i);
  });

  it('the default project is refused naming the field, and its id', async () => {
    const def = (await rest(s, 'GET', '/v1/projects', { key: s.ownerKey })).body.projects.find((p: { is_default: boolean }) => p.is_default);
    const r = await rest(s, 'DELETE', `/v1/projects/${def.id}`, { key: s.ownerKey });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error_code: 'default_project', field: 'project_id', project_id: def.id });
  });
});

describe('delete_document, gc_kb_delete, delete_memory leave nothing searchable', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s.close());

  it('removes the full-text rows with the owned rows', async () => {
    const k = s.ownerKey;
    const text = `The ${SECRET_WORD} ledger is reconciled weekly.`;
    await call(s, k, 'ingest_context', { content: text, file_id: 'd1' });
    await call(s, k, 'gc_kb_ingest', { item_id: 'k1', mode: 'text', content: text });
    const mem = await call(s, k, 'add_memory', { text });
    expect((await call(s, k, 'delete_document', { file_id: 'd1' })).status).toBe(200);
    expect((await call(s, k, 'gc_kb_delete', { item_id: 'k1' })).status).toBe(200);
    expect((await call(s, k, 'delete_memory', { id: mem.body.id })).status).toBe(200);
    for (const table of ['document_chunks', 'kb_chunks', 'memories'] as const) expect(await keywordRows(s, table, SECRET_WORD), table).toBe(0);
  });
});

describe.skipIf(onPostgres)('migration 0009 purges full-text rows left behind by earlier deletes', () => {
  it('rebuilds the keyword indexes from the owned rows of an existing data dir', async () => {
    const dir = tempDir();
    // An existing data dir: migrations before 0009, with a full-text row whose chunk is gone (the old
    // delete_project left these behind).
    const file = path.join(dir, 'ctxgate.db');
    const old = new Database(file);
    migrate(old, loadMigrations().filter((m) => m.version < 9));
    old.prepare("INSERT INTO document_chunks_fts (rowid, text) VALUES (1, ?)").run(`the ${SECRET_WORD} plan`);
    old.prepare("INSERT INTO kb_chunks_fts (rowid, text) VALUES (1, ?)").run(`the ${SECRET_WORD} plan`);
    old.prepare("INSERT INTO lookup_chunks_fts (rowid, text) VALUES (999999, ?)").run(`the ${SECRET_WORD} plan`);
    old.close();

    const s = await startTestServer({ dataDir: dir });
    try {
      const b = (await s.createKey({ newUser: true, name: 'tenant-b' })).keyString;
      await call(s, b, 'ingest_context', { content: '# Garden\n\nTomatoes need sun.', file_id: 'garden' });
      await call(s, b, 'gc_kb_ingest', { item_id: 'garden', mode: 'text', content: '# Garden\n\nTomatoes need sun.' });
      expect((await call(s, b, 'search_semantic', { query: SECRET_WORD, mode: 'keyword' })).body.results).toEqual([]);
      expect((await call(s, b, 'gc_kb_query', { query: SECRET_WORD, mode: 'keyword' })).body.results).toEqual([]);
      for (const fts of ['document_chunks_fts', 'kb_chunks_fts', 'lookup_chunks_fts']) {
        const n = (await queryOne<{ n: number }>(s.deps, `SELECT COUNT(*) AS n FROM ${fts} WHERE ${fts} MATCH ?`, SECRET_WORD))!;
        expect(n.n, fts).toBe(0);
      }
    } finally {
      await s.close();
    }
  });
});
