import { describe, expect, it } from 'vitest';
import { chunkText, parseBlocks, sentenceRanges, splitUnits } from '../../src/engine/chunking.js';
import { countTokens } from '../../src/engine/tokens.js';
import { GUIDE } from '../compress/fixtures.js';

function para(topic: string, n: number): string {
  return Array.from({ length: n }, (_, i) => `The ${topic} subsystem handles case number ${i} with care and reports its state to the operator.`).join(' ');
}

describe('parseBlocks', () => {
  it('finds headings with paths, fenced code, lists, tables and paragraphs', () => {
    const blocks = parseBlocks(GUIDE);
    const kinds = new Set(blocks.map((b) => b.kind));
    expect(kinds).toEqual(new Set(['heading', 'paragraph', 'code', 'table']));
    const sched = blocks.find((b) => b.kind === 'code' && GUIDE.slice(b.start, b.end).includes('retry_ceiling'))!;
    expect(sched.headingPath).toEqual(['Harbor Deployment Guide', 'Scheduler tuning']);
    // A fenced block is one block from fence to fence.
    expect(GUIDE.slice(sched.start, sched.end).startsWith('```yaml')).toBe(true);
    expect(GUIDE.slice(sched.start, sched.end).trimEnd().endsWith('```')).toBe(true);
  });

  it('reads reStructuredText underlined titles with levels by first appearance', () => {
    const rst = 'install\n-------\n\nSpecify rules.\n\nSynopsis\n^^^^^^^^\n\nText here.\n\nOther\n-----\n\nMore.\n';
    const heads = parseBlocks(rst).filter((b) => b.kind === 'heading');
    expect(heads.map((h) => [h.title, h.level])).toEqual([
      ['install', 1],
      ['Synopsis', 2],
      ['Other', 1],
    ]);
    const last = parseBlocks(rst).at(-1)!;
    expect(last.headingPath).toEqual(['Other']);
  });

  it('reads rst ".." comments and a lone "::" as markup, not content, and keeps the literal block', () => {
    const rst =
      'ctest_test\n----------\n\nPerform the test step.\n\n::\n\n  ctest_test([BUILD <dir>]\n             [QUIET])\n\n..\n   _note: If updating the argument list here, update it there too.\n\n..\n\nRun tests in the build tree.\n\n.. directive-free comment\n   spanning two lines\n\nThe end.\n';
    const blocks = parseBlocks(rst, 'rst');
    const texts = blocks.map((b) => rst.slice(b.start, b.end).trim());
    expect(texts).toEqual(['ctest_test\n----------', 'Perform the test step.', 'ctest_test([BUILD <dir>]\n             [QUIET])', 'Run tests in the build tree.', 'The end.']);
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'code', 'paragraph', 'paragraph']);
    // The literal block is kept byte for byte, indentation included.
    expect(rst.slice(blocks[2]!.start, blocks[2]!.end)).toBe('  ctest_test([BUILD <dir>]\n             [QUIET])');
  });


  it('reads rst doctest set-up and clean-up (testsetup, testcleanup) with their bodies as markup: the built page never shows them', () => {
    const rst =
      ':mod:`stats` --- Statistics\n===========================\n\n.. testsetup:: *\n\n   from stats import *\n   __name__ = \'<doctest>\'\n\nThis module computes means of ``data``.\n\n.. testcleanup::\n\n   import os\n   os.remove(\'tmp.db\')\n\nThe end.\n';
    const blocks = parseBlocks(rst, 'rst');
    const texts = blocks.map((b) => rst.slice(b.start, b.end).trim());
    expect(texts).toEqual([':mod:`stats` --- Statistics\n===========================', 'This module computes means of ``data``.', 'The end.']);
  });
  it('keeps list items as separate blocks with their continuation lines', () => {
    const blocks = parseBlocks('- first item\n  continues here\n- second item\n\nAfter.');
    expect(blocks.map((b) => b.kind)).toEqual(['list', 'list', 'paragraph']);
  });
});

describe('sentenceRanges', () => {
  it('splits on sentence ends but not after abbreviations or inside URLs', () => {
    const t = 'See https://example.org/a.b.c for details. Use e.g. the default. Then stop!';
    const s = sentenceRanges(t).map(([a, b]) => t.slice(a, b));
    expect(s).toEqual(['See https://example.org/a.b.c for details.', 'Use e.g. the default.', 'Then stop!']);
  });
});

describe('chunkText', () => {
  it('covers the text in order with offsets that slice back to each chunk', () => {
    const chunks = chunkText(GUIDE, { minTokens: 100, maxTokens: 200, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    let prevEnd = 0;
    for (const c of chunks) {
      expect(GUIDE.slice(c.start, c.end)).toBe(c.text);
      expect(c.start).toBeGreaterThanOrEqual(prevEnd);
      // Nothing but whitespace (or a dropped rule) between consecutive chunks.
      expect(GUIDE.slice(prevEnd, c.start).trim()).toBe('');
      prevEnd = c.end;
    }
    expect(GUIDE.slice(prevEnd).trim()).toBe('');
  });

  it('respects the window: no chunk over maxTokens unless it is one code block', () => {
    const text = [1, 2, 3, 4, 5, 6].map((i) => `## Part ${i}\n\n${para(`p${i}`, 12)}`).join('\n\n');
    const chunks = chunkText(text, { minTokens: 100, maxTokens: 200, overlapTokens: 0 });
    for (const c of chunks) {
      const exact = countTokens(c.text);
      expect(exact).toBeLessThanOrEqual(210);
      expect(c.kind).not.toBe('heading');
      // The reported count tracks the exact one closely.
      expect(Math.abs(c.tokens - exact)).toBeLessThanOrEqual(Math.max(2, 0.08 * exact));
    }
  });

  it('never splits inside a fenced code block, even an oversized one', () => {
    const code = '```js\n' + Array.from({ length: 120 }, (_, i) => `const value${i} = compute(${i}); // step ${i}`).join('\n') + '\n```';
    const text = `# Code\n\n${para('intro', 3)}\n\n${code}\n\n${para('outro', 3)}`;
    const chunks = chunkText(text, { minTokens: 50, maxTokens: 120, overlapTokens: 0 });
    const holder = chunks.filter((c) => c.text.includes('const value0'));
    expect(holder).toHaveLength(1);
    expect(holder[0]!.text).toContain('const value119');
    expect(holder[0]!.kind === 'code' || holder[0]!.kind === 'mixed').toBe(true);
    for (const c of chunks) expect((c.text.match(/```/g) ?? []).length % 2).toBe(0);
  });

  it('splits an oversized paragraph at sentence boundaries and overlaps whole sentences', () => {
    const text = `# Long\n\n${para('alpha', 60)}`;
    const chunks = chunkText(text, { minTokens: 100, maxTokens: 200, overlapTokens: 40 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks.slice(1)) {
      expect(c.text.startsWith('The alpha subsystem')).toBe(true);
      expect(c.text.trimEnd().endsWith('operator.')).toBe(true);
      expect(c.headingPath).toEqual(['Long']);
    }
    // Overlap: each later chunk starts before the previous one ends.
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.start).toBeLessThan(chunks[i - 1]!.end);
  });

  it('starts a new chunk at a heading once the current one holds minTokens', () => {
    const text = `## A\n\n${para('a', 10)}\n\n## B\n\n${para('b', 2)}`;
    const chunks = chunkText(text, { minTokens: 100, maxTokens: 400, overlapTokens: 0 });
    expect(chunks).toHaveLength(2);
    expect(chunks[1]!.text.startsWith('## B')).toBe(true);
    expect(chunks[1]!.headingPath).toEqual(['B']);
  });
});

describe('splitUnits', () => {
  it('yields headings, sentences and whole code blocks with absolute offsets', () => {
    const chunks = chunkText(GUIDE, { minTokens: 150, maxTokens: 300, overlapTokens: 0 });
    for (const c of chunks) {
      for (const u of splitUnits(c)) {
        expect(GUIDE.slice(u.start, u.end)).toBe(u.text);
        if (u.kind === 'code') expect(u.text.trim().startsWith('```')).toBe(true);
      }
    }
  });
});

describe('cooperative helpers', () => {
  it('segmented token counts equal the whole-text count', async () => {
    const { countTokensAsync } = await import('../../src/engine/chunking.js');
    const text = Array.from({ length: 40 }, (_, i) => `${GUIDE}\n\n  indented ${i}.\n\n- item ${i}\n`).join('');
    expect(await countTokensAsync(text)).toBe(countTokens(text));
  });

  it('chunkTextAsync gives the same chunks as chunkText and lets timers run meanwhile', async () => {
    const { chunkTextAsync } = await import('../../src/engine/chunking.js');
    const text = Array.from({ length: 60 }, () => GUIDE).join('\n\n');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const asyncChunks = await chunkTextAsync(text);
    clearInterval(timer);
    expect(asyncChunks).toEqual(chunkText(text));
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('chunkTextCounted', () => {
  it('returns the exact token count of the whole text from its single pass', async () => {
    const { chunkTextCounted } = await import('../../src/engine/chunking.js');
    for (const text of [GUIDE, `  leading space\n\n${GUIDE}\n\n    indented code\n    more\n\ntrailing   `, 'one line only', '']) {
      const r = await chunkTextCounted(text);
      expect(r.totalTokens).toBe(countTokens(text));
      expect(r.chunks).toEqual(chunkText(text));
    }
  });
});
