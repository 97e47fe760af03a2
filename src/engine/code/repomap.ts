// Repository map: the definitions that matter most, within a token budget. Files are ranked by
// (personalised) PageRank on the file reference graph; each file's rank flows to the definitions
// other files reference, in proportion to the reference weight (the approach Aider's repo map
// popularised). The map lists the top definitions' signatures grouped by file.
import { countTokens } from '../tokens.js';
import { pagerank } from './pagerank.js';
import { fileReferenceEdges, type RepoGraph } from './repo.js';
import { topLevelDefs } from './skeleton.js';

export interface MapOptions {
  tokenBudget: number;
  /** Files the caller is working on: the ranking is personalised towards them. */
  focusFiles?: string[];
  /** Identifiers the caller mentioned: references to them weigh ten times more. */
  mentioned?: string[];
}

export interface RankedDef {
  file: number;
  def: number;
  score: number;
}

/** Ranks of every file and every map-worthy definition (top level, class members). */
export function rankRepo(g: RepoGraph, opts: Omit<MapOptions, 'tokenBudget'> = {}): { fileRank: Float64Array; defs: RankedDef[] } {
  const mentioned = opts.mentioned?.length ? new Set(opts.mentioned) : null;
  const { edges, idents } = fileReferenceEdges(g, mentioned);
  const focus = new Set(opts.focusFiles ?? []);
  const personalization = focus.size ? g.files.map((f) => (focus.has(f.path) ? 1 : 0)) : undefined;
  const fileRank = pagerank(g.files.length, edges, { personalization });
  const outWeight = new Float64Array(g.files.length);
  for (const e of edges) outWeight[e.from]! += e.weight;
  // (file, name) → rank flowing in through references to that name.
  const flow = new Map<string, number>();
  edges.forEach((e, i) => {
    const name = idents[i];
    if (!name) return;
    const key = `${e.to}\u0000${name}`;
    flow.set(key, (flow.get(key) ?? 0) + (fileRank[e.from]! * e.weight) / outWeight[e.from]!);
  });
  const defs: RankedDef[] = [];
  g.files.forEach((f, fi) => {
    const a = f.analysis;
    const top = new Set(topLevelDefs(a));
    a.defs.forEach((d, di) => {
      const member = d.parent >= 0 && a.defs[d.parent]!.container && top.has(d.parent);
      if (!top.has(di) && !member) return;
      // Unreferenced definitions still order by their file's importance, far below referenced ones.
      const base = (fileRank[fi]! * 1e-3) / Math.max(1, a.defs.length);
      defs.push({ file: fi, def: di, score: (flow.get(`${fi}\u0000${d.name}`) ?? 0) + base });
    });
  });
  defs.sort((x, y) => y.score - x.score || x.file - y.file || x.def - y.def);
  return { fileRank, defs };
}

function signatureLine(g: RepoGraph, r: RankedDef): string {
  const a = g.files[r.file]!.analysis;
  const d = a.defs[r.def]!;
  const line = a.source.slice(a.lineStarts[d.startLine - 1]!, a.lineStarts[d.startLine] ?? a.source.length).replace(/\s+$/, '');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

export function renderMap(g: RepoGraph, chosen: RankedDef[]): string {
  const byFile = new Map<number, RankedDef[]>();
  for (const r of chosen) (byFile.get(r.file) ?? byFile.set(r.file, []).get(r.file)!).push(r);
  const out: string[] = [];
  // Files in order of their best definition, so the most important code comes first.
  for (const [fi, list] of byFile) {
    out.push(`${g.files[fi]!.path}:`);
    list.sort((x, y) => x.def - y.def);
    for (const r of list) out.push(`│${signatureLine(g, r)}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export interface RepoMap {
  text: string;
  tokens: number;
  included: RankedDef[];
  totalDefinitions: number;
  fileRank: Float64Array;
}

/** The largest prefix of the ranking whose map fits the budget (binary search on its length). */
export function repoMap(g: RepoGraph, opts: MapOptions): RepoMap {
  const { fileRank, defs } = rankRepo(g, opts);
  let lo = 0;
  let hi = defs.length;
  let best = { text: '', tokens: 0, n: 0 };
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const text = renderMap(g, defs.slice(0, mid));
    const tokens = countTokens(text);
    if (tokens <= opts.tokenBudget) {
      if (mid >= best.n) best = { text, tokens, n: mid };
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return { text: best.text, tokens: best.tokens, included: defs.slice(0, best.n), totalDefinitions: defs.length, fileRank };
}
