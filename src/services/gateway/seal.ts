// Upstream credentials at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the server secret,
// bound to the row they belong to (owner, project, upstream id as associated data), so a sealed value
// copied into another tenant's row does not open.
import crypto from 'node:crypto';

const VERSION = 'v1';

function keyFor(secret: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, 'ctxgate', 'upstream-credentials', 32));
}

export function seal(secret: string, bindTo: string, value: unknown): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', keyFor(secret), iv);
  c.setAAD(Buffer.from(bindTo));
  const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
  return [VERSION, iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** The sealed value, or throws when the secret changed or the row was tampered with. */
export function unseal<T>(secret: string, bindTo: string, sealed: string): T {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== VERSION || !iv || !tag || body === undefined) throw new Error('unknown sealed format');
  const d = crypto.createDecipheriv('aes-256-gcm', keyFor(secret), Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(bindTo));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8')) as T;
}
