// Serving the dashboard (issue 20): the page and its assets at fixed paths with a strict
// Content-Security-Policy and no inline code; CTXGATE_DASHBOARD=off turns it all into 404s; an
// unbuilt dashboard answers 503 saying how to build it; the REST routes are unchanged.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { DASHBOARD_CSP, dashboardRouter } from '../../src/server/dashboard.js';
import { rest, startTestServer, useTempDirs, type TestServer } from '../helpers/server.js';
import express from 'express';

const tmp = useTempDirs('ctxgate-dash-');
let built: string;
let server: TestServer;

beforeAll(async () => {
  built = tmp();
  const b = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build-dashboard.mjs'), built], { encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
  server = await startTestServer({ config: { dashboardDir: built } });
});
afterAll(() => server?.close());

describe('dashboard serving', () => {
  it('serves the page and its assets with a strict CSP and no inline script or style', async () => {
    const page = await fetch(server.baseUrl + '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toBe(DASHBOARD_CSP);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    // Every script and stylesheet is a same-origin file; no inline <script> body, no <style>, no style= or on*= attributes.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
    for (const [p, type] of [['/dashboard/app.js', /^text\/javascript/], ['/dashboard/app.css', /^text\/css/], ['/dashboard/icon.svg', /^image\/svg\+xml/]] as const) {
      const r = await fetch(server.baseUrl + p);
      expect(r.status, p).toBe(200);
      expect(r.headers.get('content-type')).toMatch(type);
      expect(r.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
      // Revalidated by ETag: a second request with If-None-Match is a 304.
      const again = await fetch(server.baseUrl + p, { headers: { 'If-None-Match': r.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
    // The bundle has no remote URLs to load (works offline) and never assigns innerHTML.
    const js = fs.readFileSync(path.join(built, 'app.js'), 'utf8');
    expect(js).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|document\.write/);
    expect(js).not.toMatch(/\b(import|fetch)\(\s*["'`]https?:/);
  });

  it('stays under 300 KB gzipped, whole', () => {
    const total = fs.readdirSync(built).reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(path.join(built, f)), { level: 9 }).length, 0);
    expect(total).toBeLessThan(300 * 1024);
  });

  it('serves only its fixed files: other paths under /dashboard/ are 404 JSON, REST is unchanged', async () => {
    for (const p of ['/dashboard/', '/dashboard/../package.json', '/dashboard/app.js.map', '/dashboard/%2e%2e/package.json', '/index.html']) {
      const r = await fetch(server.baseUrl + p);
      expect(r.status, p).toBe(404);
      expect(typeof ((await r.json()) as { detail?: unknown }).detail).toBe('string');
    }
    const tools = await rest(server, 'GET', '/v1/tools', { key: server.ownerKey });
    expect(tools.status).toBe(200);
  });

  it('is off with CTXGATE_DASHBOARD=off: / and the assets answer 404 as before', async () => {
    process.env.CTXGATE_DASHBOARD = 'off';
    let off: TestServer | undefined;
    try {
      off = await startTestServer();
      expect(off.app.deps.config.dashboard).toBe(false);
      for (const p of ['/', '/dashboard/app.js', '/dashboard/app.css']) {
        const r = await fetch(off.baseUrl + p);
        expect(r.status, p).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/json/);
      }
    } finally {
      delete process.env.CTXGATE_DASHBOARD;
      await off?.close();
    }
  });

  it('answers 503 with the command to build it when the bundle is missing', async () => {
    const ex = express();
    ex.use(dashboardRouter(true, path.join(tmp(), 'nothing-here')));
    const srv = ex.listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    try {
      const addr = srv.address() as { port: number };
      const r = await fetch(`http://127.0.0.1:${addr.port}/`);
      expect(r.status).toBe(503);
      const body = (await r.json()) as { error_code: string; detail: string };
      expect(body.error_code).toBe('dashboard_not_built');
      expect(body.detail).toMatch(/npm run build/);
    } finally {
      srv.close();
    }
  });
});
