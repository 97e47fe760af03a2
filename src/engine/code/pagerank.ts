// Weighted, optionally personalised PageRank by power iteration. graphology-metrics has no
// personalisation vector, which repo maps and blast radius need (rank relative to a focus).

export interface Edge { from: number; to: number; weight: number }

export interface PageRankOptions {
  damping?: number;
  /** Teleport distribution (need not be normalised); uniform when omitted or all zero. */
  personalization?: ArrayLike<number>;
  maxIterations?: number;
  tolerance?: number;
}

export function pagerank(n: number, edges: Edge[], opts: PageRankOptions = {}): Float64Array {
  const d = opts.damping ?? 0.85;
  const maxIt = opts.maxIterations ?? 100;
  const tol = opts.tolerance ?? 1e-9;
  if (n === 0) return new Float64Array(0);
  const p = new Float64Array(n);
  let psum = 0;
  if (opts.personalization) for (let i = 0; i < n; i++) psum += Math.max(0, opts.personalization[i] ?? 0);
  for (let i = 0; i < n; i++) p[i] = psum > 0 ? Math.max(0, opts.personalization![i] ?? 0) / psum : 1 / n;

  const out = new Float64Array(n);
  for (const e of edges) if (e.weight > 0) out[e.from]! += e.weight;
  let rank = Float64Array.from(p);
  let next = new Float64Array(n);
  for (let it = 0; it < maxIt; it++) {
    // Rank held by nodes without out-links teleports like the rest (keeps the total at 1).
    let dangling = 0;
    for (let i = 0; i < n; i++) if (out[i] === 0) dangling += rank[i]!;
    for (let i = 0; i < n; i++) next[i] = (1 - d + d * dangling) * p[i]!;
    for (const e of edges) if (e.weight > 0) next[e.to]! += (d * rank[e.from]! * e.weight) / out[e.from]!;
    let delta = 0;
    for (let i = 0; i < n; i++) delta += Math.abs(next[i]! - rank[i]!);
    [rank, next] = [next, rank];
    if (delta < tol * n) break;
  }
  return rank;
}
