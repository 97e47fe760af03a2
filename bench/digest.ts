// compress_codebase with its default arguments (token_budget 8000, fidelity outline) on four Python
// standard-library modules Debian ships (/usr/lib/python3.*): how much of the budget the digest
// uses, how many of the files' definitions it shows, and what it says did not fit.
import fs from 'node:fs';
import path from 'node:path';
import { analyzeSource } from '../src/engine/code/analyze.js';
import { digestCodebase } from '../src/engine/code/digest.js';
import { buildRepoGraph, type AnalyzedFile } from '../src/engine/code/repo.js';
import { renderSkeleton, rankDefinitions } from '../src/engine/code/skeleton.js';
import { countTokens } from '../src/engine/tokens.js';

const lib = fs.existsSync('/usr/lib') ? fs.readdirSync('/usr/lib').filter((d) => /^python3\.\d+$/.test(d)).sort().pop() : undefined;
if (!lib) {
  console.log(JSON.stringify({ skipped: 'needs Python 3 standard library sources (/usr/lib/python3.*), Debian libpython3-stdlib' }));
} else {
  const names = ['argparse.py', 'configparser.py', 'textwrap.py', 'shlex.py'];
  const files: AnalyzedFile[] = [];
  for (const n of names) {
    const p = path.join('/usr/lib', lib, n);
    files.push({ path: n, language: 'python', analysis: await analyzeSource('python', fs.readFileSync(p, 'utf8')) });
  }
  const g = buildRepoGraph(files);
  const outlineTokens = files.reduce((s, f) => s + countTokens(`=== ${f.path} (python) ===\n${renderSkeleton(f.analysis, 'outline', '#', rankDefinitions(f.analysis)).text.trim()}\n`), 0);
  const out: Record<string, unknown> = {};
  for (const budget of [8000, 4000, 2000]) {
    const d = digestCodebase(g, { tokenBudget: budget, fidelity: 'outline' });
    const defs = files.reduce((s, f) => s + f.analysis.defs.length, 0);
    const shown = files.reduce((s, f) => s + f.analysis.defs.filter((x) => d.text.includes(x.name)).length, 0);
    out[`budget_${budget}`] = {
      digest_tokens: d.tokens,
      budget_used_pct: Math.round((1000 * d.tokens) / budget) / 10,
      definitions_named_pct: Math.round((1000 * shown) / defs) / 10,
      renderings: Object.fromEntries(d.files.map((f) => [f.path, f.rendering])),
      says_what_did_not_fit: /token budget \d+ reached/.test(d.text),
    };
  }
  console.log(JSON.stringify({ source: path.join('/usr/lib', lib), files: names, original_tokens: files.reduce((s, f) => s + countTokens(f.analysis.source), 0), whole_outline_tokens: outlineTokens, digests: out }));
}
