// GitHub inbound (issue 18, point 5). GitHub itself is a stand-in HTTP server in the test speaking
// the same protocols: raw file content at /{owner}/{repo}/{sha}/{path} (raw.githubusercontent.com),
// the REST API's pull-request diff (Accept: application/vnd.github.diff) and
// POST /repos/{owner}/{repo}/issues/{n}/comments. Deliveries are signed the way GitHub signs them.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubSignature, parseUnifiedDiff, pathPattern, pushChanges, verifyGithubSignature } from '../../src/engine/github.js';
import { JobsService } from '../../src/services/jobs.js';
import { query } from '../helpers/database.js';
import { rest, startTestServer, until, type TestServer } from '../helpers/server.js';

const SECRET = 'gh-webhook-secret-0123456789abcdef';
const TOKEN = 'ghp_standInTokenForTheTestOnly000000000';
const HEAD = 'a'.repeat(40);
const PR_HEAD = 'b'.repeat(40);
const REPOSITORY = { id: 1296269, node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5', name: 'handbook', full_name: 'acme/handbook', private: false, owner: { login: 'acme', id: 1, type: 'Organization' }, html_url: 'https://github.com/acme/handbook', default_branch: 'main' };

const CONFIG_TS = `export interface Config { port: number; host: string }

export function parseConfig(text: string): Config {
  const raw = JSON.parse(text);
  const port = Number(raw.port ?? 8080);
  if (!Number.isInteger(port)) throw new Error('port must be an integer');
  return { port, host: String(raw.host ?? 'localhost') };
}

export function defaultConfig(): Config {
  return { port: 8080, host: 'localhost' };
}
`;
const CLI_TS = `import { parseConfig } from './config';
import { readFileSync } from 'node:fs';

export function main(argv: string[]): number {
  const config = parseConfig(readFileSync(argv[2] ?? 'config.json', 'utf8'));
  console.log(\`listening on \${config.host}:\${config.port}\`);
  return 0;
}
`;
const PR_DIFF = `diff --git a/src/config.ts b/src/config.ts
index 3b18e51..a9c2d4f 100644
--- a/src/config.ts
+++ b/src/config.ts
@@ -3,6 +3,7 @@ export interface Config { port: number; host: string }
 export function parseConfig(text: string): Config {
   const raw = JSON.parse(text);
   const port = Number(raw.port ?? 8080);
+  if (!Number.isInteger(port)) throw new Error('port must be an integer');
   return { port, host: String(raw.host ?? 'localhost') };
 }
 
diff --git a/src/cli.ts b/src/cli.ts
index 11aa22b..33cc44d 100644
--- a/src/cli.ts
+++ b/src/cli.ts
@@ -4,6 +4,6 @@ import { readFileSync } from 'node:fs';
 export function main(argv: string[]): number {
   const config = parseConfig(readFileSync(argv[2] ?? 'config.json', 'utf8'));
-  console.log('listening on ' + config.host + ':' + config.port);
+  console.log(\`listening on \${config.host}:\${config.port}\`);
   return 0;
 }
diff --git a/package-lock.json b/package-lock.json
index 0000001..0000002 100644
--- a/package-lock.json
+++ b/package-lock.json
@@ -1,4 +1,4 @@
 {
-  "version": "1.0.0",
+  "version": "1.0.1",
   "lockfileVersion": 3
 }
`;

interface Hit { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

/** Stand-in for GitHub: raw content, the pulls diff, and issue comments. */
async function fakeGithub(files: Record<string, string>) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      hits.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const url = decodeURI(req.url!);
      let m = /^\/raw\/acme\/handbook\/([0-9a-f]{40})\/(.+)$/.exec(url);
      if (req.method === 'GET' && m) {
        const text = files[`${m[1]}:${m[2]}`];
        if (text === undefined) return res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404: Not Found');
        return res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
      }
      m = /^\/api\/repos\/acme\/handbook\/pulls\/(\d+)$/.exec(url);
      if (req.method === 'GET' && m && req.headers.accept === 'application/vnd.github.diff') {
        return res.writeHead(200, { 'content-type': 'application/vnd.github.diff; charset=utf-8' }).end(PR_DIFF);
      }
      m = /^\/api\/repos\/acme\/handbook\/issues\/(\d+)\/comments$/.exec(url);
      if (req.method === 'POST' && m) {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Bad credentials"}');
        const c = JSON.parse(body);
        // GitHub's answer has the shape of the REST docs' example: the comment with its author and
        // reactions, a few KB (more than a webhook delivery record keeps).
        const api = 'https://api.github.com';
        const user = { login: 'ctxgate-bot', id: 1, node_id: 'MDQ6VXNlcjE=', avatar_url: 'https://github.com/images/error/octocat_happy.gif', gravatar_id: '', url: `${api}/users/ctxgate-bot`, html_url: 'https://github.com/ctxgate-bot', followers_url: `${api}/users/ctxgate-bot/followers`, following_url: `${api}/users/ctxgate-bot/following{/other_user}`, gists_url: `${api}/users/ctxgate-bot/gists{/gist_id}`, starred_url: `${api}/users/ctxgate-bot/starred{/owner}{/repo}`, subscriptions_url: `${api}/users/ctxgate-bot/subscriptions`, organizations_url: `${api}/users/ctxgate-bot/orgs`, repos_url: `${api}/users/ctxgate-bot/repos`, events_url: `${api}/users/ctxgate-bot/events{/privacy}`, received_events_url: `${api}/users/ctxgate-bot/received_events`, type: 'Bot', site_admin: false };
        const answer = { id: 1, node_id: 'MDEyOklzc3VlQ29tbWVudDE=', url: `${api}/repos/acme/handbook/issues/comments/1`, html_url: `https://github.com/acme/handbook/pull/${m[1]}#issuecomment-1`, body: c.body, user, created_at: '2026-11-29T12:00:00Z', updated_at: '2026-11-29T12:00:00Z', issue_url: `${api}/repos/acme/handbook/issues/${m[1]}`, author_association: 'NONE', reactions: { url: `${api}/repos/acme/handbook/issues/comments/1/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 } };
        return res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { hits, base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A webhook receiver for the project's outbound events. */
async function receiver() {
  const got: any[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      got.push({ event: req.headers['x-gotcontext-event'], body: JSON.parse(Buffer.concat(parts).toString('utf8')) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let server: TestServer;
let gh: Awaited<ReturnType<typeof fakeGithub>>;
let rcv: Awaited<ReturnType<typeof receiver>>;
let admin: string;
const timings: Record<string, number[]> = {};

/** One delivery as GitHub sends it. */
async function deliver(event: string, payload: unknown, opts: { secret?: string | null; delivery?: string; raw?: string } = {}) {
  const raw = opts.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/f0b6f1b',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': opts.delivery ?? crypto.randomUUID(),
    'X-GitHub-Hook-ID': '292430182',
  };
  if (opts.secret !== null) headers['X-Hub-Signature-256'] = githubSignature(opts.secret ?? SECRET, raw);
  const t0 = performance.now();
  const r = await rest(server, 'POST', '/v1/integrations/github/webhook', { rawBody: raw, headers });
  (timings[event] ??= []).push(performance.now() - t0);
  return r;
}

beforeAll(async () => {
  gh = await fakeGithub({
    [`${HEAD}:docs/guide.md`]: '# Guide\n\nInstall with `npm i handbook`. Configure the port in config.json; the default is 8080.\n',
    [`${HEAD}:notes/custom.cfg`]: 'retries = 5\ntimeout = 30s\n',
    [`${PR_HEAD}:src/config.ts`]: CONFIG_TS,
    [`${PR_HEAD}:src/cli.ts`]: CLI_TS,
  });
  rcv = await receiver();
  server = await startTestServer({ config: { urlAllowlist: ['127.0.0.1'], webhooks: { retryScheduleMs: [100], timeoutMs: 3000 } } });
  admin = server.ownerKey;
});
afterAll(async () => {
  await server?.close();
  await gh?.close();
  await rcv?.close();
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `n=${s.length} p50=${s[Math.floor(s.length / 2)]!.toFixed(1)}ms max=${s[s.length - 1]!.toFixed(1)}ms`;
  };
  console.log('[github] webhook handling latency (request → response): ' + Object.entries(timings).map(([k, v]) => `${k} ${fmt(v)}`).join('; '));
});

describe('GitHub webhook engine', () => {
  it("matches GitHub's documented X-Hub-Signature-256 test vector, in constant time", () => {
    const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(githubSignature("It's a Secret to Everybody", 'Hello, World!')).toBe(sig);
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), sig)).toBe(true);
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World?'), sig)).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), sig.slice(0, 20))).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), undefined)).toBe(false);
  });

  it('a push leaves each path in its last state; patterns; diff files and touched lines', () => {
    expect(pushChanges([{ added: ['a.md', 'b.md'] }, { removed: ['a.md'], modified: ['c.md'] }, { added: ['d.md'], removed: ['d.md'] }, { removed: ['e.md'] }, { added: ['e.md'] }])).toEqual({ changed: ['b.md', 'c.md', 'e.md'], removed: ['a.md', 'd.md'] });
    expect(pathPattern('**/*.md').test('README.md')).toBe(true);
    expect(pathPattern('**/*.md').test('docs/a/b.md')).toBe(true);
    expect(pathPattern('docs/*.md').test('docs/a/b.md')).toBe(false);
    expect(pathPattern('docs/**').test('docs/a/b.txt')).toBe(true);
    const files = parseUnifiedDiff(PR_DIFF);
    expect(files.map((f) => [f.path, f.status, f.additions, f.deletions])).toEqual([
      ['src/config.ts', 'modified', 1, 0],
      ['src/cli.ts', 'modified', 1, 1],
      ['package-lock.json', 'modified', 1, 1],
    ]);
    expect(files[0]!.touched).toEqual([6]);
    expect(files[1]!.touched).toEqual([6]);
  });
});

describe('GitHub inbound', () => {
  it('configure: admin only, the secret required first and never returned', async () => {
    const p = await rest(server, 'POST', '/v1/projects', { key: admin, body: { name: 'gh-roles' } });
    const holder = (await server.createKey({ projectId: p.body.id, name: 'holder' })).keyString;
    const operator = (await rest(server, 'POST', '/v1/members', { key: holder, body: { name: 'op', role: 'operator' } })).body.key.key;
    const refused = await rest(server, 'POST', '/v1/integrations/github', { key: operator, body: { repository: 'acme/other', secret: SECRET } });
    expect(refused.status).toBe(403);
    expect(refused.body.required_role).toBe('admin');

    const noSecret = await rest(server, 'POST', '/v1/integrations/github', { key: admin, body: { repository: 'acme/handbook' } });
    expect(noSecret.status).toBe(422);
    expect(noSecret.body.field).toBe('secret');
    const badRepo = await rest(server, 'POST', '/v1/integrations/github', { key: admin, body: { repository: 'not a repo', secret: SECRET } });
    expect(badRepo.status).toBe(422);
    expect(badRepo.body.field).toBe('repository');
    const blocked = await rest(server, 'POST', '/v1/integrations/github', { key: admin, body: { repository: 'acme/handbook', secret: SECRET, api_base_url: 'http://169.254.169.254/' } });
    expect(blocked.status).toBe(400);
    expect(blocked.body.field).toBe('api_base_url');

    const ok = await rest(server, 'POST', '/v1/integrations/github', {
      key: admin,
      body: { repository: 'Acme/Handbook', secret: SECRET, token: TOKEN, raw_base_url: `${gh.base}/raw`, api_base_url: `${gh.base}/api` },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ repository: 'acme/handbook', webhook_path: '/v1/integrations/github/webhook', secret_set: true, token_set: true, content_source: 'raw' });
    const shown = JSON.stringify(ok.body) + JSON.stringify((await rest(server, 'GET', '/v1/integrations/github', { key: admin })).body);
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain(TOKEN);
    // Stored sealed, not as typed.
    const stored = JSON.stringify(await query(server.deps, 'SELECT secret_sealed, token_sealed FROM github_integrations'));
    expect(stored).toMatch(/v1\./);
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain(TOKEN);
  });

  it('a bad, missing or foreign signature is 401 and nothing is done', async () => {
    const before = (await rest(server, 'GET', '/v1/integrations/github/events', { key: admin })).body.events.length;
    const ping = { zen: 'Design for failure.', hook_id: 292430182, hook: { type: 'Repository', id: 292430182, events: ['push', 'pull_request'] }, repository: REPOSITORY, sender: { login: 'octocat' } };
    expect((await deliver('ping', ping, { secret: 'the-wrong-secret-xxxxxxxxxxxxxxx' })).status).toBe(401);
    const missing = await deliver('ping', ping, { secret: null });
    expect(missing.status).toBe(401);
    expect(missing.body.detail).toMatch(/X-Hub-Signature-256/);
    // Signed for one body, sent with another.
    const raw = JSON.stringify(ping);
    const tampered = await rest(server, 'POST', '/v1/integrations/github/webhook', {
      rawBody: raw.replace('failure', 'success'),
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': crypto.randomUUID(), 'X-Hub-Signature-256': githubSignature(SECRET, raw) },
    });
    expect(tampered.status).toBe(401);
    // A repository no project is connected to: the same answer.
    expect((await deliver('ping', { ...ping, repository: { ...REPOSITORY, full_name: 'acme/elsewhere' } })).status).toBe(401);
    expect((await rest(server, 'GET', '/v1/integrations/github/events', { key: admin })).body.events.length).toBe(before);
  });

  it('ping → 200; unknown events and other actions → 202 ignored; a redelivery does nothing twice', async () => {
    const ping = await deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 292430182, repository: REPOSITORY, sender: { login: 'octocat' } });
    expect(ping.status).toBe(200);
    expect(ping.body).toMatchObject({ event: 'ping', zen: 'Keep it logically awesome.', results: [{ outcome: 'done' }] });
    const issues = await deliver('issues', { action: 'opened', issue: { number: 3, title: 'x' }, repository: REPOSITORY, sender: { login: 'octocat' } });
    expect(issues.status).toBe(202);
    expect(issues.body.results[0]).toMatchObject({ outcome: 'ignored' });
    const closed = await deliver('pull_request', { action: 'closed', number: 9, pull_request: { number: 9, head: { sha: PR_HEAD } }, repository: REPOSITORY });
    expect(closed.status).toBe(202);
    expect(closed.body.results[0].outcome).toBe('ignored');
    const id = crypto.randomUUID();
    expect((await deliver('ping', { zen: 'Again.', repository: REPOSITORY }, { delivery: id })).body.results[0].outcome).toBe('done');
    const again = await deliver('ping', { zen: 'Again.', repository: REPOSITORY }, { delivery: id });
    expect(again.status).toBe(200);
    expect(again.body.results[0].outcome).toBe('duplicate');
  });

  it('push → re-ingests the tracked files it changed and deletes tracked removed ones; a redelivery does nothing twice', async () => {
    // Tracked because the project already holds them under their repository paths.
    expect((await rest(server, 'POST', '/v1/tools/ingest_context', { key: admin, body: { file_id: 'notes/custom.cfg', content: 'retries = 3\n' } })).status).toBeLessThan(300);
    expect((await rest(server, 'POST', '/v1/tools/ingest_context', { key: admin, body: { file_id: 'docs/old.md', content: '# Old\n\nThis page moved.\n' } })).status).toBeLessThan(300);
    const commit = (id: string, c: { added?: string[]; removed?: string[]; modified?: string[] }) => ({
      id, tree_id: 'f'.repeat(40), distinct: true, message: 'docs', timestamp: '2026-11-29T15:00:00Z', url: `https://github.com/acme/handbook/commit/${id}`,
      author: { name: 'Mona', email: 'mona@example.com', username: 'mona' }, committer: { name: 'Mona', email: 'mona@example.com', username: 'mona' },
      added: c.added ?? [], removed: c.removed ?? [], modified: c.modified ?? [],
    });
    const push = {
      ref: 'refs/heads/main', before: 'c'.repeat(40), after: HEAD, created: false, deleted: false, forced: false, base_ref: null,
      compare: 'https://github.com/acme/handbook/compare/ccc...aaa',
      commits: [commit('d'.repeat(40), { added: ['docs/guide.md'], modified: ['src/app.ts'] }), commit(HEAD, { modified: ['notes/custom.cfg'], removed: ['docs/old.md', 'docs/never-ingested.md'] })],
      head_commit: commit(HEAD, { modified: ['notes/custom.cfg'] }),
      repository: REPOSITORY, pusher: { name: 'mona', email: 'mona@example.com' }, sender: { login: 'mona' },
    };
    const delivery = crypto.randomUUID();
    const r = await deliver('push', push, { delivery });
    expect(r.status).toBe(202);
    const jobId = r.body.results[0].job_id;
    expect(jobId).toMatch(/^job_/);
    const job = await until(async () => {
      const j = await rest(server, 'GET', `/v1/batch-queue/${jobId}?include_results=true`, { key: admin });
      return j.body.status === 'completed' ? j.body : undefined;
    });
    expect(job.kind).toBe('github_event');
    const byPath = Object.fromEntries(job.results.map((x: any) => [x.result.path, x.result.status]));
    expect(byPath).toEqual({ 'docs/guide.md': 'created', 'notes/custom.cfg': 'updated', 'docs/old.md': 'deleted' });
    const guide = await rest(server, 'POST', '/v1/tools/get_document', { key: admin, body: { file_id: 'docs/guide.md', include_content: true } });
    expect(guide.status).toBe(200);
    expect(JSON.stringify(guide.body)).toContain('npm i handbook');
    expect((await rest(server, 'POST', '/v1/tools/get_document', { key: admin, body: { file_id: 'docs/old.md' } })).status).toBe(404);
    expect((await rest(server, 'POST', '/v1/tools/get_document', { key: admin, body: { file_id: 'src/app.ts' } })).status).toBe(404);
    // Read over the raw-content protocol at the pushed commit, with the token.
    const raws = gh.hits.filter((h) => h.url.startsWith('/raw/'));
    expect(raws.map((h) => h.url).sort()).toEqual([`/raw/acme/handbook/${HEAD}/docs/guide.md`, `/raw/acme/handbook/${HEAD}/notes/custom.cfg`]);
    expect(raws.every((h) => h.headers.authorization === `token ${TOKEN}`)).toBe(true);

    const ev = await until(async () => {
      const e = (await rest(server, 'GET', '/v1/integrations/github/events', { key: admin })).body.events.find((x: any) => x.delivery_id === delivery);
      return e?.status === 'done' ? e : undefined;
    });
    expect(ev.summary.results).toHaveLength(3);

    const again = await deliver('push', push, { delivery });
    expect(again.status).toBe(200);
    expect(again.body.results[0].outcome).toBe('duplicate');
    await server.deps.service(JobsService).idle();
    expect(gh.hits.filter((h) => h.url.startsWith('/raw/'))).toHaveLength(2);
  });

  it('pull_request → compressed diff, changed symbols and blast radius; stored, sent to webhooks, posted as a PR comment', async () => {
    const hook = await rest(server, 'POST', '/v1/webhooks', { key: admin, body: { url: rcv.url, events: ['github.pull_request'] } });
    expect(hook.status).toBe(201);
    const pr = {
      action: 'opened', number: 42,
      pull_request: {
        url: 'https://api.github.com/repos/acme/handbook/pulls/42', id: 1, number: 42, state: 'open', title: 'Validate the port', user: { login: 'mona' },
        html_url: 'https://github.com/acme/handbook/pull/42', diff_url: 'https://github.com/acme/handbook/pull/42.diff',
        head: { label: 'acme:port', ref: 'port', sha: PR_HEAD }, base: { label: 'acme:main', ref: 'main', sha: HEAD },
      },
      repository: REPOSITORY, sender: { login: 'mona' },
    };
    const delivery = crypto.randomUUID();
    const r = await deliver('pull_request', pr, { delivery });
    expect(r.status).toBe(202);
    const comment = await until(() => gh.hits.find((h) => h.method === 'POST' && h.url === '/api/repos/acme/handbook/issues/42/comments'));
    // GitHub's REST shape: JSON {body}, a token, the v3 media type and API version.
    expect(comment.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(comment.headers.accept).toBe('application/vnd.github+json');
    expect(comment.headers['x-github-api-version']).toBe('2022-11-28');
    const body = JSON.parse(comment.body);
    expect(Object.keys(body)).toEqual(['body']);
    expect(body.body).toContain('compressed diff of #42');
    expect(body.body).toContain('`parseConfig`');
    expect(body.body).toMatch(/Blast radius[\s\S]*`src\/cli\.ts` \(`parseConfig`\)/);
    expect(body.body).toContain('+  if (!Number.isInteger(port))');
    expect(body.body).not.toContain('"lockfileVersion"'); // lock-file bodies are folded
    const diffReq = gh.hits.find((h) => h.url === '/api/repos/acme/handbook/pulls/42')!;
    expect(diffReq.headers.accept).toBe('application/vnd.github.diff');

    const sent = await until(() => rcv.got.find((g) => g.event === 'github.pull_request'));
    expect(sent.body.data).toMatchObject({ delivery_id: delivery, event: 'pull_request', action: 'opened', status: 'completed' });
    const s = sent.body.data.summary;
    expect(s.files.find((f: any) => f.path === 'src/config.ts').symbols).toEqual(['parseConfig']);
    expect(s.files.find((f: any) => f.path === 'src/cli.ts').symbols).toEqual(['main']);
    expect(s.blast_radius.map((b: any) => b.path)).toContain('src/cli.ts');
    expect(s.summary_tokens).toBeLessThan(s.diff_tokens);
    // The comment's address, read from GitHub's whole answer (a webhook-sized 2 KB head cut the JSON).
    expect(s.comment).toMatchObject({ posted: true, status_code: 201, url: 'https://github.com/acme/handbook/pull/42#issuecomment-1' });
    console.log(`[github] PR #42 diff ${s.diff_tokens} tokens → summary ${s.summary_tokens} tokens (${s.savings_pct}% saved)`);

    const ev = await until(async () => {
      const e = (await rest(server, 'GET', '/v1/integrations/github/events', { key: admin })).body.events.find((x: any) => x.delivery_id === delivery);
      return e?.status === 'done' ? e : undefined;
    });
    expect(ev.summary.comment.posted).toBe(true);
    // Redelivered: no second comment, no second webhook event.
    expect((await deliver('pull_request', pr, { delivery })).body.results[0].outcome).toBe('duplicate');
    await server.deps.service(JobsService).idle();
    await new Promise((res) => setTimeout(res, 200));
    expect(gh.hits.filter((h) => h.method === 'POST')).toHaveLength(1);
    expect(rcv.got.filter((g) => g.event === 'github.pull_request')).toHaveLength(1);
  });

  it('without a token the summary is stored but no comment is posted; disconnecting refuses further deliveries', async () => {
    expect((await rest(server, 'POST', '/v1/integrations/github', { key: admin, body: { repository: 'acme/handbook', token: null } })).body.token_set).toBe(false);
    const posts = gh.hits.filter((h) => h.method === 'POST').length;
    const pr = { action: 'synchronize', number: 43, pull_request: { number: 43, title: 't', head: { sha: PR_HEAD }, base: { sha: HEAD } }, repository: REPOSITORY };
    const delivery = crypto.randomUUID();
    expect((await deliver('pull_request', pr, { delivery })).status).toBe(202);
    const ev = await until(async () => {
      const e = (await rest(server, 'GET', '/v1/integrations/github/events', { key: admin })).body.events.find((x: any) => x.delivery_id === delivery);
      return e?.status === 'done' ? e : undefined;
    });
    expect(ev.summary.comment).toEqual({ posted: false, reason: 'no GitHub token configured' });
    expect(gh.hits.filter((h) => h.method === 'POST').length).toBe(posts);
    // Rotate the secret: the old one stops verifying.
    const NEW = 'rotated-secret-fedcba9876543210';
    expect((await rest(server, 'POST', '/v1/integrations/github', { key: admin, body: { repository: 'acme/handbook', secret: NEW } })).status).toBe(200);
    expect((await deliver('ping', { zen: 'z', repository: REPOSITORY })).status).toBe(401);
    expect((await deliver('ping', { zen: 'z', repository: REPOSITORY }, { secret: NEW })).status).toBe(200);
    expect((await rest(server, 'DELETE', '/v1/integrations/github', { key: admin })).status).toBe(200);
    expect((await deliver('ping', { zen: 'z', repository: REPOSITORY }, { secret: NEW })).status).toBe(401);
  });
});

describe('GitHub inbound from a local clone (content_source checkout)', () => {
  it('a push re-ingests the files at the pushed commit with git show, not the working tree', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-gh-clone-'));
    const s = await startTestServer({ config: { allowedRoots: [root] } });
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
      git('init', '-q', '-b', 'main');
      fs.mkdirSync(path.join(root, 'docs'));
      fs.writeFileSync(path.join(root, 'docs', 'setup.md'), '# Setup\n\nRun `make install` first, then `make test`.\n');
      git('add', '.');
      git('commit', '-q', '-m', 'docs');
      const sha = git('rev-parse', 'HEAD');
      // The working tree has moved on since; the push names the commit.
      fs.writeFileSync(path.join(root, 'docs', 'setup.md'), '# Setup\n\nuncommitted edit\n');
      const cfg = await rest(s, 'POST', '/v1/integrations/github', { key: s.ownerKey, body: { repository: 'acme/handbook', secret: SECRET, content_source: 'checkout', checkout_path: root, track: ['docs/**'] } });
      expect(cfg.status).toBe(200);
      expect(cfg.body.checkout_path).toBe(fs.realpathSync(root));
      const outside = await rest(s, 'POST', '/v1/integrations/github', { key: s.ownerKey, body: { repository: 'acme/handbook', content_source: 'checkout', checkout_path: os.tmpdir() } });
      expect(outside.status).toBe(403);
      const push = { ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, deleted: false, commits: [{ id: sha, added: ['docs/setup.md'], removed: [], modified: [] }], repository: REPOSITORY };
      const raw = JSON.stringify(push);
      const r = await rest(s, 'POST', '/v1/integrations/github/webhook', {
        rawBody: raw,
        headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': crypto.randomUUID(), 'X-Hub-Signature-256': githubSignature(SECRET, raw) },
      });
      expect(r.status).toBe(202);
      await until(async () => ((await rest(s, 'GET', `/v1/batch-queue/${r.body.results[0].job_id}`, { key: s.ownerKey })).body.status === 'completed' ? true : undefined));
      const doc = await rest(s, 'POST', '/v1/tools/get_document', { key: s.ownerKey, body: { file_id: 'docs/setup.md', include_content: true } });
      expect(JSON.stringify(doc.body)).toContain('make install');
      expect(JSON.stringify(doc.body)).not.toContain('uncommitted edit');
    } finally {
      await s.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
