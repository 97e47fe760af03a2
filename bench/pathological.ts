// Linear cost on any input: compress (chunk → embed → rank → skeleton) and the CLI filter on
// pathological inputs of the same size as a real document, printed as milliseconds per MB beside
// the real text's. Target: no input costs more than a small multiple (≤ 5×) of real text.
//   real_text     CMake's Help pages concatenated (Debian cmake-data), else this repo's source
//   one_char      one repeated character
//   long_line     one line of words, no newline
//   base64        random bytes in base64, wrapped at 76 columns
//   minified_js   this repo's node_modules bundles concatenated with newlines removed
//   tiny_lines    100k lines of one to three characters
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunkText } from '../src/engine/chunking.js';
import { buildSkeleton } from '../src/engine/compress.js';
import { filterCliOutput } from '../src/engine/cli/index.js';
import { countTokens } from '../src/engine/tokens.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { createEmbedder } from '../src/services/embedder.js';
import { rng } from './corpus/sentences.js';

const SIZE = Number(process.env.PATHOLOGICAL_MB ?? 2) * 1024 * 1024;

function fill(parts: string[], size: number, sep = '\n\n'): string {
  let s = '';
  for (let i = 0; s.length < size; i++) s += parts[i % parts.length] + sep;
  return s.slice(0, size);
}

function realText(): { text: string; source: string } {
  const share = fs.existsSync('/usr/share') ? fs.readdirSync('/usr/share').filter((d) => /^cmake-[\d.]+$/.test(d)).sort().pop() : undefined;
  const parts: string[] = [];
  let source: string;
  if (share) {
    source = path.join('/usr/share', share, 'Help/command');
    for (const f of fs.readdirSync(source).sort()) parts.push(fs.readFileSync(path.join(source, f), 'utf8'));
  } else {
    source = path.join(projectRoot, 'src');
    for (const f of fs.readdirSync(path.join(source, 'engine')).filter((x) => x.endsWith('.ts')).sort()) parts.push(fs.readFileSync(path.join(source, 'engine', f), 'utf8'));
  }
  return { text: fill(parts, SIZE), source };
}

function minifiedJs(): string {
  const dir = path.join(projectRoot, 'node_modules');
  const parts: string[] = [];
  for (const p of ['zod/v4/core/schemas.js', 'express/lib/response.js', 'diff/lib/index.js', 'graphology/dist/graphology.cjs.js', 'js-tiktoken/dist/lite.js']) {
    const f = path.join(dir, p);
    if (fs.existsSync(f)) parts.push(fs.readFileSync(f, 'utf8').replace(/\s*\n\s*/g, ' '));
  }
  if (!parts.length) parts.push('function a(b){return b+1}var c=a(2);');
  return fill(parts, SIZE, ';');
}

function base64(): string {
  const rand = rng(7);
  const bytes = Buffer.alloc(Math.ceil((SIZE * 3) / 4));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\n').slice(0, SIZE);
}

function longLine(real: string): string {
  return real.replace(/\s+/g, ' ').padEnd(SIZE, ' lorem').slice(0, SIZE);
}

function tinyLines(): string {
  const rand = rng(11);
  const out: string[] = [];
  for (let i = 0; i < 100_000; i++) out.push('abcdefghij'.slice(0, 1 + Math.floor(rand() * 3)));
  return out.join('\n');
}

const { embedder, info } = await createEmbedder(loadConfig({ dataDir: process.env.CTXGATE_DATA_DIR ?? path.join(os.tmpdir(), 'ctxgate-bench-data') }));

async function measure(text: string): Promise<Record<string, number>> {
  const mb = text.length / (1024 * 1024);
  const t0 = performance.now();
  countTokens(text);
  const t1 = performance.now();
  const chunks = chunkText(text);
  const t2 = performance.now();
  const vectors = await embedder.embed(chunks.map((c) => c.text));
  const t3 = performance.now();
  const sk = buildSkeleton({ chunks, vectors, fidelity: 'balanced', source: text });
  const t4 = performance.now();
  const q = buildSkeleton({ chunks, vectors, fidelity: 'outline', source: text, query: 'how are errors reported' });
  const t5 = performance.now();
  filterCliOutput(text);
  const t6 = performance.now();
  const per = (ms: number) => Math.round(ms / mb);
  return {
    mb: Math.round(mb * 100) / 100,
    chunks: chunks.length,
    skeleton_tokens: sk.tokens,
    query_skeleton_tokens: q.tokens,
    count_tokens_ms_per_mb: per(t1 - t0),
    chunk_ms_per_mb: per(t2 - t1),
    embed_ms_per_mb: per(t3 - t2),
    skeleton_ms_per_mb: per(t4 - t3),
    query_skeleton_ms_per_mb: per(t5 - t4),
    cli_filter_ms_per_mb: per(t6 - t5),
    compress_total_ms_per_mb: per(t5 - t0),
  };
}

const real = realText();
const inputs: Record<string, string> = {
  real_text: real.text,
  one_char: 'a'.repeat(SIZE),
  long_line: longLine(real.text),
  base64: base64(),
  minified_js: minifiedJs(),
  tiny_lines: tinyLines(),
};
const only = process.env.PATHOLOGICAL_ONLY?.split(',');
const results: Record<string, Record<string, number>> = {};
for (const [name, text] of Object.entries(inputs)) {
  if (only && !only.includes(name) && name !== 'real_text') continue;
  process.stderr.write(`pathological ${name} ...\n`);
  results[name] = await measure(text);
}
const base = results.real_text!.compress_total_ms_per_mb!;
const worst = Object.entries(results).reduce((w, [n, r]) => (r.compress_total_ms_per_mb! / base > w.x ? { name: n, x: r.compress_total_ms_per_mb! / base } : w), { name: 'real_text', x: 1 });
console.log(
  JSON.stringify({
    real_text_source: real.source,
    embedder: info.id,
    inputs: results,
    worst_vs_real_text: { input: worst.name, multiple: Math.round(worst.x * 10) / 10 },
    target: 'every input within 5x of real_text per MB (compress_total and cli_filter)',
  }),
);
