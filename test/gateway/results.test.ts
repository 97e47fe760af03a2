// proxy_mcp_server's result shrinking, on the service the tool calls: shell-like output through the
// CLI filters with failures kept verbatim, JSON compaction, prose through the compressor under a
// budget, images untouched, kept results paged back whole and only to their own project.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../src/engine/tokens.js';
import { compactJson, GatewayResultsService, paginate } from '../../src/services/gateway/results.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let results: GatewayResultsService;
// The owner's real scope: the compressor's cache rows reference the account.
let scope: { ownerId: string; projectId: string };
const fixture = (f: string) => fs.readFileSync(path.join(__dirname, '../fixtures/cli', f), 'utf8');

beforeAll(async () => {
  server = await startTestServer();
  results = server.deps.service(GatewayResultsService);
  const key = await server.createKey({ name: 'results' });
  scope = { ownerId: key.user_id, projectId: (await server.deps.store.projects({ ownerId: key.user_id }).list())[0]!.id };
});
afterAll(async () => server?.close());

describe('proxy result shrinking', () => {
  it('shell-like output goes through the CLI filters; failure lines survive verbatim; the raw text pages back whole', async () => {
    const raw = fixture('pytest-fail.txt');
    const s = await results.shrink(scope, 'enterprise', { content: [{ type: 'text', text: raw }] }, { maxTokens: 100_000, mode: 'auto' });
    expect(s.blocks[0]).toMatchObject({ kind: 'cli', detected: 'pytest' });
    expect(s.tokens).toBeLessThan(s.original_tokens);
    const out = (s.content[0] as { text: string }).text;
    for (const line of raw.split('\n').filter((l) => /^(FAILED|E  )/.test(l))) expect(out).toContain(line.trim());
    const pages = Array.from({ length: s.continuation!.pages }, (_, i) => results.page(scope, s.continuation!.handle, i + 1).text);
    expect(pages.join('')).toBe(raw);
  });

  it('images and other non-text blocks pass through untouched', async () => {
    const image = { type: 'image' as const, data: Buffer.from('\x89PNG\r\n\x1a\nnot really').toString('base64'), mimeType: 'image/png' };
    const s = await results.shrink(scope, 'enterprise', { content: [image, { type: 'text', text: JSON.stringify({ a: null, b: 1 }) }] }, { maxTokens: 1000, mode: 'auto' });
    expect(s.content[0]).toEqual(image);
    expect(s.content[1]).toEqual({ type: 'text', text: '{"b":1}' });
    expect(s.blocks[0]!.kind).toBe('passthrough');
  });

  it('prose over the budget goes through the compressor and is cut to the budget', async () => {
    const prose = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} explains how the ingestion pipeline handles batch ${i} of the nightly import, including retries and the dead-letter queue.`).join('\n\n');
    const s = await results.shrink(scope, 'enterprise', { content: [{ type: 'text', text: prose }] }, { maxTokens: 200, mode: 'auto' });
    expect(s.blocks[0]!.detected).toBe('prose');
    expect(s.tokens).toBeLessThanOrEqual(200);
    expect(s.continuation).not.toBeNull();
  });

  it('a small text result is left alone and keeps nothing', async () => {
    const s = await results.shrink(scope, 'enterprise', { content: [{ type: 'text', text: 'ok: 3 rows updated' }] }, { maxTokens: 1000, mode: 'auto' });
    expect((s.content[0] as { text: string }).text).toBe('ok: 3 rows updated');
    expect(s.continuation).toBeNull();
  });

  it('a handle is only readable from its own project', async () => {
    const s = await results.shrink(scope, 'enterprise', { content: [{ type: 'text', text: JSON.stringify({ rows: Array.from({ length: 500 }, (_, i) => ({ id: i, v: null })) }) }] }, { maxTokens: 60, mode: 'json' });
    const h = s.continuation!.handle;
    expect(results.page(scope, h, 1).text.length).toBeGreaterThan(0);
    expect(() => results.page({ ownerId: scope.ownerId, projectId: 'prj_other' }, h, 1)).toThrow(/no kept result/);
    expect(() => results.page({ ownerId: 'usr_other', projectId: scope.projectId }, h, 1)).toThrow(/no kept result/);
    results.forgetScope(scope);
    expect(() => results.page(scope, h, 1)).toThrow(/no kept result/);
  });
});

describe('compactJson and paginate', () => {
  it('drops null members, folds repeated records into a table, keeps array positions', () => {
    expect(compactJson({ a: null, b: [1, null, 2], c: { d: null, e: 'x' } })).toEqual({ b: [1, null, 2], c: { e: 'x' } });
    const rows = [{ id: 1, name: 'a', x: null }, { id: 2, name: 'b' }, { id: 3, name: 'c' }];
    expect(compactJson(rows)).toEqual({ columns: ['id', 'name'], rows: [[1, 'a'], [2, 'b'], [3, 'c']] });
    // Scattered keys stay records: a table of mostly nulls would be longer.
    const scattered = [{ a: 1 }, { b: 2 }, { c: 3 }];
    expect(compactJson(scattered)).toEqual(scattered);
  });

  it('pages are within the budget and join back to the text', () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'word '.repeat(i % 30)}`).join('\n') + '\n' + 'x'.repeat(20_000);
    const pages = paginate(text, 500);
    for (const p of pages) expect(countTokens(p)).toBeLessThanOrEqual(500);
    expect(pages.join('')).toBe(text);
  });
});
