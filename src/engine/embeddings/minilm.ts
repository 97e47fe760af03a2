// The `minilm` provider: a BERT-style sentence encoder (all-MiniLM-L6-v2, quantized ONNX) run by
// @huggingface/transformers on onnxruntime-node, mean-pooled over real tokens and L2-normalised.
// transformers is imported lazily so processes on the offline provider never load onnxruntime.
import fs from 'node:fs';
import path from 'node:path';
import type { Embedder } from './types.js';

export const MINILM_HUB_ID = 'Xenova/all-MiniLM-L6-v2';

/** How the files of a local model directory are laid out, as transformers' loader needs to be told. */
export interface ModelFiles {
  dir: string;
  /** '' when the .onnx file sits beside config.json, else the subfolder ("onnx"). */
  subfolder: string;
  /** q8 loads model_quantized.onnx, fp32 loads model.onnx. */
  dtype: 'q8' | 'fp32';
  /** Hidden size from config.json (the embedding length). */
  dim: number;
}

/** The model files in `dir`, or null when any required file is missing. Cheap: stats and one small read. */
export function findModelFiles(dir: string): ModelFiles | null {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (!has('config.json') || !has('tokenizer.json') || !has('tokenizer_config.json')) return null;
  const layouts: Array<[string, ModelFiles['dtype'], string]> = [
    ['onnx', 'q8', 'onnx/model_quantized.onnx'],
    ['', 'q8', 'model_quantized.onnx'],
    ['onnx', 'fp32', 'onnx/model.onnx'],
    ['', 'fp32', 'model.onnx'],
  ];
  const hit = layouts.find(([, , f]) => has(f));
  if (!hit) return null;
  let dim = 384;
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { hidden_size?: number };
    if (typeof cfg.hidden_size === 'number' && cfg.hidden_size > 0) dim = cfg.hidden_size;
  } catch {
    return null; // unreadable config: transformers could not load it either
  }
  return { dir, subfolder: hit[0], dtype: hit[1], dim };
}

export interface MiniLmOptions {
  /** A local model directory (found by findModelFiles), or null to fetch MINILM_HUB_ID into cacheDir. */
  files: ModelFiles | null;
  /** Download cache: models land in cacheDir/Xenova/all-MiniLM-L6-v2. */
  cacheDir: string;
  allowDownload: boolean;
  id?: string;
  /** Texts per forward pass: bounds the padded batch tensor. */
  batchSize?: number;
}

type Extractor = (texts: string[], opts: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>;

// transformers' `env` is process-global; loads are serialised so one load's paths cannot leak into another's.
let loadChain: Promise<unknown> = Promise.resolve();

export async function loadMiniLm(opts: MiniLmOptions): Promise<Embedder> {
  const run = loadChain.then(() => load(opts));
  loadChain = run.catch(() => undefined);
  return run;
}

async function load(opts: MiniLmOptions): Promise<Embedder> {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowLocalModels = true;
  env.allowRemoteModels = opts.allowDownload;
  env.cacheDir = opts.cacheDir;
  let modelId = MINILM_HUB_ID;
  const pipeOpts: Record<string, unknown> = { dtype: opts.files?.dtype ?? 'q8', device: 'cpu' };
  if (opts.files) {
    // transformers resolves local models as localModelPath/<id>/..., so split the directory that way.
    env.localModelPath = path.dirname(path.resolve(opts.files.dir)) + path.sep;
    modelId = path.basename(path.resolve(opts.files.dir));
    pipeOpts.subfolder = opts.files.subfolder;
    pipeOpts.local_files_only = true;
  } else {
    env.localModelPath = opts.cacheDir + path.sep;
  }
  const extractor = (await pipeline('feature-extraction', modelId, pipeOpts)) as unknown as Extractor;
  const probe = await extractor(['dimension probe'], { pooling: 'mean', normalize: true });
  const dim = probe.dims[probe.dims.length - 1]!;
  return new MiniLmEmbedder(extractor, dim, opts.id ?? 'minilm-l6-v2', opts.batchSize ?? 16);
}

class MiniLmEmbedder implements Embedder {
  constructor(
    private readonly extractor: Extractor,
    readonly dim: number,
    readonly id: string,
    private readonly batchSize: number,
  ) {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize);
      // The tokenizer rejects empty strings' all-special sequences less gracefully than a space.
      const t = await this.extractor(batch.map((s) => (s.trim() === '' ? ' ' : s)), { pooling: 'mean', normalize: true });
      for (let r = 0; r < batch.length; r++) out.push(t.data.slice(r * this.dim, (r + 1) * this.dim));
    }
    return out;
  }
}
