// Codebase digest: the most central files first, each as a skeleton, under a token budget. When a
// file's skeleton does not fit, its abstract (top signatures) is tried, then a one-line listing.
import { countTokens } from '../tokens.js';
import type { CodeFidelity } from './fidelity.js';
import { pagerank } from './pagerank.js';
import { fileReferenceEdges, type RepoGraph } from './repo.js';
import { rankDefinitions, renderSkeleton, topLevelDefs } from './skeleton.js';
import { SPECS } from './spec.js';

const SKELETON_SHARE = 0.85;

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
  const parts: string[] = [];
  let used = 0;
  // Skeletons may use most of the budget; the rest is kept so less central files are still listed.
  const skeletonBudget = Math.floor(opts.tokenBudget * SKELETON_SHARE);
  const files: DigestFile[] = [];
  for (const fi of order) {
    const f = g.files[fi]!;
    const a = f.analysis;
    const ranks = rankDefinitions(a);
    const lineComment = f.language ? SPECS[f.language].lineComment : '//';
    const base: Omit<DigestFile, 'tokens_digest' | 'rendering'> = {
      path: f.path,
      language: f.language ?? 'text',
      rank: Number(pr[fi]!.toFixed(6)),
      tokens_original: tokensOf(a),
      definitions: a.defs.length,
    };
    const header = `=== ${f.path} (${f.language}) ===`;
    let placed = false;
    for (const fid of [opts.fidelity, 'abstract'] as const) {
      // Once the budget is nearly spent, only listings can fit: skip rendering skeletons.
      if (skeletonBudget - used < 16) break;
      const body = renderSkeleton(a, fid, lineComment, ranks).text.trim();
      // A token is rarely more than 8 characters of code: obviously-too-long blocks are not counted.
      if (body.length / 8 > skeletonBudget - used) continue;
      const block = `${header}\n${body}\n`;
      const t = countTokens(block);
      if (used + t <= skeletonBudget) {
        parts.push(block);
        used += t;
        files.push({ ...base, tokens_digest: t, rendering: fid });
        placed = true;
        break;
      }
    }
    if (placed) continue;
    const names = topLevelDefs(a)
      .sort((x, y) => ranks[y]! - ranks[x]!)
      .slice(0, 8)
      .map((i) => a.defs[i]!.name);
    const line = `=== ${f.path} (${f.language}) — ${a.defs.length} definitions${names.length ? `: ${names.join(', ')}` : ''} ===\n`;
    const t = countTokens(line);
    if (used + t <= opts.tokenBudget) {
      parts.push(line);
      used += t;
      files.push({ ...base, tokens_digest: t, rendering: 'listed' });
    } else {
      files.push({ ...base, tokens_digest: 0, rendering: 'omitted' });
    }
  }
  let text = parts.join('\n').trimEnd();
  // Token counts of joined parts can differ slightly from the sum of the parts: enforce the budget.
  while (parts.length && countTokens(text) > opts.tokenBudget) {
    parts.pop();
    const last = [...files].reverse().find((f) => f.rendering !== 'omitted');
    if (last) {
      last.rendering = 'omitted';
      last.tokens_digest = 0;
    }
    text = parts.join('\n').trimEnd();
  }
  const omitted = files.filter((f) => f.rendering === 'omitted').length;
  if (omitted) {
    const note = `\n\n(${omitted} more file${omitted === 1 ? '' : 's'} omitted: token budget reached)`;
    const t = countTokens(note);
    if (used + t <= opts.tokenBudget) {
      text += note;
      used += t;
    }
  }
  return { text, tokens: countTokens(text), files };
}
