// compress_text / batch_compress: validation (size cap, secrets, cost model, profile), the exact and
// semantic cache, chunk → embed → rank → skeleton, stats and the structural-loss advisory.
import type { AppDeps } from '../app-deps.js';
import type { Plan } from '../config.js';
import { AppError, BadRequest, Cancelled, InvalidInput, PayloadTooLarge, toAppError } from '../errors.js';
import type { Scope } from '../domain/scope.js';
import { chunkTextAsync, chunkTextCounted, countTokensAsync, countTokensEachAsync, DEFAULT_CHUNK, type Chunk } from '../engine/chunking.js';
import type { Embedder } from '../engine/embeddings/types.js';
import {
  buildSkeletonAsync,
  compressionStats,
  FIDELITY_RATIO,
  TERSE_SUFFIX,
  type CompressionStats,
  type Fidelity,
  type OutputStyle,
  type Section,
  type VerbosityStyle,
} from '../engine/compress.js';
import { dot, normalizeInPlace } from '../engine/embeddings/vector.js';
import { Bm25Index } from '../engine/bm25.js';
import { assertNoSecrets } from '../engine/secrets.js';
import { countStructure, structuralLoss, type StructureClass, type StructureCounts } from '../engine/structure.js';
import { CompressCacheService, sha256, type CacheSource } from './compress-cache.js';
import { FidelityProfilesService } from './fidelity-profiles.js';

export interface CompressRequest {
  text: string;
  fidelity?: Fidelity;
  query?: string | null;
  output_style?: OutputStyle;
  style?: VerbosityStyle;
  cost_model?: string | null;
  profile?: string | null;
  /** Largest chunk in tokens (smallest is half of it); default 400 or the profile's. */
  chunk_tokens?: number;
  /** false skips the cache lookup (the result is still stored). */
  use_cache?: boolean;
}

export interface CompressResult {
  compressed: string;
  fidelity: Fidelity;
  output_style: OutputStyle;
  query_guided: boolean;
  profile: string | null;
  stats: CompressionStats & { chunks: number; kept_chunks: number; budget_tokens: number };
  structural_loss: StructureClass[];
  structure: { input: StructureCounts; output: StructureCounts };
  sections: Section[] | null;
  cache: { hit: boolean; source: CacheSource | null; similarity: number | null };
  system_prompt_suffix: string | null;
  style_suffix_version: string | null;
  embedder: string | null;
}

/** What the cache stores: everything that does not depend on cost model or style. */
interface CachedSkeleton {
  compressed: string;
  original_tokens: number;
  compressed_tokens: number;
  chunks: number;
  kept_chunks: number;
  budget_tokens: number;
  structural_loss: StructureClass[];
  structure: { input: StructureCounts; output: StructureCounts };
  sections: Section[] | null;
  embedder: string | null;
}

interface Resolved {
  fidelity: Fidelity;
  ratio: number;
  outputStyle: OutputStyle;
  chunkTokens: number;
  profile: string | null;
  query: string | null;
}

export class CompressionService {
  constructor(private readonly deps: AppDeps) {}

  private get cache(): CompressCacheService {
    return this.deps.service(CompressCacheService);
  }

  /** Reject what must never be processed, before any work: size cap, secrets, unknown cost model. */
  validate(plan: Plan, req: CompressRequest, field = 'text'): void {
    const cap = this.deps.config.plans[plan].maxTextBytes;
    const bytes = Buffer.byteLength(req.text, 'utf8');
    if (bytes > cap) {
      throw new PayloadTooLarge(`${field} is ${bytes} bytes; the ${plan} plan accepts at most ${cap} bytes (${Math.round(cap / 1024)} KB) per compression`, {
        field,
        limit_bytes: cap,
        size_bytes: bytes,
        plan,
      });
    }
    if (req.text.trim().length === 0) throw new InvalidInput(`Field '${field}' is empty (only whitespace)`, { field });
    assertNoSecrets(req.text, field);
    if (req.query) assertNoSecrets(req.query, 'query');
  }

  private async resolve(scope: Scope | null, req: CompressRequest): Promise<Resolved> {
    const prof = req.profile && scope ? await this.deps.service(FidelityProfilesService).get(scope, req.profile, 'profile') : null;
    const fidelity = req.fidelity ?? prof?.fidelity ?? 'balanced';
    // A profile's ratio applies only when the caller did not name a fidelity of their own.
    const ratio = req.fidelity === undefined && prof?.skeleton_ratio ? prof.skeleton_ratio : FIDELITY_RATIO[fidelity];
    return {
      fidelity,
      ratio,
      outputStyle: req.output_style ?? prof?.output_style ?? 'prose',
      chunkTokens: req.chunk_tokens ?? prof?.chunk_tokens ?? DEFAULT_CHUNK.maxTokens,
      profile: prof?.name ?? null,
      query: req.query?.trim() ? req.query.trim() : null,
    };
  }

  /** scope null: an anonymous demo call, which neither reads nor fills any project's cache. */
  async compress(scope: Scope | null, plan: Plan, req: CompressRequest, signal?: AbortSignal, progress?: (done: number, total: number, message: string) => void): Promise<CompressResult> {
    this.validate(plan, req);
    // A large text reports its steps (MCP progress): chunked, embedded, ranked.
    const report = req.text.length > LARGE_TEXT_CHARS ? progress : undefined;
    const r = await this.resolve(scope, req);
    const finish = (c: CachedSkeleton, cache: CompressResult['cache']): CompressResult => ({
      compressed: c.compressed,
      fidelity: r.fidelity,
      output_style: r.outputStyle,
      query_guided: r.query !== null,
      profile: r.profile,
      stats: {
        ...compressionStats(c.original_tokens, c.compressed_tokens, req.cost_model),
        chunks: c.chunks,
        kept_chunks: c.kept_chunks,
        budget_tokens: c.budget_tokens,
      },
      structural_loss: c.structural_loss,
      structure: c.structure,
      sections: c.sections,
      cache,
      system_prompt_suffix: req.style === 'terse' ? TERSE_SUFFIX.text : null,
      style_suffix_version: req.style === 'terse' ? TERSE_SUFFIX.version : null,
      embedder: c.embedder,
    });

    if (r.fidelity === 'raw' && r.ratio >= 1) {
      const tokens = await countTokensAsync(req.text);
      const counts = countStructure(req.text);
      return finish(
        { compressed: req.text, original_tokens: tokens, compressed_tokens: tokens, chunks: 0, kept_chunks: 0, budget_tokens: tokens, structural_loss: [], structure: { input: counts, output: counts }, sections: null, embedder: null },
        { hit: false, source: null, similarity: null },
      );
    }

    const params = JSON.stringify({ v: 1, ratio: r.ratio, style: r.outputStyle, chunk: r.chunkTokens, query: r.query });
    const paramsHash = sha256(params);
    const keyHash = sha256(`${params}\u0000${req.text}`);
    const useCache = req.use_cache !== false && scope !== null;
    if (useCache) {
      const hit = await this.cache.exact<CachedSkeleton>(scope!, keyHash);
      if (hit) {
        await this.cache.recordHit(scope!, hit, hit.result.original_tokens - hit.result.compressed_tokens);
        return finish(hit.result, { hit: true, source: 'exact', similarity: 1 });
      }
    }

    const embedder = await this.deps.embedder();
    // Large inputs run cooperatively (yielding every few ms) so other clients are not stalled.
    const { chunks, totalTokens: originalTokens } = await chunkTextCounted(req.text, { maxTokens: r.chunkTokens, minTokens: Math.floor(r.chunkTokens / 2) });
    if (signal?.aborted) throw new Cancelled();
    report?.(1, 3, `chunked: ${chunks.length} chunks, ${originalTokens} tokens; embedding`);
    const vectors = await embedInBatches(embedder, r.query ? [...chunks.map((c) => c.text), r.query] : chunks.map((c) => c.text));
    const queryVector = r.query ? vectors.pop()! : null;
    const docVector = documentVector(chunks, vectors);

    if (useCache && docVector) {
      const hit = await this.cache.semantic<CachedSkeleton>(scope!, paramsHash, embedder.id, docVector, originalTokens);
      if (hit) {
        await this.cache.recordHit(scope!, hit, originalTokens - hit.result.compressed_tokens);
        // Stats describe this request's text against the cached skeleton.
        return finish({ ...hit.result, original_tokens: originalTokens }, { hit: true, source: 'semantic', similarity: Math.round(hit.similarity * 10000) / 10000 });
      }
    }
    if (signal?.aborted) throw new Cancelled();
    report?.(2, 3, `embedded; ranking ${chunks.length} chunks`);

    const sk = await buildSkeletonAsync({ chunks, vectors, ratio: r.ratio, fidelity: r.fidelity, query: r.query, queryVector, outputStyle: r.outputStyle, source: req.text, originalTokens });
    const input = countStructure(req.text);
    const output = countStructure(sk.plain);
    const entry: CachedSkeleton = {
      compressed: sk.text,
      original_tokens: originalTokens,
      compressed_tokens: sk.tokens,
      chunks: chunks.length,
      kept_chunks: sk.keptChunks.length,
      budget_tokens: sk.budgetTokens,
      structural_loss: structuralLoss(input, output),
      structure: { input, output },
      sections: r.outputStyle === 'structured' ? sk.sections : null,
      embedder: embedder.id,
    };
    if (scope) await this.cache.store(scope, { keyHash, paramsHash, embedderId: embedder.id, originalTokens, vector: docVector, result: entry }, { countMiss: useCache });
    report?.(3, 3, `ranked: kept ${sk.keptChunks.length} of ${chunks.length} chunks`);
    return finish(entry, { hit: false, source: null, similarity: null });
  }

  /** Up to 50 documents, `concurrency` at a time; a failing document is reported inline. */
  async batch(
    scope: Scope,
    plan: Plan,
    docs: CompressRequest[],
    opts: { concurrency: number; signal?: AbortSignal; onDone?: (done: number, total: number) => void | Promise<void> },
  ): Promise<Array<{ ok: true; result: CompressResult } | { ok: false; error: AppError }>> {
    const out: Array<{ ok: true; result: CompressResult } | { ok: false; error: AppError }> = new Array(docs.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < docs.length) {
        const i = next++;
        try {
          out[i] = { ok: true, result: await this.compress(scope, plan, docs[i]!, opts.signal) };
        } catch (e) {
          out[i] = { ok: false, error: toAppError(e) };
        }
        done++;
        await opts.onDone?.(done, docs.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, docs.length) }, worker));
    return out;
  }
}

export interface AdaptItem {
  id?: string;
  content: string;
  priority?: number;
}

export interface AdaptedItem {
  id: string;
  index: number;
  action: 'kept' | 'compressed' | 'dropped';
  fidelity: Fidelity | null;
  relevance: number;
  original_tokens: number;
  tokens: number;
  content: string | null;
}

/** Above this size, compress() reports its steps as progress. */
const LARGE_TEXT_CHARS = 50_000;

const ADAPT_LEVELS: Fidelity[] = ['detailed', 'balanced', 'outline', 'abstract'];
/** Items smaller than this are kept or dropped whole: compressing them saves too little. */
const ADAPT_MIN_COMPRESSIBLE = 120;

/** Fit items into `limit` tokens: most relevant kept whole, then compressed at the lightest level that fits, the rest dropped. */
export async function adaptItems(deps: AppDeps, items: AdaptItem[], limit: number, query: string | null, signal?: AbortSignal): Promise<AdaptedItem[]> {
  items.forEach((it, i) => assertNoSecrets(it.content, `items[${i}].content`));
  const embedder = await deps.embedder();
  // Counted and compressed cooperatively: large items must not stall other clients.
  const tokens = await countTokensEachAsync(items.map((it) => it.content));
  const n = items.length;
  let relevance: number[];
  if (query) {
    const bm = new Bm25Index();
    for (const it of items) bm.add(it.content);
    const lex = bm.scores(query);
    const maxLex = Math.max(0, ...lex);
    const vecs = await embedder.embed([...items.map((it) => it.content.slice(0, 20_000)), query]);
    const q = vecs.pop()!;
    relevance = items.map((it, i) => 0.5 * (maxLex > 0 ? lex[i]! / maxLex : 0) + 0.5 * Math.max(0, dot(vecs[i]!, q)) + 0.02 * (it.priority ?? 0));
  } else {
    // No query: caller priority first, then recency (later items are the live part of a context).
    relevance = items.map((it, i) => (it.priority ?? 0) / 10 + (0.5 * (i + 1)) / n);
  }
  const order = [...items.keys()].sort((a, b) => relevance[b]! - relevance[a]! || b - a);
  const out: AdaptedItem[] = new Array(n);
  let remaining = limit;
  for (const i of order) {
    if (signal?.aborted) throw new Cancelled();
    const it = items[i]!;
    const base = { id: it.id ?? String(i), index: i, relevance: Math.round(relevance[i]! * 1000) / 1000, original_tokens: tokens[i]! };
    if (tokens[i]! <= remaining) {
      out[i] = { ...base, action: 'kept', fidelity: null, tokens: tokens[i]!, content: it.content };
      remaining -= tokens[i]!;
      continue;
    }
    let placed = false;
    if (tokens[i]! >= ADAPT_MIN_COMPRESSIBLE) {
      const levels = ADAPT_LEVELS.filter((f) => Math.ceil(FIDELITY_RATIO[f] * tokens[i]!) <= remaining);
      if (levels.length) {
        const chunks = await chunkTextAsync(it.content);
        const vectors = await embedder.embed(chunks.map((c) => c.text));
        for (const f of levels) {
          const sk = await buildSkeletonAsync({ chunks, vectors, fidelity: f, query, source: it.content, originalTokens: tokens[i]! });
          if (!sk.passthrough && sk.tokens <= remaining) {
            out[i] = { ...base, action: 'compressed', fidelity: f, tokens: sk.tokens, content: sk.text };
            remaining -= sk.tokens;
            placed = true;
            break;
          }
        }
      }
    }
    if (!placed) out[i] = { ...base, action: 'dropped', fidelity: null, tokens: 0, content: null };
  }
  return out;
}

/** Embed in batches, yielding between them: one call over hundreds of chunks would block for long. */
export async function embedInBatches(embedder: Embedder, texts: string[], batch = 32): Promise<Float32Array[]> {
  if (texts.length <= batch) return embedder.embed(texts);
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batch) {
    out.push(...(await embedder.embed(texts.slice(i, i + batch))));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

/** Token-weighted mean of the chunk vectors, unit length: the document's vector for the semantic cache. */
export function documentVector(chunks: Chunk[], vectors: Float32Array[]): Float32Array | null {
  if (!vectors.length) return null;
  const v = new Float32Array(vectors[0]!.length);
  vectors.forEach((x, i) => {
    const w = chunks[i]?.tokens ?? 1;
    for (let k = 0; k < v.length; k++) v[k]! += w * x[k]!;
  });
  normalizeInPlace(v);
  return v.some((x) => x !== 0) ? v : null;
}
