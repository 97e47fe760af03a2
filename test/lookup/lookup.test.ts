// gc_lookup and its sources through the real server: a fresh server answers offline from the docs of
// the packages installed with ctxgate; added sources stay inside their project; nothing is metered.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { LookupService } from '../../src/services/lookup.js';
import { callTool, connectMcp, rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { query, queryOne } from '../helpers/database.js';

let server: TestServer;
let owner: Client;
let anon: Client;
let docsRoot: string;

beforeAll(async () => {
  docsRoot = tempDir('ctxgate-docs-');
  const folder = path.join(docsRoot, 'handbook');
  fs.mkdirSync(path.join(folder, 'ops'), { recursive: true });
  fs.writeFileSync(
    path.join(folder, 'ops', 'backups.md'),
    '# Backups\n\nThe nightly backup job snapshots the Postgres cluster to the Frankfurt bucket at 02:30 UTC.\n\n## Restoring\n\nRestore with `pgrestore-tool --from frankfurt --point-in-time`, then run the smoke tests.\n',
  );
  fs.writeFileSync(path.join(folder, 'onboarding.txt'), 'New engineers get access to the staging VPN on their second day.\n');
  fs.writeFileSync(path.join(folder, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  server = await startTestServer({ config: { allowedRoots: [docsRoot] } });
  owner = await connectMcp(server, { key: server.ownerKey });
  anon = await connectMcp(server, { key: null });
});
afterAll(async () => {
  await owner?.close();
  await anon?.close();
  await server?.close();
  fs.rmSync(docsRoot, { recursive: true, force: true });
});

describe('built-in index', () => {
  it('answers keyless callers offline from the installed packages, unmetered', async () => {
    // The first look-up since start waits for the built-in index, and says so with progress.
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await callTool(anon, 'gc_lookup', { query_text: 'extract the text of a PDF', slug: 'unpdf', top_k: 3 }, { onprogress: (p) => progress.push(p) });
    expect(r.isError).toBe(false);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.at(-1)!.total).toBeGreaterThan(10);
    expect(progress.at(-1)!.message).toMatch(/indexing the built-in documentation/);
    expect(r.structured.results.length).toBeGreaterThan(0);
    expect(r.structured.results.every((h: { slug: string }) => h.slug === 'unpdf')).toBe(true);
    expect(r.structured.results.map((h: { passage: string }) => h.passage).join('\n')).toContain('extractText');
    const version = JSON.parse(fs.readFileSync(path.join(projectRoot, 'node_modules/unpdf/package.json'), 'utf8')).version;
    expect(r.structured.results[0].version).toBe(version);

    const all = await callTool(anon, 'gc_lookup', { query_text: 'increment a counter metric for given label values', top_k: 3 });
    expect(all.structured.results[0].slug).toBe('prom-client');
    expect(all.structured.sources_searched).toBeGreaterThan(10);

    // Package names work as slugs; REST needs no key either.
    const viaRest = await rest(server, 'POST', '/v1/lookup', { body: { query_text: 'Server and transport setup', slug: '@modelcontextprotocol/sdk', top_k: 2 } });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.results[0].source).toBe('@modelcontextprotocol/sdk');

    const used = (await queryOne<{ n: number }>(server.deps, `SELECT COUNT(*) AS n FROM usage_events WHERE tool = 'gc_lookup'`))!;
    expect(used.n).toBe(0);
  });

  it('lists the built-in sources with their installed versions; unknown slugs are 404s listing the available ones', async () => {
    const l = await callTool(owner, 'list_lookup_sources', {});
    expect(l.structured.indexing).toBe(false);
    const zod = l.structured.sources.find((s: { slug: string }) => s.slug === 'zod');
    const version = JSON.parse(fs.readFileSync(path.join(projectRoot, 'node_modules/zod/package.json'), 'utf8')).version;
    expect(zod).toMatchObject({ builtin: true, kind: 'npm', version });
    expect(zod.chunks).toBeGreaterThan(0);
    const bad = await callTool(anon, 'gc_lookup', { query_text: 'x', slug: 'no-such-framework' });
    expect(bad.structured).toMatchObject({ status: 404, field: 'slug' });
    expect(bad.structured.available).toContain('express');
  });

  it('re-opening the store does not re-index unchanged packages', async () => {
    const builtins = () => query(server.deps, `SELECT slug, indexed_at FROM lookup_sources WHERE builtin = 1 ORDER BY slug`);
    const before = await builtins();
    const fresh = new LookupService(server.deps);
    await fresh.warm();
    expect(await builtins()).toEqual(before);
  });
});

describe('added sources', () => {
  it('indexes an allowed docs folder for its project only', async () => {
    const add = await callTool(owner, 'add_lookup_source', { kind: 'folder', path: path.join(docsRoot, 'handbook'), slug: 'handbook' });
    expect(add.isError).toBe(false);
    expect(add.structured).toMatchObject({ slug: 'handbook', kind: 'folder', builtin: false, files: 2 });

    const hit = await callTool(owner, 'gc_lookup', { query_text: 'how do I restore the database from backup?', slug: 'handbook', top_k: 1 });
    expect(hit.structured.results[0]).toMatchObject({ slug: 'handbook', file: path.join('ops', 'backups.md') });
    expect(hit.structured.results[0].passage).toContain('pgrestore-tool');

    // Not visible without a key, nor to another tenant.
    expect((await callTool(anon, 'gc_lookup', { query_text: 'restore backup', slug: 'handbook' })).structured.status).toBe(404);
    const other = await connectMcp(server, { key: (await server.createKey({ newUser: true, name: 'other' })).keyString });
    try {
      expect((await callTool(other, 'gc_lookup', { query_text: 'restore backup', slug: 'handbook' })).structured.status).toBe(404);
      const everything = await callTool(other, 'gc_lookup', { query_text: 'pgrestore-tool frankfurt nightly backup', top_k: 20 });
      expect(everything.structured.results.some((h: { slug: string }) => h.slug === 'handbook')).toBe(false);
      expect((await callTool(other, 'remove_lookup_source', { slug: 'handbook' })).structured.status).toBe(404);
    } finally {
      await other.close();
    }

    const dup = await callTool(owner, 'add_lookup_source', { kind: 'folder', path: path.join(docsRoot, 'handbook'), slug: 'handbook' });
    expect(dup.structured).toMatchObject({ status: 409 });
    const rm = await callTool(owner, 'remove_lookup_source', { slug: 'handbook' });
    expect(rm.structured).toMatchObject({ slug: 'handbook', removed: true });
    expect(rm.structured.chunks_removed).toBeGreaterThan(0);
    expect((await callTool(owner, 'gc_lookup', { query_text: 'restore backup', slug: 'handbook' })).structured.status).toBe(404);
  });

  it('refuses folders outside the allowed roots, missing packages, and removing built-ins', async () => {
    const outside = await callTool(owner, 'add_lookup_source', { kind: 'folder', path: path.join(projectRoot, 'src') });
    expect(outside.structured).toMatchObject({ status: 403, field: 'path' });
    expect(outside.structured.detail).toContain('CTXGATE_ALLOWED_ROOTS');
    const escape = await callTool(owner, 'add_lookup_source', { kind: 'folder', path: path.join(docsRoot, 'handbook', '..', '..') });
    expect(escape.structured).toMatchObject({ status: 403 });
    const missing = await callTool(owner, 'add_lookup_source', { kind: 'npm', name: 'left-pad' });
    expect(missing.structured).toMatchObject({ status: 404, field: 'name' });
    const noName = await callTool(owner, 'add_lookup_source', { kind: 'npm' });
    expect(noName.structured).toMatchObject({ status: 422, field: 'name' });
    const builtin = await callTool(owner, 'remove_lookup_source', { slug: 'zod' });
    expect(builtin.structured).toMatchObject({ status: 403 });
    const shadow = await callTool(owner, 'add_lookup_source', { kind: 'npm', name: 'turndown' });
    expect(shadow.structured).toMatchObject({ status: 409 });
    const pkg = await callTool(owner, 'add_lookup_source', { kind: 'npm', name: 'turndown', slug: 'html-to-md' });
    expect(pkg.structured).toMatchObject({ slug: 'html-to-md', kind: 'npm', builtin: false });
    const q = await callTool(owner, 'gc_lookup', { query_text: 'add a rule to convert an element', slug: 'html-to-md', top_k: 1 });
    expect(q.structured.results[0].source).toBe('turndown');
  });
});
