// Code understanding: file bundles and allowed local roots in, skeletons, digests, blast radius,
// search hits and repo maps out. Validation (paths, sizes, binary content, secrets) happens here,
// before any parsing; parsing yields to the event loop between files so other clients keep moving.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { AppDeps } from '../app-deps.js';
import { LIMITS, type Plan } from '../config.js';
import { AppError, BadRequest, InvalidInput, PayloadTooLarge } from '../errors.js';
import { detectSecret, SensitiveContent } from '../engine/secrets.js';
import { countTokens } from '../engine/tokens.js';
import { analyzeSource, plainAnalysis, type FileAnalysis } from '../engine/code/analyze.js';
import { blastRadius } from '../engine/code/blast.js';
import { digestCodebase, type DigestFile } from '../engine/code/digest.js';
import type { CodeFidelity } from '../engine/code/fidelity.js';
import { detectLanguage, isSupportedPath, LANGUAGES, LANGUAGE_HINTS, resolveLanguage, type LanguageId } from '../engine/code/languages.js';
import { ParsePool } from '../engine/code/parse-pool.js';
import { buildRepoGraph, type AnalyzedFile } from '../engine/code/repo.js';
import { repoMap } from '../engine/code/repomap.js';
import { searchCode } from '../engine/code/search.js';
import { renderSkeleton, topLevelDefs, type RankedSymbol } from '../engine/code/skeleton.js';
import { SPECS } from '../engine/code/spec.js';
import { resolveAllowedDir } from './local-roots.js';
import { excerpt } from '../registry/schema.js';

export interface BundleFile {
  path: string;
  content: string;
  language?: string | null;
}

/** What a long-running call needs from its caller: progress reports and cancellation. */
export interface Work {
  progress(done: number, total?: number, message?: string): Promise<void>;
  signal: AbortSignal;
}

const NO_WORK: Work = { progress: async () => {}, signal: new AbortController().signal };

/** Bundles at least this large report progress while parsing. */
const PROGRESS_MIN_FILES = 20;
/** Files at least this large are parsed on a worker thread (tens of ms or more of blocking work). */
const OFF_THREAD_CHARS = 64 * 1024;
/** Parsed files kept for reuse (PR reviews resend mostly the same files), by total source size. */
const ANALYSIS_CACHE_CHARS = 32 * 1024 * 1024;

export class Cancelled extends AppError {
  constructor() {
    super(499, 'cancelled', 'The request was cancelled by the client');
  }
}

/** NUL bytes, or many control characters, mean this is not source text. */
export function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const sample = text.length > 8192 ? text.slice(0, 8192) : text;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 9 || (c > 13 && c < 32)) && c !== 27) control++;
    else if (c === 0xfffd) control++; // replacement characters: undecodable bytes
  }
  return sample.length > 0 && control / sample.length > 0.1;
}

/** `../`, absolute POSIX or Windows roots, NUL: a bundle path must stay inside the bundle. */
export function badPathReason(p: string): string | null {
  if (p.includes('\u0000')) return 'contains a NUL byte';
  if (/^[\\/]/.test(p)) return 'is absolute';
  if (/^[A-Za-z]:/.test(p)) return 'is a Windows drive path';
  if (/(^|[\\/])\.\.([\\/]|$)/.test(p)) return "traverses upwards with '..'";
  return null;
}

export function languageFromHint(hint: string | null | undefined, field = 'language'): LanguageId | null {
  if (hint === undefined || hint === null || hint.trim() === '') return null;
  const lang = resolveLanguage(hint);
  if (!lang) {
    throw new BadRequest(`Unsupported ${field} ${excerpt(hint, 40)}. Supported: ${LANGUAGES.join(', ')} (aliases: ${LANGUAGE_HINTS.join(', ')})`, 'unsupported_language', {
      field,
      supported: [...LANGUAGES],
    });
  }
  return lang;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function savingsPct(before: number, after: number): number {
  return before > 0 ? Math.round(((before - after) / before) * 1000) / 10 : 0;
}

export interface CompressCodeResult {
  compressed: string;
  stats: {
    original_tokens: number;
    compressed_tokens: number;
    tokens_saved: number;
    savings_pct: number;
    language_detected: LanguageId;
    fidelity: CodeFidelity;
    definitions: number;
    top_level_definitions: number;
    bodies_kept: number;
    bodies_elided: number;
    parse_errors: boolean;
  };
  symbols: RankedSymbol[];
}

export class CodeService {
  /** LRU of parsed files keyed by language + content hash; analyses are never mutated by readers. */
  private readonly analyses = new Map<string, FileAnalysis>();
  private cachedChars = 0;
  private readonly pool = new ParsePool();

  constructor(private readonly deps: AppDeps) {}

  private async analyze(lang: LanguageId, content: string): Promise<FileAnalysis> {
    const key = `${lang}:${createHash('sha1').update(content).digest('base64')}`;
    const hit = this.analyses.get(key);
    if (hit) {
      this.analyses.delete(key);
      this.analyses.set(key, hit); // most recently used last
      return hit;
    }
    const a = content.length >= OFF_THREAD_CHARS ? await this.pool.analyze(lang, content) : await analyzeSource(lang, content);
    const raced = this.analyses.get(key); // an identical request finished parsing meanwhile
    if (raced) return raced;
    if (content.length <= ANALYSIS_CACHE_CHARS / 8) {
      this.analyses.set(key, a);
      this.cachedChars += content.length;
      for (const [k, v] of this.analyses) {
        if (this.cachedChars <= ANALYSIS_CACHE_CHARS) break;
        this.analyses.delete(k);
        this.cachedChars -= v.source.length;
      }
    }
    return a;
  }

  // ---- compress_code --------------------------------------------------------------------------

  async compressCode(args: { code: string; language?: string | null; path?: string | null; fidelity: CodeFidelity }, plan: Plan): Promise<CompressCodeResult> {
    const hinted = languageFromHint(args.language);
    if (args.code.trim() === '') throw new InvalidInput("Field 'code' is empty: send the source text to compress", { field: 'code' });
    const cap = this.deps.config.plans[plan].maxTextBytes;
    const bytes = Buffer.byteLength(args.code, 'utf8');
    if (bytes > cap) throw new PayloadTooLarge(`Field 'code' is ${bytes} bytes; the ${plan} plan accepts at most ${cap}`, { field: 'code', limit_bytes: cap });
    if (looksBinary(args.code)) throw new BadRequest("Field 'code' looks like binary content, not source text", 'binary_content', { field: 'code' });
    const lang = hinted ?? detectLanguage(args.code, args.path);
    if (!lang) {
      throw new BadRequest(`Could not detect the language of 'code'; pass 'language' (one of ${LANGUAGES.join(', ')})`, 'language_undetected', {
        field: 'language',
        supported: [...LANGUAGES],
      });
    }
    const analysis = await this.analyze(lang, args.code);
    const sk = renderSkeleton(analysis, args.fidelity, SPECS[lang].lineComment);
    const original = countTokens(args.code);
    const compressed = countTokens(sk.text);
    return {
      compressed: sk.text,
      stats: {
        original_tokens: original,
        compressed_tokens: compressed,
        tokens_saved: Math.max(0, original - compressed),
        savings_pct: savingsPct(original, compressed),
        language_detected: lang,
        fidelity: args.fidelity,
        definitions: analysis.defs.length,
        top_level_definitions: topLevelDefs(analysis).length,
        bodies_kept: sk.bodiesKept,
        bodies_elided: sk.bodiesElided,
        parse_errors: analysis.hasErrors,
      },
      symbols: sk.ranked.slice(0, 25),
    };
  }

  // ---- bundles and roots ----------------------------------------------------------------------

  /** Every check a bundle must pass, in one place and before any parsing. */
  validateBundle(files: BundleFile[], opts: { secrets: boolean }): void {
    if (files.length === 0) throw new InvalidInput("Field 'files' is empty: send at least one {path, content}", { field: 'files' });
    if (files.length > LIMITS.codeFiles) {
      throw new PayloadTooLarge(`Field 'files' has ${files.length} files; at most ${LIMITS.codeFiles} are accepted`, { field: 'files', limit_files: LIMITS.codeFiles });
    }
    const seen = new Set<string>();
    files.forEach((f, i) => {
      const reason = badPathReason(f.path);
      // The offending path is not echoed: it may carry a NUL or a host path.
      if (reason) throw new BadRequest(`files[${i}].path ${reason}; paths must be relative and stay inside the bundle`, 'bad_path', { field: `files[${i}].path` });
      if (f.path.trim() === '') throw new InvalidInput(`files[${i}].path is empty`, { field: `files[${i}].path` });
      if (seen.has(f.path)) throw new InvalidInput(`files[${i}].path '${f.path}' appears twice in the bundle`, { field: `files[${i}].path` });
      seen.add(f.path);
    });
    let total = 0;
    files.forEach((f, i) => {
      const bytes = Buffer.byteLength(f.content, 'utf8');
      total += bytes;
      if (bytes > LIMITS.codeFileBytes) {
        throw new PayloadTooLarge(`files[${i}] (${f.path}) is ${bytes} bytes; each file may be at most ${LIMITS.codeFileBytes}`, {
          field: `files[${i}].content`,
          limit_bytes: LIMITS.codeFileBytes,
        });
      }
    });
    if (total > LIMITS.codeBundleBytes) {
      throw new PayloadTooLarge(`The bundle is ${total} bytes; at most ${LIMITS.codeBundleBytes} in total are accepted`, { field: 'files', limit_bytes: LIMITS.codeBundleBytes });
    }
    files.forEach((f, i) => {
      if (looksBinary(f.content)) throw new BadRequest(`files[${i}] (${f.path}) looks like binary content, not source text`, 'binary_content', { field: `files[${i}].content` });
      languageFromHint(f.language, `files[${i}].language`);
    });
    if (opts.secrets) {
      files.forEach((f, i) => {
        const inPath = detectSecret(f.path);
        if (inPath) throw new SensitiveContent(inPath.marker_class, `files[${i}].path`);
        const inContent = detectSecret(f.content);
        if (inContent) throw new SensitiveContent(inContent.marker_class, `files[${i}].content`);
      });
    }
  }

  /** Read an allowed local directory: supported source files, .gitignore honoured, caps applied. */
  async loadRoot(root: string, work: Work = NO_WORK): Promise<{ files: BundleFile[]; skipped: number; truncated: boolean; root: string }> {
    const real = resolveAllowedDir(root, this.deps.config.allowedRoots, 'root');

    const files: BundleFile[] = [];
    let skipped = 0;
    let total = 0;
    let truncated = false;
    // Each directory's .gitignore applies to paths relative to that directory.
    const walk = async (dir: string, rules: Array<{ base: string; ig: Ignore }>): Promise<void> => {
      if (work.signal.aborted) throw new Cancelled();
      const rel = path.relative(real, dir).split(path.sep).join('/');
      let own = rules;
      try {
        const gi = await fs.readFile(path.join(dir, '.gitignore'), 'utf8');
        own = [...rules, { base: rel, ig: ignore().add(gi) }];
      } catch {
        /* no .gitignore here */
      }
      const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (truncated) return;
        if (e.name === '.git' || e.isSymbolicLink()) continue; // symlinks could leave the root
        const relPath = rel ? `${rel}/${e.name}` : e.name;
        const ignored = own.some(({ base, ig }) => {
          const sub = base ? relPath.slice(base.length + 1) : relPath;
          return ig.ignores(e.isDirectory() ? `${sub}/` : sub);
        });
        if (ignored) continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
          await walk(full, own);
          continue;
        }
        if (!e.isFile() || !isSupportedPath(e.name)) continue;
        const size = (await fs.stat(full)).size;
        if (size > LIMITS.codeFileBytes) {
          skipped++;
          continue;
        }
        if (files.length >= LIMITS.codeFiles || total + size > LIMITS.codeBundleBytes) {
          truncated = true;
          return;
        }
        const content = await fs.readFile(full, 'utf8');
        if (looksBinary(content)) {
          skipped++;
          continue;
        }
        files.push({ path: relPath, content });
        total += size;
      }
    };
    await walk(real, []);
    if (!files.length) throw new InvalidInput(`Field 'root': no supported source files under it (${LANGUAGES.join(', ')})`, { field: 'root' });
    return { files, skipped, truncated, root: real };
  }

  /** Parse a validated bundle. Files without a known language are dropped, or kept as plain text. */
  async analyzeBundle(files: BundleFile[], work: Work, keepPlain: boolean): Promise<{ analyzed: AnalyzedFile[]; skipped: number }> {
    const analyzed: AnalyzedFile[] = [];
    let skipped = 0;
    const report = files.length >= PROGRESS_MIN_FILES;
    const step = Math.max(1, Math.floor(files.length / 20));
    let lastYield = performance.now();
    for (let i = 0; i < files.length; i++) {
      if (work.signal.aborted) throw new Cancelled();
      const f = files[i]!;
      const lang = languageFromHint(f.language, `files[${i}].language`) ?? detectLanguage(f.content, f.path);
      let analysis: FileAnalysis | null = null;
      if (lang) {
        try {
          analysis = await this.analyze(lang, f.content);
        } catch (err) {
          this.deps.log.warn({ err, path: f.path, lang }, 'code: parse failed; file treated as plain text');
        }
      }
      if (analysis) analyzed.push({ path: f.path, language: lang, analysis });
      else if (keepPlain) analyzed.push({ path: f.path, language: null, analysis: plainAnalysis(f.content) });
      else skipped++;
      if (report && (i + 1) % step === 0) await work.progress(i + 1, files.length, `parsed ${i + 1}/${files.length} files`);
      if (performance.now() - lastYield > 20) {
        await yieldToLoop();
        lastYield = performance.now();
      }
    }
    return { analyzed, skipped };
  }

  private async bundleFrom(args: { files?: BundleFile[] | null; root?: string | null }, work: Work) {
    const hasFiles = !!args.files?.length;
    if (hasFiles && args.root) throw new InvalidInput("Send either 'files' or 'root', not both", { field: 'root' });
    if (!hasFiles && !args.root) throw new InvalidInput("Send 'files' (a bundle of {path, content}) or 'root' (a directory under CTXGATE_ALLOWED_ROOTS)", { field: 'files' });
    if (hasFiles) {
      this.validateBundle(args.files!, { secrets: false });
      return { files: args.files!, skippedAtLoad: 0, truncated: false };
    }
    const loaded = await this.loadRoot(args.root!, work);
    // Files read from a root never passed the invoke pipeline's secrets rule: the same refusal here.
    loaded.files.forEach((f) => {
      const hit = detectSecret(f.path) ?? detectSecret(f.content);
      if (hit) throw new SensitiveContent(hit.marker_class, 'root');
    });
    return { files: loaded.files, skippedAtLoad: loaded.skipped, truncated: loaded.truncated };
  }

  // ---- compress_codebase ----------------------------------------------------------------------

  async compressCodebase(
    args: { files?: BundleFile[] | null; root?: string | null; token_budget: number; fidelity: 'outline' | 'balanced' | 'detailed' },
    work: Work = NO_WORK,
  ) {
    const bundle = await this.bundleFrom(args, work);
    const { analyzed, skipped } = await this.analyzeBundle(bundle.files, work, false);
    if (!analyzed.length) throw new InvalidInput(`No file of the bundle is in a supported language (${LANGUAGES.join(', ')})`, { field: 'files' });
    const graph = buildRepoGraph(analyzed);
    const digest = digestCodebase(graph, { tokenBudget: args.token_budget, fidelity: args.fidelity });
    await work.progress(bundle.files.length, bundle.files.length, 'digest assembled');
    const original = digest.files.reduce((s, f) => s + f.tokens_original, 0);
    const languages: Record<string, number> = {};
    for (const f of analyzed) languages[f.language!] = (languages[f.language!] ?? 0) + 1;
    const count = (r: DigestFile['rendering']) => digest.files.filter((f) => f.rendering === r).length;
    return {
      digest: digest.text,
      files: digest.files,
      stats: {
        files_in: bundle.files.length,
        files_parsed: analyzed.length,
        files_skipped: skipped + bundle.skippedAtLoad,
        truncated: bundle.truncated,
        original_tokens: original,
        digest_tokens: digest.tokens,
        savings_pct: savingsPct(original, digest.tokens),
        token_budget: args.token_budget,
        files_as_skeleton: digest.files.length - count('abstract') - count('listed') - count('omitted'),
        files_as_abstract: count('abstract'),
        files_listed: count('listed'),
        files_omitted: count('omitted'),
        definitions: analyzed.reduce((s, f) => s + f.analysis.defs.length, 0),
        languages,
      },
    };
  }

  // ---- gc_blast_radius ------------------------------------------------------------------------

  async blastRadius(args: { files?: BundleFile[] | null; root?: string | null; focus_symbol?: string | null; query?: string | null; top_k: number }, work: Work = NO_WORK) {
    if (args.files?.length) this.validateBundle(args.files, { secrets: true });
    const bundle = await this.bundleFrom(args, work);
    const { analyzed } = await this.analyzeBundle(bundle.files, work, true);
    const graph = buildRepoGraph(analyzed);
    const result = blastRadius(graph, { focusSymbol: args.focus_symbol, query: args.query, topK: args.top_k });
    const focus = args.focus_symbol?.trim();
    return {
      ranked_context: result.ranked.map((r) => {
        const a = analyzed[r.file]!.analysis;
        // The file's definitions that are, or mention, the focus symbol: where to look first.
        const bare = focus?.split(/\.|::/).pop();
        const symbols = bare
          ? a.defs.filter((d) => d.name === bare || d.refs.has(bare)).slice(0, 10).map((d) => ({ name: d.qualifiedName, kind: d.kind, line: d.startLine, defines: d.name === bare }))
          : [];
        return {
          path: analyzed[r.file]!.path,
          score: Number(r.score.toFixed(6)),
          rank: r.rank,
          contributing_signals: r.signals,
          symbols,
        };
      }),
      stats: {
        files_in: bundle.files.length,
        files_ranked: result.filesRanked,
        symbols_in: analyzed.reduce((s, f) => s + f.analysis.defs.length, 0),
        focus_definitions: result.focusDefinitions,
        signals: Object.keys(result.rankings),
        degraded: false,
      },
      message: null,
    };
  }

  // ---- search_code ----------------------------------------------------------------------------

  async searchCode(args: { query: string; files?: BundleFile[] | null; root?: string | null; top_k: number }, work: Work = NO_WORK) {
    if (args.query.trim() === '') throw new InvalidInput("Field 'query' is empty", { field: 'query' });
    const bundle = await this.bundleFrom(args, work);
    const { analyzed, skipped } = await this.analyzeBundle(bundle.files, work, true);
    const { hits, chunks } = searchCode(analyzed, args.query, args.top_k);
    return {
      results: hits.map((h, i) => ({
        path: analyzed[h.chunk.file]!.path,
        start_line: h.chunk.startLine,
        end_line: h.chunk.endLine,
        symbol: h.chunk.symbol,
        kind: h.chunk.kind,
        rank: i + 1,
        score: Number(h.score.toFixed(6)),
        contributing_signals: h.signals,
        matches: h.matches.map(([line, text]) => ({ line, text: text.length > 240 ? `${text.slice(0, 237)}...` : text })),
      })),
      stats: { files_in: bundle.files.length, files_searched: analyzed.length, files_skipped: skipped + bundle.skippedAtLoad, chunks, truncated: bundle.truncated },
    };
  }

  // ---- repo_map -------------------------------------------------------------------------------

  async repoMap(args: { files?: BundleFile[] | null; root?: string | null; token_budget: number; focus_files?: string[]; mentioned?: string[] }, work: Work = NO_WORK) {
    const bundle = await this.bundleFrom(args, work);
    const { analyzed, skipped } = await this.analyzeBundle(bundle.files, work, false);
    if (!analyzed.length) throw new InvalidInput(`No file of the bundle is in a supported language (${LANGUAGES.join(', ')})`, { field: 'files' });
    const known = new Set(analyzed.map((f) => f.path));
    const unknown = (args.focus_files ?? []).filter((p) => !known.has(p));
    if (unknown.length) throw new InvalidInput(`focus_files not in the bundle: ${unknown.slice(0, 5).join(', ')}`, { field: 'focus_files' });
    const graph = buildRepoGraph(analyzed);
    const map = repoMap(graph, { tokenBudget: args.token_budget, focusFiles: args.focus_files, mentioned: args.mentioned });
    return {
      map: map.text,
      definitions: map.included.map((r, i) => {
        const f = analyzed[r.file]!;
        const d = f.analysis.defs[r.def]!;
        return { rank: i + 1, path: f.path, name: d.qualifiedName, kind: d.kind, line: d.startLine, score: Number(r.score.toExponential(4)) };
      }),
      stats: {
        files_in: bundle.files.length,
        files_parsed: analyzed.length,
        files_skipped: skipped + bundle.skippedAtLoad,
        truncated: bundle.truncated,
        definitions_total: map.totalDefinitions,
        definitions_shown: map.included.length,
        map_tokens: map.tokens,
        token_budget: args.token_budget,
      },
    };
  }
}
