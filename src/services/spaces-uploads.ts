// Upload slots: POST /v1/uploads hands out a signed URL that expires (default 15 minutes) and takes
// one PUT of at most the plan's size; create_source then names the upload (by the same key). The URL
// carries its own authority — HMAC(server secret) over the slot's scope, id and expiry — so the PUT
// needs no key; an expired, reused or tampered URL is refused before a byte is stored.
import crypto from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import type { Caller, Scope } from '../domain/scope.js';
import { BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge } from '../errors.js';
import { newId, nowIso } from '../store/db.js';

export const UPLOAD_DEFAULT_TTL_S = 15 * 60;
export const UPLOAD_MAX_TTL_S = 24 * 60 * 60;

export interface UploadSlot {
  upload_id: string;
  upload_url: string;
  method: 'PUT';
  expires_at: string;
  max_bytes: number;
}

interface Claims {
  o: string;
  p: string;
  u: string;
  e: number;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

export class UploadsService {
  constructor(private readonly deps: AppDeps) {}

  private sign(payload: string): string {
    return crypto.createHmac('sha256', this.deps.secret).update(`upload:${payload}`).digest('base64url');
  }

  /** The largest body any plan may PUT (the HTTP layer's read limit; each slot checks its own). */
  maxAnyPlan(): number {
    return Math.max(...Object.values(this.deps.config.plans).map((p) => p.maxTextBytes));
  }

  async create(caller: Caller, scope: Scope, a: { filename?: string; mime_type?: string; expires_in?: number }): Promise<UploadSlot> {
    const ttl = a.expires_in ?? UPLOAD_DEFAULT_TTL_S;
    const id = newId('upl');
    const expires = Math.floor(Date.now() / 1000) + ttl;
    const maxBytes = this.deps.config.plans[caller.plan].maxTextBytes;
    await this.deps.store.spaces(scope).insertUpload({
      id,
      key_id: caller.keyId ?? '',
      filename: a.filename ?? null,
      mime_type: a.mime_type ?? null,
      max_bytes: maxBytes,
      expires_at: new Date(expires * 1000).toISOString(),
      created_at: nowIso(),
    });
    const payload = b64(JSON.stringify({ o: scope.ownerId, p: scope.projectId, u: id, e: expires } satisfies Claims));
    const path = `/v1/uploads/${id}?token=${payload}.${this.sign(payload)}`;
    return { upload_id: id, upload_url: `${(this.deps.config.publicUrl ?? '').replace(/\/+$/, '')}${path}`, method: 'PUT', expires_at: new Date(expires * 1000).toISOString(), max_bytes: maxBytes };
  }

  /** Checks a URL's token; the scope it was issued for. */
  private verify(id: string, token: string | undefined): Scope {
    const [payload, sig] = (token ?? '').split('.');
    const expected = payload ? this.sign(payload) : '';
    if (!payload || !sig || sig.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) {
      throw new Forbidden('upload URL signature is invalid (the URL was altered or not issued by this server)', { field: 'token', rule: 'signature' });
    }
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    if (c.u !== id) throw new Forbidden('upload URL signature does not match this upload', { field: 'token', rule: 'signature' });
    if (Date.now() / 1000 > c.e) throw new Forbidden(`upload URL expired at ${new Date(c.e * 1000).toISOString()}; ask POST /v1/uploads for a new one`, { field: 'token', rule: 'expired' });
    return { ownerId: c.o, projectId: c.p };
  }

  /** The one PUT of a slot: signature, expiry, unused, within its size cap — then the bytes are kept. */
  async receive(id: string, token: string | undefined, bytes: Buffer, mimeType: string | null): Promise<{ upload_id: string; size: number }> {
    const scope = this.verify(id, token);
    const repo = this.deps.store.spaces(scope);
    const row = await repo.getUpload(id);
    if (!row) throw new NotFound(`no upload ${id.slice(0, 64)}`, { field: 'upload_id' });
    if (row.status !== 'pending') throw new Conflict(`upload ${id} already received its file; an upload URL takes one PUT`, { field: 'upload_id', rule: 'used' });
    if (bytes.length > row.max_bytes) throw new PayloadTooLarge(`the file is ${bytes.length} bytes; this upload accepts at most ${row.max_bytes} bytes`, { field: '(body)', limit: row.max_bytes, unit: 'bytes', size: bytes.length });
    if (bytes.length === 0) throw new BadRequest('the PUT body is empty', 'empty_body', { field: '(body)' });
    if (!(await repo.receiveUpload(id, bytes, mimeType ?? row.mime_type))) throw new Conflict(`upload ${id} already received its file; an upload URL takes one PUT`, { field: 'upload_id', rule: 'used' });
    return { upload_id: id, size: bytes.length };
  }

  /** A received upload's file, for the key that asked for the slot (another key gets 404). */
  async peek(caller: Caller, scope: Scope, id: string): Promise<{ bytes: Buffer; filename: string | null; mimeType: string | null }> {
    const repo = this.deps.store.spaces(scope);
    const row = await repo.getUpload(id);
    if (!row || row.key_id !== (caller.keyId ?? '')) throw new NotFound(`upload_id: no upload ${id.slice(0, 64)} for this key`, { field: 'upload_id' });
    if (row.status === 'used') throw new BadRequest(`upload_id: upload ${id} was already used by a source`, 'upload_used', { field: 'upload_id' });
    const bytes = row.status === 'received' ? await repo.uploadBytes(id) : undefined;
    if (!bytes) throw new BadRequest(`upload_id: upload ${id} has no file yet; PUT the file to its upload_url first`, 'upload_pending', { field: 'upload_id' });
    return { bytes, filename: row.filename, mimeType: row.mime_type };
  }
}
