// Knowledge-base tools through the real server and the official MCP SDK client: versions, diffs,
// restore, PDF/DOCX ingest, typed errors that store nothing, and isolation between projects.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/config.js';
import { newId, nowIso } from '../../src/store/db.js';
import { onPostgres, query, queryOne } from '../helpers/database.js';
import { callTool, connectMcp, rest, type TestServer, useServerAndClient } from '../helpers/server.js';

const FIX = path.join(import.meta.dirname, '../fixtures/docs');
const b64 = (f: string) => fs.readFileSync(path.join(FIX, f)).toString('base64');

let server: TestServer;
let client: Client;

const NOTE_V1 = `# Release checklist

1. Run the full test suite.
2. Bump the version in package.json.
3. Tag the release as vX.Y.Z.
4. Publish to npm with the "latest" tag.`;

const NOTE_V2 = `# Release checklist

1. Run the full test suite and the benchmarks.
2. Bump the version in package.json.
3. Tag the release as vX.Y.Z.
4. Publish to npm with the "next" tag first, then promote it.
5. Announce the release in the changelog.`;

useServerAndClient((s, c) => {
  server = s;
  client = c;
});

describe('versions, diff, history, restore', () => {
  it('ingests, edits into new versions, diffs structurally and restores as a new version', async () => {
    const v1 = await callTool(client, 'gc_kb_ingest', { item_id: 'release-checklist', mode: 'text', content: NOTE_V1 });
    expect(v1.isError).toBe(false);
    expect(v1.structured).toMatchObject({ item_id: 'release-checklist', version: 1, status: 'created', format: 'markdown', title: null });
    expect(v1.structured.chunks).toBeGreaterThan(0);

    const same = await callTool(client, 'gc_kb_ingest', { item_id: 'release-checklist', mode: 'text', content: NOTE_V1 });
    expect(same.structured).toMatchObject({ version: 1, status: 'unchanged' });

    const v2 = await callTool(client, 'gc_kb_edit', { item_id: 'release-checklist', content: NOTE_V2 });
    expect(v2.structured).toMatchObject({ version: 2, status: 'updated' });

    const d = await callTool(client, 'gc_kb_diff', { item_id: 'release-checklist' });
    expect(d.isError).toBe(false);
    expect(d.structured).toMatchObject({ from_version: 1, to_version: 2, identical: false, stats: { added: 3, removed: 2 } });
    const lines = d.structured.hunks.flatMap((h: { lines: Array<{ op: string; text: string; old_line: number | null; new_line: number | null }> }) => h.lines);
    expect(lines).toContainEqual({ op: 'remove', text: '4. Publish to npm with the "latest" tag.', old_line: 6, new_line: null });
    expect(lines).toContainEqual({ op: 'add', text: '5. Announce the release in the changelog.', old_line: null, new_line: 7 });
    expect(lines).toContainEqual({ op: 'context', text: '2. Bump the version in package.json.', old_line: 4, new_line: 4 });
    expect(d.structured.unified).toContain('-1. Run the full test suite.');

    const first = await callTool(client, 'gc_kb_diff', { item_id: 'release-checklist', to_version: 1 });
    expect(first.structured).toMatchObject({ from_version: 0, to_version: 1, stats: { added: 6, removed: 0 } });

    const r = await callTool(client, 'gc_kb_restore', { item_id: 'release-checklist', version: 1 });
    expect(r.structured).toMatchObject({ version: 3, status: 'updated', restored_from: 1 });
    const got = await callTool(client, 'gc_kb_get', { item_id: 'release-checklist' });
    expect(got.structured.content).toBe(NOTE_V1);
    expect(got.structured).toMatchObject({ version: 3, versions: 3, returned_version: 3 });
    const old = await callTool(client, 'gc_kb_get', { item_id: 'release-checklist', version: 2 });
    expect(old.structured.content).toBe(NOTE_V2);

    const back = await callTool(client, 'gc_kb_diff', { item_id: 'release-checklist' });
    expect(back.structured).toMatchObject({ from_version: 2, to_version: 3, stats: { added: 2, removed: 3 } });
    const same13 = await callTool(client, 'gc_kb_diff', { item_id: 'release-checklist', from_version: 1, to_version: 3 });
    expect(same13.structured).toMatchObject({ identical: true, hunks: [] });

    const h = await callTool(client, 'gc_kb_history', { item_id: 'release-checklist' });
    expect(h.structured.current_version).toBe(3);
    expect(h.structured.versions.map((v: { version: number; change: string; restored_from: number | null; current: boolean }) => [v.version, v.change, v.restored_from, v.current])).toEqual([
      [3, 'restore', 1, true],
      [2, 'edit', null, false],
      [1, 'ingest', null, false],
    ]);

    // Search sees the current content only: v2's "changelog" line is gone after the restore.
    const q = await callTool(client, 'gc_kb_query', { query: 'changelog announce', mode: 'keyword' });
    expect(q.structured.results.filter((x: { item_id: string }) => x.item_id === 'release-checklist')).toHaveLength(0);
    const q2 = await callTool(client, 'gc_kb_query', { query: 'publish to npm latest tag' });
    expect(q2.structured.results[0]).toMatchObject({ item_id: 'release-checklist', version: 3 });
    expect(q2.structured.results[0].passage).toContain('latest');
  });

  it('unknown item ids and versions are 404s naming the field', async () => {
    for (const [tool, args] of [
      ['gc_kb_get', { item_id: 'nope' }],
      ['gc_kb_edit', { item_id: 'nope', content: 'x' }],
      ['gc_kb_diff', { item_id: 'nope' }],
      ['gc_kb_history', { item_id: 'nope' }],
      ['gc_kb_restore', { item_id: 'nope', version: 1 }],
      ['gc_kb_delete', { item_id: 'nope' }],
    ] as const) {
      const r = await callTool(client, tool, args);
      expect(r.isError, tool).toBe(true);
      expect(r.structured, tool).toMatchObject({ status: 404, error_code: 'not_found', field: 'item_id' });
      expect(r.structured.detail, tool).toContain('item_id');
    }
    await callTool(client, 'gc_kb_ingest', { item_id: 'one-version', content: 'only one version here' });
    const r = await callTool(client, 'gc_kb_restore', { item_id: 'one-version', version: 7 });
    expect(r.structured).toMatchObject({ status: 404, latest_version: 1 });
    expect(r.structured.detail).toContain('no version 7');
    const bad = await callTool(client, 'gc_kb_get', { item_id: 'bad id with spaces' });
    expect(bad.structured).toMatchObject({ status: 422 });
    expect(bad.structured.detail).toContain('item_id');
  });

  it('deletes an item with its versions and passages', async () => {
    await callTool(client, 'gc_kb_ingest', { item_id: 'to-delete', content: 'The cormorant colony nests on the western breakwater.' });
    await callTool(client, 'gc_kb_edit', { item_id: 'to-delete', content: 'The cormorant colony nests on the eastern breakwater.' });
    const del = await rest(server, 'DELETE', '/v1/kb/items/to-delete', { key: server.ownerKey });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ deleted: true, versions_removed: 2, chunks_removed: 1 });
    const q = await callTool(client, 'gc_kb_query', { query: 'cormorant colony breakwater', mode: 'keyword' });
    expect(q.structured.results).toEqual([]);
    const again = await rest(server, 'GET', '/v1/kb/items/to-delete', { key: server.ownerKey });
    expect(again.status).toBe(404);
    expect(Number((await queryOne(server.deps, `SELECT COUNT(*) AS n FROM kb_versions WHERE item_id = 'to-delete'`))!.n)).toBe(0);
    // No keyword row left behind (PostgreSQL's tsvector lives on the deleted row itself).
    if (!onPostgres) expect(await queryOne(server.deps, `SELECT COUNT(*) AS n FROM kb_chunks_fts WHERE kb_chunks_fts MATCH 'cormorant'`)).toEqual({ n: 0 });
  });
});

describe('large ingest', () => {
  it('a large text reports progress (chunked and counted, embedded, stored); a small one reports nothing', async () => {
    const base = ['grep.1.txt', 'body-parser-README.md'].map((f) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/outline', f), 'utf8')).join('\n\n');
    const text = Array.from({ length: 4 }, (_, i) => `# Copy ${i}\n\n${base.replace(/\b(the|a)\b/g, `$1 (${i})`)}`).join('\n\n');
    expect(text.length).toBeGreaterThan(60_000);
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await callTool(client, 'gc_kb_ingest', { item_id: 'big-manual', content: text }, { onprogress: (p) => seen.push(p) });
    expect(r.isError).toBe(false);
    const { tokens, chunks } = r.structured as { tokens: number; chunks: number };
    expect(seen[0]!.message).toBe(`chunked: ${chunks} chunks, ${tokens} tokens, ${chunks} to embed`);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    expect(seen.every((p) => p.total === chunks + 2)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ progress: chunks + 2, message: 'stored' });
    const quiet: typeof seen = [];
    await callTool(client, 'gc_kb_ingest', { item_id: 'small-note', content: 'The staging database is rebuilt every Sunday at 03:00 UTC.' }, { onprogress: (p) => quiet.push(p) });
    expect(quiet).toEqual([]);
  }, 120_000);
});

describe('files', () => {
  it('ingests a PDF page by page and answers with the page number', async () => {
    const r = await callTool(client, 'gc_kb_ingest', { item_id: 'handbook', mode: 'file', filename: 'handbook.pdf', content: b64('handbook.pdf') });
    expect(r.isError).toBe(false);
    expect(r.structured).toMatchObject({ format: 'pdf', pages: 4, title: 'Harbor Station Operations Handbook', source: 'handbook.pdf', source_mode: 'file' });
    const q = await callTool(client, 'gc_kb_query', { query: 'where is the muster point and which vessel is used to evacuate?', top_k: 3 });
    expect(q.structured.results[0]).toMatchObject({ item_id: 'handbook', page: 4 });
    expect(q.structured.results[0].passage).toContain('Petrel');
    const q2 = await callTool(client, 'gc_kb_query', { query: 'reverse osmosis membranes replacement', top_k: 1, item_ids: ['handbook'] });
    expect(q2.structured.results[0]).toMatchObject({ page: 2 });
    const got = await callTool(client, 'gc_kb_get', { item_id: 'handbook' });
    expect(got.structured.pages).toHaveLength(4);
    const p3 = got.structured.pages[2];
    expect(got.structured.content.slice(p3.start, p3.end)).toContain('VHF radio on channel 16');
  });

  it('ingests DOCX keeping headings, and HTML/Markdown by file name', async () => {
    const r = await callTool(client, 'gc_kb_ingest', { item_id: 'policy', mode: 'file', filename: 'policy.docx', content: b64('policy.docx') });
    expect(r.structured).toMatchObject({ format: 'docx', title: 'Remote Work Policy' });
    const got = await callTool(client, 'gc_kb_get', { item_id: 'policy' });
    expect(got.structured.content).toContain('## Eligibility');
    expect(got.structured.content).toContain('| Europe | 10:00 to 15:00 CET |');
    const html = await callTool(client, 'gc_kb_ingest', { item_id: 'policy-html', mode: 'file', filename: 'policy.html', content: b64('src/policy.html') });
    expect(html.structured).toMatchObject({ format: 'html', title: 'Remote Work Policy' });
    const md = await callTool(client, 'gc_kb_ingest', { item_id: 'readme', mode: 'file', filename: 'README.md', content: Buffer.from('# Readme\n\nHello.').toString('base64') });
    expect(md.structured).toMatchObject({ format: 'markdown', title: 'Readme' });
  });

  it('refuses corrupt PDFs (400), oversize files (413 with the cap), other types (415) and unknown modes (400), storing nothing', async () => {
    const before = await queryOne(server.deps, 'SELECT COUNT(*) AS n FROM kb_versions');
    const pdf = fs.readFileSync(path.join(FIX, 'handbook.pdf'));
    const corrupt = Buffer.concat([pdf.subarray(0, 9), Buffer.from('this is not the rest of a PDF '.repeat(20))]);
    const c = await callTool(client, 'gc_kb_ingest', { item_id: 'corrupt', mode: 'file', filename: 'x.pdf', content: corrupt.toString('base64') });
    expect(c.structured).toMatchObject({ status: 400, error_code: 'corrupt_pdf' });

    const big = Buffer.alloc(LIMITS.kbFileBytes + 1, 0x61);
    const o = await callTool(client, 'gc_kb_ingest', { item_id: 'big', mode: 'file', filename: 'big.txt', content: big.toString('base64') });
    expect(o.structured).toMatchObject({ status: 413, limit: LIMITS.kbFileBytes, unit: 'bytes' });
    expect(o.structured.detail).toContain(String(LIMITS.kbFileBytes));
    const ot = await callTool(client, 'gc_kb_ingest', { item_id: 'big', mode: 'text', content: big.toString('latin1') });
    expect(ot.structured).toMatchObject({ status: 413, limit: LIMITS.kbFileBytes, unit: 'bytes' });

    const png = await callTool(client, 'gc_kb_ingest', { item_id: 'img', mode: 'file', filename: 'scan.png', content: b64('scan.png') });
    expect(png.structured).toMatchObject({ status: 415, error_code: 'unsupported_media_type' });
    expect(png.structured.detail).toContain('PDF, TXT, Markdown, DOCX, HTML');

    const scanned = await callTool(client, 'gc_kb_ingest', { item_id: 'scan', mode: 'file', filename: 'scanned.pdf', content: b64('scanned.pdf') });
    expect(scanned.structured).toMatchObject({ status: 422, error_code: 'no_text_layer', pages: 1 });

    const mode = await rest(server, 'POST', '/v1/kb/ingest', { key: server.ownerKey, body: { item_id: 'm', mode: 'ftp', content: 'x' } });
    expect(mode.status).toBe(400);
    expect(JSON.stringify(mode.body)).toContain('mode');

    const b = await callTool(client, 'gc_kb_ingest', { item_id: 'b', mode: 'file', content: '!!!not base64!!!' });
    expect(b.structured).toMatchObject({ status: 400, error_code: 'invalid_base64' });

    expect(await queryOne(server.deps, 'SELECT COUNT(*) AS n FROM kb_versions')).toEqual(before);
    for (const id of ['corrupt', 'big', 'img', 'scan', 'm', 'b']) {
      expect((await callTool(client, 'gc_kb_get', { item_id: id })).structured.status).toBe(404);
    }
  });
});

describe('isolation', () => {
  it('the same item_id in two projects is two items, and no call reaches the other project', async () => {
    // A second project of the same owner, and a key bound to it; plus a different tenant.
    const projectB = newId('prj');
    await query(server.deps, 'INSERT INTO projects (id, owner_id, name, is_default, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)', projectB, server.owner.user_id, 'second', nowIso(), nowIso());
    const keyB = (await server.createKey({ projectId: projectB, name: 'b' })).keyString;
    const keyT = (await server.createKey({ newUser: true, name: 'tenant' })).keyString;
    const cb = await connectMcp(server, { key: keyB });
    const ct = await connectMcp(server, { key: keyT });
    try {
      await callTool(client, 'gc_kb_ingest', { item_id: 'shared-id', content: 'Project A keeps its spare keys in the blue cabinet.' });
      const rb = await callTool(cb, 'gc_kb_ingest', { item_id: 'shared-id', content: 'Project B stores the generator manual in locker nine.' });
      expect(rb.structured).toMatchObject({ status: 'created', version: 1 });

      expect((await callTool(client, 'gc_kb_get', { item_id: 'shared-id' })).structured.content).toContain('blue cabinet');
      expect((await callTool(cb, 'gc_kb_get', { item_id: 'shared-id' })).structured.content).toContain('locker nine');

      const qb = await callTool(cb, 'gc_kb_query', { query: 'where are the spare keys kept? blue cabinet', top_k: 50 });
      expect(qb.structured.results.every((r: { passage: string }) => !r.passage.includes('blue cabinet'))).toBe(true);
      const lb = await callTool(cb, 'gc_kb_list', {});
      expect(lb.structured.items.map((i: { item_id: string }) => i.item_id)).toEqual(['shared-id']);

      // Another tenant sees none of it, and cannot touch it.
      for (const [tool, args] of [
        ['gc_kb_get', { item_id: 'handbook' }],
        ['gc_kb_edit', { item_id: 'handbook', content: 'overwritten' }],
        ['gc_kb_delete', { item_id: 'handbook' }],
        ['gc_kb_history', { item_id: 'handbook' }],
        ['gc_kb_diff', { item_id: 'handbook' }],
        ['gc_kb_restore', { item_id: 'handbook', version: 1 }],
      ] as const) {
        expect((await callTool(ct, tool, args)).structured.status, tool).toBe(404);
      }
      expect((await callTool(ct, 'gc_kb_query', { query: 'Petrel evacuation', item_ids: ['handbook'] })).structured.results).toEqual([]);
      const qt = await callTool(ct, 'gc_kb_query', { query: 'Petrel evacuation vessel muster point', top_k: 50 });
      expect(qt.structured.results).toEqual([]);
      expect(qt.structured.items_searched).toBe(0);

      // Deleting B's item leaves A's.
      await callTool(cb, 'gc_kb_delete', { item_id: 'shared-id' });
      expect((await callTool(client, 'gc_kb_get', { item_id: 'shared-id' })).structured.content).toContain('blue cabinet');

      // project_id may only name the key's own project.
      const other = await callTool(cb, 'gc_kb_list', { project_id: 'prj_someone_else' });
      expect(other.structured).toMatchObject({ status: 403 });
      expect(other.structured.detail).toContain('project_id');
    } finally {
      await cb.close();
      await ct.close();
    }
  });
});

