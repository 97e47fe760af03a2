// The documents and jobs toolsets through the real server: MCP (official SDK client) and REST.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../src/engine/tokens.js';
import { callTool, connectMcp, rest, startTestServer, until, type TestServer } from '../helpers/server.js';
import { HANDBOOK, RECIPES } from './fixtures.js';
import { query, queryOne, queryOwnConnection } from '../helpers/database.js';

let server: TestServer;
let client: Client;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.createKey({ name: 'docs', newUser: true, plan: 'enterprise' })).keyString;
  client = await connectMcp(server, { key });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('profiles', () => {
  it('core and free expose the document tools the catalog marks', async () => {
    const core = await connectMcp(server, { key, profile: 'core' });
    const free = await connectMcp(server, { key, profile: 'free' });
    const coreNames = (await core.listTools()).tools.map((t) => t.name);
    const freeNames = (await free.listTools()).tools.map((t) => t.name);
    expect(coreNames).toEqual(expect.arrayContaining(['ingest_context', 'read_skeleton', 'search_semantic']));
    expect(coreNames).not.toContain('get_context_block');
    expect(freeNames).toEqual(expect.arrayContaining(['ingest_context', 'read_skeleton', 'search_semantic', 'get_context_block']));
    expect(freeNames).not.toContain('batch_ingest_documents');
    const fullClient = await connectMcp(server, { key, profile: 'full' });
    const full = (await fullClient.listTools()).tools;
    await fullClient.close();
    const ingest = full.find((t) => t.name === 'ingest_context')!;
    // Not advertised (the result is still sent as structuredContent; tool_help shows its schema).
    expect(ingest.outputSchema).toBeUndefined();
    expect(Object.keys((ingest.inputSchema as { properties: object }).properties)).toEqual(expect.arrayContaining(['file_id', 'content', 'title']));
    await core.close();
    await free.close();
  });
});

describe('definitions', () => {
  it('every example of the documents and jobs tools is valid input', async () => {
    const { tools: docTools } = await import('../../tools/documents.js');
    const { tools: jobTools } = await import('../../tools/jobs.js');
    for (const t of [...docTools, ...jobTools]) {
      expect(t.examples?.length ?? 0, t.name).toBeGreaterThan(0);
      for (const ex of t.examples!) expect(t.input.safeParse(ex.args).success, `${t.name}: ${ex.description}`).toBe(true);
    }
  });
});

describe('documents over MCP', () => {
  let docId: string;

  it('ingest → read_skeleton → search → get_context_block', async () => {
    const ing = await callTool(client, 'ingest_context', { file_id: 'handbook', content: HANDBOOK, title: 'Harbor handbook' });
    expect(ing.isError).toBe(false);
    docId = ing.structured.doc_id;
    expect(ing.structured).toMatchObject({ file_id: 'handbook', status: 'created', tokens_before: countTokens(HANDBOOK) });
    expect(ing.structured.tokens_after).toBeLessThan(ing.structured.tokens_before);

    const sk = await callTool(client, 'read_skeleton', { doc_id: docId, fidelity: 'outline' });
    expect(sk.isError).toBe(false);
    expect(sk.structured.fidelity).toBe('outline');
    expect(sk.structured.stats.original_tokens).toBe(countTokens(HANDBOOK));
    expect(sk.structured.stats.compressed_tokens).toBeLessThan(countTokens(HANDBOOK) * 0.3);
    expect(HANDBOOK.length).toBeGreaterThan(sk.structured.skeleton.length);

    const bullets = await callTool(client, 'read_skeleton', { file_id: 'handbook', output_style: 'bullets', query: 'refreshAccessToken' });
    expect(bullets.structured.skeleton).toContain('refreshAccessToken');
    expect(bullets.structured.skeleton).toMatch(/^- /m);

    const hits = await callTool(client, 'search_semantic', { query: 'refreshAccessToken', mode: 'hybrid', top_k: 2 });
    expect(hits.isError).toBe(false);
    expect(hits.structured.results[0].text).toContain('refreshAccessToken');
    const chunkId = hits.structured.results[0].chunk_id;

    const blk = await callTool(client, 'get_context_block', { chunk_id: chunkId, neighbors: 1 });
    expect(blk.isError).toBe(false);
    expect(blk.structured.chunk.chunk_id).toBe(chunkId);
    expect(blk.structured.before.length + blk.structured.after.length).toBeGreaterThanOrEqual(1);
  });

  it('identical re-ingest returns the same doc_id; changed content with replace: false is a 409 naming refresh_document', async () => {
    const again = await callTool(client, 'ingest_context', { file_id: 'handbook', content: HANDBOOK, title: 'Harbor handbook' });
    expect(again.structured).toMatchObject({ doc_id: docId, status: 'unchanged', chunks_embedded: 0 });
    const clash = await callTool(client, 'ingest_context', { file_id: 'handbook', content: RECIPES, replace: false });
    expect(clash.isError).toBe(true);
    expect(clash.structured.error_code).toBe('conflict');
    expect(clash.structured.detail).toContain('refresh_document');
  });

  it('meters ingests; a no-op re-ingest is recorded but not counted', async () => {
    const rows = await query<{ tool: string; tokens_in: number; tokens_out: number; counted: number }>(
      server.deps,
      `SELECT tool, tokens_in, tokens_out, counted FROM usage_events WHERE tool = 'ingest_context' ORDER BY id`,
    );
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatchObject({ tokens_in: countTokens(HANDBOOK), counted: 1 });
    expect(rows[0]!.tokens_out).toBeLessThan(rows[0]!.tokens_in);
    expect(rows[1]).toMatchObject({ tokens_in: countTokens(HANDBOOK), counted: 0 });
  });

  it('refresh_document keeps unchanged chunks', async () => {
    const r = await callTool(client, 'refresh_document', { file_id: 'handbook', content: HANDBOOK.replace('75 seconds', '90 seconds') });
    expect(r.isError).toBe(false);
    expect(r.structured).toMatchObject({ doc_id: docId, status: 'updated' });
    expect(r.structured.chunks_reused).toBeGreaterThan(0);
    expect(r.structured.chunks_embedded).toBeGreaterThan(0);
    const got = await callTool(client, 'get_document', { doc_id: docId, include_content: true });
    expect(got.structured.version).toBe(2);
    expect(got.structured.content).toContain('90 seconds');
  });

  it('bad input is a typed error naming the field, never a 500', async () => {
    const empty = await callTool(client, 'ingest_context', { file_id: 'e', content: '' });
    expect(empty.isError).toBe(true);
    expect(empty.structured.field).toBe('content');
    const fid = await callTool(client, 'read_skeleton', { doc_id: docId, fidelity: 'tiny' });
    expect(fid.isError).toBe(true);
    expect(fid.structured.detail).toMatch(/abstract.*outline.*balanced.*detailed.*raw/);
    const cost = await callTool(client, 'read_skeleton', { doc_id: docId, cost_model: 'gpt-9000' });
    expect(cost.structured).toMatchObject({ error_code: 'invalid_value', field: 'cost_model' });
    const priced = await callTool(client, 'read_skeleton', { doc_id: docId, cost_model: 'claude-sonnet-4-6' });
    expect(priced.structured.stats.cost_model).toBe('claude-sonnet-4-6');
    expect(priced.structured.stats.estimated_cost_saved).toMatch(/^\$/);
    const both = await callTool(client, 'get_document', { doc_id: docId, file_id: 'handbook' });
    expect(both.isError).toBe(true);
    expect(both.structured.detail).toContain('exactly one of doc_id or file_id');
    const missing = await callTool(client, 'get_context_block', { chunk_id: 'chk_nope' });
    expect(missing.isError).toBe(true);
    expect(missing.structured.error_code).toBe('not_found');
    const mode = await callTool(client, 'search_semantic', { query: 'x', mode: 'fuzzy' });
    expect(mode.isError).toBe(true);
    expect(mode.structured.detail).toMatch(/semantic.*keyword.*hybrid/);
  });

  it('caps content at the plan size with 413 naming the cap', async () => {
    const freeKey = (await server.createKey({ plan: 'free', newUser: true, name: 'free' })).keyString;
    const cap = server.deps.config.plans.free.maxTextBytes;
    const r = await rest(server, 'POST', '/v1/tools/ingest_context', { key: freeKey, body: { file_id: 'big', content: 'word '.repeat(cap / 4) } });
    expect(r.status).toBe(413);
    expect(r.body.detail).toContain(String(cap));
    expect(await queryOne(server.deps, `SELECT COUNT(*) AS n FROM documents WHERE file_id = 'big'`)).toEqual({ n: 0 });
    // list_documents is not a free-plan tool
    expect((await rest(server, 'GET', '/v1/documents', { key: freeKey })).status).toBe(403);
  });
});

describe('isolation between keys of different tenants', () => {
  it('another tenant cannot list, read, search or delete these documents', async () => {
    const mine = await callTool(client, 'ingest_context', { file_id: 'secret-plan', content: '# Plan\n\nThe vault code is kept in the zorblax ledger.' });
    const other = await connectMcp(server, { key: (await server.createKey({ newUser: true, name: 'intruder' })).keyString });
    const list = await callTool(other, 'list_documents', {});
    expect(list.structured.total).toBe(0);
    for (const mode of ['semantic', 'keyword', 'hybrid']) {
      const s = await callTool(other, 'search_semantic', { query: 'zorblax ledger vault code', mode });
      expect(s.structured.results).toEqual([]);
    }
    const get = await callTool(other, 'get_document', { doc_id: mine.structured.doc_id });
    expect(get.structured.error_code).toBe('not_found');
    const sk = await callTool(other, 'read_skeleton', { file_id: 'secret-plan' });
    expect(sk.structured.error_code).toBe('not_found');
    const del = await callTool(other, 'delete_document', { doc_id: mine.structured.doc_id });
    expect(del.structured.error_code).toBe('not_found');
    const still = await callTool(client, 'get_document', { doc_id: mine.structured.doc_id });
    expect(still.isError).toBe(false);
    await other.close();
  });
});

describe('REST mirror', () => {
  it('lists, gets, searches and deletes through the aliases', async () => {
    const ing = await rest(server, 'POST', '/v1/documents', { key, body: { file_id: 'recipes', content: RECIPES, title: 'Bread' } });
    expect(ing.status).toBe(200);
    const id = ing.body.doc_id;
    const page = await rest(server, 'GET', '/v1/documents?limit=1', { key });
    expect(page.body.documents).toHaveLength(1);
    expect(page.body.has_more).toBe(true);
    const got = await rest(server, 'GET', `/v1/documents/${id}`, { key });
    expect(got.body).toMatchObject({ doc_id: id, file_id: 'recipes', title: 'Bread', content: null });
    const sk = await rest(server, 'GET', `/v1/documents/${id}/skeleton?fidelity=abstract`, { key });
    expect(sk.status).toBe(200);
    expect(sk.body.fidelity).toBe('abstract');
    const s = await rest(server, 'POST', '/v1/search', { key, body: { query: 'sourdough starter feeding', file_id: 'recipes', top_k: 1 } });
    expect(s.body.results[0].text).toContain('starter');
    const del = await rest(server, 'DELETE', `/v1/documents/${id}`, { key });
    expect(del.body).toMatchObject({ deleted: true, doc_id: id });
    expect((await rest(server, 'GET', `/v1/documents/${id}`, { key })).status).toBe(404);
  });
});

describe('batch_ingest_documents and the job tools', () => {
  const batch = Array.from({ length: 6 }, (_, i) => ({
    file_id: `batch/${i}.md`,
    content: `# Batch note ${i}\n\nThis note describes widget number ${i} and the quixotic${i} setting it needs.\n\n${i % 2 ? RECIPES : HANDBOOK}`,
  }));

  it('returns a job id at once; the job runs in the background and is pollable over MCP and REST', async () => {
    const sub = await callTool(client, 'batch_ingest_documents', { documents: batch });
    expect(sub.isError).toBe(false);
    expect(sub.structured).toMatchObject({ status: 'queued', documents_count: 6, completed_count: 0, kind: 'ingest_documents' });
    const jobId = sub.structured.job_id;
    const done = await until(async () => {
      const r = await rest(server, 'GET', `/v1/batch-queue/${jobId}`, { key });
      return r.body.status === 'completed' && r;
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ completed_count: 6, failed_count: 0, progress_pct: 100 });
    const withResults = await callTool(client, 'get_batch_job', { job_id: jobId, include_results: true });
    expect(withResults.structured.results).toHaveLength(6);
    expect(withResults.structured.results.every((r: { status: string; result: { doc_id: string } }) => r.status === 'done' && /^doc_/.test(r.result.doc_id))).toBe(true);
    const found = await callTool(client, 'search_semantic', { query: 'quixotic3', mode: 'keyword', top_k: 1 });
    expect(found.structured.results[0].file_id).toBe('batch/3.md');
    const listed = await rest(server, 'GET', '/v1/batch-queue', { key });
    expect(listed.body.jobs.map((j: { job_id: string }) => j.job_id)).toContain(jobId);
    const usage = (await queryOne<{ n: number }>(server.deps, `SELECT COUNT(*) AS n FROM usage_events WHERE tool = 'batch_ingest_documents'`))!;
    expect(usage.n).toBe(6);
  });

  it('with wait: true it sends progress notifications and returns the finished job', async () => {
    const progress: number[] = [];
    const docs = batch.map((d) => ({ ...d, file_id: `wait/${d.file_id}` }));
    const r = await callTool(client, 'batch_ingest_documents', { documents: docs, wait: true }, { onprogress: (p) => progress.push(p.progress) });
    expect(r.isError).toBe(false);
    expect(r.structured).toMatchObject({ status: 'completed', completed_count: 6 });
    expect(r.structured.results).toHaveLength(6);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  it('checks every document before creating a job', async () => {
    const dup = await callTool(client, 'batch_ingest_documents', { documents: [batch[0], batch[0]] });
    expect(dup.isError).toBe(true);
    expect(dup.structured.field).toBe('documents[1].file_id');
    const empty = await callTool(client, 'batch_ingest_documents', { documents: [batch[0], { file_id: 'x', content: ' ' }] });
    expect(empty.structured.field).toBe('documents[1].content');
    const many = await callTool(client, 'batch_ingest_documents', { documents: Array.from({ length: 51 }, (_, i) => ({ file_id: `m${i}`, content: 'x' })) });
    expect(many.isError).toBe(true);
    expect(many.structured.field).toBe('documents');
    const none = await callTool(client, 'list_batch_jobs', { status: 'queued' });
    expect(none.structured.total).toBe(0);
  });

  it('per-document failures are reported inline; cancel of a finished job is a 409; other tenants get 404', async () => {
    const sub = await callTool(client, 'batch_ingest_documents', {
      documents: [
        { file_id: 'handbook', content: RECIPES }, // conflicts with the stored handbook
        { file_id: 'fresh-one', content: RECIPES },
      ],
      wait: true,
    });
    expect(sub.structured).toMatchObject({ status: 'completed', completed_count: 1, failed_count: 1 });
    expect(sub.structured.results[0].error).toContain('refresh_document');
    const cancel = await rest(server, 'POST', `/v1/batch-queue/${sub.structured.job_id}/cancel`, { key });
    expect(cancel.status).toBe(409);
    const otherKey = (await server.createKey({ newUser: true, name: 'peeker' })).keyString;
    expect((await rest(server, 'GET', `/v1/batch-queue/${sub.structured.job_id}`, { key: otherKey })).status).toBe(404);
  });
});

describe('jobs survive a server restart', () => {
  it('a job submitted just before shutdown completes after the next start', async () => {
    const s1 = await startTestServer();
    const k = (await s1.createKey({ newUser: true, name: 'restart' })).keyString;
    const docs = Array.from({ length: 5 }, (_, i) => ({ file_id: `r/${i}`, content: `${HANDBOOK}\n\nRestart marker ${i}.` }));
    const sub = await rest(s1, 'POST', '/v1/tools/batch_ingest_documents', { key: k, body: { documents: docs } });
    expect(sub.status).toBe(202);
    // Shut down without waiting for the job (keep the data dir).
    await s1.http.close();
    await s1.app.close();
    const [before] = await queryOwnConnection<{ status: string; completed_count: number }>(s1.app.deps.config, `SELECT status, completed_count FROM jobs WHERE id = ?`, sub.body.job_id);
    expect(['queued', 'processing']).toContain(before.status);
    expect(before.completed_count).toBeLessThan(5);

    const s2 = await startTestServer({ dataDir: s1.dataDir });
    try {
      const done = await until(async () => {
        const r = await rest(s2, 'GET', `/v1/batch-queue/${sub.body.job_id}`, { key: k });
        return r.body.status === 'completed' && r;
      });
      expect(done.body).toMatchObject({ completed_count: 5, failed_count: 0 });
      const list = await rest(s2, 'GET', '/v1/documents?limit=100', { key: k });
      expect(list.body.total).toBe(5);
    } finally {
      await s2.close();
    }
  });
});
