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
  const gen = similarityAdjacencySteps(vectors, threshold);
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/** similarityAdjacency as a generator that yields after each row (the work is quadratic in chunks). */
export function* similarityAdjacencySteps(vectors: Float32Array[], threshold = DEFAULT_EDGE_THRESHOLD): Generator<void, Adjacency, void> {
  const n = vectors.length;
  // Edge list (i < j) in growable typed buffers: tuples in JS arrays cost 20x more at 50k+ edges.
  let ei = new Int32Array(1024);
  let ej = new Int32Array(1024);
  let ew = new Float64Array(1024);
  let m = 0;
  const degree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = vectors[i]!;
    for (let j = i + 1; j < n; j++) {
      const w = dot(a, vectors[j]!);
      if (w >= threshold && w > 0) {
        if (m === ei.length) {
          const grow = <T extends Int32Array | Float64Array>(x: T): T => {
            const y = new (x.constructor as new (n: number) => T)(x.length * 2);
            y.set(x);
            return y;
          };
          [ei, ej, ew] = [grow(ei), grow(ej), grow(ew)];
        }
        ei[m] = i;
        ej[m] = j;
        ew[m] = w;
        m++;
        degree[i]!++;
        degree[j]!++;
      }
    }
    yield;
  }
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i]! + degree[i]!;
  const fill = rowStart.slice(0, n);
  const cols = new Int32Array(2 * m);
  const weights = new Float64Array(2 * m);
  // Edges were produced in (i, j) order, so each row's neighbours come out sorted.
  for (let k = 0; k < m; k++) {
    const i = ei[k]!;
    const j = ej[k]!;
    cols[fill[i]!] = j;
    weights[fill[i]!++] = ew[k]!;
  }
  for (let k = 0; k < m; k++) {
    const i = ei[k]!;
    const j = ej[k]!;
    cols[fill[j]!] = i;
    weights[fill[j]!++] = ew[k]!;
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
  const gen = personalizedPageRankSteps(adj, teleport, opts);
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/** personalizedPageRank as a generator that yields after each power iteration (large graphs). */
export function* personalizedPageRankSteps(adj: Adjacency, teleport: ArrayLike<number> | null = null, opts: PageRankOptions = {}): Generator<void, Float64Array, void> {
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
    yield;
  }
  return x;
}

/**
 * Graphs above this many edges are ranked by our CSR iteration instead of graphology-metrics: building
 * the graphology graph dominates (measured ~0.5 s for 60k edges, the 400-chunk graph of a 0.5 MB
 * document, against 19 ms for the iteration); the two agree to 1e-7 (test/engine/graph.test.ts).
 */
export const GRAPHOLOGY_MAX_EDGES = 5000;

/** Damped weighted PageRank through graphology-metrics (the reference implementation). */
export function pageRank(adj: Adjacency, opts: PageRankOptions = {}): Float64Array {
  const out = new Float64Array(adj.n);
  if (adj.n === 0) return out;
  if (adj.cols.length / 2 > GRAPHOLOGY_MAX_EDGES) return personalizedPageRank(adj, null, opts);
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
