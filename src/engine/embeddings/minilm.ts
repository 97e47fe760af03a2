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
  /** sentence-transformers' max_seq_length (256 for all-MiniLM-L6-v2), when the model ships it. */
  maxSeqLength: number | null;
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
  // The tokenizer alone allows 512 tokens; the sentence model was trained on (and is meant to be
  // used with) at most max_seq_length, which sentence_bert_config.json records.
  let maxSeqLength: number | null = null;
  try {
    const st = JSON.parse(fs.readFileSync(path.join(dir, 'sentence_bert_config.json'), 'utf8')) as { max_seq_length?: number };
    if (typeof st.max_seq_length === 'number' && st.max_seq_length > 2) maxSeqLength = st.max_seq_length;
  } catch {
    /* optional file */
  }
  return { dir, subfolder: hit[0], dtype: hit[1], dim, maxSeqLength };
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

/** The parts of transformers' tokenizer and model this provider uses. */
interface Tokenizer {
  encode(text: string): number[];
  readonly all_special_ids: number[];
  readonly pad_token_id: number | null;
  model_max_length?: number;
}
type ModelCall = (inputs: Record<string, unknown>) => Promise<{ last_hidden_state: { data: Float32Array; dims: number[] } }>;
type TensorCtor = new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;

/**
 * Cuts token ids to `maxLen`, keeping a trailing special token (BERT's [SEP]) as sentence-transformers
 * does; transformers.js' own truncation would cut it off.
 */
export function truncateIds(ids: number[], maxLen: number, specialIds: ReadonlySet<number>): number[] {
  if (ids.length <= maxLen) return ids;
  const last = ids[ids.length - 1]!;
  return specialIds.has(last) ? [...ids.slice(0, maxLen - 1), last] : ids.slice(0, maxLen);
}

/** Mean of the hidden states over positions whose mask is 1, scaled to unit length. */
export function meanPoolNormalize(hidden: Float32Array, dims: number[], mask: ArrayLike<number>): Float32Array[] {
  const [batch, seq, dim] = dims as [number, number, number];
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float64Array(dim);
    let count = 0;
    for (let t = 0; t < seq; t++) {
      if (!mask[b * seq + t]) continue;
      count++;
      const off = (b * seq + t) * dim;
      for (let d = 0; d < dim; d++) v[d]! += hidden[off + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += v[d]! * v[d]!;
    // count > 0 always ([CLS] and [SEP] are real tokens); the norm check guards degenerate models.
    const scale = count > 0 && norm > 0 ? 1 / Math.sqrt(norm) : 0;
    out.push(Float32Array.from(v, (x) => x * scale));
  }
  return out;
}

// transformers' `env` is process-global; loads are serialised so one load's settings cannot leak into another's.
let loadChain: Promise<unknown> = Promise.resolve();

export async function loadMiniLm(opts: MiniLmOptions): Promise<Embedder> {
  const run = loadChain.then(() => load(opts));
  loadChain = run.catch(() => undefined);
  return run;
}

async function load(opts: MiniLmOptions): Promise<Embedder> {
  const { AutoTokenizer, AutoModel, Tensor, env } = await import('@huggingface/transformers');
  env.allowLocalModels = true;
  env.allowRemoteModels = opts.allowDownload;
  env.cacheDir = opts.cacheDir;
  let modelId = MINILM_HUB_ID;
  const loadOpts: Record<string, unknown> = { dtype: opts.files?.dtype ?? 'q8', device: 'cpu' };
  if (opts.files) {
    // An absolute path is not a hub id, so transformers reads the files from it directly and never
    // copies them into its cache (whatever the directory is called).
    modelId = path.resolve(opts.files.dir);
    loadOpts.subfolder = opts.files.subfolder;
    loadOpts.local_files_only = true;
  } else {
    // Downloads land in cacheDir/Xenova/all-MiniLM-L6-v2/..., where findModelFiles looks next time.
    env.localModelPath = opts.cacheDir + path.sep;
  }
  const tokenizer = (await AutoTokenizer.from_pretrained(modelId, loadOpts)) as unknown as Tokenizer;
  const model = (await AutoModel.from_pretrained(modelId, loadOpts)) as unknown as ModelCall;
  // sentence_bert_config.json's limit (256 for all-MiniLM-L6-v2; the tokenizer alone says 512).
  const maxLen = Math.min(tokenizer.model_max_length ?? 512, opts.files?.maxSeqLength ?? (opts.files ? Infinity : 256));
  const e = new MiniLmEmbedder(tokenizer, model, Tensor as unknown as TensorCtor, maxLen, opts.id ?? 'minilm-l6-v2', opts.batchSize ?? 16);
  await e.init();
  return e;
}

class MiniLmEmbedder implements Embedder {
  dim = 0;
  private readonly special: ReadonlySet<number>;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly model: ModelCall,
    private readonly TensorClass: TensorCtor,
    private readonly maxLen: number,
    readonly id: string,
    private readonly batchSize: number,
  ) {
    this.special = new Set(tokenizer.all_special_ids);
  }

  /** One forward pass to learn the output width (config.json's hidden_size is not always present). */
  async init(): Promise<void> {
    const [v] = await this.forward(['dimension probe']);
    this.dim = v!.length;
  }

  private async forward(texts: string[]): Promise<Float32Array[]> {
    const ids = texts.map((t) => truncateIds(this.tokenizer.encode(t), this.maxLen, this.special));
    const seq = Math.max(...ids.map((x) => x.length));
    const n = texts.length;
    const inputIds = new BigInt64Array(n * seq).fill(BigInt(this.tokenizer.pad_token_id ?? 0));
    const mask = new BigInt64Array(n * seq);
    ids.forEach((row, b) =>
      row.forEach((id, t) => {
        inputIds[b * seq + t] = BigInt(id);
        mask[b * seq + t] = 1n;
      }),
    );
    const T = this.TensorClass;
    const { last_hidden_state: h } = await this.model({
      input_ids: new T('int64', inputIds, [n, seq]),
      attention_mask: new T('int64', mask, [n, seq]),
      token_type_ids: new T('int64', new BigInt64Array(n * seq), [n, seq]),
    });
    return meanPoolNormalize(h.data, h.dims, Array.from(mask, Number));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) out.push(...(await this.forward(texts.slice(i, i + this.batchSize))));
    return out;
  }
}
