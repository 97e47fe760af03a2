// Code search: BM25 over symbol-sized chunks (each definition, plus windows of module-level code)
// fused by RRF with a symbol-name signal; every hit names its enclosing symbol.
import { Bm25Index, reciprocalRankFusion, tokenize } from '../bm25.js';
import { lineOf, type FileAnalysis } from './analyze.js';
import type { AnalyzedFile } from './repo.js';

const MODULE_WINDOW_LINES = 40;
/** Symbol names count this many times in a chunk's BM25 document: a name is a strong hint. */
const NAME_BOOST = 3;

export interface CodeChunk {
  file: number;
  startLine: number;
  endLine: number;
  symbol: string | null;
  kind: string;
  text: string;
}

/** Chunks of one file: each function-like definition whole; containers by their header. */
export function chunkFile(fi: number, a: FileAnalysis): CodeChunk[] {
  const chunks: CodeChunk[] = [];
  const lines = a.source.split('\n');
  const covered = new Uint8Array(lines.length + 2);
  const slice = (s: number, e: number) => lines.slice(s - 1, e).join('\n');
  for (const d of a.defs) {
    const start = lineOf(a.lineStarts, d.outerStart);
    // A class chunk is its header and docstring; its members are chunks of their own.
    const end = d.container && d.body ? Math.max(start, lineOf(a.lineStarts, d.docstring?.end ?? d.body.start)) : d.endLine;
    const nested = d.parent >= 0 && !a.defs[d.parent]!.container;
    if (nested) continue; // inside a function: part of that function's chunk
    chunks.push({ file: fi, startLine: start, endLine: end, symbol: d.qualifiedName, kind: d.kind, text: slice(start, end) });
    for (let l = start; l <= end; l++) covered[l] = 1;
  }
  // Module-level code outside every definition, in windows.
  let winStart = 0;
  const flush = (endLine: number) => {
    if (winStart && endLine >= winStart) {
      const text = slice(winStart, endLine);
      if (text.trim()) chunks.push({ file: fi, startLine: winStart, endLine, symbol: null, kind: 'module', text });
    }
    winStart = 0;
  };
  for (let l = 1; l <= lines.length; l++) {
    if (covered[l]) {
      flush(l - 1);
      continue;
    }
    if (!winStart) winStart = l;
    if (l - winStart + 1 >= MODULE_WINDOW_LINES) flush(l);
  }
  flush(lines.length);
  return chunks;
}

export interface SearchHit {
  chunk: CodeChunk;
  score: number;
  signals: Array<'bm25' | 'symbol'>;
  /** Lines of the chunk that contain a query term (1-based line, text). */
  matches: Array<[number, string]>;
}

function symbolScore(symbol: string, queryTerms: Set<string>, queryWords: Set<string>): number {
  const last = symbol.split('.').pop()!;
  const terms = new Set(tokenize(last));
  let hit = 0;
  for (const t of terms) if (queryTerms.has(t)) hit++;
  if (!hit) return 0;
  const exact = queryWords.has(last.toLowerCase()) ? 1 : 0;
  return exact + hit / Math.max(terms.size, queryTerms.size);
}

export function searchCode(files: AnalyzedFile[], query: string, topK: number): { hits: SearchHit[]; chunks: number } {
  const chunks = files.flatMap((f, fi) => chunkFile(fi, f.analysis));
  const index = new Bm25Index();
  for (const c of chunks) {
    const terms = tokenize(c.text);
    if (c.symbol) for (let i = 0; i < NAME_BOOST; i++) terms.push(...tokenize(c.symbol.split('.').pop()!));
    index.add(terms);
  }
  const queryTerms = new Set(tokenize(query));
  const queryWords = new Set(query.toLowerCase().match(/[\p{L}\p{N}_$]+/gu) ?? []);
  const bm25 = index.top([...queryTerms], Math.max(topK * 4, 50)).map((h) => h.index);
  const symbolRanked = chunks
    .map((c, i) => ({ i, s: c.symbol ? symbolScore(c.symbol, queryTerms, queryWords) : 0 }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, Math.max(topK * 4, 50))
    .map((x) => x.i);
  const inBm25 = new Set(bm25);
  const inSymbol = new Set(symbolRanked);
  const fused = reciprocalRankFusion([bm25, symbolRanked]).slice(0, topK);
  const hits = fused.map((h) => {
    const c = chunks[h.id]!;
    const matches: Array<[number, string]> = [];
    c.text.split('\n').forEach((line, k) => {
      if (matches.length < 5 && tokenize(line).some((t) => queryTerms.has(t))) matches.push([c.startLine + k, line.trimEnd()]);
    });
    const signals: SearchHit['signals'] = [];
    if (inBm25.has(h.id)) signals.push('bm25');
    if (inSymbol.has(h.id)) signals.push('symbol');
    return { chunk: c, score: h.score, signals, matches };
  });
  return { hits, chunks: chunks.length };
}
