// Install is quiet and true: the project's npm config draws no warnings, every dependency install
// script is reviewed (onnxruntime-node's CUDA download denied), the word pack builds into a cache
// folder that does not exist yet, and `npm start` compiles only when a source changed.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildPackLocked } from '../../src/engine/embeddings/offline.js';
import { decodePack } from '../../src/engine/embeddings/word-pack.js';
import { ROOT } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';
import { randomWords, writeWinkSource } from '../embeddings/synthetic-wink.js';

const dir = useTempDirs();

const npm = (args: string[]) => spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('npm sees nothing to warn about in our config', () => {
  it('no "Unknown project config" from .npmrc, and no unreviewed install scripts', () => {
    const r = npm(['install-scripts', 'ls']);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|env) config/);
    expect(r.stdout + r.stderr).toMatch(/No packages with unreviewed install scripts/);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    // The CUDA download step of onnxruntime-node stays off (the CPU binaries ship in the package).
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  });
});

describe('the offline word pack', () => {
  it('builds into a cache folder that does not exist yet (a fresh clone)', async () => {
    const d = dir();
    const source = writeWinkSource(d, randomWords(300, 8), 8);
    const file = path.join(d, '.cache', 'ctxgate', 'pack.bin');
    expect(await buildPackLocked(file, source)).toBe(true);
    expect(decodePack(fs.readFileSync(file)).meta.count).toBe(300);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['pack.bin']);
  });
});

describe('npm start compiles only what changed', () => {
  const script = path.join(ROOT, 'scripts', 'build-if-stale.mjs');
  const run = (root: string) => spawnSync(process.execPath, [script, root], { encoding: 'utf8', timeout: 30_000 });

  it('skips the build when nothing is newer than it, and builds when a source changed', () => {
    const root = dir();
    fs.mkdirSync(path.join(root, 'src'));
    fs.mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(root, 'src', 'a.ts'), past, past);
    fs.utimesSync(path.join(root, 'src'), past, past);
    fs.writeFileSync(path.join(root, 'dist', 'src', 'cli.js'), '');
    const fresh = run(root);
    expect(fresh.status).toBe(0);
    expect(fresh.stderr).toBe('');
    // A newer source: it compiles (this fake root has no TypeScript, so the attempt fails — that it tried is the point).
    fs.writeFileSync(path.join(root, 'src', 'b.ts'), 'export const b = 2;\n');
    const stale = run(root);
    expect(stale.stderr).toMatch(/sources changed since the last build; compiling/);
  });
});
