// Server-side URL fetching that cannot be turned against the host's own network (SSRF).
// Every hop — the first request and each redirect — resolves the name, refuses private, loopback,
// link-local and other non-public addresses unless the admin allow-listed them
// (config.urlAllowlist / CTXGATE_URL_ALLOWLIST: host names, IPs or CIDRs), and then connects to
// exactly the address that was checked (so a second DNS answer cannot swap in 127.0.0.1).
// The body is capped while streaming, the whole exchange has one deadline, and the content type
// must be one the caller accepts.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { AppError, BadRequest, Cancelled, PayloadTooLarge, UnsupportedMediaType, UpstreamFailed, UpstreamTimeout } from '../errors.js';
import { LIMITS } from '../config.js';

/** Whole-exchange deadline (all redirects included) when the caller names none. */
export const URL_FETCH_TIMEOUT_MS = LIMITS.urlFetchTimeoutMs;
export const URL_FETCH_MAX_REDIRECTS = LIMITS.urlFetchMaxRedirects;

export interface UrlFetchOptions {
  /** Hosts, IPs or CIDRs that may be reached even though they are not public. */
  allowlist: readonly string[];
  maxBytes: number;
  /** Accepted media types (exact, or `text/*`). */
  acceptTypes: readonly string[];
  timeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface Fetched {
  requestedUrl: string;
  finalUrl: string;
  status: number;
  /** Media type without parameters, lower case. */
  contentType: string;
  charset: string | null;
  body: Buffer;
  redirects: string[];
}

// Ranges that are not the public internet (RFC 6890 special-purpose registries, roughly).
const BLOCKED = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(addr, prefix, 'ipv4');
for (const [addr, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(addr, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped or -compatible IPv6 address, else null. */
function embeddedIpv4(ip: string): string | null {
  const m = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return m[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** True for addresses a server-side fetch must not reach by default. */
export function isNonPublicAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return BLOCKED.check(ip, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(ip);
    if (v4) return BLOCKED.check(v4, 'ipv4');
    return BLOCKED.check(ip, 'ipv6');
  }
  return true;
}

export class UrlAllowlist {
  private readonly hosts = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly nets = new net.BlockList();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const e = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
      if (!e) continue;
      const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
      if (cidr && net.isIP(cidr[1]!)) {
        this.nets.addSubnet(cidr[1]!, Number(cidr[2]), net.isIP(cidr[1]!) === 6 ? 'ipv6' : 'ipv4');
      } else if (net.isIP(e)) {
        this.nets.addAddress(e, net.isIP(e) === 6 ? 'ipv6' : 'ipv4');
      } else if (e.startsWith('*.') || e.startsWith('.')) {
        this.suffixes.push(e.slice(e.indexOf('.')));
      } else {
        this.hosts.add(e);
      }
    }
  }

  allowsHost(host: string): boolean {
    const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    return this.hosts.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  allowsAddress(ip: string): boolean {
    const family = net.isIP(ip);
    if (family === 0) return false;
    if (this.nets.check(ip, family === 6 ? 'ipv6' : 'ipv4')) return true;
    const v4 = family === 6 ? embeddedIpv4(ip) : null;
    return v4 ? this.nets.check(v4, 'ipv4') : false;
  }
}

interface Resolved { address: string; family: 4 | 6 }

/** Resolve a host and check every address it has; one forbidden address refuses the host. */
export async function resolveAllowed(host: string, allow: UrlAllowlist): Promise<Resolved> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addrs: Resolved[];
  if (net.isIP(bare)) {
    addrs = [{ address: bare, family: net.isIP(bare) as 4 | 6 }];
  } else {
    try {
      addrs = (await dns.promises.lookup(bare, { all: true, verbatim: true })) as Resolved[];
    } catch (err) {
      throw new BadRequest(`url: cannot resolve host "${bare}" (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`, 'url_unresolvable');
    }
  }
  if (addrs.length === 0) throw new BadRequest(`url: host "${bare}" has no addresses`, 'url_unresolvable');
  const hostAllowed = allow.allowsHost(bare);
  for (const a of addrs) {
    if (isNonPublicAddress(a.address) && !hostAllowed && !allow.allowsAddress(a.address)) {
      throw new BadRequest(
        `url: host "${bare}" resolves to ${a.address}, a private, loopback or link-local address; refused (an admin can allow it with CTXGATE_URL_ALLOWLIST)`,
        'url_blocked',
        { host: bare, address: a.address },
      );
    }
  }
  return addrs[0]!;
}

function mediaTypeAccepted(type: string, accept: readonly string[]): boolean {
  return accept.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

interface Hop { status: number; headers: http.IncomingHttpHeaders; body: Buffer | null; location: string | null }

function requestOnce(url: URL, target: Resolved, opts: UrlFetchOptions, signal: AbortSignal): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: 'GET',
        signal,
        headers: { 'user-agent': 'ctxgate-url-fetch/1', accept: opts.acceptTypes.join(', ') + ', */*;q=0.1', 'accept-encoding': 'identity' },
        // Connect to the address we checked, never to a fresh DNS answer.
        lookup: ((_host: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => {
          if (o?.all) cb(null, [{ address: target.address, family: target.family }]);
          else cb(null, target.address, target.family);
        }) as unknown as net.LookupFunction,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status)) {
          res.resume();
          resolve({ status, headers: res.headers, body: null, location: res.headers.location ?? null });
          return;
        }
        if (status < 200 || status >= 300) {
          res.resume();
          reject(new UpstreamFailed(`url: the server answered HTTP ${status}`, 'upstream_status', { upstream_status: status }));
          return;
        }
        const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!type || !mediaTypeAccepted(type, opts.acceptTypes)) {
          res.destroy();
          reject(new UnsupportedMediaType(`url: content type "${type || 'none'}" is not supported; supported: ${opts.acceptTypes.join(', ')}`, { supported: [...opts.acceptTypes], content_type: type || null }));
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          res.destroy();
          reject(new PayloadTooLarge(`url: the document is ${declared} bytes; the cap is ${opts.maxBytes} bytes`, { max_bytes: opts.maxBytes }));
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) {
            res.destroy();
            reject(new PayloadTooLarge(`url: the document exceeds the cap of ${opts.maxBytes} bytes`, { max_bytes: opts.maxBytes }));
            return;
          }
          parts.push(c);
        });
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(parts), location: null }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function fetchUrl(rawUrl: string, opts: UrlFetchOptions): Promise<Fetched> {
  const timeoutMs = opts.timeoutMs ?? URL_FETCH_TIMEOUT_MS;
  const maxRedirects = opts.maxRedirects ?? URL_FETCH_MAX_REDIRECTS;
  const allow = new UrlAllowlist(opts.allowlist);
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const redirects: string[] = [];
  let url = parseUrl(rawUrl);
  try {
    for (;;) {
      const target = await resolveAllowed(url.hostname, allow);
      if (signal.aborted) throw signal.reason;
      const hop = await requestOnce(url, target, opts, signal);
      if (hop.body) {
        const ct = String(hop.headers['content-type'] ?? '');
        const charset = /charset=["']?([\w-]+)/i.exec(ct)?.[1]?.toLowerCase() ?? null;
        return { requestedUrl: rawUrl, finalUrl: url.toString(), status: hop.status, contentType: ct.split(';')[0]!.trim().toLowerCase(), charset, body: hop.body, redirects };
      }
      if (!hop.location) throw new UpstreamFailed(`url: HTTP ${hop.status} redirect without a Location header`, 'upstream_status');
      if (redirects.length >= maxRedirects) throw new UpstreamFailed(`url: more than ${maxRedirects} redirects`, 'too_many_redirects');
      const next = parseUrl(new URL(hop.location, url).toString(), 'redirect');
      redirects.push(next.toString());
      url = next;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (deadline.aborted) throw new UpstreamTimeout(`url: no complete answer within ${timeoutMs} ms`, { timeout_ms: timeoutMs });
    if (opts.signal?.aborted) throw new Cancelled('url: the request was cancelled');
    const code = (err as NodeJS.ErrnoException).code;
    throw new UpstreamFailed(`url: cannot fetch ${url.host} (${code ?? (err as Error).message})`, 'upstream_unreachable');
  }
}

function parseUrl(raw: string, what: 'url' | 'redirect' = 'url'): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new BadRequest(`url: "${raw.slice(0, 200)}" is not an absolute URL`, 'invalid_url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new BadRequest(`url: ${what === 'redirect' ? 'a redirect to ' : ''}scheme "${u.protocol}" is not allowed; use http or https`, 'invalid_url');
  }
  if (u.username || u.password) throw new BadRequest('url: credentials in the URL are not allowed', 'invalid_url');
  return u;
}
