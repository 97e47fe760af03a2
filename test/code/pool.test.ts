// Large files are parsed on a worker thread; the result must be exactly the in-process analysis.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeSource } from '../../src/engine/code/analyze.js';
import { ParsePool } from '../../src/engine/code/parse-pool.js';

const pool = new ParsePool();
afterAll(() => pool.close());

describe('ParsePool', () => {
  it('parses off-thread with the same result as in-process', async () => {
    const unit = fs.readFileSync(path.join(import.meta.dirname, '../fixtures/code/sample.ts'), 'utf8');
    // A large file made of distinct copies of a real module.
    const big = Array.from({ length: 120 }, (_, i) => unit.replace(/\b(normalize|Inventory|load|Item|Index|Unit)\b/g, `$1_${i}`)).join('\n');
    const [off, inProcess] = await Promise.all([pool.analyze('typescript', big), analyzeSource('typescript', big)]);
    expect(pool.running).toBe(true);
    expect(off.defs.length).toBe(inProcess.defs.length);
    expect(off).toEqual(inProcess);
  });

  it('keeps serving after close by parsing in-process', async () => {
    const p = new ParsePool();
    await p.close();
    const a = await p.analyze('python', 'def f():\n    return 1\n');
    expect(p.running).toBe(false);
    expect(a.defs.map((d) => d.name)).toEqual(['f']);
  });
});
