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

/**
 * Identifiers the query names as written: a query of one word (EADDRINUSE, parse), or words shaped
 * like code (URIError, checkArguments, SQLITE_BUSY, v2Client: mixed case, `_`, `$` or digits). Plain
 * words and acronyms in a sentence ("where is the API key checked") are not.
 */
function exactIdentifiers(query: string): string[] {
  const words = (query.match(/[\p{L}\p{N}_$]+/gu) ?? []).filter((w) => w.length >= 3 && /\p{L}/u.test(w));
  if (words.length === 1) return words;
  return [...new Set(words.filter((w) => /[_$]/.test(w) || (/\p{Ll}/u.test(w) && /^.+\p{Lu}/u.test(w)) || (/\p{L}/u.test(w) && /\p{N}/u.test(w))))];
}

/** Does `text` hold `word` as a whole identifier (not inside a longer one)? */
function holds(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const before = text[at - 1];
    const after = text[at + word.length];
    if (!(before && /[\p{L}\p{N}_$]/u.test(before)) && !(after && /[\p{L}\p{N}_$]/u.test(after))) return true;
  }
  return false;
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
  let fused = reciprocalRankFusion([bm25, symbolRanked]);
  // An identifier the query spells out (URIError, SQLITE_BUSY) is found the way grep finds it: chunks
  // holding it verbatim come first (most such identifiers first), however long the chunk is. BM25
  // alone let short chunks that merely share its parts ("Error") bury the one that uses it.
  const exact = exactIdentifiers(query);
  const exactCount = new Map<number, number>();
  if (exact.length) {
    chunks.forEach((c, i) => {
      const n = exact.filter((w) => holds(c.text, w)).length;
      if (n) exactCount.set(i, n);
    });
    const seen = new Set(fused.map((h) => h.id));
    for (const i of exactCount.keys()) if (!seen.has(i)) fused.push({ id: i, score: 0 });
    fused = fused
      .map((h, order) => ({ h, order }))
      .sort((a, b) => (exactCount.get(b.h.id) ?? 0) - (exactCount.get(a.h.id) ?? 0) || a.order - b.order)
      .map((x) => x.h);
  }
  fused = fused.slice(0, topK);
  const hits = fused.map((h) => {
    const c = chunks[h.id]!;
    const lines = c.text.split('\n').map((line, k) => [c.startLine + k, line] as const);
    // Lines naming an exact identifier first, then lines sharing any query term, in file order.
    const exactLines = lines.filter(([, line]) => exact.some((w) => holds(line, w)));
    const isExact = new Set(exactLines.map(([n]) => n));
    const termLines = lines.filter(([n, line]) => !isExact.has(n) && tokenize(line).some((t) => queryTerms.has(t)));
    const matches: Array<[number, string]> = [...exactLines, ...termLines]
      .slice(0, 5)
      .sort((a, b) => a[0] - b[0])
      .map(([n, line]) => [n, line.trimEnd()]);
    const signals: SearchHit['signals'] = [];
    if (inBm25.has(h.id)) signals.push('bm25');
    if (inSymbol.has(h.id)) signals.push('symbol');
    return { chunk: c, score: h.score, signals, matches };
  });
  return { hits, chunks: chunks.length };
}
