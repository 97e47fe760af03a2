// A file's skeleton: imports, signatures, class and function headers, docstrings and leading
// comments, with bodies replaced by a marker. Symbols are ranked by PageRank on the file's
// reference graph; the fidelity decides how many of the top symbols keep their bodies.
import { lineOf, type CodeDef, type FileAnalysis } from './analyze.js';
import { BODY_BUDGET_MIN_CHARS, FIDELITY_PLANS, type CodeFidelity } from './fidelity.js';
import { pagerank, type Edge } from './pagerank.js';

export const BODY_MARKER = '...';

export interface RankedSymbol {
  name: string;
  qualified_name: string;
  kind: string;
  line: number;
  score: number;
}

export interface Skeleton {
  text: string;
  ranked: RankedSymbol[];
  bodiesKept: number;
  bodiesElided: number;
}

/** PageRank of each definition over "references" edges inside the file (plus member → container). */
export function rankDefinitions(a: FileAnalysis): Float64Array {
  const n = a.defs.length;
  if (n === 0) return new Float64Array(0);
  const byName = new Map<string, number[]>();
  a.defs.forEach((d, i) => {
    const list = byName.get(d.name);
    if (list) list.push(i);
    else byName.set(d.name, [i]);
  });
  const edges: Edge[] = [];
  const link = (from: number, refs: Map<string, number>) => {
    for (const [name, count] of refs) {
      const targets = byName.get(name)?.filter((t) => t !== from);
      if (!targets?.length) continue;
      for (const t of targets) edges.push({ from, to: t, weight: count / targets.length });
    }
  };
  a.defs.forEach((d, i) => {
    link(i, d.refs);
    // A used method makes its class matter too.
    if (d.parent >= 0) edges.push({ from: i, to: d.parent, weight: 0.5 });
  });
  link(n, a.moduleRefs); // module-level code is a node of its own
  return pagerank(n + 1, edges).subarray(0, n);
}

/** Top-level definitions, counting the members of namespaces/modules as top level. */
export function topLevelDefs(a: FileAnalysis): number[] {
  const out: number[] = [];
  a.defs.forEach((d, i) => {
    let p = d.parent;
    while (p >= 0 && (a.defs[p]!.kind === 'namespace' || a.defs[p]!.kind === 'module')) p = a.defs[p]!.parent;
    if (p < 0 && d.kind !== 'namespace' && d.kind !== 'module') out.push(i);
  });
  return out;
}

interface Edit { start: number; end: number; text: string }

function lineEnd(src: string, offset: number): number {
  const i = src.indexOf('\n', offset);
  return i === -1 ? src.length : i;
}

function indentAt(src: string, offset: number): string {
  const ls = src.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(src.slice(ls, offset))![0];
}

function isLineComment(text: string): boolean {
  return !text.startsWith('/*');
}

/** Cut a run of comments (or a docstring) after `keep` lines, saying that more was there. */
function trimComment(a: FileAnalysis, start: number, end: number, keep: number, lineComment: string): Edit | null {
  const first = lineOf(a.lineStarts, start);
  const last = lineOf(a.lineStarts, Math.max(start, end - 1));
  if (last - first + 1 <= keep || keep <= 0) return null;
  const cut = lineEnd(a.source, a.lineStarts[first - 1 + keep - 1]!);
  if (cut >= end) return null;
  const head = a.source.slice(start, cut);
  const indent = indentAt(a.source, start);
  const tail = a.source.slice(cut, end);
  if (!isLineComment(head) && tail.trimEnd().endsWith('*/')) return { start: cut, end, text: ` ${BODY_MARKER} */` };
  return { start: cut, end, text: `\n${indent}${lineComment} ${BODY_MARKER}` };
}

function trimDocstring(a: FileAnalysis, start: number, end: number, keep: number): Edit | null {
  const text = a.source.slice(start, end);
  const quote = /^[rRbBuUfF]*("""|'''|"|')/.exec(text)?.[1];
  if (!quote) return null;
  const lines = text.split('\n');
  // Keep the first paragraph (summary), at most `keep` lines.
  let n = 0;
  while (n < lines.length && n < keep && (n === 0 || lines[n]!.trim() !== '')) n++;
  if (n >= lines.length - 1) return null;
  let cut = start;
  for (let i = 0; i < n; i++) cut = lineEnd(a.source, cut) + (i < n - 1 ? 1 : 0);
  return { start: cut, end, text: `\n${indentAt(a.source, start)}${BODY_MARKER}${quote}` };
}

function bodyReplacement(a: FileAnalysis, d: CodeDef): Edit | null {
  if (!d.body) return null;
  if (d.docstring) {
    return { start: d.docstring.end, end: d.body.end, text: `\n${indentAt(a.source, d.docstring.start)}${BODY_MARKER}` };
  }
  const opening = a.source[d.body.start];
  if (opening === '{') return { start: d.body.start, end: d.body.end, text: `{ ${BODY_MARKER} }` };
  return { start: d.body.start, end: d.body.end, text: BODY_MARKER };
}

function applyEdits(src: string, edits: Edit[]): string {
  edits.sort((x, y) => x.start - y.start || y.end - x.end);
  const parts: string[] = [];
  let pos = 0;
  for (const e of edits) {
    if (e.start < pos) continue; // nested inside an edit already applied (e.g. a method of an elided body)
    parts.push(src.slice(pos, e.start), e.text);
    pos = e.end;
  }
  parts.push(src.slice(pos));
  return parts.join('').replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, '\n\n');
}

function headerOf(a: FileAnalysis, d: CodeDef): string {
  const bodyStart = d.body && d.elide === 'body' ? d.body.start : d.container && d.body ? d.body.start : d.end;
  let header = a.source.slice(d.outerStart, bodyStart).trimEnd();
  const lines = header.split('\n');
  if (lines.length > 4) header = lines.slice(0, 4).join('\n') + ` ${BODY_MARKER}`;
  if (d.body && (d.elide === 'body' || d.container)) {
    header += a.source[d.body.start] === '{' ? ` { ${BODY_MARKER} }` : ` ${BODY_MARKER}`;
  }
  return indentAt(a.source, d.outerStart) + header.trimStart();
}

export function renderSkeleton(a: FileAnalysis, fidelity: CodeFidelity, lineComment: string, ranks = rankDefinitions(a)): Skeleton {
  const order = a.defs.map((_, i) => i).sort((x, y) => ranks[y]! - ranks[x]! || x - y);
  const ranked: RankedSymbol[] = order.map((i) => {
    const d = a.defs[i]!;
    return { name: d.name, qualified_name: d.qualifiedName, kind: d.kind, line: d.startLine, score: Number(ranks[i]!.toFixed(5)) };
  });
  const elidable = order.filter((i) => a.defs[i]!.elide === 'body' && a.defs[i]!.body);

  if (fidelity === 'raw') return { text: a.source, ranked, bodiesKept: elidable.length, bodiesElided: 0 };

  const plan = FIDELITY_PLANS[fidelity];
  if (fidelity === 'abstract') {
    const top = topLevelDefs(a).sort((x, y) => ranks[y]! - ranks[x]! || x - y);
    const chosen = top.slice(0, Math.max(1, Math.ceil(top.length * plan.signatureShare))).sort((x, y) => x - y);
    const text = chosen.map((i) => headerOf(a, a.defs[i]!)).join('\n');
    return { text, ranked, bodiesKept: 0, bodiesElided: elidable.length };
  }

  // Bodies of the top-ranked symbols stay; nested definitions of a kept body stay with it.
  const keep = new Set<number>();
  const maxBodies = Math.ceil(elidable.length * plan.bodyShare - 1e-9);
  let budget = maxBodies ? Math.max(a.source.length * plan.bodyBudget, BODY_BUDGET_MIN_CHARS) : 0;
  for (const i of elidable) {
    if (keep.size >= maxBodies) break;
    const b = a.defs[i]!.body!;
    if (b.end - b.start > budget) continue;
    keep.add(i);
    budget -= b.end - b.start;
  }
  const shownInFull = (i: number): boolean => {
    for (let p = i; p >= 0; p = a.defs[p]!.parent) if (keep.has(p)) return true;
    return false;
  };
  const hasChildren = new Set(a.defs.map((d) => d.parent));
  const edits: Edit[] = [];
  let elided = 0;
  a.defs.forEach((d, i) => {
    if (shownInFull(i)) return;
    if (d.elide === 'body') {
      const e = bodyReplacement(a, d);
      if (e) {
        edits.push(e);
        elided++;
      }
    } else if (d.elide === 'truncate' && !hasChildren.has(i) && d.endLine - d.startLine + 1 > 4) {
      edits.push({ start: lineEnd(a.source, d.start), end: d.end, text: ` ${BODY_MARKER}` });
    }
    if (d.docstring) {
      const e = trimDocstring(a, d.docstring.start, d.docstring.end, plan.commentLines);
      if (e) edits.push(e);
    }
  });
  if (a.moduleDocstring) {
    const e = trimDocstring(a, a.moduleDocstring.start, a.moduleDocstring.end, plan.commentLines);
    if (e) edits.push(e);
  }
  for (const s of a.longStatements) edits.push({ start: lineEnd(a.source, s.start), end: s.end, text: ` ${BODY_MARKER}` });
  for (const r of a.commentRuns) {
    const e = trimComment(a, r.start, r.end, plan.commentLines, lineComment);
    if (e) edits.push(e);
  }
  return { text: applyEdits(a.source, edits), ranked, bodiesKept: keep.size, bodiesElided: elided };
}
