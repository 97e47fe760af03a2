#!/usr/bin/env node
// `npm start` runs this first: compile TypeScript only when a source is newer than the build, so a
// start with nothing changed costs a few stat calls instead of a full tsc run (seconds on a small box).
// Plain JavaScript, no dependencies; tsc itself is only loaded when a build is needed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The project root (a test points it at a scratch folder with argv[2]).
const root = process.argv[2] ? path.resolve(process.argv[2]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// tsc rewrites every output on each build, so the CLI entry's time is the build's time.
const built = path.join(root, 'dist', 'src', 'cli.js');

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs; // a deleted or renamed file changes its directory's time
  for (const e of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

const builtAt = newest(built);
const sources = ['src', 'tools', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => newest(path.join(root, p)));
// The dashboard bundle likewise, from its own sources (dashboard/), when the project has them.
const dashboardSources = newest(path.join(root, 'dashboard'));
if (dashboardSources > 0 && dashboardSources > newest(path.join(root, 'dist', 'dashboard', 'app.js'))) {
  console.error('ctxgate: dashboard sources changed since the last build; bundling');
  const d = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-dashboard.mjs')], { stdio: 'inherit' });
  if (d.status !== 0) process.exit(d.status ?? 1);
}
if (builtAt > 0 && sources.every((m) => m <= builtAt)) process.exit(0);
console.error(builtAt ? 'ctxgate: sources changed since the last build; compiling' : 'ctxgate: no build yet; compiling');
const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
