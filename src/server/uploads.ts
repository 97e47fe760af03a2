// PUT /v1/uploads/:id?token=… — the one PUT of a signed upload slot (src/services/spaces-uploads.ts).
// No API key: the URL's signature is the authority. The body is read raw, before the JSON parser, and
// never past the slot's plan cap: a larger file is refused (413) without being kept.
import type { Request, Response } from 'express';
import type { App } from '../app.js';
import { PayloadTooLarge, restError, toAppError } from '../errors.js';
import { UploadsService } from '../services/spaces-uploads.js';

/** The raw body, refused (413) past `cap` bytes without keeping more; `what` names the body in the message. */
export function readCapped(req: Request, cap: number, what = 'an upload'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.header('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > cap) {
      reject(new PayloadTooLarge(`the body is ${declared} bytes; ${what} accepts at most ${cap} bytes`, { field: '(body)', limit: cap, unit: 'bytes', size: declared }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        req.removeAllListeners('data');
        reject(new PayloadTooLarge(`the body exceeds ${cap} bytes, the most ${what} accepts`, { field: '(body)', limit: cap, unit: 'bytes' }));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function uploadPutHandler(app: App) {
  return async (req: Request, res: Response) => {
    try {
      const uploads = app.deps.service(UploadsService);
      // Read at most one byte past the largest plan's cap; the slot's own cap is checked by the service.
      const bytes = await readCapped(req, uploads.maxAnyPlan());
      const token = typeof req.query.token === 'string' ? req.query.token : undefined;
      const r = await uploads.receive(String(req.params.id), token, bytes, req.header('content-type')?.split(';')[0]?.trim() || null);
      res.status(200).json({ ...r, status: 'received' });
    } catch (e) {
      const { status, headers, body } = restError(toAppError(e));
      res.status(status).set(headers).json(body);
    }
  };
}
