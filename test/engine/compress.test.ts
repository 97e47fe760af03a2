import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkText } from '../../src/engine/chunking.js';
import { buildSkeleton, compressionStats, FIDELITY_RATIO, markerTitle, rankChunks } from '../../src/engine/compress.js';
import type { Embedder } from '../../src/engine/embeddings/types.js';
import { countTokens } from '../../src/engine/tokens.js';
import { loadConfig } from '../../src/config.js';
import { createEmbedder } from '../../src/services/embedder.js';
import { GUIDE } from '../compress/fixtures.js';

let embedder: Embedder;
beforeAll(async () => {
  embedder = (await createEmbedder(loadConfig({ embedder: 'offline', dataDir: path.join(os.tmpdir(), 'ctxgate-engine-test') }))).embedder;
});

async function prepared(text: string, maxTokens = 200) {
  const chunks = chunkText(text, { minTokens: maxTokens / 2, maxTokens, overlapTokens: 0 });
  const vectors = await embedder.embed(chunks.map((c) => c.text));
  return { chunks, vectors };
}

describe('buildSkeleton', () => {
  it('keeps each fidelity within its token budget, in original order, and more at higher fidelity', async () => {
    const { chunks, vectors } = await prepared(GUIDE);
    const original = countTokens(GUIDE);
    let prev = 0;
    for (const f of ['abstract', 'outline', 'balanced', 'detailed'] as const) {
      const sk = buildSkeleton({ chunks, vectors, fidelity: f, source: GUIDE });
      expect(sk.passthrough).toBe(false);
      expect(sk.originalTokens).toBe(original);
      expect(sk.tokens).toBe(countTokens(sk.text));
      // Unit sizes are estimated, so allow a small overshoot of the budget.
      expect(sk.tokens).toBeLessThanOrEqual(Math.ceil(FIDELITY_RATIO[f] * original * 1.15) + 5);
      expect(sk.tokens).toBeGreaterThan(prev);
      prev = sk.tokens;
      // Original order: every kept paragraph appears in the source after the previous one.
      let at = 0;
      for (const piece of sk.plain.split('\n\n')) {
        const idx = GUIDE.indexOf(piece, at);
        expect(idx).toBeGreaterThanOrEqual(0);
        at = idx + piece.length;
      }
    }
  });

  it('returns the text unchanged for raw, and never returns something larger than the input', async () => {
    const { chunks, vectors } = await prepared(GUIDE);
    const raw = buildSkeleton({ chunks, vectors, fidelity: 'raw', source: GUIDE });
    expect(raw.text).toBe(GUIDE);
    expect(raw.passthrough).toBe(true);
    const tiny = 'Short note: deploy on Friday.';
    const t = await prepared(tiny);
    for (const f of ['abstract', 'balanced'] as const) {
      const sk = buildSkeleton({ ...t, fidelity: f, source: tiny, outputStyle: 'structured' });
      expect(sk.tokens).toBeLessThanOrEqual(countTokens(tiny));
      expect(sk.text).toBe(tiny);
    }
  });

  it('query-guided mode keeps the sentence naming the queried identifier', async () => {
    const { chunks, vectors } = await prepared(GUIDE);
    const query = 'How long does computeBackoff wait before a retry?';
    const [qv] = await embedder.embed([query]);
    const sk = buildSkeleton({ chunks, vectors, fidelity: 'abstract', source: GUIDE, query, queryVector: qv });
    expect(sk.text).toContain('computeBackoff()');
    expect(sk.text).toContain('10 minutes');
    const plain = buildSkeleton({ chunks, vectors, fidelity: 'abstract', source: GUIDE });
    expect(plain.text).not.toContain('computeBackoff');
  });

  it('formats bullets and structured output with section labels', async () => {
    const { chunks, vectors } = await prepared(GUIDE);
    const query = 'TLS certificate and bearer token roles';
    const [qv] = await embedder.embed([query]);
    const b = buildSkeleton({ chunks, vectors, fidelity: 'outline', source: GUIDE, outputStyle: 'bullets', query, queryVector: qv });
    expect(b.text.split('\n').some((l) => l.startsWith('- '))).toBe(true);
    const s = buildSkeleton({ chunks, vectors, fidelity: 'outline', source: GUIDE, outputStyle: 'structured', query, queryVector: qv });
    const parsed = JSON.parse(s.text) as { sections: Array<{ label: string; content: string }> };
    expect(parsed.sections.some((x) => x.label === 'Harbor Deployment Guide > Securing the API' && x.content.includes('7443'))).toBe(true);
  });

  it('bullets keep a numbered item\'s number and a code block inside an item line for line', async () => {
    const steps = ['Install the tool with the package manager of your system and check its version.', 'Write the configuration file next to the project and name every input in it.', 'Run the build twice so that the cache is warm before you measure anything at all.'];
    const doc = [
      'Setup',
      '=====',
      '',
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      '',
      '* To quote a separator, substitute a placeholder for it when you build the list.',
      '  For example:',
      '',
      '  .. code-block:: cmake',
      '',
      '    set(mylist a "b|c")',
      '    foreach(entry IN LISTS mylist)',
      '',
      '  The placeholder is replaced again when the list is read back.',
      '',
    ].join('\n');
    const chunks = chunkText(doc);
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    const b = buildSkeleton({ chunks, vectors, ratio: 0.9, source: doc, outputStyle: 'bullets', query: 'placeholder separator cache build', queryVector: (await embedder.embed(['placeholder separator cache build']))[0] });
    for (const [i, s] of steps.entries()) if (b.text.includes(s)) expect(b.text).toContain(`${i + 1}. ${s}`);
    expect(b.passthrough).toBe(false);
    expect(b.text).toContain('3. Run the build twice');
    expect(b.text).toContain('  .. code-block:: cmake\n\n    set(mylist a "b|c")\n    foreach(entry IN LISTS mylist)');
  });

  it('a gap marker keeps a heading\'s words in parentheses and cuts only an API object\'s arguments', () => {
    expect(markerTitle('Distill (`distill`)')).toBe('Distill (`distill`)');
    expect(markerTitle('connect(host, port, timeout=None)')).toBe('connect()');
    expect(markerTitle('Map<K, V>(entries)')).toBe('Map<K, V>()');
    expect(markerTitle('A heading long enough to be cut at forty characters (really)')).toBe('A heading long enough to be cut at fort…');
  });

  it('works from stored chunks alone (no source), as read_skeleton uses it', async () => {
    const { chunks, vectors } = await prepared(GUIDE);
    const stored = chunks.map((c) => ({ ...c }));
    const a = buildSkeleton({ chunks: stored, vectors, fidelity: 'balanced' });
    expect(a.tokens).toBeGreaterThan(0);
    expect(a.tokens).toBeLessThan(a.originalTokens);
    for (const piece of a.plain.split('\n\n')) expect(GUIDE).toContain(piece);
  });
});

describe('rankChunks', () => {
  it('puts the chunk with the exact identifier first in query mode', async () => {
    const { chunks, vectors } = await prepared(GUIDE, 120);
    const r = rankChunks({ chunks, vectors, query: 'max_inflight_per_worker' });
    const best = [...r.scores.keys()].sort((a, b) => r.scores[b]! - r.scores[a]!)[0]!;
    expect(chunks[best]!.text).toContain('max_inflight_per_worker');
    expect(r.lexical).not.toBeNull();
  });

  it('without a query is PageRank normalised to a maximum of 1', async () => {
    const { chunks, vectors } = await prepared(GUIDE, 120);
    const r = rankChunks({ chunks, vectors });
    expect(Math.max(...r.scores)).toBeCloseTo(1, 9);
    expect(r.graph.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe('compressionStats', () => {
  it('computes savings, ratio and cost at the named model or the default', () => {
    const s = compressionStats(10_000, 2_000, 'claude-sonnet-4-6');
    expect(s).toMatchObject({ tokens_saved: 8000, savings_pct: 80, compression_ratio: 5, cost_model: 'claude-sonnet-4-6' });
    expect(s.estimated_cost_saved).toBe('$0.0240');
    const d = compressionStats(1_000_000, 0);
    expect(d.estimated_cost_saved).toBeNull();
    expect(d.estimated_cost_saved_usd).toBe(5);
  });
});

describe('lexical terms', () => {
  it('drop question words and meet singular/plural forms', async () => {
    const { queryTerms, lexicalTerms } = await import('../../src/engine/compress.js');
    expect(queryTerms('Which brackets must nest?')).toEqual(['bracket', 'nest']);
    expect(lexicalTerms('Brackets do not nest.')).toContain('bracket');
  });

  it('a definition list written as one paragraph yields one unit per term', async () => {
    const { splitUnits } = await import('../../src/engine/chunking.js');
    const text = 'Where:\n\n:variable:`CMAKE_SYSTEM_NAME`\n  is the identifier of the target platform.\n:variable:`CMAKE_SYSROOT`\n  is optional, and may be given.\n';
    const units = splitUnits({ text, start: 0 }).map((u) => u.text);
    expect(units).toContain(':variable:`CMAKE_SYSROOT`\n  is optional, and may be given.');
  });
});
