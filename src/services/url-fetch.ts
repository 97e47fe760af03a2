// Server-side URL fetching that cannot be turned against the host's own network (SSRF), and the one
// outbound-address check (isNonPublicAddress / resolveAllowed) every outbound call must use: URL
// fetches today, webhooks and HTTP upstreams when they land.
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
  /** Extra request headers (a token, an Accept media type); sent to the first URL's origin only, never after a redirect elsewhere. */
  headers?: Record<string, string>;
  /** The argument that held the URL, named by refusals (default `url`). */
  field?: string;
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

/**
 * An IPv4 address written any way inet_aton accepts — `127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`
 * — in dotted-decimal form, or null. Resolvers and some URL parsers accept these, so the check must
 * read them the same way rather than let them through as "not an IP".
 */
export function parseIpv4Loose(s: string): string | null {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => !/^(?:0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(p))) return null;
  const nums = parts.map((p) => (/^0x/i.test(p) ? parseInt(p.slice(2), 16) : p.length > 1 && p.startsWith('0') ? parseInt(p, 8) : Number(p)));
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return null;
  let value = last;
  nums.forEach((n, i) => (value += n * 2 ** (8 * (3 - i))));
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The eight 16-bit groups of an IPv6 literal (with `::`, a dotted-quad tail, a zone id), or null. */
function ipv6Groups(ip: string): number[] | null {
  const bare = ip.replace(/%.*$/, '');
  if (net.isIP(bare) !== 6) return null;
  let text = bare.toLowerCase();
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = quad[1]!.split('.').map(Number);
    text = text.slice(0, quad.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.length === 8 ? groups.map((g) => parseInt(g, 16)) : null;
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * The IPv4 address an IPv6 address will actually reach, when it embeds one: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), SIIT (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96 and
 * the local-use 64:ff9b:1::/48), 6to4 (2002:AABB:CCDD::/16) and Teredo (2001:0::/32, client
 * address stored inverted). Null for other addresses.
 */
export function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return null;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4(g[6]!, g[7]!); // mapped
  if (zero(0, 6) && (g[6]! | g[7]!) !== 0 && !(g[6] === 0 && g[7] === 1)) return v4(g[6]!, g[7]!); // compatible (not :: or ::1)
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return v4(g[6]!, g[7]!); // SIIT
  if (g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1)) return v4(g[6]!, g[7]!); // NAT64
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!); // 6to4
  if (g[0] === 0x2001 && g[1] === 0) return v4(g[6]! ^ 0xffff, g[7]! ^ 0xffff); // Teredo
  return null;
}

/**
 * THE outbound-address check: true for every address a server-side request (URL fetch, webhook, HTTP
 * upstream) must not reach by default — private, loopback, link-local (cloud metadata at
 * 169.254.169.254 and fd00:ec2::254 included), unique-local, multicast and other special ranges —
 * in every spelling: IPv4 shorthand and integer forms, and IPv6 forms that embed an IPv4 address.
 * Anything that is not an IP address at all is refused too.
 */
export function isNonPublicAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const four = net.isIP(bare) === 4 ? bare : parseIpv4Loose(bare);
  if (four) return BLOCKED.check(four, 'ipv4');
  if (!ipv6Groups(bare)) return true;
  const inner = embeddedIpv4(bare);
  if (inner && BLOCKED.check(inner, 'ipv4')) return true;
  return BLOCKED.check(bare.replace(/%.*$/, ''), 'ipv6');
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

  /** Allow-listed by what the address reaches: an embedded IPv4 counts only if that IPv4 is listed. */
  allowsAddress(ip: string): boolean {
    const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const four = net.isIP(bare) === 4 ? bare : parseIpv4Loose(bare);
    if (four) return this.nets.check(four, 'ipv4');
    if (net.isIP(bare) !== 6) return false;
    const inner = embeddedIpv4(bare);
    return inner ? this.nets.check(inner, 'ipv4') : this.nets.check(bare, 'ipv6');
  }
}

interface Resolved { address: string; family: 4 | 6 }

/**
 * The `lookup` option of http(s).request that answers every name with the address resolveAllowed
 * checked: the connection goes there, never to a fresh DNS answer (no rebinding between check and connect).
 */
export function pinnedLookup(target: Resolved): net.LookupFunction {
  return ((_host: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (o?.all) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  }) as unknown as net.LookupFunction;
}

/** Resolve a host and check every address it has; one forbidden address refuses the host. */
export async function resolveAllowed(host: string, allow: UrlAllowlist, field = 'url'): Promise<Resolved> {
  const bare = host.replace(/^\[|\]$/g, '');
  // A shorthand IPv4 (127.1, 2130706433) is that address, not a name to look up.
  const literal = net.isIP(bare) ? bare : parseIpv4Loose(bare);
  let addrs: Resolved[];
  if (literal) {
    addrs = [{ address: literal, family: net.isIP(literal) as 4 | 6 }];
  } else {
    try {
      addrs = (await dns.promises.lookup(bare, { all: true, verbatim: true })) as Resolved[];
    } catch (err) {
      throw new BadRequest(`${field}: cannot resolve host "${bare}" (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`, 'url_unresolvable', { field, host: bare });
    }
  }
  if (addrs.length === 0) throw new BadRequest(`${field}: host "${bare}" has no addresses`, 'url_unresolvable', { field, host: bare });
  const hostAllowed = allow.allowsHost(bare);
  for (const a of addrs) {
    if (isNonPublicAddress(a.address) && !hostAllowed && !allow.allowsAddress(a.address)) {
      throw new BadRequest(
        `${field}: host "${bare}" resolves to ${a.address}, a private, loopback or link-local address; refused (an admin can allow it with CTXGATE_URL_ALLOWLIST)`,
        'url_blocked',
        { field, host: bare, address: a.address },
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
        headers: { 'user-agent': 'ctxgate-url-fetch/1', accept: opts.acceptTypes.join(', ') + ', */*;q=0.1', ...opts.headers, 'accept-encoding': 'identity' },
        // Connect to the address we checked, never to a fresh DNS answer.
        lookup: pinnedLookup(target),
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
  const field = opts.field ?? 'url';
  let url = parseUrl(rawUrl, 'url', field);
  const origin = url.origin;
  try {
    for (;;) {
      const target = await resolveAllowed(url.hostname, allow, field);
      if (signal.aborted) throw signal.reason;
      const hop = await requestOnce(url, target, url.origin === origin ? opts : { ...opts, headers: undefined }, signal);
      if (hop.body) {
        const ct = String(hop.headers['content-type'] ?? '');
        const charset = /charset=["']?([\w-]+)/i.exec(ct)?.[1]?.toLowerCase() ?? null;
        return { requestedUrl: rawUrl, finalUrl: url.toString(), status: hop.status, contentType: ct.split(';')[0]!.trim().toLowerCase(), charset, body: hop.body, redirects };
      }
      if (!hop.location) throw new UpstreamFailed(`url: HTTP ${hop.status} redirect without a Location header`, 'upstream_status');
      if (redirects.length >= maxRedirects) throw new UpstreamFailed(`url: more than ${maxRedirects} redirects`, 'too_many_redirects');
      const next = parseUrl(new URL(hop.location, url).toString(), 'redirect', field);
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

function parseUrl(raw: string, what: 'url' | 'redirect' = 'url', field = 'url'): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new BadRequest(`${field}: "${raw.slice(0, 200)}" is not an absolute URL`, 'invalid_url', { field, rule: 'absolute_url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new BadRequest(`${field}: ${what === 'redirect' ? 'a redirect to ' : ''}scheme "${u.protocol}" is not allowed; use http or https`, 'invalid_url', { field, rule: 'scheme' });
  }
  if (u.username || u.password) throw new BadRequest(`${field}: credentials in the URL are not allowed`, 'invalid_url', { field, rule: 'no_userinfo' });
  return u;
}

export interface PostResult {
  status: number;
  /** The answer as text: whole, or its first maxResponseBytes with overflow 'truncate'. */
  body: string;
}

export interface PinnedPostOptions {
  /** Hosts, IPs or CIDRs that may be reached even though they are not public. */
  allowlist: readonly string[];
  /** Whole-exchange deadline. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest answer read, in bytes. */
  maxResponseBytes: number;
  /**
   * Past maxResponseBytes: 'truncate' keeps the first bytes and drains the rest (a delivery record
   * needs only the head); 'fail' refuses the answer (a body that must be parsed whole).
   */
  overflow: 'truncate' | 'fail';
  userAgent: string;
  /** Names the target in errors, e.g. "LLM provider local-model" (default: the URL's host). */
  label?: string;
  /** The setting that sets the deadline, named when it passes (e.g. CTXGATE_LLM_TIMEOUT_MS). */
  timeoutSetting?: string;
  /** error_code of UpstreamFailed (default upstream_unreachable) and fields every error carries. */
  errorCode?: string;
  extra?: Record<string, unknown>;
}

/**
 * One POST of a JSON body to an outbound address, answer buffered (webhook deliveries, GitHub
 * comments, the LLM provider): the target is resolved and checked like every URL fetch (private
 * addresses refused unless allow-listed), the connection goes to the checked address, redirects are
 * not followed, and the whole exchange has one deadline. Any HTTP status comes back (the caller
 * decides what counts as success); no answer in time → UpstreamTimeout, network failure or an
 * oversized answer → UpstreamFailed, the caller's signal → Cancelled, each naming the target.
 * (Streaming upstream MCP traffic uses gateway/outbound.ts's checkedFetch instead.)
 */
export async function pinnedPost(rawUrl: string | URL, body: string, headers: Record<string, string>, opts: PinnedPostOptions): Promise<PostResult> {
  const url = typeof rawUrl === 'string' ? parseUrl(rawUrl) : rawUrl;
  const target = await resolveAllowed(url.hostname, new UrlAllowlist(opts.allowlist));
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const label = opts.label ?? url.host;
  const extra = opts.extra ?? {};
  const cap = opts.maxResponseBytes;
  try {
    return await new Promise<PostResult>((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(
        url,
        {
          method: 'POST',
          signal,
          headers: { 'user-agent': opts.userAgent, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
          lookup: pinnedLookup(target),
        },
        (res) => {
          const parts: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size + c.length > cap && opts.overflow === 'fail') {
              res.destroy();
              reject(new UpstreamFailed(`${label} answered with more than ${cap} bytes`, opts.errorCode ?? 'upstream_too_large', { ...extra, max_bytes: cap }));
              return;
            }
            if (size < cap) parts.push(c);
            size += c.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).subarray(0, cap).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (deadline.aborted) throw new UpstreamTimeout(`${label} gave no answer within ${opts.timeoutMs} ms${opts.timeoutSetting ? ` (${opts.timeoutSetting})` : ''}`, { ...extra, timeout_ms: opts.timeoutMs });
    if (opts.signal?.aborted) throw new Cancelled(`the request to ${label} was cancelled`);
    const code = (err as NodeJS.ErrnoException).code;
    throw new UpstreamFailed(`${label} could not be reached (${code ?? (err as Error).message})`, opts.errorCode ?? 'upstream_unreachable', extra);
  }
}

/** Checks a URL a server-side request will be made to later (a webhook target): scheme, credentials, address. */
export async function checkOutboundUrl(rawUrl: string, allowlist: readonly string[]): Promise<URL> {
  const url = parseUrl(rawUrl);
  await resolveAllowed(url.hostname, new UrlAllowlist(allowlist));
  return url;
}
