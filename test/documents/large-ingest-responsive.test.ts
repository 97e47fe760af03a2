// A large document must not stall other clients: ingest_context, read_skeleton, adapt_to_context_window
// and distill (compress) count tokens and rank skeletons cooperatively (yielding every few ms). They
// used to run buildSkeleton and countTokens synchronously: a 5 MB ingest held the event loop for 25 s
// (GET /health waited that long).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, useServerAndClient } from '../helpers/server.js';

let client: Client;
useServerAndClient((_s, c) => {
  client = c;
});

/** About 2 MB of real prose (the grep manual and body-parser README, renumbered so no chunk repeats). */
function largeDocument(): string {
  const dir = path.join(import.meta.dirname, '..', 'fixtures', 'outline');
  const base = ['grep.1.txt', 'body-parser-README.md', 'cmake_parse_arguments.rst'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n\n');
  const parts: string[] = [];
  for (let i = 0; parts.join('').length < 2_000_000; i++) parts.push(`# Part ${i}\n\n${base.replace(/\b(the|a|an)\b/g, `$1 (${i})`)}\n\n`);
  return parts.join('');
}

/** Runs `work` while a 5 ms timer measures the longest the event loop went without a turn. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return worst;
}

describe('large documents and the event loop', () => {
  it('ingest_context and read_skeleton of ~2 MB leave the event loop free for other clients', async () => {
    const text = largeDocument();
    let ingested: Awaited<ReturnType<typeof callTool>> | undefined;
    const ingestStall = await longestStall(async () => {
      ingested = await callTool(client, 'ingest_context', { file_id: 'big/manual.txt', content: text });
    });
    expect(ingested!.isError).toBeFalsy();
    expect(ingested!.structured).toMatchObject({ status: 'created' });
    expect(ingested!.structured.tokens_before).toBeGreaterThan(150_000);
    let skeleton: Awaited<ReturnType<typeof callTool>> | undefined;
    const readStall = await longestStall(async () => {
      skeleton = await callTool(client, 'read_skeleton', { file_id: 'big/manual.txt', fidelity: 'outline' });
    });
    expect(skeleton!.isError).toBeFalsy();
    expect(skeleton!.structured.stats.original_tokens).toBe(ingested!.structured.tokens_before);
    // Storing the chunks is one synchronous SQLite transaction; everything else yields every few ms.
    expect(ingestStall).toBeLessThan(1500);
    expect(readStall).toBeLessThan(1500);
  }, 120_000);

  it('adapt_to_context_window and distill (compress) of ~2 MB leave the event loop free too', async () => {
    const text = largeDocument();
    let adapted: Awaited<ReturnType<typeof callTool>> | undefined;
    const adaptStall = await longestStall(async () => {
      adapted = await callTool(client, 'adapt_to_context_window', { items: [{ id: 'manual', content: text }], max_tokens: 60_000 });
    });
    expect(adapted!.isError).toBeFalsy();
    expect(adapted!.structured.items[0]).toMatchObject({ action: 'compressed' });
    let distilled: Awaited<ReturnType<typeof callTool>> | undefined;
    const distillStall = await longestStall(async () => {
      distilled = await callTool(client, 'distill', { messages: [{ role: 'user', content: text }, { role: 'assistant', content: text.slice(0, 400_000) }, { role: 'user', content: 'What changed?' }], strategy_id: 'compress', target_token: 20_000 });
    });
    expect(distilled!.isError).toBeFalsy();
    expect(adaptStall).toBeLessThan(1500);
    expect(distillStall).toBeLessThan(1500);
  }, 180_000);

  it('ingest_context and refresh_document of a large document report progress: chunked, embedded, ranked, stored', async () => {
    const text = largeDocument().slice(0, 300_000);
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await callTool(client, 'ingest_context', { file_id: 'big/progress.txt', content: text }, { onprogress: (p) => seen.push(p) });
    expect(r.isError).toBeFalsy();
    const chunks = r.structured.chunks as number;
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    expect(seen.every((p) => p.total === chunks + 3)).toBe(true);
    expect(seen[0]!.message).toBe(`chunked: ${chunks} chunks, ${chunks} to embed`);
    expect(seen.at(-1)).toMatchObject({ progress: chunks + 3, message: 'stored' });
    // A refresh embeds only what changed, and says so.
    const again: typeof seen = [];
    const changed = text.replace('# Part 0', '# Part zero');
    const f = await callTool(client, 'refresh_document', { file_id: 'big/progress.txt', content: changed }, { onprogress: (p) => again.push(p) });
    expect(f.isError).toBeFalsy();
    const embedded = f.structured.chunks_embedded as number;
    expect(embedded).toBeLessThan(5);
    expect(again[0]!.message).toBe(`chunked: ${f.structured.chunks} chunks, ${embedded} to embed`);
    expect(again.at(-1)).toMatchObject({ progress: embedded + 3, total: embedded + 3, message: 'stored' });
  }, 120_000);

  it('compress_text of a large text reports progress: chunked, embedded, ranked', async () => {
    const text = largeDocument().slice(0, 300_000);
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await callTool(client, 'compress_text', { text, fidelity: 'outline', use_cache: false }, { onprogress: (p) => seen.push(p) });
    expect(r.isError).toBeFalsy();
    expect(seen.map((p) => [p.progress, p.total])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(seen[0]!.message).toBe(`chunked: ${r.structured.stats.chunks} chunks, ${r.structured.stats.original_tokens} tokens; embedding`);
    expect(seen[2]!.message).toBe(`ranked: kept ${r.structured.stats.kept_chunks} of ${r.structured.stats.chunks} chunks`);
    // A short text reports nothing: three notifications would cost more than the call.
    const quiet: typeof seen = [];
    await callTool(client, 'compress_text', { text: text.slice(0, 20_000) }, { onprogress: (p) => quiet.push(p) });
    expect(quiet).toEqual([]);
  }, 120_000);
});
