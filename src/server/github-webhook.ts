// POST /v1/integrations/github/webhook — GitHub's deliveries (src/services/github.ts). No API key:
// the X-Hub-Signature-256 over the raw body is the authority, so the body is read raw, before the
// JSON parser, and never past CTXGATE_MAX_BODY_BYTES.
import type { Request, Response } from 'express';
import type { App } from '../app.js';
import { restError, toAppError } from '../errors.js';
import { GithubService } from '../services/github.js';
import { readCapped } from './uploads.js';

export function githubWebhookHandler(app: App) {
  return async (req: Request, res: Response) => {
    try {
      const raw = await readCapped(req, app.deps.config.maxBodyBytes, 'a GitHub delivery');
      const r = await app.deps.service(GithubService).receive(
        { event: req.header('x-github-event'), delivery: req.header('x-github-delivery'), signature: req.header('x-hub-signature-256'), contentType: req.header('content-type') },
        raw,
      );
      res.status(r.status).json(r.body);
    } catch (err) {
      if (toAppError(err).status >= 500) app.deps.log.error({ err, requestId: req.id }, 'github webhook failed');
      const mapped = restError(err);
      for (const [k, v] of Object.entries(mapped.headers)) res.setHeader(k, v);
      res.status(mapped.status).json(mapped.body);
    }
  };
}
