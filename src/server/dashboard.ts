// The web dashboard (issue 20): a static single-page app at `/`, built at install by
// scripts/build-dashboard.mjs into dist/dashboard/. It holds no data and has no routes of its own:
// the page signs in with an API key and calls the public REST routes (/v1/...) like any script.
// Every answer carries a strict Content-Security-Policy: scripts and styles from this origin only
// (no inline code), requests to this origin only, no frames, no forms posting elsewhere.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { AppError, restError } from '../errors.js';
import { projectRoot } from '../paths.js';

export const DASHBOARD_DIR = path.join(projectRoot, 'dist', 'dashboard');

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** URL path → file in DASHBOARD_DIR. A fixed list: nothing else under /dashboard/ is served. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/dashboard/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

interface Asset {
  body: Buffer;
  etag: string;
  mtimeMs: number;
}

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** The dashboard's routes (GET/HEAD only), or none when CTXGATE_DASHBOARD=off. */
export function dashboardRouter(enabled: boolean, dir = DASHBOARD_DIR): Router {
  const router = Router();
  if (!enabled) return router;
  const cache = new Map<string, Asset>();
  // Read once and kept; a rebuilt file (newer mtime) is read again, so `npm run build` needs no restart.
  const load = (file: string): Asset | null => {
    const p = path.join(dir, file);
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return null;
    }
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const body = fs.readFileSync(p);
    const asset = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, mtimeMs: st.mtimeMs };
    cache.set(file, asset);
    return asset;
  };
  for (const [route, { file, type }] of Object.entries(FILES)) {
    router.get(route, (req, res) => {
      securityHeaders(res);
      const asset = load(file);
      if (!asset) {
        const err = new AppError(503, 'dashboard_not_built', `The dashboard is not built (${path.relative(projectRoot, path.join(dir, file))} is missing): run \`npm run build\`, or set CTXGATE_DASHBOARD=off`);
        const mapped = restError(err);
        return void res.status(mapped.status).json(mapped.body);
      }
      res.setHeader('Content-Type', type);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', asset.etag);
      if (req.header('if-none-match') === asset.etag) return void res.status(304).end();
      res.status(200).send(asset.body);
    });
  }
  return router;
}
