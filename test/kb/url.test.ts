// URL ingest: pages served by a local HTTP server. Loopback is refused unless allow-listed, on the
// first hop and on every redirect; timeouts, size caps and content types are enforced.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { fetchUrl, isNonPublicAddress, UrlAllowlist } from '../../src/services/url-fetch.js';
import { KB_URL_TYPES } from '../../src/services/kb.js';
import { callTool, connectMcp, startTestServer } from '../helpers/server.js';

const ARTICLE = `<!DOCTYPE html><html><head><title>Tide Tables Explained</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>Tide Tables Explained</h1>
<p>A tide table lists the times and heights of high and low water for a port. Heights are given relative to chart datum,
which is usually the lowest astronomical tide, so a negative height means the water falls below the charted depth.</p>
<h2>Spring and neap tides</h2>
<p>Spring tides happen near new and full moon, when the sun and moon pull in line and the range between high and low water is largest.
Neap tides happen near the quarter moons and have the smallest range.</p>
<h2>Rule of twelfths</h2>
<p>Between low and high water the tide rises roughly one twelfth of its range in the first hour, two twelfths in the second,
three in the third and fourth, two in the fifth and one in the sixth.</p></article>
<footer>Copyright Harbour Office</footer></body></html>`;

let site: http.Server;
let port: number;
let base: string;

beforeAll(async () => {
  site = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/article') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(ARTICLE);
    } else if (url === '/hop') {
      res.writeHead(302, { location: '/article' });
      res.end();
    } else if (url === '/to-metadata') {
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else if (url === '/to-ip') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/article` });
      res.end();
    } else if (url === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (url === '/image') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    } else if (url === '/huge-declared') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(10_000_000) });
      res.end('x');
    } else if (url === '/huge-streamed') {
      // No Content-Length: the cap has to be enforced while reading.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'y'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 200) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      res.on('close', () => (sent = 1e9));
    } else if (url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('starting...');
      // never ends
    } else if (url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('nope');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain page');
    }
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  port = (site.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  site.closeAllConnections();
  await new Promise((r) => site.close(r));
});

async function code(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected the fetch to fail');
}

const opts = (allowlist: string[], extra: Partial<Parameters<typeof fetchUrl>[1]> = {}) => ({ allowlist, maxBytes: 5 * 1024 * 1024, acceptTypes: KB_URL_TYPES, ...extra });

describe('address classification', () => {
  it('treats private, loopback, link-local, mapped and special ranges as non-public', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1']) {
      expect(isNonPublicAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isNonPublicAddress(ip), ip).toBe(false);
    }
  });

  it('allow-lists hosts, wildcard domains, addresses and CIDRs', () => {
    const a = new UrlAllowlist(['docs.internal', '*.corp.example', '10.0.0.0/8', '::1', '192.168.1.5']);
    expect(a.allowsHost('docs.internal')).toBe(true);
    expect(a.allowsHost('wiki.corp.example')).toBe(true);
    expect(a.allowsHost('corp.example.evil.com')).toBe(false);
    expect(a.allowsAddress('10.20.30.40')).toBe(true);
    expect(a.allowsAddress('::ffff:10.1.1.1')).toBe(true);
    expect(a.allowsAddress('::1')).toBe(true);
    expect(a.allowsAddress('192.168.1.5')).toBe(true);
    expect(a.allowsAddress('192.168.1.6')).toBe(false);
  });
});

describe('fetchUrl', () => {
  it('refuses loopback without an allow-list, before connecting', async () => {
    expect(await code(fetchUrl(`${base}/article`, opts([])))).toMatchObject({ status: 400, code: 'url_blocked' });
    expect(await code(fetchUrl(`http://localhost:${port}/article`, opts([])))).toMatchObject({ status: 400, code: 'url_blocked' });
    expect(await code(fetchUrl(`http://[::1]:${port}/article`, opts([])))).toMatchObject({ code: 'url_blocked' });
  });

  it('fetches an allow-listed address and follows redirects, re-checking every hop', async () => {
    const ok = await fetchUrl(`${base}/hop`, opts(['127.0.0.1']));
    expect(ok.finalUrl).toBe(`${base}/article`);
    expect(ok.redirects).toEqual([`${base}/article`]);
    expect(ok.contentType).toBe('text/html');
    expect(ok.body.toString()).toContain('Rule of twelfths');

    // Allowed first hop, forbidden redirect target (cloud metadata address).
    const meta = await code(fetchUrl(`${base}/to-metadata`, opts(['127.0.0.1'])));
    expect(meta).toMatchObject({ status: 400, code: 'url_blocked' });
    expect(meta.message).toContain('169.254.169.254');

    // Allowing the name "localhost" does not allow a redirect to the bare loopback address.
    const viaName = await fetchUrl(`http://localhost:${port}/article`, opts(['localhost']));
    expect(viaName.body.toString()).toContain('Tide Tables');
    expect(await code(fetchUrl(`http://localhost:${port}/to-ip`, opts(['localhost'])))).toMatchObject({ code: 'url_blocked' });

    expect(await code(fetchUrl(`${base}/loop`, opts(['127.0.0.1'])))).toMatchObject({ status: 502, code: 'too_many_redirects' });
  });

  it('enforces content type, size cap, status and timeout', async () => {
    const img = await code(fetchUrl(`${base}/image`, opts(['127.0.0.1'])));
    expect(img).toMatchObject({ status: 415 });
    expect(img.message).toContain('image/png');
    expect(await code(fetchUrl(`${base}/huge-declared`, opts(['127.0.0.1'])))).toMatchObject({ status: 413 });
    const streamed = await code(fetchUrl(`${base}/huge-streamed`, opts(['127.0.0.1'], { maxBytes: 1024 * 1024 })));
    expect(streamed).toMatchObject({ status: 413 });
    expect(streamed.message).toContain(String(1024 * 1024));
    expect(await code(fetchUrl(`${base}/missing`, opts(['127.0.0.1'])))).toMatchObject({ status: 502, code: 'upstream_status' });
    const t0 = Date.now();
    expect(await code(fetchUrl(`${base}/slow`, opts(['127.0.0.1'], { timeoutMs: 300 })))).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await code(fetchUrl('file:///etc/passwd', opts(['127.0.0.1'])))).toMatchObject({ status: 400, code: 'invalid_url' });
    expect(await code(fetchUrl('http://user:pw@127.0.0.1/', opts(['127.0.0.1'])))).toMatchObject({ status: 400, code: 'invalid_url' });
  });
});

describe('gc_kb_ingest mode url', () => {
  it('ingests an allow-listed page (main text, headings kept) and refuses it on a default server', async () => {
    const allowed = await startTestServer({ config: { urlAllowlist: ['127.0.0.1'] } });
    const plain = await startTestServer();
    const ca = await connectMcp(allowed, { key: allowed.ownerKey });
    const cp = await connectMcp(plain, { key: plain.ownerKey });
    try {
      const r = await callTool(ca, 'gc_kb_ingest', { item_id: 'tides', mode: 'url', content: `${base}/hop` });
      expect(r.isError).toBe(false);
      expect(r.structured).toMatchObject({ item_id: 'tides', format: 'html', source_mode: 'url', source: `${base}/article`, title: 'Tide Tables Explained' });
      const got = await callTool(ca, 'gc_kb_get', { item_id: 'tides' });
      expect(got.structured.content).toContain('## Spring and neap tides');
      expect(got.structured.content).not.toContain('Copyright Harbour Office');
      const q = await callTool(ca, 'gc_kb_query', { query: 'how much does the tide rise in the third hour?', top_k: 1 });
      expect(q.structured.results[0].passage).toContain('twelfths');

      const refused = await callTool(cp, 'gc_kb_ingest', { item_id: 'tides', mode: 'url', content: `${base}/article` });
      // The URL was sent in `content`: the refusal names that argument, not a `url` the tool does not take.
      expect(refused.structured).toMatchObject({ status: 400, error_code: 'url_blocked', field: 'content' });
      expect(refused.structured.detail).toMatch(/^content: /);
      expect(refused.structured.detail).toContain('CTXGATE_URL_ALLOWLIST');
      const notUrl = await callTool(cp, 'gc_kb_ingest', { item_id: 'tides', mode: 'url', content: 'tides article' });
      expect(notUrl.structured).toMatchObject({ status: 400, error_code: 'invalid_url', field: 'content' });
      expect((await callTool(cp, 'gc_kb_list', {})).structured.total).toBe(0);

      const type = await callTool(ca, 'gc_kb_ingest', { item_id: 'img', mode: 'url', content: `${base}/image` });
      expect(type.structured).toMatchObject({ status: 415 });
    } finally {
      await ca.close();
      await cp.close();
      await allowed.close();
      await plain.close();
    }
  });
});
