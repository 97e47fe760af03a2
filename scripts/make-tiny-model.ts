// Builds a tiny BERT-style sentence encoder (ONNX graph + WordPiece tokenizer + configs) so the minilm
// provider's real code path — transformers' tokenizer, onnxruntime, mean pooling, normalisation — is
// tested without downloading anything. Writes test/fixtures/tiny-model/ when run:
//   npx tsx scripts/make-tiny-model.ts [outDir]
//
// The graph: last_hidden_state = tanh(word[input_ids] + type[token_type_ids] + position[0..seq-1]),
// so every output depends on the token id, its segment and its position, and padding positions are
// NOT zero (a pooling that ignored the attention mask would give a different answer).
// The ONNX protobuf is written by hand: a few message types, varints and length-delimited fields.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const TINY_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'the', 'cat', 'sat', 'on', 'mat', '.', ',',
  'em', '##bed', '##ding', '##s', 'run', '##ning', 'dog', 'model', 'tiny', 'hello', 'world', 'a',
];
export const TINY_HIDDEN = 8;
export const TINY_MAX_POSITIONS = 32;
export const TINY_TYPES = 2;
/** Shorter than the tokenizer's limit, so tests see sentence_bert_config.json truncate. */
export const TINY_MAX_SEQ = 12;

/** Deterministic weights, small enough that tanh stays in its curved region. */
export function tinyWeights() {
  const table = (rows: number, salt: number) =>
    Array.from({ length: rows }, (_, r) => Array.from({ length: TINY_HIDDEN }, (_, d) => Math.fround(0.6 * Math.sin(1.3 * r + 0.7 * d + salt))));
  return { word: table(TINY_VOCAB.length, 0.1), type: table(TINY_TYPES, 2.9), position: table(TINY_MAX_POSITIONS, 5.3) };
}

// ---------- minimal protobuf writer ----------

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // two's complement, as protobuf encodes negative int64
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

type Field = [number, 'int', number | bigint] | [number, 'bytes', Uint8Array] | [number, 'str', string] | [number, 'msg', Field[]];

function message(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [no, kind, value] of fields) {
    if (kind === 'int') {
      parts.push(Buffer.from([...varint((no << 3) | 0), ...varint(value as number)]));
      continue;
    }
    const body = kind === 'bytes' ? Buffer.from(value as Uint8Array) : kind === 'str' ? Buffer.from(value as string, 'utf8') : message(value as Field[]);
    parts.push(Buffer.from([...varint((no << 3) | 2), ...varint(body.length)]), body);
  }
  return Buffer.concat(parts);
}

const FLOAT = 1;
const INT64 = 7;

function tensor(name: string, dims: number[], type: number, data: number[]): Field[] {
  const raw = type === FLOAT ? Buffer.from(Float32Array.from(data).buffer) : Buffer.from(BigInt64Array.from(data.map(BigInt)).buffer);
  return [...dims.map((d): Field => [1, 'int', d]), [2, 'int', type], [8, 'str', name], [9, 'bytes', raw]];
}

function valueInfo(name: string, type: number, dims: Array<number | string>): Field[] {
  const shape: Field[] = dims.map((d): Field => [1, 'msg', typeof d === 'number' ? [[1, 'int', d]] : [[2, 'str', d]]]);
  return [[1, 'str', name], [2, 'msg', [[1, 'msg', [[1, 'int', type], [2, 'msg', shape]]]]]];
}

function node(op: string, inputs: string[], outputs: string[], name: string): Field[] {
  return [...inputs.map((i): Field => [1, 'str', i]), ...outputs.map((o): Field => [2, 'str', o]), [3, 'str', name], [4, 'str', op]];
}

export function tinyOnnx(): Buffer {
  const w = tinyWeights();
  const graph: Field[] = [
    [1, 'msg', node('Gather', ['word_embeddings', 'input_ids'], ['words'], 'word_lookup')],
    [1, 'msg', node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types'], 'type_lookup')],
    [1, 'msg', node('Shape', ['input_ids'], ['ids_shape'], 'shape')],
    [1, 'msg', node('Gather', ['ids_shape', 'one'], ['seq_len'], 'seq_len')],
    [1, 'msg', node('Range', ['zero', 'seq_len', 'one'], ['positions'], 'positions')],
    [1, 'msg', node('Gather', ['position_embeddings', 'positions'], ['pos'], 'position_lookup')],
    [1, 'msg', node('Add', ['words', 'types'], ['wt'], 'add_types')],
    [1, 'msg', node('Add', ['wt', 'pos'], ['summed'], 'add_positions')],
    [1, 'msg', node('Tanh', ['summed'], ['last_hidden_state'], 'tanh')],
    [2, 'str', 'tiny-bert'],
    [5, 'msg', tensor('word_embeddings', [TINY_VOCAB.length, TINY_HIDDEN], FLOAT, w.word.flat())],
    [5, 'msg', tensor('token_type_embeddings', [TINY_TYPES, TINY_HIDDEN], FLOAT, w.type.flat())],
    [5, 'msg', tensor('position_embeddings', [TINY_MAX_POSITIONS, TINY_HIDDEN], FLOAT, w.position.flat())],
    [5, 'msg', tensor('zero', [], INT64, [0])],
    [5, 'msg', tensor('one', [], INT64, [1])],
    [11, 'msg', valueInfo('input_ids', INT64, ['batch', 'sequence'])],
    [11, 'msg', valueInfo('attention_mask', INT64, ['batch', 'sequence'])],
    [11, 'msg', valueInfo('token_type_ids', INT64, ['batch', 'sequence'])],
    [12, 'msg', valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', TINY_HIDDEN])],
  ];
  return message([
    [1, 'int', 8], // ir_version
    [2, 'str', 'ctxgate make-tiny-model'],
    [7, 'msg', graph],
    [8, 'msg', [[1, 'str', ''], [2, 'int', 14]]], // opset_import: default domain, opset 14
  ]);
}

export function tinyTokenizer(): object {
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])),
    },
  };
}

export function tinyModelFiles(): Record<string, Buffer> {
  const json = (o: object) => Buffer.from(JSON.stringify(o, null, 2) + '\n');
  return {
    'config.json': json({
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: TINY_HIDDEN,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      intermediate_size: TINY_HIDDEN,
      max_position_embeddings: TINY_MAX_POSITIONS,
      type_vocab_size: TINY_TYPES,
      vocab_size: TINY_VOCAB.length,
      pad_token_id: 0,
    }),
    'tokenizer.json': json(tinyTokenizer()),
    'tokenizer_config.json': json({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: TINY_MAX_POSITIONS,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      clean_up_tokenization_spaces: true,
    }),
    'sentence_bert_config.json': json({ max_seq_length: TINY_MAX_SEQ, do_lower_case: false }),
    'onnx/model.onnx': tinyOnnx(),
  };
}

export function writeTinyModel(dir: string): void {
  for (const [name, data] of Object.entries(tinyModelFiles())) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const out = path.resolve(process.argv[2] ?? path.join(root, 'test', 'fixtures', 'tiny-model'));
  writeTinyModel(out);
  console.log(`tiny model written to ${path.relative(process.cwd(), out) || '.'} (${tinyOnnx().length} bytes of ONNX)`);
}
