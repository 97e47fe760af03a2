// The minilm provider's real code path (transformers tokenizer → onnxruntime → mean pooling →
// normalisation) on the tiny BERT-style model that scripts/make-tiny-model.ts builds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createEmbedder, planEmbedder } from '../../src/services/embedder.js';
import { truncateIds } from '../../src/engine/embeddings/minilm.js';
import type { Embedder } from '../../src/engine/embeddings/types.js';
import { TINY_HIDDEN, TINY_MAX_SEQ, tinyModelFiles, tinyWeights, writeTinyModel } from '../../scripts/make-tiny-model.js';
import { projectRoot } from '../../src/paths.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-minilm-'));
const modelDir = path.join(tmp, 'tiny-model');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Hand computation: tanh(word + type[0] + position) per token, mean over the real tokens, unit length. */
function expected(ids: number[]): number[] {
  const w = tinyWeights();
  const mean = new Array<number>(TINY_HIDDEN).fill(0);
  ids.forEach((id, pos) => {
    for (let d = 0; d < TINY_HIDDEN; d++) mean[d]! += Math.tanh(w.word[id]![d]! + w.type[0]![d]! + w.position[pos]![d]!) / ids.length;
  });
  const n = Math.hypot(...mean);
  return mean.map((x) => x / n);
}

// [PAD]0 [UNK]1 [CLS]2 [SEP]3 the5 cat6 sat7 on8 mat9 .10 ,11 em12 ##bed13 ##ding14 ##s15 run16 ##ning17 dog18 model19 tiny20 hello21 world22
const CASES: Array<[string, number[]]> = [
  ['The cat sat on the mat.', [2, 5, 6, 7, 8, 5, 9, 10, 3]],
  ['Embeddings!', [2, 12, 13, 14, 15, 1, 3]], // WordPiece split; "!" is unknown
  ['running dogs', [2, 16, 17, 18, 15, 3]],
  ['Hello,   WORLD', [2, 21, 11, 22, 3]], // lower-cased, punctuation split, whitespace collapsed
  ['tiny', [2, 20, 3]],
  ['', [2, 3]],
];

describe('truncateIds', () => {
  it('keeps a trailing special token and cuts plain sequences at the limit', () => {
    const special = new Set([2, 3]);
    expect(truncateIds([2, 10, 11, 12, 13, 3], 4, special)).toEqual([2, 10, 11, 3]);
    expect(truncateIds([10, 11, 12, 13], 3, special)).toEqual([10, 11, 12]);
    expect(truncateIds([2, 10, 3], 4, special)).toEqual([2, 10, 3]);
  });
});

describe('minilm provider on a tiny BERT-style model', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    writeTinyModel(modelDir);
    const config = loadConfig({ dataDir: path.join(tmp, 'data'), embedder: 'auto', modelDir, allowDownload: false });
    const { embedder: e, info } = await createEmbedder(config);
    expect(info).toMatchObject({ provider: 'minilm', dim: TINY_HIDDEN });
    expect(info.reason).toContain(modelDir);
    embedder = e;
  }, 60_000);

  it('the committed fixture is exactly what the script builds', () => {
    for (const [name, data] of Object.entries(tinyModelFiles())) {
      expect(fs.readFileSync(path.join(projectRoot, 'test', 'fixtures', 'tiny-model', name)).equals(data), name).toBe(true);
    }
    expect(fs.statSync(path.join(modelDir, 'onnx', 'model.onnx')).size).toBeLessThan(4096);
  });

  it('tokenizes, mean-pools over real tokens and normalises exactly as computed by hand', async () => {
    expect(embedder.dim).toBe(TINY_HIDDEN);
    // One call: a single padded batch, so pooling must honour the attention mask.
    const got = await embedder.embed(CASES.map(([t]) => t));
    CASES.forEach(([text, ids], i) => {
      const want = expected(ids);
      expect(got[i]!.length).toBe(TINY_HIDDEN);
      got[i]!.forEach((x, d) => expect(x, `${JSON.stringify(text)} dim ${d}`).toBeCloseTo(want[d]!, 6));
    });
  });

  it('truncates to the max_seq_length of sentence_bert_config.json, keeping [SEP]', async () => {
    const long = 'the cat sat on the mat the cat sat on the mat the cat sat';
    const [v] = await embedder.embed([long]);
    const words = [5, 6, 7, 8, 5, 9];
    const ids = [2, ...Array.from({ length: TINY_MAX_SEQ - 2 }, (_, i) => words[i % words.length]!), 3];
    expect(ids).toHaveLength(TINY_MAX_SEQ);
    const want = expected(ids);
    v!.forEach((x, d) => expect(x).toBeCloseTo(want[d]!, 6));
  });

  it('gives the same vector alone as inside a padded batch', async () => {
    const [alone] = await embedder.embed(['tiny']);
    const [, inBatch] = await embedder.embed(['The cat sat on the mat.', 'tiny']);
    alone!.forEach((x, d) => expect(inBatch![d]).toBeCloseTo(x, 6));
    // And a mean that wrongly included the 6 padding positions would be far off.
    const w = tinyWeights();
    const padded = [2, 20, 3, 0, 0, 0, 0, 0, 0];
    const wrong = new Array<number>(TINY_HIDDEN).fill(0);
    padded.forEach((id, pos) => { for (let d = 0; d < TINY_HIDDEN; d++) wrong[d]! += Math.tanh(w.word[id]![d]! + w.type[0]![d]! + w.position[pos]![d]!); });
    const n = Math.hypot(...wrong);
    expect(Math.max(...wrong.map((x, d) => Math.abs(x / n - inBatch![d]!)))).toBeGreaterThan(0.01);
  });

  it('loads the quantized-file layout (onnx/model_quantized.onnx) the real model ships in', async () => {
    const q = path.join(tmp, 'q8-model');
    writeTinyModel(q);
    fs.renameSync(path.join(q, 'onnx', 'model.onnx'), path.join(q, 'onnx', 'model_quantized.onnx'));
    const config = loadConfig({ dataDir: path.join(tmp, 'data-q8'), embedder: 'minilm', modelDir: q, allowDownload: false });
    expect(planEmbedder(config).reason).toContain(q);
    const { embedder: e } = await createEmbedder(config);
    const [v] = await e.embed(['running dogs']);
    const want = expected([2, 16, 17, 18, 15, 3]);
    v!.forEach((x, d) => expect(x).toBeCloseTo(want[d]!, 6));
  }, 60_000);
});
