// The dashboard end to end (issue 20): headless Chromium (Debian's `chromium`, driven by
// playwright-core) against the real server. Sign in with a key, see the savings chart reflect
// compressions made here, create and revoke a key, re-bind a key to a project, watch a batch job
// move to completed over the SSE stream, open a KB item's diff, and fail to see another tenant's
// data. A screenshot of each page goes to test-artifacts/dashboard/ (gitignored; printed below).
// Without Chromium the file is skipped with a message, except under CI=true, where it fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { rest, startTestServer, useTempDirs, type TestServer } from '../helpers/server.js';

const CANDIDATES = [process.env.CTXGATE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const CHROMIUM = CANDIDATES.find((p): p is string => !!p && fs.existsSync(p));
if (!CHROMIUM) {
  const msg = `dashboard e2e: no Chromium found (looked at ${CANDIDATES.filter(Boolean).join(', ')}; set CTXGATE_CHROMIUM or apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`${msg}: skipping`);
}
// One folder per backend, so the SQLite and PostgreSQL runs do not overwrite each other's screenshots.
const ARTIFACTS = path.join(projectRoot, 'test-artifacts', 'dashboard', process.env.CTXGATE_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite');
const tmp = useTempDirs('ctxgate-dash-e2e-');

const DOC = (topic: string) =>
  `# ${topic}\n\n` + Array.from({ length: 14 }, (_, i) => `## Part ${i}\n\nThe ${topic} service handles request ${i}, validates the payload, writes an audit row and returns the result to the caller within the agreed latency budget.`).join('\n\n');

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const shots: string[] = [];

async function shot(name: string, p: Page = page) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

function watch(p: Page) {
  p.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
}

/** Controls on the page without an accessible name (label, aria-label, aria-labelledby or text). */
function unlabelled(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const d = (globalThis as any).document;
    const bad: string[] = [];
    for (const el of d.querySelectorAll('input, select, textarea, button, a[href], [role="combobox"]')) {
      const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent.trim() : '');
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

async function signIn(p: Page, key: string) {
  await p.goto(server.baseUrl + '/');
  await p.getByLabel('API key').fill(key);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.locator('main[data-page]').waitFor();
}

async function go(p: Page, hash: string, pageId: string) {
  await p.evaluate((h) => ((globalThis as any).location.hash = h), hash);
  await p.locator(`main[data-page="${pageId}"]:not([aria-busy])`).waitFor();
}

const compress = async (key: string, topic: string) => {
  // No cache: each call is a counted compression (the documents are alike enough for a semantic hit).
  const r = await rest(server, 'POST', '/v1/compress', { key, body: { text: DOC(topic), fidelity: 'outline', use_cache: false } });
  expect(r.status).toBe(200);
  return r.body.stats.tokens_saved as number;
};

describe.skipIf(!CHROMIUM)('dashboard in headless Chromium', () => {
  beforeAll(async () => {
    // Test the sources as they are now: bundle them (esbuild, well under a second) into this file's
    // own folder, so runs on both backends at once never read a half-written bundle.
    const bundle = tmp();
    const b = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build-dashboard.mjs'), bundle], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer({ config: { dashboardDir: bundle } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    watch(page);
  });
  afterAll(async () => {
    if (shots.length) console.log(`dashboard screenshots:\n${shots.join('\n')}`);
    await browser?.close();
    await server?.close();
  });

  it('serves the page with a strict Content-Security-Policy and signs in with a key kept in sessionStorage only', async () => {
    const res = await page.goto(server.baseUrl + '/');
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // A wrong key: refused, still on the sign-in form.
    await page.getByLabel('API key').fill('gc_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/401/);
    await signIn(page, server.ownerKey);
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ctxgate.key'))).toBe(server.ownerKey);
    expect((await context.cookies()).length).toBe(0);
    expect(page.url()).not.toContain(server.ownerKey);
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('ctxgate.key'))).toBeNull();
  });

  it('shows compressions made here in the savings chart, the quota and the recent list', async () => {
    const saved = (await compress(server.ownerKey, 'billing')) + (await compress(server.ownerKey, 'search'));
    await go(page, '#/projects', 'projects');
    await go(page, '#/overview', 'overview');
    const today = new Date().toISOString().slice(0, 10);
    await page.locator('#savings-table summary').click();
    const row = page.locator('#savings-table tbody tr', { hasText: today });
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe(saved.toLocaleString('en-US'));
    expect(await row.locator('td').nth(1).textContent()).toBe('2');
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#stat-quota strong').textContent()).toMatch(/^2 \//);
    const recent = page.locator('#recent-compressions tbody tr');
    expect(await recent.count()).toBe(2);
    expect(await recent.first().textContent()).toContain('outline');
    await shot('overview');
    // One more: the chart's figures follow.
    const more = await compress(server.ownerKey, 'auth');
    await page.reload();
    await page.locator('main[data-page="overview"]:not([aria-busy])').waitFor();
    await page.locator('#savings-table summary').click();
    await expect.poll(() => page.locator('#savings-table tbody tr', { hasText: today }).locator('td').nth(3).textContent()).toBe((saved + more).toLocaleString('en-US'));
  });

  it('creates a key (shown once) and revokes it', async () => {
    await go(page, '#/keys', 'keys');
    await page.locator('#create-key').getByLabel('Name').fill('e2e-created');
    await page.locator('#create-key').getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^gc_/);
    expect((await rest(server, 'GET', '/v1/usage', { key })).status).toBe(200);
    await shot('keys-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Revoke key e2e-created' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.locator('#keys-table tr', { hasText: 'e2e-created' }).textContent()).toContain('revoked');
    expect((await rest(server, 'GET', '/v1/usage', { key })).status).toBe(401);
  });

  it('creates, renames and deletes (with confirmation) a project', async () => {
    await go(page, '#/projects', 'projects');
    await page.getByLabel('Name', { exact: true }).fill('scratch');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('button', { name: 'Rename project scratch' }).click();
    await page.getByRole('dialog').getByLabel('New name').fill('scratch-renamed');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Delete project scratch-renamed' }).click();
    // The name must be typed to confirm: a wrong one keeps the dialog open.
    await page.getByRole('dialog').getByLabel('Type "scratch-renamed" to confirm').fill('scratch');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await expect.poll(() => page.getByRole('dialog').getByRole('alert').textContent()).toContain('does not match');
    await page.getByRole('dialog').getByLabel('Type "scratch-renamed" to confirm').fill('scratch-renamed');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await expect.poll(async () => (await rest(server, 'GET', '/v1/projects', { key: server.ownerKey })).body.projects.map((p: { name: string }) => p.name)).not.toContain('scratch-renamed');
    expect(await unlabelled(page)).toEqual([]);
  });

  it('re-binds a key to a project in place (same key string)', async () => {
    const proj = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'e2e-project' } });
    const k = await server.createKey({ name: 'bind-me' });
    await go(page, '#/projects', 'projects');
    await go(page, '#/keys', 'keys');
    await page.getByLabel('Project for key bind-me').selectOption({ label: 'e2e-project' });
    await page.getByRole('button', { name: 'Bind key bind-me to the chosen project' }).click();
    await expect.poll(async () => (await rest(server, 'GET', '/v1/keys', { key: server.ownerKey })).body.keys.find((x: { key_id: string }) => x.key_id === k.key_id).project_id).toBe(proj.body.id);
    const env = await rest(server, 'POST', '/v1/tools/check_environment', { key: k.keyString, body: {} });
    expect(env.body.project_id).toBe(proj.body.id);
    await expect.poll(() => page.getByLabel('Project for key bind-me').inputValue()).toBe(proj.body.id);
    await shot('keys');
  });

  it('watches a batch job move to completed live over the SSE stream', async () => {
    await go(page, '#/queue', 'queue');
    // The page names the project whose queue it shows: the owner key is unbound, so the account default.
    expect(await page.locator('#queue-project').textContent()).toMatch(/^Jobs of project .+: this key is not bound to a project, so it works in the account's default project/);
    await expect.poll(() => page.locator('#stream-state').textContent()).toBe('live');
    // Record every status the job's row shows, without reloading the page.
    // (Runs in the page; the test's TypeScript has no DOM types, hence globalThis.)
    await page.evaluate(() => {
      const w = globalThis as any;
      w.seen = [];
      new w.MutationObserver(() => {
        for (const tr of w.document.querySelectorAll('#jobs-table tr[data-job-id]')) {
          const s = `${tr.dataset.jobId}:${tr.dataset.status}`;
          if (!w.seen.includes(s)) w.seen.push(s);
        }
      }).observe(w.document.getElementById('jobs-table'), { subtree: true, childList: true, attributes: true });
      w.marker = 'same page';
    });
    const documents = Array.from({ length: 12 }, (_, i) => ({ text: DOC(`queue item ${i}`), fidelity: 'balanced' }));
    const job = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents } });
    expect(job.status).toBe(202);
    const id = job.body.job_id as string;
    await page.locator(`#jobs-table tr[data-job-id="${id}"][data-status="completed"]`).waitFor({ timeout: 30_000 });
    const seen = (await page.evaluate(() => (globalThis as any).seen as string[])).filter((s) => s.startsWith(id)).map((s) => s.split(':')[1]);
    expect(seen[0]).toMatch(/queued|processing/);
    expect(seen.at(-1)).toBe('completed');
    expect(await page.evaluate(() => (globalThis as any).marker)).toBe('same page');
    expect(await page.locator(`#jobs-table tr[data-job-id="${id}"] progress`).getAttribute('value')).toBe('100');
    // A job cancelled at once leaves documents skipped: Retry in the dashboard resubmits them, and
    // the new job appears and completes live too.
    const second = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents } });
    expect((await rest(server, 'POST', `/v1/batch-queue/${second.body.job_id}/cancel`, { key: server.ownerKey })).status).toBe(200);
    await page.getByRole('button', { name: `Retry job ${second.body.job_id}` }).click();
    await expect.poll(() => page.locator('#jobs-table tr[data-job-id]').count()).toBe(3);
    const retried = (await page.locator('#jobs-table tr[data-job-id]').first().getAttribute('data-job-id'))!;
    expect([id, second.body.job_id]).not.toContain(retried);
    await page.locator(`#jobs-table tr[data-job-id="${retried}"][data-status="completed"]`).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (globalThis as any).marker)).toBe('same page');
    await shot('queue');
  });

  it("opens a KB item's version diff, with stored text shown as text", async () => {
    const v1 = '# Handbook\n\nDeploys happen on Tuesdays.\nRollbacks need two approvals.\n<img src=x onerror="window.pwned=1">';
    const v2 = '# Handbook\n\nDeploys happen on Thursdays.\nRollbacks need two approvals.\n<img src=x onerror="window.pwned=1">\nOn-call rotates weekly.';
    expect((await rest(server, 'POST', '/v1/kb/ingest', { key: server.ownerKey, body: { item_id: 'handbook', mode: 'text', content: v1, title: 'Team handbook' } })).status).toBeLessThan(300);
    expect((await rest(server, 'PUT', '/v1/kb/items/handbook', { key: server.ownerKey, body: { content: v2 } })).status).toBe(200);
    await go(page, '#/library/kb', 'library');
    await page.getByRole('button', { name: 'Open item handbook' }).click();
    await page.locator('#kb-diff table.diff').waitFor();
    expect(await page.locator('#kb-diff tr.remove').first().textContent()).toContain('Tuesdays');
    expect(await page.locator('#kb-diff tr.add', { hasText: 'Thursdays' }).count()).toBe(1);
    expect(await page.locator('#kb-diff tr.add', { hasText: 'On-call rotates weekly.' }).count()).toBe(1);
    expect(await page.locator('#kb-history tbody tr').count()).toBe(2);
    // The stored markup is shown as text, never parsed.
    expect(await page.locator('#kb-item pre.text').textContent()).toContain('<img src=x onerror=');
    expect(await page.locator('#kb-item img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
    await shot('library-kb-diff');
  });

  it("does not show another tenant's data", async () => {
    const other = await server.createKey({ newUser: true, name: 'tenant-b' });
    expect((await rest(server, 'POST', '/v1/kb/ingest', { key: other.keyString, body: { item_id: 'tenant-b-notes', mode: 'text', content: 'Tenant B private notes.' } })).status).toBeLessThan(300);
    // Tenant A does not see B's item.
    await go(page, '#/library/documents', 'library');
    await go(page, '#/library/kb', 'library');
    expect(await page.locator('#kb-table').textContent()).not.toContain('tenant-b-notes');
    // Tenant B, in its own browser context: none of A's savings, keys, projects or KB items.
    // (A browser that prefers dark: the default "system" theme follows it.)
    const ctxB = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const b = await ctxB.newPage();
    watch(b);
    await signIn(b, other.keyString);
    expect(await b.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor)).toBe('rgb(15, 17, 21)');
    await b.locator('#stat-saved strong').waitFor();
    expect(await b.locator('#stat-saved strong').textContent()).toBe('0');
    expect(await b.locator('#recent-compressions tbody td.empty').count()).toBe(1);
    await go(b, '#/keys', 'keys');
    const keysText = await b.locator('#keys-table').textContent();
    expect(keysText).toContain('tenant-b');
    expect(keysText).not.toContain('bind-me');
    await go(b, '#/projects', 'projects');
    expect(await b.locator('#projects-table').textContent()).not.toContain('e2e-project');
    await go(b, '#/library/kb', 'library');
    const kbText = await b.locator('#kb-table').textContent();
    expect(kbText).toContain('tenant-b-notes');
    expect(kbText).not.toContain('handbook');
    // Asking for A's item by name answers 404 for B.
    await go(b, '#/library/kb/handbook', 'library');
    expect(await b.getByRole('alert').textContent()).toMatch(/^404/);
    await shot('tenant-b-denied', b);
    await ctxB.close();
  });

  it('shows a viewer only what a viewer may do: no writes, no audit log', async () => {
    const added = await rest(server, 'POST', '/v1/members', { key: server.ownerKey, body: { name: 'vera', role: 'viewer', issue_key: true } });
    expect(added.status).toBeLessThan(300);
    const ctxV = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const v = await ctxV.newPage();
    watch(v);
    await signIn(v, added.body.key.key);
    expect(await v.locator('#who').textContent()).toContain('viewer');
    const nav = await v.getByRole('navigation', { name: 'Sections' }).textContent();
    expect(nav).toContain('Overview');
    expect(nav).not.toContain('Audit log'); // get_audit_log needs admin
    // list_members is a read: a viewer sees the list, but cannot add, re-role or remove anyone.
    await go(v, '#/members', 'members');
    expect(await v.locator('#members-table').textContent()).toContain('vera');
    expect(await v.getByRole('button', { name: 'Add member' }).count()).toBe(0);
    expect(await v.getByRole('button', { name: /^(Remove member|Save role)/ }).count()).toBe(0);
    await go(v, '#/keys', 'keys');
    expect(await v.locator('#create-key').count()).toBe(0);
    expect(await v.getByRole('button', { name: /^Revoke key/ }).count()).toBe(0);
    await go(v, '#/projects', 'projects');
    expect(await v.getByRole('button', { name: 'Create project' }).count()).toBe(0);
    expect(await v.getByRole('button', { name: /^Delete project/ }).count()).toBe(0);
    await shot('viewer-projects', v);
    // A free-plan key may call none of the tools the pages read: it is told so, and shown nothing.
    const free = await server.createKey({ plan: 'free', name: 'free-key' });
    await v.evaluate(() => (globalThis as any).sessionStorage.clear());
    await signIn(v, free.keyString);
    expect(await v.locator('main h1').textContent()).toBe('Nothing to show');
    expect(await v.getByRole('navigation', { name: 'Sections' }).locator('a').count()).toBe(0);
    await ctxV.close();
  });

  it('adds a member (key shown once), changes their role and removes them', async () => {
    await go(page, '#/members', 'members');
    await page.getByLabel('Name', { exact: true }).fill('otto');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Add member' }).click();
    const memberKey = await page.getByRole('dialog').getByLabel('API key').inputValue();
    expect(memberKey).toMatch(/^gc_/);
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    const env = await rest(server, 'POST', '/v1/tools/check_environment', { key: memberKey, body: {} });
    expect(env.body.key.role).toBe('operator');
    await page.getByLabel('Role of otto', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Save role of otto' }).click();
    await expect.poll(async () => (await rest(server, 'GET', '/v1/members', { key: server.ownerKey })).body.members.find((m: { name: string }) => m.name === 'otto')?.role).toBe('admin');
    await page.getByRole('button', { name: 'Remove member otto' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(async () => (await rest(server, 'GET', '/v1/members', { key: server.ownerKey })).body.members.map((m: { name: string }) => m.name)).not.toContain('otto');
    expect((await rest(server, 'GET', '/v1/usage', { key: memberKey })).status).toBe(401);
  });

  it('renders every other page, the command palette and the dark theme (screenshots)', async () => {
    expect((await rest(server, 'POST', '/v1/memories', { key: server.ownerKey, body: { text: 'The billing service is owned by the payments team.', tags: ['ownership'] } })).status).toBeLessThan(300);
    for (const [hash, id, name] of [
      ['#/projects', 'projects', 'projects'],
      ['#/library/documents', 'library', 'library-documents'],
      ['#/library/memories', 'library', 'library-memories'],
      ['#/library/contexts', 'library', 'library-contexts'],
      ['#/library/brain', 'library', 'library-brain'],
      ['#/members', 'members', 'members'],
      ['#/audit', 'audit', 'audit'],
    ] as const) {
      await go(page, hash, id);
      expect(await page.locator('main .error').allTextContents(), hash).toEqual([]);
      expect(await unlabelled(page), hash).toEqual([]);
      await shot(name);
    }
    expect(await page.locator('#audit-table').textContent()).toContain('revoke_api_key');
    // Each library store is searched with its own tool.
    await go(page, '#/library/memories', 'library');
    await page.getByRole('searchbox', { name: 'Search memories' }).fill('who owns billing');
    await page.getByRole('searchbox', { name: 'Search memories' }).press('Enter');
    await expect.poll(() => page.locator('#library-memories').textContent()).toMatch(/1 memories for .who owns billing.[\s\S]*payments team/);
    await go(page, '#/library/kb', 'library');
    await page.getByRole('searchbox', { name: 'Search the knowledge base' }).fill('which day do deploys happen');
    await page.getByRole('searchbox', { name: 'Search the knowledge base' }).press('Enter');
    await expect.poll(() => page.locator('#library-kb article.hit').first().textContent()).toContain('Thursdays');
    await shot('library-kb-search');
    // Ctrl+K opens the palette; typing filters; Enter goes there.
    await page.keyboard.press('Control+k');
    await page.getByRole('combobox', { name: 'Command' }).fill('queue');
    await shot('palette');
    await page.keyboard.press('Enter');
    await page.locator('main[data-page="queue"]').waitFor();
    // "g" then "k" jumps to Keys, from the keyboard alone.
    await page.locator('body').press('g');
    await page.locator('body').press('k');
    await page.locator('main[data-page="keys"]').waitFor();
    await page.getByLabel('Theme').selectOption('dark');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor)).toBe('rgb(15, 17, 21)');
    await go(page, '#/overview', 'overview');
    await shot('overview-dark');
    expect(problems).toEqual([]);
  });
});
