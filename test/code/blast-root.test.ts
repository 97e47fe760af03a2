// gc_blast_radius reads an allowed local root like compress_codebase, search_code and repo_map do;
// it took only a pasted file bundle ("Unknown argument 'root'"), so a real repository had to be sent
// file by file. Files and root stay mutually exclusive, and a root outside the allowed ones is refused.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const SHOP = path.join(import.meta.dirname, '../fixtures/code/shop');

let server: TestServer;
let client: Client;
let allowed: string;
beforeAll(async () => {
  allowed = tempDir('ctxgate-blast-root-');
  fs.cpSync(SHOP, path.join(allowed, 'shop-repo'), { recursive: true });
  server = await startTestServer({ config: { allowedRoots: [allowed] } });
  client = await connectMcp(server, { key: server.ownerKey });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  fs.rmSync(allowed, { recursive: true, force: true });
});

const shopFiles = () =>
  fs.readdirSync(path.join(SHOP, 'shop')).sort().map((name) => ({ path: `shop/${name}`, content: fs.readFileSync(path.join(SHOP, 'shop', name), 'utf8') }));

describe('gc_blast_radius over a local root', () => {
  it('ranks the same files from a root as from the same files pasted', async () => {
    const fromRoot = await callTool(client, 'gc_blast_radius', { root: path.join(allowed, 'shop-repo'), focus_symbol: 'price_of' });
    expect(fromRoot.isError, fromRoot.text).toBeFalsy();
    const fromFiles = await callTool(client, 'gc_blast_radius', { files: shopFiles(), focus_symbol: 'price_of' });
    const paths = (r: typeof fromRoot) => (r.structured.ranked_context as Array<{ path: string }>).map((x) => x.path);
    expect(paths(fromRoot).filter((p) => p.startsWith('shop/'))).toEqual(paths(fromFiles));
    expect(fromRoot.structured.stats.focus_definitions).toBeGreaterThan(0);
  });

  it('refuses both at once, neither, and a root outside the allowed ones', async () => {
    const both = await callTool(client, 'gc_blast_radius', { root: allowed, files: shopFiles() });
    expect(both.structured).toMatchObject({ status: 422, field: 'root' });
    const neither = await callTool(client, 'gc_blast_radius', { focus_symbol: 'price_of' });
    expect(neither.structured).toMatchObject({ status: 422, field: 'files' });
    const outside = await callTool(client, 'gc_blast_radius', { root: '/etc', focus_symbol: 'x' });
    expect(outside.structured).toMatchObject({ status: 403, field: 'root' });
  });
});
