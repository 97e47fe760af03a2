// GitHub inbound (issue 18, point 5; the seed's "GitHub Webhooks" and "Integrations"). A project
// connects one repository (configure_github_integration): a webhook secret and an optional token,
// both sealed under the server secret and never returned; where changed files are read; which paths
// it tracks. GitHub then posts to POST /v1/integrations/github/webhook:
//
//   - The body's repository.full_name names the projects connected to that repository; the raw body's
//     X-Hub-Signature-256 must verify (constant time) against one of their secrets, else 401 and
//     nothing is done or stored.
//   - X-GitHub-Delivery is recorded once per project (github_events, unique): a redelivery answers
//     200 {duplicate} and does nothing twice.
//   - ping → 200. push to the default branch → a `github_event` job re-ingests the tracked files it
//     changed (a document per file, file_id = the repository path) and deletes tracked documents of
//     removed files. pull_request opened / synchronize / reopened / ready_for_review → a job reads
//     the PR's diff from the REST API, compresses it (the git_diff CLI filter), finds the changed
//     definitions and their blast radius (the code engine), stores the summary and, with a token,
//     posts it as a PR comment. Other events and actions → 202 ignored (recorded).
//   - When the job finishes, the event is delivered to the project's webhooks as github.push /
//     github.pull_request (one delivery per GitHub delivery id).
//
// A file is tracked when its path matches one of the integration's `track` patterns (default: the
// documentation extensions in DEFAULT_TRACK) or the project already has a document whose file_id is
// that path (ingested earlier by hand or by a previous push).
//
// Content: `raw` reads `{raw_base_url}/{owner}/{repo}/{sha}/{path}` (raw.githubusercontent.com's
// protocol; a token is sent as `Authorization: token …` for private repositories); `checkout` runs
// `git show {sha}:{path}` in a local clone under CTXGATE_ALLOWED_ROOTS (kept fetched by the operator).
import { execFile } from 'node:child_process';
import type { AppDeps } from '../app-deps.js';
import { BadRequest, InvalidInput, NotFound, Unauthorized, UnsupportedMediaType, UpstreamFailed } from '../errors.js';
import type { Caller, Scope } from '../domain/scope.js';
import { filterCliOutput } from '../engine/cli/index.js';
import { COMMENT_MAX_CHARS, matchesAny, parseUnifiedDiff, pullRequestComment, pushChanges, touchedDefinitions, verifyGithubSignature, type PullRequestSummary } from '../engine/github.js';
import { redactSecrets } from '../engine/secrets.js';
import { countTokens } from '../engine/tokens.js';
import { excerpt } from '../registry/schema.js';
import { newId, nowIso } from '../store/db.js';
import type { GithubEventRow, GithubIntegrationRow } from '../store/github.js';
import { badPathReason, CodeService, looksBinary, type BundleFile } from './code.js';
import { DocumentsService } from './documents.js';
import { seal, unseal } from './gateway/seal.js';
import { JobsService, type JobKind, type JobView } from './jobs.js';
import { KeysService } from './keys.js';
import { resolveAllowedDir } from './local-roots.js';
import { checkOutboundUrl, fetchUrl, pinnedPost } from './url-fetch.js';
import { WebhooksService, type WebhookEvent } from './webhooks.js';

export const GITHUB_JOB_KIND = 'github_event';
export const GITHUB_WEBHOOK_PATH = '/v1/integrations/github/webhook';
export const DEFAULT_TRACK = ['**/*.md', '**/*.mdx', '**/*.markdown', '**/*.rst', '**/*.adoc', '**/*.txt'];
/** Files one push re-ingests at most (GitHub lists at most 2,048 commits per push). */
export const MAX_PUSH_FILES = 200;
/** Changed files of a pull request whose head content is read for the symbol analysis. */
const MAX_PR_CODE_FILES = 50;
const MAX_DIFF_BYTES = 5 * 1024 * 1024;
const PR_ACTIONS = new Set(['opened', 'synchronize', 'reopened', 'ready_for_review']);
const REPO_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export interface GithubIntegrationView {
  repository: string;
  webhook_path: string;
  content_source: 'raw' | 'checkout';
  raw_base_url: string;
  api_base_url: string;
  checkout_path: string | null;
  track: string[];
  pr_comments: boolean;
  /** A secret is always set; it is never shown again. */
  secret_set: true;
  token_set: boolean;
  created_at: string;
  updated_at: string;
}

export interface GithubEventView {
  event_id: string;
  delivery_id: string;
  event: string;
  action: string | null;
  status: GithubEventRow['status'];
  job_id: string | null;
  summary: unknown;
  received_at: string;
  finished_at: string | null;
}

export interface ConfigureRequest {
  repository: string;
  secret?: string | null;
  /** A string sets it, null clears it, absent keeps it. */
  token?: string | null;
  track?: string[];
  content_source?: 'raw' | 'checkout';
  raw_base_url?: string | null;
  api_base_url?: string | null;
  checkout_path?: string | null;
  pr_comments?: boolean;
}

type FileItem = { type: 'file'; path: string; sha: string; removed: boolean };
type PullItem = { type: 'pull_request'; number: number; title: string; head_sha: string; event_id: string };
type GithubItem = FileItem | PullItem;

export interface ReceiveOutcome {
  project_id: string;
  outcome: 'done' | 'queued' | 'ignored' | 'duplicate';
  event_id?: string;
  job_id?: string;
  reason?: string;
}

/** The sealed values are bound to their project: copied into another row, they do not open. */
const bindOf = (scope: Scope) => `github:${scope.ownerId}:${scope.projectId}`;

function view(r: GithubIntegrationRow): GithubIntegrationView {
  return {
    repository: r.repository,
    webhook_path: GITHUB_WEBHOOK_PATH,
    content_source: r.content_source,
    raw_base_url: r.raw_base_url,
    api_base_url: r.api_base_url,
    checkout_path: r.checkout_path,
    track: r.track,
    pr_comments: r.pr_comments === 1,
    secret_set: true,
    token_set: r.token_sealed !== null,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

function eventView(r: GithubEventRow): GithubEventView {
  return { event_id: r.id, delivery_id: r.delivery_id, event: r.event, action: r.action, status: r.status, job_id: r.job_id, summary: r.summary, received_at: r.received_at, finished_at: r.finished_at };
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

export class GithubService {
  constructor(private readonly deps: AppDeps) {}

  // ---------------------------------------------------------------- configuration

  async configure(scope: Scope, actorId: string, req: ConfigureRequest): Promise<GithubIntegrationView> {
    const repository = req.repository.trim();
    if (!REPO_RE.test(repository)) throw new InvalidInput(`Field 'repository' must be "owner/name" as on GitHub, got ${excerpt(repository, 60)}`, { field: 'repository', rule: 'format' });
    const repo = this.deps.store.github(scope);
    const existing = await repo.integration();
    if (req.secret == null && !existing) throw new InvalidInput("Field 'secret' is required when a repository is first connected: the webhook secret you enter in GitHub's webhook settings", { field: 'secret', rule: 'required' });
    if (req.secret != null && (req.secret.length < 16 || req.secret.length > 256)) throw new InvalidInput("Field 'secret' must be 16 to 256 characters (use a random string with high entropy)", { field: 'secret', rule: 'length' });
    const track = req.track ?? existing?.track ?? DEFAULT_TRACK;
    if (track.length === 0 || track.length > 50 || track.some((t) => t.trim() === '' || t.length > 200)) {
      throw new InvalidInput("Field 'track' must hold 1 to 50 path patterns of at most 200 characters (e.g. \"docs/**\", \"**/*.md\")", { field: 'track' });
    }
    const contentSource = req.content_source ?? existing?.content_source ?? 'raw';
    const rawBase = (req.raw_base_url ?? existing?.raw_base_url ?? this.deps.config.github.rawBaseUrl).replace(/\/+$/, '');
    const apiBase = (req.api_base_url ?? existing?.api_base_url ?? this.deps.config.github.apiBaseUrl).replace(/\/+$/, '');
    // A base the caller sets is checked now like every outbound address (private ones refused unless
    // allow-listed); every base is checked again on every request.
    for (const [field, url] of [['raw_base_url', req.raw_base_url], ['api_base_url', req.api_base_url]] as const) {
      if (url == null) continue;
      try {
        await checkOutboundUrl(url, this.deps.config.urlAllowlist);
      } catch (err) {
        if (err instanceof BadRequest) throw new BadRequest(`Field '${field}': ${err.message}`, err.code, { ...err.extra, field });
        throw err;
      }
    }
    let checkout = req.checkout_path === undefined ? (existing?.checkout_path ?? null) : req.checkout_path;
    if (checkout) checkout = resolveAllowedDir(checkout, this.deps.config.allowedRoots, 'checkout_path');
    if (contentSource === 'checkout' && !checkout) throw new InvalidInput("Field 'checkout_path' is required with content_source \"checkout\": a local clone of the repository", { field: 'checkout_path', rule: 'required' });
    const now = nowIso();
    const row: GithubIntegrationRow = {
      repository: repository.toLowerCase(),
      secret_sealed: req.secret != null ? seal(this.deps.secret, bindOf(scope), req.secret) : existing!.secret_sealed,
      token_sealed: req.token === undefined ? (existing?.token_sealed ?? null) : req.token === null || req.token === '' ? null : seal(this.deps.secret, bindOf(scope), req.token),
      track,
      content_source: contentSource,
      raw_base_url: rawBase,
      api_base_url: apiBase,
      checkout_path: checkout,
      pr_comments: (req.pr_comments ?? (existing ? existing.pr_comments === 1 : true)) ? 1 : 0,
      created_by: existing?.created_by ?? actorId,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    await repo.saveIntegration(row);
    return view(row);
  }

  async get(scope: Scope): Promise<GithubIntegrationView> {
    const r = await this.deps.store.github(scope).integration();
    if (!r) throw notConnected();
    return view(r);
  }

  async disconnect(scope: Scope): Promise<void> {
    if (!(await this.deps.store.github(scope).deleteIntegration())) throw notConnected();
  }

  async events(scope: Scope, limit: number): Promise<GithubEventView[]> {
    return (await this.deps.store.github(scope).events(limit)).map(eventView);
  }

  // ---------------------------------------------------------------- the webhook receiver

  /**
   * One delivery from GitHub. Throws Unauthorized (401) unless the signature verifies against a
   * project connected to the body's repository; nothing is stored before that.
   */
  async receive(h: { event?: string; delivery?: string; signature?: string; contentType?: string }, raw: Buffer): Promise<{ status: 200 | 202; body: Record<string, unknown> }> {
    if (!h.signature) throw new Unauthorized('X-Hub-Signature-256 is missing: set a secret on the GitHub webhook (unsigned deliveries are refused)');
    const payload = parsePayload(raw, h.contentType);
    const fullName = typeof payload?.repository?.full_name === 'string' ? payload.repository.full_name.toLowerCase() : '';
    const connected = fullName ? await this.deps.store.githubDirectory().connected(fullName) : [];
    const verified = connected.filter(({ scope, row }) => {
      try {
        return verifyGithubSignature(unseal<string>(this.deps.secret, bindOf(scope), row.secret_sealed), raw, h.signature);
      } catch {
        return false;
      }
    });
    // One answer for every failure (no such repository, wrong secret, unreadable body): nothing about which.
    if (verified.length === 0) throw new Unauthorized('X-Hub-Signature-256 does not verify against the webhook secret of any project connected to this repository');
    if (!payload) throw new UnsupportedMediaType('The body is not a GitHub JSON payload (content type application/json or application/x-www-form-urlencoded with payload=)', { field: 'Content-Type' });
    const event = (h.event ?? '').trim();
    const delivery = (h.delivery ?? '').trim();
    if (!/^[a-z_]{1,64}$/.test(event)) throw new BadRequest('X-GitHub-Event is missing or malformed', 'invalid_header', { field: 'X-GitHub-Event' });
    if (!/^[A-Za-z0-9-]{1,100}$/.test(delivery)) throw new BadRequest('X-GitHub-Delivery is missing or malformed (GitHub sends a GUID)', 'invalid_header', { field: 'X-GitHub-Delivery' });
    const results: ReceiveOutcome[] = [];
    for (const { scope, row } of verified) results.push(await this.handle(scope, row, event, delivery, payload));
    const status = event === 'ping' || results.every((r) => r.outcome === 'duplicate') ? 200 : 202;
    return { status, body: { event, delivery_id: delivery, ...(event === 'ping' ? { zen: String(payload.zen ?? '') } : {}), results } };
  }

  private async handle(scope: Scope, row: GithubIntegrationRow, event: string, delivery: string, p: any): Promise<ReceiveOutcome> {
    const repo = this.deps.store.github(scope);
    const id = newId('ghe');
    const base = { id, delivery_id: delivery, event, action: typeof p.action === 'string' ? p.action.slice(0, 64) : null, received_at: nowIso() };
    const record = async (status: 'done' | 'ignored', summary: unknown, reason?: string): Promise<ReceiveOutcome> =>
      (await repo.insertEvent({ ...base, status, job_id: null, summary }))
        ? { project_id: scope.projectId, outcome: status, event_id: id, ...(reason ? { reason } : {}) }
        : { project_id: scope.projectId, outcome: 'duplicate' };
    const queue = async (items: GithubItem[], summary: unknown): Promise<ReceiveOutcome> => {
      const caller = await this.caller(scope);
      let jobId = '';
      const job = await this.deps.service(JobsService).submitIf(caller, scope, { kind: GITHUB_JOB_KIND, items, options: { github_event_id: id } }, (t, jid) => {
        jobId = jid;
        return t.github(scope).insertEvent({ ...base, status: 'queued', job_id: jid, summary });
      });
      return job ? { project_id: scope.projectId, outcome: 'queued', event_id: id, job_id: jobId } : { project_id: scope.projectId, outcome: 'duplicate' };
    };

    if (event === 'ping') return record('done', { zen: String(p.zen ?? '').slice(0, 200), hook_id: p.hook_id ?? null });
    if (event === 'push') {
      const branch = `refs/heads/${p.repository?.default_branch ?? 'main'}`;
      if (p.ref !== branch) return record('ignored', { ref: p.ref ?? null }, `only pushes to the default branch (${branch}) are ingested`);
      if (p.deleted || typeof p.after !== 'string' || !SHA_RE.test(p.after)) return record('ignored', { ref: p.ref }, 'the push deleted the branch or names no commit');
      const { changed, removed } = pushChanges(Array.isArray(p.commits) ? p.commits : []);
      const docs = this.deps.service(DocumentsService);
      const known = async (path: string) =>
        docs.resolve(scope, { fileId: path }).then(
          () => true,
          (err) => {
            if (err instanceof NotFound) return false;
            throw err;
          },
        );
      const items: FileItem[] = [];
      for (const path of changed) {
        if (badPathReason(path)) continue;
        if (matchesAny(path, row.track) || (await known(path))) items.push({ type: 'file', path, sha: p.after, removed: false });
      }
      for (const path of removed) if (!badPathReason(path) && (await known(path))) items.push({ type: 'file', path, sha: p.after, removed: true });
      if (items.length === 0) return record('ignored', { ref: p.ref, after: p.after, changed: changed.length, removed: removed.length }, 'no tracked file changed');
      const summary = { ref: p.ref, after: p.after, files: items.length, skipped: Math.max(0, items.length - MAX_PUSH_FILES) };
      return queue(items.slice(0, MAX_PUSH_FILES), summary);
    }
    if (event === 'pull_request') {
      const pr = p.pull_request;
      if (!PR_ACTIONS.has(p.action)) return record('ignored', { number: p.number ?? null }, `pull_request action "${String(p.action).slice(0, 40)}" is not summarised (only ${[...PR_ACTIONS].join(', ')})`);
      const num = Number(p.number ?? pr?.number);
      const head = pr?.head?.sha;
      if (!Number.isInteger(num) || num <= 0 || typeof head !== 'string' || !SHA_RE.test(head)) throw new BadRequest('pull_request payload without a number or head sha', 'invalid_payload', { field: 'pull_request' });
      return queue([{ type: 'pull_request', number: num, title: String(pr?.title ?? '').slice(0, 300), head_sha: head, event_id: id }], null);
    }
    return record('ignored', null, `event "${event}" is not handled (ping, push, pull_request are)`);
  }

  /** Whom the event's work is metered to: the project's account, at its plan (no key). */
  private async caller(scope: Scope): Promise<Caller> {
    const plan = await this.deps.service(KeysService).accountPlan(scope.ownerId);
    return { userId: scope.ownerId, projectId: scope.projectId, keyId: null, plan, keyName: 'github' };
  }

  // ---------------------------------------------------------------- the job's items

  async runItem(scope: Scope, caller: Caller, item: GithubItem, signal: AbortSignal): Promise<{ result: unknown; meter?: { tokensIn: number; tokensOut: number } }> {
    const row = await this.deps.store.github(scope).integration();
    if (!row) throw notConnected();
    if (item.type === 'pull_request') return { result: await this.summarisePullRequest(scope, row, item, signal) };
    const docs = this.deps.service(DocumentsService);
    if (item.removed) {
      const gone = await docs.delete(scope, { fileId: item.path }).then(
        (d) => d.doc_id,
        (err) => {
          if (err instanceof NotFound) return null;
          throw err;
        },
      );
      return { result: { path: item.path, status: gone ? 'deleted' : 'absent', doc_id: gone } };
    }
    // Text read from outside is stored under the one secrets rule: redacted.
    const { text, classes } = redactSecrets(await this.readFile(scope, row, item.path, item.sha, this.deps.config.plans[caller.plan].maxTextBytes, signal));
    const r = await docs.ingest(
      scope,
      { fileId: item.path, text, title: item.path, sourceType: 'github', metadata: { repository: row.repository, path: item.path, sha: item.sha } },
      { maxBytes: this.deps.config.plans[caller.plan].maxTextBytes, onExisting: 'replace', signal },
    );
    return {
      result: { path: item.path, status: r.status, doc_id: r.doc_id, tokens_before: r.tokens_before, tokens_after: r.tokens_after, secrets_redacted: classes },
      meter: r.status === 'unchanged' ? undefined : { tokensIn: r.tokens_before, tokensOut: r.tokens_after },
    };
  }

  /** A file at a commit, from raw content or the local clone. */
  private async readFile(scope: Scope, row: GithubIntegrationRow, path: string, sha: string, maxBytes: number, signal: AbortSignal): Promise<string> {
    let body: Buffer;
    if (row.content_source === 'checkout') {
      const dir = resolveAllowedDir(row.checkout_path!, this.deps.config.allowedRoots, 'checkout_path');
      body = await new Promise<Buffer>((resolve, reject) => {
        execFile('git', ['-C', dir, 'show', `${sha}:${path}`], { encoding: 'buffer', maxBuffer: maxBytes, signal, timeout: 30_000 }, (err, out) => {
          if (err) reject(new UpstreamFailed(`checkout: cannot read ${excerpt(path, 80)} at ${sha.slice(0, 12)} (fetch the clone first)`, 'checkout_read_failed', { field: 'checkout_path' }));
          else resolve(out);
        });
      });
    } else {
      const [owner, name] = row.repository.split('/');
      const token = this.token(scope, row);
      const f = await fetchUrl(`${row.raw_base_url}/${owner}/${name}/${sha}/${encodePath(path)}`, {
        allowlist: this.deps.config.urlAllowlist,
        maxBytes,
        acceptTypes: ['text/*', 'application/octet-stream', 'application/json', 'application/xml'],
        headers: token ? { authorization: `token ${token}` } : undefined,
        signal,
      });
      body = f.body;
    }
    const text = body.toString('utf8');
    if (looksBinary(text)) throw new UnsupportedMediaType(`${excerpt(path, 80)} is binary; only text files are ingested`, { field: 'path' });
    return text;
  }

  private token(scope: Scope, row: GithubIntegrationRow): string | null {
    return row.token_sealed ? unseal<string>(this.deps.secret, bindOf(scope), row.token_sealed) : null;
  }

  /** The compressed diff, changed symbols and blast radius of a pull request; the PR comment when a token is set. */
  private async summarisePullRequest(scope: Scope, row: GithubIntegrationRow, item: PullItem, signal: AbortSignal): Promise<PullRequestSummary & { comment: unknown }> {
    const store = this.deps.store.github(scope);
    const [owner, name] = row.repository.split('/');
    const token = this.token(scope, row);
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const api = `${row.api_base_url}/repos/${owner}/${name}`;
    const diffRes = await fetchUrl(`${api}/pulls/${item.number}`, {
      allowlist: this.deps.config.urlAllowlist,
      maxBytes: MAX_DIFF_BYTES,
      acceptTypes: ['application/vnd.github.diff', 'text/x-diff', 'text/plain'],
      headers: { ...auth, accept: 'application/vnd.github.diff', 'x-github-api-version': '2022-11-28' },
      signal,
    });
    // Stored, delivered to webhooks and posted: redacted under the one secrets rule.
    const diff = redactSecrets(diffRes.body.toString('utf8')).text;
    const files = parseUnifiedDiff(diff);
    const compressed = filterCliOutput(diff, { hint: 'git_diff' }).filtered;
    const diffTokens = countTokens(diff);
    const summaryTokens = countTokens(compressed);

    // The changed definitions: parse each changed file at the head commit, keep the definitions a hunk touches.
    const code = this.deps.service(CodeService);
    const work = { progress: async () => {}, signal };
    const candidates = files.filter((f) => f.status !== 'removed' && !f.binary && !matchesAny(f.path, DEFAULT_TRACK)).slice(0, MAX_PR_CODE_FILES);
    const head: BundleFile[] = [];
    for (const f of candidates) {
      try {
        head.push({ path: f.path, content: redactSecrets(await this.readFile(scope, row, f.path, item.head_sha, 1024 * 1024, signal)).text });
      } catch (err) {
        if (signal.aborted) throw err;
        this.deps.log.warn({ err, path: f.path }, 'github: changed file not readable; left out of the symbol analysis');
      }
    }
    const { analyzed } = await code.analyzeBundle(head, work, false);
    const symbols = new Map<string, string[]>();
    for (const a of analyzed) {
      const f = files.find((x) => x.path === a.path)!;
      symbols.set(a.path, [...new Set(touchedDefinitions(a.analysis.defs, f.touched).map((d) => d.qualifiedName))]);
    }
    // Blast radius: files of the bundle (the changed files, plus the local clone when there is one) that use the changed symbols.
    let bundle = head;
    if (row.checkout_path) {
      try {
        const { files: local } = await code.loadRoot(row.checkout_path, work);
        const changed = new Set(head.map((f) => f.path));
        bundle = [...head, ...local.filter((f) => !changed.has(f.path)).map((f) => ({ ...f, content: redactSecrets(f.content).text }))];
      } catch (err) {
        this.deps.log.warn({ err }, 'github: local clone not readable; blast radius over the changed files only');
      }
    }
    const radius = new Map<string, { score: number; via: Set<string> }>();
    const focus = [...new Set([...symbols.values()].flat().map((q) => q.split('.').pop()!))].slice(0, 5);
    for (const sym of focus) {
      try {
        const r = await code.blastRadius({ files: bundle, focus_symbol: sym, top_k: 10 }, work);
        for (const c of r.ranked_context) {
          if (!c.symbols.some((s) => !s.defines)) continue; // only files that use the symbol, not the ones that merely define it
          const e = radius.get(c.path) ?? { score: 0, via: new Set<string>() };
          e.score = Math.max(e.score, c.score);
          e.via.add(sym);
          radius.set(c.path, e);
        }
      } catch (err) {
        if (signal.aborted) throw err;
        this.deps.log.warn({ err, symbol: sym }, 'github: blast radius failed for a symbol');
      }
    }
    const summary: PullRequestSummary = {
      repository: row.repository,
      number: item.number,
      title: item.title,
      head_sha: item.head_sha,
      files: files.map((f) => ({ path: f.path, status: f.status, additions: f.additions, deletions: f.deletions, symbols: symbols.get(f.path) ?? [] })),
      diff_tokens: diffTokens,
      summary_tokens: summaryTokens,
      savings_pct: diffTokens > 0 ? Math.round((1000 * (diffTokens - summaryTokens)) / diffTokens) / 10 : 0,
      blast_radius: [...radius].sort((a, b) => b[1].score - a[1].score).slice(0, 10).map(([path, e]) => ({ path, score: Number(e.score.toFixed(6)), via: [...e.via] })),
      // Kept, delivered and posted: at most what a comment carries.
      compressed_diff: compressed.slice(0, COMMENT_MAX_CHARS),
      truncated: compressed.length > COMMENT_MAX_CHARS,
    };
    const body = pullRequestComment(summary);
    summary.truncated ||= body.includes('[… cut to fit a comment]');

    // The comment, once: an item started again after a crash finds it recorded.
    const before = (await store.event(item.event_id))?.summary as { comment?: { posted?: boolean } } | null;
    let comment: Record<string, unknown>;
    if (before?.comment?.posted) comment = before.comment;
    else if (!token || row.pr_comments !== 1) comment = { posted: false, reason: token ? 'pr_comments is off' : 'no GitHub token configured' };
    else {
      const r = await pinnedPost(`${api}/issues/${item.number}/comments`, JSON.stringify({ body }), { ...auth, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }, {
        allowlist: this.deps.config.urlAllowlist,
        timeoutMs: this.deps.config.webhooks.timeoutMs,
        signal,
        // Read whole (GitHub's answer is a few KB and html_url is parsed from it), within a sane cap.
        maxResponseBytes: 256 * 1024,
        overflow: 'truncate',
        userAgent: 'ctxgate-github/1',
      });
      comment = r.status === 201 ? { posted: true, status_code: r.status, url: safeJson(r.body)?.html_url ?? null } : { posted: false, status_code: r.status, reason: `GitHub answered HTTP ${r.status}` };
    }
    const out = { ...summary, comment };
    await store.setSummary(item.event_id, out);
    return out;
  }

  // ---------------------------------------------------------------- when the job ends

  /** A finished github_event job: the event's outcome recorded, and delivered to the project's webhooks. */
  async onJob(job: JobView, scope: Scope): Promise<void> {
    if (job.kind !== GITHUB_JOB_KIND || (job.status !== 'completed' && job.status !== 'failed' && job.status !== 'cancelled')) return;
    const repo = this.deps.store.github(scope);
    const ev = await repo.eventByJob(job.job_id);
    if (!ev) return;
    const items = await this.deps.service(JobsService).items(scope, job.job_id);
    const summary =
      ev.event === 'pull_request'
        ? (ev.summary ?? { error: items[0]?.error ?? null })
        : { ...(ev.summary as object), results: items.map((i) => (i.result ? i.result : { error: i.error, status: i.status })) };
    await repo.finishEvent(ev.id, job.status === 'completed' ? 'done' : 'failed', summary, nowIso());
    const name = `github.${ev.event}` as WebhookEvent;
    await this.deps.service(WebhooksService).emit(scope, name, `github:${ev.delivery_id}`, { delivery_id: ev.delivery_id, event: ev.event, action: ev.action, status: job.status, job_id: job.job_id, summary });
  }
}

/** The `github_event` job kind: one changed file, or one pull request. */
export const githubJobKind: JobKind<GithubItem, unknown> = {
  tool: 'github_webhook',
  run: (deps, item) => deps.service(GithubService).runItem(item.scope, item.caller, item.input, item.signal),
};

/** The JSON payload of a delivery (GitHub sends application/json, or a form with payload=). */
function parsePayload(raw: Buffer, contentType: string | undefined): any {
  try {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded') {
      const p = new URLSearchParams(raw.toString('utf8')).get('payload');
      return p ? JSON.parse(p) : null;
    }
    if (type !== 'application/json') return null;
    const v = JSON.parse(raw.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function safeJson(s: string): any {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function notConnected(): NotFound {
  return new NotFound('This project has no GitHub integration; connect one with configure_github_integration', { field: 'repository' });
}

