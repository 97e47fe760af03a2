// Finding 6 (issue 11): IPv6 forms that embed an IPv4 address, and IPv4 shorthand, got past the
// private-address check. Every spelling is normalised to what it reaches and refused when that is
// private, loopback, link-local, unique-local or a metadata endpoint — on the first hop, after DNS,
// and on redirects.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { fetchUrl, isNonPublicAddress, resolveAllowed, UrlAllowlist } from '../../src/services/url-fetch.js';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';

const REFUSED = [
  ['IPv4-compatible', '::127.0.0.1'],
  ['IPv4-compatible, hex', '::7f00:1'],
  ['SIIT', '::ffff:0:127.0.0.1'],
  ['IPv4-mapped', '::ffff:127.0.0.1'],
  ['IPv4-mapped, hex', '::ffff:7f00:1'],
  ['NAT64', '64:ff9b::127.0.0.1'],
  ['NAT64 local-use', '64:ff9b:1::a00:1'],
  ['6to4 of loopback', '2002:7f00:1::1'],
  ['6to4 of metadata', '2002:a9fe:a9fe::'],
  ['Teredo', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
  ['metadata IPv4', '169.254.169.254'],
  ['metadata IPv6 (AWS)', 'fd00:ec2::254'],
  ['unique-local', 'fd12:3456::1'],
  ['link-local with zone', 'fe80::1%eth0'],
  ['IPv4 shorthand', '127.1'],
  ['IPv4 integer', '2130706433'],
  ['IPv4 hex', '0x7f000001'],
  ['IPv4 octal', '0177.0.0.1'],
  ['private 10/8 shorthand', '10.1'],
  ['unspecified', '::'],
  ['loopback', '::1'],
] as const;

describe('isNonPublicAddress: every spelling', () => {
  it.each(REFUSED)('refuses %s (%s)', (_label, addr) => {
    expect(isNonPublicAddress(addr)).toBe(true);
  });
  it.each([['public IPv4', '93.184.216.34'], ['public IPv6', '2606:4700::1111'], ['NAT64 of a public IPv4', '64:ff9b::808:808'], ['6to4 of a public IPv4', '2002:808:808::1']])(
    'lets %s (%s) through',
    (_label, addr) => {
      expect(isNonPublicAddress(addr)).toBe(false);
    },
  );
  it('resolves IPv4 shorthand itself rather than asking DNS, and refuses it', async () => {
    await expect(resolveAllowed('127.1', new UrlAllowlist([]))).rejects.toMatchObject({ code: 'url_blocked' });
    await expect(resolveAllowed('[::ffff:0:127.0.0.1]', new UrlAllowlist([]))).rejects.toMatchObject({ code: 'url_blocked' });
  });
  it('an allow-listed IPv4 does not open other addresses embedded in IPv6', () => {
    const allow = new UrlAllowlist(['127.0.0.1']);
    expect(allow.allowsAddress('::ffff:127.0.0.1')).toBe(true);
    expect(allow.allowsAddress('::127.0.0.2')).toBe(false);
    expect(allow.allowsAddress('64:ff9b::a00:1')).toBe(false);
  });
});

describe('through the server: URL ingest refuses embedded forms, first hop and redirects', () => {
  let s: TestServer;
  let site: http.Server;
  let port: number;
  beforeAll(async () => {
    site = http.createServer((req, res) => {
      const target = decodeURIComponent((req.url ?? '/').replace(/^\/redirect\?to=/, ''));
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: target });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('internal admin page');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    port = (site.address() as AddressInfo).port;
    // 127.0.0.1 itself is allow-listed (the test's site); nothing else on loopback is.
    s = await startTestServer({ config: { urlAllowlist: ['127.0.0.1'] } });
  });
  afterAll(async () => {
    await s.close();
    await new Promise((r) => site.close(r));
  });

  it.each(['::127.0.0.2', '::ffff:0:127.0.0.2', '64:ff9b::127.0.0.2', '2002:7f00:2::', '::ffff:127.0.0.2', 'fd00:ec2::254'])('refuses http://[%s]/ with 400 url_blocked', async (addr) => {
    const r = await rest(s, 'POST', '/v1/tools/gc_kb_ingest', { key: s.ownerKey, body: { item_id: 'x', mode: 'url', content: `http://[${addr}]:${port}/` } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('url_blocked');
  });

  it.each(['127.2', '2130706434'])('refuses IPv4 shorthand http://%s/', async (host) => {
    const r = await rest(s, 'POST', '/v1/tools/gc_kb_ingest', { key: s.ownerKey, body: { item_id: 'x', mode: 'url', content: `http://${host}:${port}/` } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('url_blocked');
  });

  it('refuses a redirect from an allowed host to an embedded-IPv4 form of another loopback address', async () => {
    const to = encodeURIComponent(`http://[::ffff:0:127.0.0.2]:${port}/`);
    await expect(fetchUrl(`http://127.0.0.1:${port}/redirect?to=${to}`, { allowlist: ['127.0.0.1'], maxBytes: 1e6, acceptTypes: ['text/plain'] })).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === 'url_blocked',
    );
    const r = await rest(s, 'POST', '/v1/tools/gc_kb_ingest', { key: s.ownerKey, body: { item_id: 'x', mode: 'url', content: `http://127.0.0.1:${port}/redirect?to=${to}` } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('url_blocked');
  });
});
