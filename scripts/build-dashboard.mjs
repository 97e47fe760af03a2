#!/usr/bin/env node
// Builds the web dashboard (dashboard/) into dist/dashboard/: one JavaScript bundle, one stylesheet,
// the HTML shell and the icon. Run by `npm run build` (so `npm ci` produces it through `prepare`).
// esbuild bundles and minifies; nothing is fetched at run time (no CDN), so the dashboard works offline.
// Browsers: those with CSS light-dark() (Chrome/Edge 123, Firefox 120, Safari 17.5 and later).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds into `outDir` (default dist/dashboard); returns the files written with their sizes in bytes. */
export async function buildDashboard(outDir = path.join(root, 'dist', 'dashboard')) {
  fs.mkdirSync(outDir, { recursive: true });
  const common = { bundle: true, minify: true, logLevel: 'warning', legalComments: 'none', absWorkingDir: root };
  await build({ ...common, entryPoints: [path.join(root, 'dashboard', 'src', 'main.ts')], outfile: path.join(outDir, 'app.js'), format: 'iife', target: ['es2020', 'chrome123', 'firefox120', 'safari17.5'] });
  await build({ ...common, entryPoints: [path.join(root, 'dashboard', 'src', 'app.css')], outfile: path.join(outDir, 'app.css'), target: ['chrome123', 'firefox120', 'safari17.5'] });
  for (const f of ['index.html', 'icon.svg']) fs.copyFileSync(path.join(root, 'dashboard', f), path.join(outDir, f));
  return Object.fromEntries(['index.html', 'app.js', 'app.css', 'icon.svg'].map((f) => [f, fs.statSync(path.join(outDir, f)).size]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = await buildDashboard(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.error(`dashboard built: ${Object.entries(sizes).map(([f, n]) => `${f} ${n} B`).join(', ')}`);
}
