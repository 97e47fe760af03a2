// Experiments through the real server: documents nobody here wrote (READMEs of installed npm
// packages, with the exact-span questions of the retention corpus, bench/corpus/retention/npm.json),
// compared under several settings; the table must match a direct computation with compress_text.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { structureKept } from '../../src/engine/experiment.js';
import { projectRoot } from '../../src/paths.js';
import { onPostgres, query } from '../helpers/database.js';
import { callTool, connectMcp, rest, type TestServer, until, useServerAndClient } from '../helpers/server.js';

let server: TestServer;
let client: Client;
useServerAndClient((s, c) => {
  server = s;
  client = c;
});

const corpus = JSON.parse(fs.readFileSync(path.join(projectRoot, 'bench/corpus/retention/npm.json'), 'utf8')) as { questions: Array<{ doc: string; question: string; answer: string }> };
const DOCS = ['node_modules/cookie/README.md', 'node_modules/cors/README.md', 'node_modules/send/README.md'];
const texts = DOCS.map((d) => fs.readFileSync(path.join(projectRoot, d), 'utf8'));
const questions = DOCS.flatMap((d, i) => corpus.questions.filter((q) => q.doc === d).map((q) => ({ document: i, question: q.question, answer: q.answer })));
const SETTINGS = [{ fidelity: 'balanced' }, { fidelity: 'detailed' }, { fidelity: 'balanced', query: true }];

/** The READMEs as stored documents (ingest_context), referenced by doc_id. */
async function documentsArg(): Promise<Array<Record<string, string>>> {
  const out: Array<Record<string, string>> = [];
  for (const [i, text] of texts.entries()) {
    const r = await callTool(client, 'ingest_context', { file_id: DOCS[i], content: text });
    expect(r.isError, r.text).toBe(false);
    out.push({ doc_id: r.structured.doc_id });
  }
  return out;
}

async function compress(text: string, fidelity: string, q: string | null) {
  const r = await rest(server, 'POST', '/v1/compress', { key: server.ownerKey, body: { text, fidelity, ...(q ? { query: q } : {}), use_cache: false } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { compressed: string; stats: { original_tokens: number; compressed_tokens: number } };
}

describe('ace experiments', () => {
  it('runs as a job with progress and answers a table that matches a direct computation', async () => {
    expect(questions.length).toBe(12);
    for (const q of questions) expect(texts[q.document]).toContain(q.answer);
    const progress: number[] = [];
    const r = await callTool(client, 'create_experiment', { name: 'readmes', documents: await documentsArg(), settings: SETTINGS, questions, wait: true }, { onprogress: (p) => progress.push(p.progress) });
    expect(r.isError, r.text).toBe(false);
    const exp = r.structured;
    expect(exp).toMatchObject({ status: 'completed', documents: 3, documents_done: 3, documents_failed: 0, questions: 12, progress_pct: 100 });
    expect(progress.length).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBe(3);
    expect(exp.table.map((t: any) => t.setting)).toEqual(['balanced', 'detailed', 'balanced+query']);

    for (const [s, setting] of SETTINGS.entries()) {
      let orig = 0;
      let comp = 0;
      let kept = 0;
      let runs = 0;
      const structure: Record<string, { total: number; kept: number }> = {};
      const add = (text: string, out: string) => {
        for (const [k, v] of Object.entries(structureKept(text, out))) {
          structure[k] ??= { total: 0, kept: 0 };
          structure[k]!.total += v.total;
          structure[k]!.kept += v.kept;
        }
      };
      for (const [d, text] of texts.entries()) {
        const qs = questions.filter((q) => q.document === d);
        const calls = setting.query ? qs.map((q) => ({ q: q.question, asked: [q] })) : [{ q: null, asked: qs }];
        for (const c of calls) {
          const out = await compress(text, setting.fidelity, c.q);
          runs++;
          orig += out.stats.original_tokens;
          comp += out.stats.compressed_tokens;
          kept += c.asked.filter((q) => out.compressed.includes(q.answer)).length;
          add(text, out.compressed);
        }
      }
      const row = exp.table[s];
      expect(row).toMatchObject({ documents: 3, compressions: runs, original_tokens: orig, compressed_tokens: comp, answers_total: 12, answers_kept: kept });
      expect(row.answer_retention).toBeCloseTo(kept / 12, 4);
      expect(row.savings_pct).toBeCloseTo((100 * (orig - comp)) / orig, 1);
      expect(row.compression_ms).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(structure)) expect(row.structure[k], `${row.setting} ${k}`).toMatchObject(v);
    }
    // Query-guided compression keeps at least as many answers as the same fidelity without a query.
    expect(exp.table[2].answers_kept).toBeGreaterThanOrEqual(exp.table[0].answers_kept);

    const again = await callTool(client, 'get_experiment', { experiment_id: exp.experiment_id, per_document: true });
    expect(again.structured.table).toEqual(exp.table);
    expect(again.structured.per_document).toHaveLength(3);
    expect(again.text.split('\n')[1]).toBe('| setting | saved | ms/compression | answers kept | headings | code blocks | URLs | numbers |');
    const viaRest = await rest(server, 'GET', `/v1/experiments/${exp.experiment_id}`, { key: server.ownerKey });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.table).toEqual(exp.table);
  });

  it('reports structural retention without questions, and polls without waiting', async () => {
    const doc = '# Setup\n\nInstall with `npm i x`. See https://example.org/docs for 3 options.\n\n```sh\nnpm i x\n```\n\n## Limits\n\nThe cap is 512 requests per minute and 20 MB per upload.\n';
    const r = await rest(server, 'POST', '/v1/experiments', { key: server.ownerKey, body: { documents: [{ text: doc }], settings: [{ fidelity: 'raw' }] } });
    expect(r.status).toBe(202);
    expect(r.body.status).toMatch(/queued|processing|completed/);
    const exp = await until(async () => {
      const e = (await callTool(client, 'get_experiment', { experiment_id: r.body.experiment_id })).structured;
      return e.status === 'completed' && e;
    });
    const row = exp.table[0];
    expect(row.answer_retention).toBeNull();
    expect(row.structure).toMatchObject({
      headings: { total: 2, kept: 2, retention: 1 },
      code_blocks: { total: 1, kept: 1, retention: 1 },
      urls: { total: 1, kept: 1, retention: 1 },
      numbers: { total: 3, kept: 3, retention: 1 }, // 3, 512, 20mb (a number with its unit, as detect_issues reads it)
    });
    expect(row.savings_pct).toBe(0);
  });

  it('answers bad input with a 4xx naming the field', async () => {
    const post = (body: unknown) => rest(server, 'POST', '/v1/experiments', { key: server.ownerKey, body });
    const none = await post({ documents: [] });
    expect(none.status).toBe(422);
    expect(none.body.field).toBe('documents');
    const absent = await post({ documents: [{ text: 'The port is 8080.' }], questions: [{ document: 0, question: 'which port', answer: '9090' }] });
    expect(absent.status).toBe(422);
    expect(absent.body.field).toBe('questions[0].answer');
    const outOfRange = await post({ documents: [{ text: 'The port is 8080.' }], questions: [{ document: 3, question: 'which port', answer: '8080' }] });
    expect(outOfRange.status).toBe(422);
    expect(outOfRange.body.field).toBe('questions[0].document');
    const twoKinds = await post({ documents: [{ text: 'a', doc_id: 'doc_x' }] });
    expect(twoKinds.status).toBe(422);
    expect(twoKinds.body.field).toBe('documents[0]');
    const queryless = await post({ documents: [{ text: 'The port is 8080.' }], settings: [{ fidelity: 'balanced', query: true }] });
    expect(queryless.status).toBe(422);
    expect(queryless.body.field).toBe('settings[0].query');
    const noProfile = await post({ documents: [{ text: 'The port is 8080.' }], settings: [{ profile: 'no-such-profile' }] });
    expect(noProfile.status).toBe(404);
    expect(noProfile.body.field).toBe('settings[0].profile');
    const unknown = await post({ documents: [{ doc_id: 'doc_missing' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.field).toBe('documents[0].doc_id');
    const missing = await callTool(client, 'get_experiment', { experiment_id: 'exp_nope' });
    expect(missing.isError).toBe(true);
    expect(missing.structured).toMatchObject({ status: 404, field: 'experiment_id' });
  });

  it('writes the job and the experiment row in one transaction: when the row cannot be written, no job is left', async () => {
    const proj = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'exp-atomic' } });
    const projectId = proj.body.id as string;
    const key = await server.createKey({ projectId });
    // A fault planted in the database (not in our code): experiment rows of this project fail to insert.
    if (onPostgres) {
      await query(server.deps, `CREATE FUNCTION planted_experiment_failure() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'planted failure'; END $$ LANGUAGE plpgsql`);
      await query(server.deps, `CREATE TRIGGER planted_experiment_failure BEFORE INSERT ON ace_experiments FOR EACH ROW WHEN (NEW.project_id = '${projectId}') EXECUTE FUNCTION planted_experiment_failure()`);
    } else {
      await query(server.deps, `CREATE TRIGGER planted_experiment_failure BEFORE INSERT ON ace_experiments WHEN NEW.project_id = '${projectId}' BEGIN SELECT RAISE(ABORT, 'planted failure'); END`);
    }
    try {
      const r = await rest(server, 'POST', '/v1/experiments', { key: key.keyString, body: { documents: [{ text: 'Eleven facts, none stored.' }] } });
      expect(r.status).toBe(500);
      expect(await query(server.deps, 'SELECT id FROM ace_experiments WHERE project_id = ?', projectId)).toEqual([]);
      // Not even a cancelled one: the job was never committed.
      expect(await query(server.deps, 'SELECT id, status FROM jobs WHERE project_id = ?', projectId)).toEqual([]);
      expect(await query(server.deps, 'SELECT job_id FROM job_items WHERE project_id = ?', projectId)).toEqual([]);
    } finally {
      await query(server.deps, onPostgres ? 'DROP TRIGGER planted_experiment_failure ON ace_experiments' : 'DROP TRIGGER planted_experiment_failure');
      if (onPostgres) await query(server.deps, 'DROP FUNCTION planted_experiment_failure()');
    }
    const ok = await rest(server, 'POST', '/v1/experiments', { key: key.keyString, body: { documents: [{ text: 'Eleven facts, now stored.' }], wait: true } });
    expect(ok.status).toBe(202);
    expect(ok.body.status).toBe('completed');
  });

  it('shows another tenant nothing, and project deletion removes experiments and their jobs', async () => {
    const mine = await rest(server, 'POST', '/v1/experiments', { key: server.ownerKey, body: { documents: [{ text: 'Private text about 42 things.' }] } });
    expect(mine.status).toBe(202);
    const other = await server.createKey({ newUser: true, name: 'other' });
    const oc = await connectMcp(server, { key: other.keyString });
    const peek = await callTool(oc, 'get_experiment', { experiment_id: mine.body.experiment_id });
    expect(peek.isError).toBe(true);
    expect(peek.structured.status).toBe(404);
    await oc.close();

    const proj = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'exp-doomed' } });
    const projectId = proj.body.id;
    const key = await server.createKey({ projectId });
    const made = await rest(server, 'POST', '/v1/experiments', { key: key.keyString, body: { documents: [{ text: 'Soon deleted: 7 facts.' }], wait: true } });
    expect(made.status).toBe(202);
    expect(made.body.status).toBe('completed');
    expect((await rest(server, 'DELETE', `/v1/projects/${projectId}`, { key: server.ownerKey })).status).toBeLessThan(300);
    expect(await query(server.deps, 'SELECT id FROM ace_experiments WHERE project_id = ?', projectId)).toEqual([]);
    expect(await query(server.deps, 'SELECT id FROM jobs WHERE project_id = ?', projectId)).toEqual([]);
    expect(await query(server.deps, 'SELECT job_id FROM job_items WHERE project_id = ?', projectId)).toEqual([]);
  });
});
