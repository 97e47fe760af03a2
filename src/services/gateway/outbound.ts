// The fetch an HTTP upstream's MCP transport uses: every request resolves and checks its host with
// url-fetch's resolveAllowed (the one outbound-address rule) and connects to exactly that address;
// redirects are not followed (an MCP endpoint has no business redirecting a POST elsewhere).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pinnedLookup, resolveAllowed, type UrlAllowlist } from '../url-fetch.js';

export function checkedFetch(allow: UrlAllowlist): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const lookup = pinnedLookup(await resolveAllowed(url.hostname, allow));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body == null ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(await new Response(init.body).arrayBuffer());
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const req = mod.request(url, { method: init.method ?? 'GET', headers, lookup, signal: init.signal ?? undefined }, (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        const status = res.statusCode ?? 502;
        const nobody = status === 204 || status === 304 || init.method === 'HEAD';
        if (nobody) res.resume();
        resolve(new Response(nobody ? null : (Readable.toWeb(res) as ReadableStream), { status, headers: h }));
      });
      req.on('error', reject);
      req.end(body);
    });
  };
}
