// compress_codebase's digest uses its budget (issue 10): the whole outline when it fits, else the
// budget filled (outlines, then abstracts) before anything is dropped, and the answer says what did not
// fit. On real code Debian ships: four Python standard-library modules.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSource } from '../../src/engine/code/analyze.js';
import { digestCodebase } from '../../src/engine/code/digest.js';
import { buildRepoGraph, type AnalyzedFile } from '../../src/engine/code/repo.js';

const lib = fs.existsSync('/usr/lib') ? fs.readdirSync('/usr/lib').filter((d) => /^python3\.\d+$/.test(d)).sort().pop() : undefined;

describe.skipIf(!lib)('codebase digest on the Python standard library', () => {
  it('keeps every file whole when the outlines fit, and fills a smaller budget before dropping anything', async () => {
    const files: AnalyzedFile[] = [];
    for (const n of ['argparse.py', 'configparser.py', 'textwrap.py', 'shlex.py']) {
      files.push({ path: n, language: 'python', analysis: await analyzeSource('python', fs.readFileSync(path.join('/usr/lib', lib!, n), 'utf8')) });
    }
    const g = buildRepoGraph(files);
    const whole = digestCodebase(g, { tokenBudget: 8000, fidelity: 'outline' });
    expect(whole.tokens).toBeLessThanOrEqual(8000);
    expect(whole.files.every((f) => f.rendering === 'outline')).toBe(true);
    const defs = files.flatMap((f) => f.analysis.defs.map((d) => d.name));
    expect(defs.filter((d) => whole.text.includes(d)).length / defs.length).toBeGreaterThan(0.95);
    for (const budget of [4000, 2000]) {
      const d = digestCodebase(g, { tokenBudget: budget, fidelity: 'outline' });
      expect(d.tokens).toBeLessThanOrEqual(budget);
      expect(d.tokens).toBeGreaterThan(0.8 * budget);
      // Nothing left out while there was room: every file is shown as an outline or an abstract.
      expect(d.files.every((f) => f.rendering === 'outline' || f.rendering === 'abstract')).toBe(true);
      expect(d.text).toMatch(/token budget \d+ reached/);
    }
  });
});
