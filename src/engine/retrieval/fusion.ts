// Hybrid ranking: a semantic list and a keyword list fused by Reciprocal Rank Fusion (the one in
// bm25.ts), cut to k, each result keeping where it stood in either list.
import { reciprocalRankFusion } from '../bm25.js';

export interface FusedHit {
  id: number;
  /** The RRF score (sum of 1 / (60 + rank)). */
  score: number;
  /** 1-based position in the semantic list, null when absent from it. */
  semanticRank: number | null;
  keywordRank: number | null;
}

/** Fuses rankings (ids, best first) and keeps the best k. Empty lists take no part. */
export function fuseRankings(semantic: number[], keyword: number[], k: number): FusedHit[] {
  const sem = new Map(semantic.map((id, i) => [id, i + 1]));
  const kw = new Map(keyword.map((id, i) => [id, i + 1]));
  return reciprocalRankFusion([semantic, keyword].filter((r) => r.length > 0))
    .slice(0, k)
    .map((f) => ({ id: f.id, score: f.score, semanticRank: sem.get(f.id) ?? null, keywordRank: kw.get(f.id) ?? null }));
}

/** How deep each side ranks before fusion: deeper than k, so one side can promote what the other missed. */
export function fusionDepth(k: number, floor = 50): number {
  return Math.max(k * 4, floor);
}
