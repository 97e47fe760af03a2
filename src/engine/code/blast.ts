// Blast radius: which files a change to a focus symbol touches, ranked by two signals fused with
// Reciprocal Rank Fusion — BM25 over the files' text, and graph distance from the symbol's
// definition through the cross-file reference/import graph (callers, callees, transitively).
import { Bm25Index, reciprocalRankFusion, tokenize } from '../bm25.js';
import { pagerank } from './pagerank.js';
import { fileReferenceEdges, type RepoGraph } from './repo.js';

/** Paths longer than this (in edge cost) are not part of the radius. */
const MAX_COST = 6;

export type BlastSignal = 'bm25' | 'graph_distance' | 'centrality';

export interface BlastOptions {
  focusSymbol?: string | null;
  query?: string | null;
  topK: number;
}

export interface BlastRanked { file: number; score: number; rank: number; signals: BlastSignal[] }

export interface BlastResult {
  ranked: BlastRanked[];
  /** Each signal's own ranking (file indices, best first), for inspection and benchmarks. */
  rankings: Partial<Record<BlastSignal, number[]>>;
  /** Definitions of the focus symbol found in the bundle. */
  focusDefinitions: number;
  /** Files that received any signal. */
  filesRanked: number;
}

class MinHeap {
  private readonly items: Array<[number, number]> = [];
  get size(): number {
    return this.items.length;
  }
  push(cost: number, node: number): void {
    const a = this.items;
    a.push([cost, node]);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]![0] <= a[i]![0]) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): [number, number] {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]![0] < a[m]![0]) m = l;
        if (r < a.length && a[r]![0] < a[m]![0]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** Extra cost of following a reference towards what it uses (a callee) rather than a caller. */
const CALLEE_PENALTY = 0.5;

/**
 * Symbol graph: one node per file (its module-level code) and one per definition. Edges: a
 * definition and its container (both ways); a reference and every definition of that name, both
 * ways, callers cheaper than callees (a change propagates to what depends on it), the cost growing
 * with the number of same-named definitions (an ambiguous name is a weak link); an import.
 */
function symbolGraph(g: RepoGraph) {
  const offsets: number[] = [];
  let n = g.files.length;
  for (const f of g.files) {
    offsets.push(n);
    n += f.analysis.defs.length;
  }
  const fileOf = new Int32Array(n);
  g.files.forEach((f, fi) => {
    fileOf[fi] = fi;
    for (let d = 0; d < f.analysis.defs.length; d++) fileOf[offsets[fi]! + d] = fi;
  });
  const adj: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  const link = (a: number, b: number, cost: number, backCost = cost) => {
    if (a === b) return;
    adj[a]!.push([b, cost]);
    adj[b]!.push([a, backCost]);
  };
  const refEdges = (from: number, refs: Map<string, number>) => {
    for (const name of refs.keys()) {
      const targets = g.defsByName.get(name);
      if (!targets) continue;
      const cost = 1 + Math.log2(targets.length);
      if (cost > MAX_COST) continue;
      for (const t of targets) link(from, offsets[t.file]! + t.def, cost + CALLEE_PENALTY, cost);
    }
  };
  g.files.forEach((f, fi) => {
    refEdges(fi, f.analysis.moduleRefs);
    f.analysis.defs.forEach((d, di) => {
      const node = offsets[fi]! + di;
      link(node, d.parent >= 0 ? offsets[fi]! + d.parent : fi, 1);
      refEdges(node, d.refs);
    });
  });
  for (const [a, b] of g.imports) link(a, b, 2);
  return { n, offsets, fileOf, adj };
}

function matchesFocus(name: string, qualified: string, focus: string): boolean {
  if (!focus.includes('.') && !focus.includes('::')) return name === focus;
  const q = focus.replace(/::/g, '.');
  return qualified === q || qualified.endsWith(`.${q}`);
}

/** Files ordered by proximity to the focus symbol's definitions: Σ exp(-distance) over their nodes. */
export function graphDistanceRanking(g: RepoGraph, focus: string): { ranking: number[]; focusDefinitions: number } {
  const sg = symbolGraph(g);
  const dist = new Float64Array(sg.n).fill(Infinity);
  const heap = new MinHeap();
  let focusDefinitions = 0;
  g.files.forEach((f, fi) => {
    f.analysis.defs.forEach((d, di) => {
      if (matchesFocus(d.name, d.qualifiedName, focus)) {
        const node = sg.offsets[fi]! + di;
        dist[node] = 0;
        heap.push(0, node);
        focusDefinitions++;
      }
    });
  });
  if (focusDefinitions === 0) {
    // Defined outside the bundle (a library symbol): its users are the radius.
    const bare = focus.split(/\.|::/).pop()!;
    g.files.forEach((f, fi) => {
      const seed = (node: number, refs: Map<string, number>) => {
        if (refs.has(bare) && dist[node]! > 1) {
          dist[node] = 1;
          heap.push(1, node);
        }
      };
      seed(fi, f.analysis.moduleRefs);
      f.analysis.defs.forEach((d, di) => seed(sg.offsets[fi]! + di, d.refs));
    });
  }
  while (heap.size) {
    const [cost, node] = heap.pop();
    if (cost > dist[node]!) continue;
    for (const [next, w] of sg.adj[node]!) {
      const c = cost + w;
      if (c <= MAX_COST && c < dist[next]!) {
        dist[next] = c;
        heap.push(c, next);
      }
    }
  }
  // A file is as close as its closest node; among equally close files, the one with more nodes at
  // that distance (more call sites) is touched more. Summing over all nodes instead would let
  // big files full of distant code outrank a file with one direct caller.
  const best = new Float64Array(g.files.length).fill(Infinity);
  const atBest = new Float64Array(g.files.length);
  for (let node = 0; node < sg.n; node++) {
    const d = dist[node]!;
    if (d === Infinity) continue;
    const fi = sg.fileOf[node]!;
    if (d < best[fi]! - 1e-9) {
      best[fi] = d;
      atBest[fi] = 1;
    } else if (Math.abs(d - best[fi]!) <= 1e-9) atBest[fi]!++;
  }
  const ranking = [...best.keys()]
    .filter((i) => best[i] !== Infinity)
    .sort((a, b) => best[a]! - best[b]! || atBest[b]! - atBest[a]! || a - b);
  return { ranking, focusDefinitions };
}

// Token lists per parsed file: a service that reuses analyses (its parse cache) reuses these too.
const termCache = new WeakMap<object, string[]>();

export function bm25Ranking(g: RepoGraph, query: string): number[] {
  const index = new Bm25Index();
  for (const f of g.files) {
    let terms = termCache.get(f.analysis);
    if (!terms) {
      terms = tokenize(f.analysis.source);
      termCache.set(f.analysis, terms);
    }
    index.add(terms);
  }
  return index.top(query, g.files.length).map((h) => h.index);
}

/** Files by PageRank on the file reference graph (used when there is no focus and no query). */
export function centralityRanking(g: RepoGraph): number[] {
  const { edges } = fileReferenceEdges(g);
  const pr = pagerank(g.files.length, edges);
  return [...pr.keys()].sort((a, b) => pr[b]! - pr[a]! || a - b);
}

export function blastRadius(g: RepoGraph, opts: BlastOptions): BlastResult {
  const focus = opts.focusSymbol?.trim() || null;
  const query = opts.query?.trim() || focus;
  const rankings: BlastResult['rankings'] = {};
  let focusDefinitions = 0;
  if (query) rankings.bm25 = bm25Ranking(g, query);
  if (focus) {
    const gr = graphDistanceRanking(g, focus);
    rankings.graph_distance = gr.ranking;
    focusDefinitions = gr.focusDefinitions;
  }
  if (!query && !focus) rankings.centrality = centralityRanking(g);
  const names = Object.keys(rankings) as BlastSignal[];
  const fused = reciprocalRankFusion(names.map((s) => rankings[s]!));
  const members = names.map((s) => new Set(rankings[s]!));
  const ranked = fused.slice(0, opts.topK).map((h, i) => ({
    file: h.id,
    score: h.score,
    rank: i + 1,
    signals: names.filter((_, si) => members[si]!.has(h.id)),
  }));
  return { ranked, rankings, focusDefinitions, filesRanked: fused.length };
}
