// Codebase digest: the most central files first, each as a skeleton, under a token budget that is
// filled before anything is dropped: every file is listed first, then upgraded in rank order to its
// skeleton (or its abstract: top signatures) while the budget allows. The answer says what did not fit.
import { countTokens } from '../tokens.js';
import type { CodeFidelity } from './fidelity.js';
import { pagerank } from './pagerank.js';
import { fileReferenceEdges, type RepoGraph } from './repo.js';
import { rankDefinitions, renderSkeleton, topLevelDefs } from './skeleton.js';
import { SPECS } from './spec.js';
import { plural } from '../plural.js';

export type Rendering = CodeFidelity | 'listed' | 'omitted';

export interface DigestFile {
  path: string;
  language: string;
  rank: number;
  tokens_original: number;
  tokens_digest: number;
  rendering: Rendering;
  definitions: number;
}

export interface Digest {
  text: string;
  tokens: number;
  files: DigestFile[];
}

// Source token counts per parsed file (a service reusing analyses reuses these too).
const sourceTokens = new WeakMap<object, number>();
function tokensOf(a: { source: string }): number {
  let t = sourceTokens.get(a);
  if (t === undefined) {
    t = countTokens(a.source);
    sourceTokens.set(a, t);
  }
  return t;
}

export function digestCodebase(g: RepoGraph, opts: { tokenBudget: number; fidelity: Exclude<CodeFidelity, 'raw' | 'abstract'> }): Digest {
  const { edges } = fileReferenceEdges(g);
  const pr = pagerank(g.files.length, edges);
  const order = [...pr.keys()].sort((a, b) => pr[b]! - pr[a]! || g.files[a]!.path.localeCompare(g.files[b]!.path));
  // Every file's three forms: its skeleton at the asked fidelity, its abstract, its one-line listing.
  type Form = { rendering: Rendering; text: string; tokens: number };
  const plans = order.map((fi) => {
    const f = g.files[fi]!;
    const a = f.analysis;
    const ranks = rankDefinitions(a);
    const lineComment = f.language ? SPECS[f.language].lineComment : '//';
    const header = `=== ${f.path} (${f.language}) ===`;
    const forms: Form[] = [];
    for (const fid of [opts.fidelity, 'abstract'] as const) {
      const body = renderSkeleton(a, fid, lineComment, ranks).text.trim();
      // A token is rarely more than 8 characters of code: blocks obviously over budget are not counted.
      if (body.length / 8 > opts.tokenBudget) continue;
      const text = `${header}\n${body}\n`;
      if (!forms.some((x) => x.text === text)) forms.push({ rendering: fid, text, tokens: countTokens(text) });
    }
    const names = topLevelDefs(a)
      .sort((x, y) => ranks[y]! - ranks[x]!)
      .slice(0, 8)
      .map((i) => a.defs[i]!.name);
    const line = `=== ${f.path} (${f.language}) — ${a.defs.length} definitions${names.length ? `: ${names.join(', ')}` : ''} ===\n`;
    forms.push({ rendering: 'listed', text: line, tokens: countTokens(line) });
    const base: Omit<DigestFile, 'tokens_digest' | 'rendering'> = {
      path: f.path,
      language: f.language ?? 'text',
      rank: Number(pr[fi]!.toFixed(6)),
      tokens_original: tokensOf(a),
      definitions: a.defs.length,
    };
    return { base, forms, choice: -1 };
  });
  // Fill the budget before dropping anything: every file starts as its listing (most central first,
  // while listings fit), then files are upgraded in rank order to the richest form the remaining
  // budget allows. Only what cannot even be listed is omitted.
  let used = 0;
  for (const p of plans) {
    const listing = p.forms.length - 1;
    if (used + p.forms[listing]!.tokens + 1 <= opts.tokenBudget) {
      p.choice = listing;
      used += p.forms[listing]!.tokens + 1;
    }
  }
  for (const p of plans) {
    if (p.choice < 0) continue;
    const current = p.forms[p.choice]!.tokens;
    for (let k = 0; k < p.choice; k++) {
      if (used - current + p.forms[k]!.tokens <= opts.tokenBudget) {
        used += p.forms[k]!.tokens - current;
        p.choice = k;
        break;
      }
    }
  }
  const parts: string[] = [];
  const files: DigestFile[] = [];
  const placedParts: number[] = [];
  for (const p of plans) {
    if (p.choice < 0) {
      files.push({ ...p.base, tokens_digest: 0, rendering: 'omitted' });
      continue;
    }
    const form = p.forms[p.choice]!;
    placedParts.push(files.length);
    parts.push(form.text);
    files.push({ ...p.base, tokens_digest: form.tokens, rendering: form.rendering });
  }
  let text = parts.join('\n').trimEnd();
  // Token counts of joined parts can differ slightly from the sum of the parts: enforce the budget.
  while (parts.length && countTokens(text) > opts.tokenBudget) {
    parts.pop();
    const last = files[placedParts.pop()!]!;
    last.rendering = 'omitted';
    last.tokens_digest = 0;
    text = parts.join('\n').trimEnd();
  }
  // Say what did not fit: files shown only as listings or abstracts, and files left out.
  const short = files.filter((f) => f.rendering === 'listed' || f.rendering === 'abstract');
  const omitted = files.filter((f) => f.rendering === 'omitted').length;
  if (short.length || omitted) {
    const bits: string[] = [];
    const abstracts = short.filter((f) => f.rendering === 'abstract').length;
    const listed = short.filter((f) => f.rendering === 'listed').length;
    if (abstracts) bits.push(`${plural(abstracts, 'file')} as top signatures only`);
    if (listed) bits.push(`${plural(listed, 'file')} listed by name only`);
    if (omitted) bits.push(`${plural(omitted, 'file')} omitted`);
    const note = `\n\n(token budget ${opts.tokenBudget} reached: ${bits.join(', ')}; a larger token_budget shows them in full)`;
    if (countTokens(text + note) <= opts.tokenBudget) text += note;
  }
  return { text, tokens: countTokens(text), files };
}
