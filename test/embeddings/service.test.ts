import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { createEmbedder, planEmbedder } from '../../src/services/embedder.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-embsvc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Files that make a directory look like a model to the planner (the planner never loads them). */
function fakeModelDir(name: string, hidden = 384): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ hidden_size: hidden }));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{}');
  fs.writeFileSync(path.join(dir, 'onnx', 'model_quantized.onnx'), '');
  return dir;
}

describe('planEmbedder', () => {
  const dataDir = path.join(tmp, 'data');

  it('auto falls back to offline when no model files exist, and says where it looked', () => {
    const info = planEmbedder(loadConfig({ dataDir, embedder: 'auto', modelDir: path.join(tmp, 'nothing-here') }));
    expect(info).toMatchObject({ provider: 'offline', id: 'offline-sif100-lex512', dim: 612 });
    expect(info.reason).toContain(path.join(tmp, 'nothing-here'));
    expect(info.reason).toContain(path.join(dataDir, 'models'));
  });

  it('auto picks minilm when its files are in CTXGATE_MODEL_DIR or the data-dir cache', () => {
    const modelDir = fakeModelDir('model', 512);
    expect(planEmbedder(loadConfig({ dataDir, embedder: 'auto', modelDir }))).toMatchObject({ provider: 'minilm', dim: 512 });
    const cached = path.join(tmp, 'data2', 'models', 'Xenova', 'all-MiniLM-L6-v2');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.renameSync(fakeModelDir('cached'), cached);
    const info = planEmbedder(loadConfig({ dataDir: path.join(tmp, 'data2'), embedder: 'auto', modelDir: undefined }));
    expect(info.provider).toBe('minilm');
    expect(info.reason).toContain(cached);
  });

  it('a model directory missing a file does not count', () => {
    const modelDir = fakeModelDir('broken');
    fs.rmSync(path.join(modelDir, 'tokenizer.json'));
    expect(planEmbedder(loadConfig({ dataDir, embedder: 'auto', modelDir })).provider).toBe('offline');
  });

  it('honours an explicit choice and rejects unknown ones by name', () => {
    const modelDir = fakeModelDir('model2');
    expect(planEmbedder(loadConfig({ dataDir, embedder: 'offline', modelDir })).provider).toBe('offline');
    expect(() => planEmbedder(loadConfig({ dataDir, embedder: 'bert' }))).toThrow(/CTXGATE_EMBEDDER must be one of auto, minilm, offline/);
  });
});

describe('createEmbedder', () => {
  it('loads the offline provider once for concurrent callers', async () => {
    const config = loadConfig({ dataDir: path.join(tmp, 'data3'), embedder: 'offline' });
    const [a, b] = await Promise.all([createEmbedder(config), createEmbedder(config)]);
    expect(a.embedder).toBe(b.embedder);
    expect(a.info).toMatchObject({ provider: 'offline', id: a.embedder.id, dim: 612 });
    expect(a.embedder.dim).toBe(612);
    const [v] = await a.embedder.embed(['hello world']);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
  }, 120_000);

  it('explicit minilm without files or permission to download is a 503 naming the setting', async () => {
    const config = loadConfig({ dataDir: path.join(tmp, 'data4'), embedder: 'minilm', allowDownload: false, modelDir: undefined });
    expect(planEmbedder(config).reason).toMatch(/CTXGATE_ALLOW_DOWNLOAD=false/);
    const err = await createEmbedder(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(503);
    expect((err as AppError).message).toMatch(/CTXGATE_MODEL_DIR/);
  });
});
