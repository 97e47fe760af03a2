// Similarity graph over chunks, damped PageRank (graphology-metrics) and personalised PageRank (our
// own power iteration: graphology-metrics has none). Pure: no I/O.
import { UndirectedGraph } from 'graphology';
import pagerankModule from 'graphology-metrics/centrality/pagerank.js';

type PagerankFn = (g: UndirectedGraph, opts: { getEdgeWeight: string | null; alpha?: number; maxIterations?: number; tolerance?: number }) => Record<string, number>;
// The package is CommonJS; depending on the loader the function is the module or its default.
const libPagerank: PagerankFn = ((pagerankModule as unknown as { default?: PagerankFn }).default ?? pagerankModule) as unknown as PagerankFn;

export const DEFAULT_EDGE_THRESHOLD = 0.35;
export const DEFAULT_DAMPING = 0.85;

/** Dot product; vectors from an Embedder are unit length, so this is the cosine. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** Weighted undirected adjacency in CSR form: neighbours of i are cols[rowStart[i] .. rowStart[i+1]). */
export interface Adjacency {
  n: number;
  rowStart: Int32Array;
  cols: Int32Array;
  weights: Float64Array;
}

/** Edges between every pair with cosine ≥ threshold (weight = cosine). */
export function similarityAdjacency(vectors: Float32Array[], threshold = DEFAULT_EDGE_THRESHOLD): Adjacency {
  const n = vectors.length;
  const nbrs: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = dot(vectors[i]!, vectors[j]!);
      if (w >= threshold && w > 0) {
        nbrs[i]!.push([j, w]);
        nbrs[j]!.push([i, w]);
      }
    }
  }
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i]! + nbrs[i]!.length;
  const cols = new Int32Array(rowStart[n]!);
  const weights = new Float64Array(rowStart[n]!);
  for (let i = 0; i < n; i++) {
    let k = rowStart[i]!;
    for (const [j, w] of nbrs[i]!) {
      cols[k] = j;
      weights[k] = w;
      k++;
    }
  }
  return { n, rowStart, cols, weights };
}

/** The same edges as a graphology graph (nodes "0".."n-1", edge attribute `weight`). */
export function toGraphology(adj: Adjacency): UndirectedGraph {
  const g = new UndirectedGraph({ allowSelfLoops: false });
  for (let i = 0; i < adj.n; i++) g.addNode(String(i));
  for (let i = 0; i < adj.n; i++) {
    for (let k = adj.rowStart[i]!; k < adj.rowStart[i + 1]!; k++) {
      const j = adj.cols[k]!;
      if (j > i) g.addEdge(String(i), String(j), { weight: adj.weights[k]! });
    }
  }
  return g;
}

export interface PageRankOptions {
  damping?: number;
  maxIterations?: number;
  tolerance?: number;
}

/**
 * Personalised PageRank by power iteration. `teleport` (non-negative, any scale) is where the random
 * surfer restarts and where dangling nodes' mass goes; null or all-zero means uniform, which is
 * classic PageRank. Returns scores summing to 1.
 */
export function personalizedPageRank(adj: Adjacency, teleport: ArrayLike<number> | null = null, opts: PageRankOptions = {}): Float64Array {
  const { n, rowStart, cols, weights } = adj;
  const alpha = opts.damping ?? DEFAULT_DAMPING;
  const maxIterations = opts.maxIterations ?? 200;
  const tolerance = opts.tolerance ?? 1e-9;
  if (n === 0) return new Float64Array(0);

  const p = new Float64Array(n);
  let total = 0;
  if (teleport) for (let i = 0; i < n; i++) total += Math.max(0, teleport[i] ?? 0);
  for (let i = 0; i < n; i++) p[i] = total > 0 ? Math.max(0, teleport![i] ?? 0) / total : 1 / n;

  const degree = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = rowStart[i]!; k < rowStart[i + 1]!; k++) degree[i]! += weights[k]!;

  let x = Float64Array.from(p);
  let next = new Float64Array(n);
  for (let it = 0; it < maxIterations; it++) {
    let dangling = 0;
    for (let i = 0; i < n; i++) if (degree[i] === 0) dangling += x[i]!;
    next.fill(0);
    for (let i = 0; i < n; i++) {
      const d = degree[i]!;
      if (d === 0) continue;
      const share = (alpha * x[i]!) / d;
      for (let k = rowStart[i]!; k < rowStart[i + 1]!; k++) next[cols[k]!]! += share * weights[k]!;
    }
    let err = 0;
    for (let i = 0; i < n; i++) {
      next[i]! += (alpha * dangling + (1 - alpha)) * p[i]!;
      err += Math.abs(next[i]! - x[i]!);
    }
    [x, next] = [next, x];
    if (err < n * tolerance) break;
  }
  return x;
}

/** Damped weighted PageRank through graphology-metrics (the reference implementation). */
export function pageRank(adj: Adjacency, opts: PageRankOptions = {}): Float64Array {
  const out = new Float64Array(adj.n);
  if (adj.n === 0) return out;
  // graphology-indices stores CSR row offsets in the smallest typed array that indexes `entries - 1`,
  // so when the entry count is exactly 2^8 or 2^16 the final offset overflows to 0 and the last
  // node's edges are silently dropped (scores then sum to < 1). Ours is identical elsewhere.
  if (adj.cols.length === 256 || adj.cols.length === 65536) return personalizedPageRank(adj, null, opts);
  try {
    const scores = libPagerank(toGraphology(adj), {
      getEdgeWeight: 'weight',
      alpha: opts.damping ?? DEFAULT_DAMPING,
      maxIterations: opts.maxIterations ?? 200,
      tolerance: opts.tolerance ?? 1e-8,
    });
    for (let i = 0; i < adj.n; i++) out[i] = scores[String(i)] ?? 0;
    return out;
  } catch {
    // graphology throws when it does not converge within maxIterations; ours keeps the last iterate.
    return personalizedPageRank(adj, null, opts);
  }
}
