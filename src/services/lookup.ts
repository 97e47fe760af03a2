// Documentation look-up, offline. The index lives in the store (LookupRepo: sources, passages, full text):
//
// - Built-in sources: the npm packages ctxgate itself depends on (package.json dependencies and
//   devDependencies found in its node_modules) — README, docs/*.md and the package's .d.ts entry.
//   owner_id = project_id = '' and visible to everyone, keyless callers included. They are indexed
//   in the background (`warm()`, called once the server listens, or lazily by the first look-up) and
//   re-indexed only when a package version or the embedder changes, so a restart costs one query.
// - Added sources (add_lookup_source): an installed npm package, or a local docs folder inside
//   config.allowedRoots (CTXGATE_ALLOWED_ROOTS); they belong to the adding owner and project.
//
// Look-ups fuse embedding similarity and BM25 (RRF). They are not metered.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppDeps } from '../app-deps.js';
import { chunkTextAsync } from '../engine/chunking.js';
import { vectorToBlob } from '../engine/embeddings/vector.js';
import { htmlToMarkdown, normalizeText } from '../engine/extract/index.js';
import { Conflict, Forbidden, InvalidInput, NotFound, Unavailable } from '../errors.js';
import { projectRoot } from '../paths.js';
import type { Scope } from '../domain/scope.js';
import { newId, nowIso } from '../store/db.js';
import { lookupChunkSource, type LookupHitRow, type LookupSourceRow } from '../store/lookup.js';
import { RetrievalIndex } from '../store/retrieval.js';
import { resolveAllowedDir } from './local-roots.js';
import { LIMITS } from '../config.js';

/** Per-file and per-source caps, so one huge .d.ts (typescript.d.ts is 590 KB) cannot swamp the index. */
export const LOOKUP_LIMITS = LIMITS.lookup;
const DOC_EXT = /\.(md|mdx|markdown|txt|rst|html?)$/i;
const EMBED_BATCH = 64;
const BUILTIN: Scope = { ownerId: '', projectId: '' };

export interface LookupSourceView {
  slug: string;
  name: string;
  kind: 'npm' | 'folder';
  version: string | null;
  builtin: boolean;
  files: number;
  chunks: number;
  indexed_at: string;
}

export interface LookupHit {
  slug: string;
  source: string;
  version: string | null;
  file: string;
  heading_path: string[];
  passage: string;
  score: number;
}

type SourceRow = LookupSourceRow;
interface DocFile { rel: string; text: string }
interface Collected { name: string; version: string | null; path: string; files: DocFile[]; fingerprint: string }

/** "@scope/pkg" → "scope-pkg": what callers pass as `slug`. */
export function slugify(name: string): string {
  return name.toLowerCase().replace(/^@/, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

function readCapped(file: string): string | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size === 0 || st.size > LOOKUP_LIMITS.fileBytes) return null;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Where an installed package lives, resolved from ctxgate's own node_modules (no network). */
export function packageDir(name: string, root = projectRoot): string | null {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) return null;
  const dir = path.join(root, 'node_modules', name);
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : null;
}

type PackageJson = { version?: string; types?: string; typings?: string };
const readPackageJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
const npmFingerprint = (name: string, pkg: PackageJson) => `npm:${name}@${pkg.version ?? '?'}`;

/** What an installed package's index is built from (its version), without reading its docs; null when not installed. */
export function packageFingerprint(name: string, root = projectRoot): string | null {
  const dir = packageDir(name, root);
  return dir ? npmFingerprint(name, readPackageJson(dir)) : null;
}

/** README, docs/**.md and the declared .d.ts of an installed package. */
export function collectPackage(name: string, root = projectRoot): Collected | null {
  const dir = packageDir(name, root);
  if (!dir) return null;
  const pkg = readPackageJson(dir);
  const files: DocFile[] = [];
  let total = 0;
  const add = (rel: string) => {
    if (files.some((f) => f.rel === rel)) return;
    const text = readCapped(path.join(dir, rel));
    if (!text || total + text.length > LOOKUP_LIMITS.sourceBytes) return;
    total += text.length;
    files.push({ rel, text });
  };
  for (const f of fs.readdirSync(dir)) if (/^readme(\.(md|markdown|txt|rst))?$/i.test(f)) add(f);
  for (const docs of ['docs', 'doc']) {
    const d = path.join(dir, docs);
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) continue;
    const found = (fs.readdirSync(d, { recursive: true }) as string[]).filter((f) => /\.(md|mdx|markdown)$/i.test(f)).sort().slice(0, LOOKUP_LIMITS.docsFiles);
    for (const f of found) add(path.join(docs, f));
  }
  const types = pkg.types ?? pkg.typings;
  if (types && /\.d\.(ts|mts|cts)$/.test(types)) add(path.normalize(types));
  return { name, version: pkg.version ?? null, path: dir, files, fingerprint: npmFingerprint(name, pkg) };
}

/** Documentation files under a folder (no node_modules, no dot-directories), capped. */
export function collectFolder(dir: string): Collected {
  const files: DocFile[] = [];
  const stats: string[] = [];
  let total = 0;
  const walk = (d: string) => {
    if (files.length >= LOOKUP_LIMITS.sourceFiles) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && DOC_EXT.test(e.name) && files.length < LOOKUP_LIMITS.sourceFiles) {
        const text = readCapped(full);
        if (!text || total + text.length > LOOKUP_LIMITS.sourceBytes) continue;
        total += text.length;
        const st = fs.statSync(full);
        stats.push(`${full}:${st.size}:${st.mtimeMs}`);
        files.push({ rel: path.relative(dir, full), text: /\.html?$/i.test(e.name) ? htmlToMarkdown(text) : text });
      }
    }
  };
  walk(dir);
  const fingerprint = `folder:${createHash('sha256').update(stats.join('\n')).digest('hex').slice(0, 32)}`;
  return { name: path.basename(dir), version: null, path: dir, files, fingerprint };
}

/** The packages installed with ctxgate: its dependencies and devDependencies that are present. */
export function builtinPackageNames(root = projectRoot): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  return [...new Set(names)].filter((n) => packageDir(n, root)).sort();
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** What gets embedded for a passage: the source name and heading trail give it context. */
export function passageEmbeddingText(sourceName: string, headingPath: string[], text: string): string {
  return [sourceName, ...headingPath].join(' > ') + '\n' + text;
}

export class LookupService {
  private building: Promise<void> | null = null;
  private built = false;
  private closed = false;
  /** Callers waiting for the build, told after each package (done, total). */
  private readonly buildWatchers = new Set<(done: number, total: number) => void>();
  /** Keyword, vector and hybrid search over the passages (the one retrieval index); built-ins are scope ('', ''). */
  private readonly retrieval: RetrievalIndex<{ sourceId: string }>;

  constructor(private readonly deps: AppDeps) {
    this.retrieval = new RetrievalIndex(deps, lookupChunkSource(passageEmbeddingText));
  }

  /** Build or refresh the built-in index in the background; safe to call repeatedly. */
  warm(): Promise<void> {
    if (!this.building) {
      this.building = this.buildBuiltins()
        .then(() => {
          this.built = true;
        })
        .catch((err) => {
          this.building = null;
          this.deps.log.error({ err }, 'lookup: building the built-in docs index failed');
          throw err;
        });
      this.building.catch(() => undefined);
    }
    return this.building;
  }

  get ready(): boolean {
    return this.built;
  }

  /** Stops the background build between packages and waits for it, so the store can close under it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.building?.catch(() => undefined);
  }

  /** `onBuild` hears how far the built-in index is while the first look-up after a start waits for it. */
  async lookup(
    scope: Scope | null,
    args: { query: string; slug?: string | null; topK: number },
    onBuild?: (done: number, total: number) => void,
  ): Promise<{ results: LookupHit[]; sources_searched: number; embedder: string }> {
    const q = args.query.trim();
    if (!q) throw new InvalidInput('query_text: must not be empty', { field: 'query_text' });
    if (onBuild && !this.built) this.buildWatchers.add(onBuild);
    try {
      await this.warm();
    } catch {
      throw new Unavailable('the documentation index could not be built (see the server log); try again shortly');
    } finally {
      if (onBuild) this.buildWatchers.delete(onBuild);
    }
    let sources = await this.visibleSources(scope);
    if (args.slug) {
      const want = slugify(args.slug);
      sources = sources.filter((s) => s.slug === want);
      if (sources.length === 0) {
        const known = (await this.visibleSources(scope)).map((s) => s.slug);
        throw new NotFound(`slug: no documentation source "${args.slug}"; available: ${known.join(', ')}`, { field: 'slug', available: known });
      }
    }
    if (sources.length === 0) return { results: [], sources_searched: 0, embedder: (await this.deps.embedder()).id };
    const ids = new Set(sources.map((s) => s.id));
    const { hits, embedder } = await this.retrieval.search({
      scopes: scope ? [scope, BUILTIN] : [BUILTIN],
      query: q,
      mode: 'hybrid',
      k: args.topK,
      depth: Math.max(args.topK * 4, 40),
      accept: (_id, m) => ids.has(m.sourceId),
      where: { column: 'source_id', values: [...ids] },
    });
    return { results: await this.hydrate(scope, hits.map((h) => ({ rowid: h.id, score: h.score }))), sources_searched: sources.length, embedder: embedder! };
  }

  async list(scope: Scope | null): Promise<{ sources: LookupSourceView[]; indexing: boolean }> {
    return { sources: (await this.visibleSources(scope)).map(view), indexing: !this.built };
  }

  async add(scope: Scope, args: { kind: 'npm' | 'folder'; name?: string | null; path?: string | null; slug?: string | null; replace?: boolean }): Promise<LookupSourceView> {
    let collected: Collected;
    if (args.kind === 'npm') {
      if (!args.name) throw new InvalidInput('name: the npm package name is required for kind "npm"', { field: 'name' });
      const c = collectPackage(args.name);
      if (!c) throw new NotFound(`name: package "${args.name}" is not installed in this server's node_modules (no registry download happens here)`, { field: 'name' });
      collected = c;
    } else {
      if (!args.path) throw new InvalidInput('path: the folder path is required for kind "folder"', { field: 'path' });
      const dir = this.allowedFolder(args.path);
      collected = collectFolder(dir);
    }
    if (collected.files.length === 0) {
      throw new InvalidInput(`${args.kind === 'npm' ? 'name' : 'path'}: no documentation files found (README, docs/*.md, .d.ts; or .md/.txt/.rst/.html in a folder)`, { field: args.kind === 'npm' ? 'name' : 'path' });
    }
    const slug = slugify(args.slug ?? collected.name);
    if (!slug) throw new InvalidInput('slug: must contain a letter or digit', { field: 'slug' });
    if (await this.deps.store.lookup(BUILTIN).source(slug)) throw new Conflict(`slug: "${slug}" is a built-in source; choose another slug`, { field: 'slug' });
    const existing = await this.deps.store.lookup(scope).source(slug);
    if (existing && !args.replace) throw new Conflict(`slug: "${slug}" already exists in this project; pass replace: true to re-index it`, { field: 'slug' });
    const row = await this.index(scope, { ...collected, slug, kind: args.kind, builtin: false });
    return view(row);
  }

  async remove(scope: Scope, slug: string): Promise<{ slug: string; removed: true; chunks_removed: number }> {
    const want = slugify(slug);
    const own = await this.deps.store.lookup(scope).source(want);
    if (!own) {
      if (await this.deps.store.lookup(BUILTIN).source(want)) throw new Forbidden(`slug: "${want}" is a built-in source (the server's own packages) and cannot be removed`, { field: 'slug' });
      throw new NotFound(`slug: no documentation source "${slug}" added in this project`, { field: 'slug' });
    }
    const chunks = await this.deps.store.lookup(scope).delete(own.id);
    return { slug: want, removed: true, chunks_removed: chunks };
  }

  // ------------------------------------------------------------------ internals

  private async buildBuiltins(): Promise<void> {
    const embedder = await this.deps.embedder();
    const names = builtinPackageNames();
    const t0 = Date.now();
    let indexed = 0;
    const builtins = this.deps.store.lookup(BUILTIN);
    for (const [i, name] of names.entries()) {
      for (const w of this.buildWatchers) w(i, names.length);
      // Started right after the server listens: give requests a turn between packages.
      await yieldToLoop();
      if (this.closed) return;
      const slug = slugify(name);
      // An unchanged package costs its package.json, not a read of its docs.
      const existing = await builtins.source(slug);
      if (existing && existing.fingerprint === `${packageFingerprint(name)}|${embedder.id}`) continue;
      const c = collectPackage(name);
      if (!c || c.files.length === 0) continue;
      await this.index(BUILTIN, { ...c, slug, kind: 'npm', builtin: true });
      indexed++;
    }
    // Packages no longer installed leave the index.
    const stale = (await builtins.sources(true)).filter((s) => !names.some((n) => slugify(n) === s.slug));
    for (const s of stale) await builtins.delete(s.id);
    if (indexed > 0 || stale.length > 0) this.deps.log.info({ indexed, removed: stale.length, ms: Date.now() - t0 }, 'lookup: built-in docs index refreshed');
  }

  /** Chunk, embed and store one source, replacing any previous index of the same slug in one transaction. */
  private async index(scope: Scope, src: Collected & { slug: string; kind: 'npm' | 'folder'; builtin: boolean }): Promise<SourceRow> {
    const embedder = await this.deps.embedder();
    const chunks: Array<{ file: string; headingPath: string[]; text: string; tokens: number }> = [];
    for (const f of src.files) {
      const text = normalizeText(f.text);
      if (!text) continue;
      for (const c of await chunkTextAsync(text)) if (c.text.trim()) chunks.push({ file: f.rel, headingPath: c.headingPath, text: c.text, tokens: c.tokens });
      await yieldToLoop();
    }
    const vectors: Float32Array[] = [];
    for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
      const batch = chunks.slice(i, i + EMBED_BATCH);
      vectors.push(...(await embedder.embed(batch.map((c) => passageEmbeddingText(src.name, c.headingPath, c.text)))));
      await yieldToLoop();
    }
    const now = nowIso();
    const row = {
      id: newId('lks'), slug: src.slug, kind: src.kind, name: src.name, version: src.version, path: src.path,
      builtin: src.builtin ? 1 : 0, fingerprint: `${src.fingerprint}|${embedder.id}`, files: src.files.length, chunks: chunks.length, indexed_at: now,
    };
    await this.deps.store.lookup(scope).replace(
      row,
      chunks.map((c, i) => ({ ...c, embedding: vectorToBlob(vectors[i]!), ftsText: [src.name, ...c.headingPath, c.text].join('\n') })),
      embedder.id,
    );
    return { ...row, owner_id: scope.ownerId, project_id: scope.projectId, created_at: now };
  }

  private allowedFolder(p: string): string {
    return resolveAllowedDir(p, this.deps.config.allowedRoots, 'path');
  }

  /** Built-in sources, plus the caller's own when there is a caller. */
  private async visibleSources(scope: Scope | null): Promise<SourceRow[]> {
    const builtin = await this.deps.store.lookup(BUILTIN).sources();
    return scope ? [...(await this.deps.store.lookup(scope).sources()), ...builtin] : builtin;
  }

  private async hydrate(scope: Scope | null, ranked: Array<{ rowid: number; score: number }>): Promise<LookupHit[]> {
    if (ranked.length === 0) return [];
    const ids = ranked.map((r) => r.rowid);
    const rows: LookupHitRow[] = [...(scope ? await this.deps.store.lookup(scope).hits(ids) : []), ...(await this.deps.store.lookup(BUILTIN).hits(ids))];
    const byRow = new Map(rows.map((r) => [r.rowid, r]));
    return ranked
      .filter((r) => byRow.has(r.rowid))
      .map((r) => {
        const c = byRow.get(r.rowid)!;
        return { slug: c.slug, source: c.name, version: c.version, file: c.file, heading_path: c.heading_path, passage: c.text, score: Math.round(r.score * 1e6) / 1e6 };
      });
  }
}

function view(s: SourceRow): LookupSourceView {
  return { slug: s.slug, name: s.name, kind: s.kind, version: s.version, builtin: s.builtin === 1, files: s.files, chunks: s.chunks, indexed_at: s.indexed_at };
}
