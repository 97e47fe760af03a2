// Cross-file engine: import resolution, blast radius, code search, repo map and codebase digest
// on a small package whose call graph is known (test/fixtures/code/shop).
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeSource, plainAnalysis } from '../../src/engine/code/analyze.js';
import { blastRadius } from '../../src/engine/code/blast.js';
import { digestCodebase } from '../../src/engine/code/digest.js';
import { detectLanguage } from '../../src/engine/code/languages.js';
import { buildRepoGraph, resolveImport, type AnalyzedFile, type RepoGraph } from '../../src/engine/code/repo.js';
import { repoMap } from '../../src/engine/code/repomap.js';
import { searchCode } from '../../src/engine/code/search.js';
import { countTokens } from '../../src/engine/tokens.js';

const SHOP = path.join(import.meta.dirname, '../fixtures/code/shop');

export async function loadShop(): Promise<AnalyzedFile[]> {
  const dir = path.join(SHOP, 'shop');
  const out: AnalyzedFile[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const source = fs.readFileSync(path.join(dir, name), 'utf8');
    const lang = detectLanguage(source, name)!;
    out.push({ path: `shop/${name}`, language: lang, analysis: await analyzeSource(lang, source) });
  }
  return out;
}

let files: AnalyzedFile[];
let g: RepoGraph;
const idx = (p: string) => files.findIndex((f) => f.path === p);
const pathsOf = (list: number[]) => list.map((i) => files[i]!.path);

beforeAll(async () => {
  files = await loadShop();
  g = buildRepoGraph(files);
});

describe('import resolution', () => {
  it('resolves Python absolute and relative imports to files of the bundle', () => {
    const imports = g.imports.map(([a, b]) => `${files[a]!.path} -> ${files[b]!.path}`).sort();
    expect(imports).toEqual([
      'shop/cart.py -> shop/pricing.py',
      'shop/checkout.py -> shop/cart.py',
      'shop/checkout.py -> shop/pricing.py',
      'shop/pricing.py -> shop/config.py',
      'shop/report.py -> shop/pricing.py',
    ]);
    const from = files[idx('shop/checkout.py')]!;
    expect(pathsOf(resolveImport('.pricing', from, files))).toEqual(['shop/pricing.py']);
    expect(resolveImport('json', from, files)).toEqual([]);
  });

  it('resolves relative JS/TS specifiers with and without extensions', async () => {
    const mk = async (p: string, src: string): Promise<AnalyzedFile> => ({ path: p, language: 'typescript', analysis: await analyzeSource('typescript', src) });
    const bundle = [
      await mk('src/a.ts', "import { b } from './lib/b.js';\nimport x from './lib';\n"),
      await mk('src/lib/b.ts', 'export const b = 1;\n'),
      await mk('src/lib/index.ts', 'export default 2;\n'),
    ];
    const rg = buildRepoGraph(bundle);
    expect(rg.imports.map(([a, b]) => `${bundle[a]!.path}->${bundle[b]!.path}`).sort()).toEqual(['src/a.ts->src/lib/b.ts', 'src/a.ts->src/lib/index.ts']);
  });
});

describe('blast radius', () => {
  it('ranks the callers of the focus symbol first, with both signals', () => {
    const r = blastRadius(g, { focusSymbol: 'price_of', topK: 50 });
    expect(r.focusDefinitions).toBe(1);
    const top = r.ranked.slice(0, 4).map((x) => files[x.file]!.path).sort();
    expect(top).toEqual(['shop/cart.py', 'shop/checkout.py', 'shop/pricing.py', 'shop/report.py']);
    for (const x of r.ranked.slice(0, 4)) expect(x.signals).toEqual(['bm25', 'graph_distance']);
    // util.py only mentions "price" in prose: lexical signal at best, never above a caller.
    const util = r.ranked.find((x) => files[x.file]!.path === 'shop/util.py');
    if (util) {
      expect(util.rank).toBeGreaterThan(4);
      expect(util.signals).not.toContain('graph_distance');
    }
    expect(r.ranked.map((x) => x.rank)).toEqual(r.ranked.map((_, i) => i + 1));
    for (let i = 1; i < r.ranked.length; i++) expect(r.ranked[i]!.score).toBeLessThanOrEqual(r.ranked[i - 1]!.score);
  });

  it('reaches callees and transitive code through the graph (config via pricing)', () => {
    const r = blastRadius(g, { focusSymbol: 'price_of', topK: 50 });
    const graph = pathsOf(r.rankings.graph_distance!);
    expect(graph).toContain('shop/config.py');
    // callers before callees: every direct caller precedes the callee's file
    for (const caller of ['shop/cart.py', 'shop/report.py', 'shop/checkout.py']) expect(graph.indexOf(caller)).toBeLessThan(graph.indexOf('shop/config.py'));
  });

  it('accepts qualified names, honours top_k, and uses a separate query for BM25', () => {
    const r = blastRadius(g, { focusSymbol: 'Cart.total', query: 'discount coupon', topK: 2 });
    expect(r.focusDefinitions).toBe(1);
    expect(r.ranked).toHaveLength(2);
    expect(files[r.rankings.bm25![0]!]!.path).toBe('shop/checkout.py');
  });

  it('falls back to the users of a symbol defined outside the bundle, and to centrality with no focus', () => {
    const ext = blastRadius(g, { focusSymbol: 'round', topK: 10 });
    expect(ext.focusDefinitions).toBe(0);
    expect(files[ext.rankings.graph_distance![0]!]!.path).toBe('shop/pricing.py');
    const none = blastRadius(g, { topK: 3 });
    expect(Object.keys(none.rankings)).toEqual(['centrality']);
    // PageRank: what everything depends on (config via pricing, pricing directly) is most central.
    expect(none.ranked.slice(0, 2).map((x) => files[x.file]!.path).sort()).toEqual(['shop/config.py', 'shop/pricing.py']);
  });

  it('lets plain-text files take part lexically', () => {
    const withText = [...files, { path: 'NOTES.txt', language: null, analysis: plainAnalysis('price_of is called from the cart and the report') }];
    const r = blastRadius(buildRepoGraph(withText), { focusSymbol: 'price_of', topK: 50 });
    const notes = r.ranked.find((x) => withText[x.file]!.path === 'NOTES.txt')!;
    expect(notes.signals).toContain('bm25');
  });
});

describe('search_code engine', () => {
  it('finds definitions by name and by body text, naming the enclosing symbol', () => {
    const { hits } = searchCode(files, 'discount', 5);
    expect(hits[0]!.chunk.symbol).toBe('discount');
    expect(files[hits[0]!.chunk.file]!.path).toBe('shop/pricing.py');
    expect(hits[0]!.signals).toEqual(['bm25', 'symbol']);
    const body = searchCode(files, 'lines append', 3).hits[0]!;
    expect(body.chunk.symbol).toBe('Cart.add');
    expect(body.matches.some(([, t]) => t.includes('self.lines.append'))).toBe(true);
  });
});

describe('repo map', () => {
  it('lists the most referenced definitions first and stays within the budget', () => {
    const m = repoMap(g, { tokenBudget: 60 });
    expect(m.tokens).toBeLessThanOrEqual(60);
    expect(countTokens(m.text)).toBe(m.tokens);
    const name = (r: { file: number; def: number }) => files[r.file]!.analysis.defs[r.def]!.name;
    // The referenced core first; definitions nobody else uses (util.py) last.
    expect(m.included.slice(0, 2).map(name).sort()).toEqual(['price_of', 'tax_rate']);
    const big = repoMap(g, { tokenBudget: 2000 });
    expect(big.included.length).toBe(big.totalDefinitions);
    expect(big.included.length).toBeGreaterThan(m.included.length);
    expect(big.text).toContain('shop/pricing.py:\n│def price_of(item, qty, region="eu"):');
    const utilRanks = big.included.map((r, i) => (files[r.file]!.path === 'shop/util.py' ? i : -1)).filter((i) => i >= 0);
    expect(Math.min(...utilRanks)).toBeGreaterThanOrEqual(big.included.length - 2 - 3);
  });

  it('personalises towards focus files', () => {
    const base = repoMap(g, { tokenBudget: 2000 }).included.map((r) => r.file);
    const focused = repoMap(g, { tokenBudget: 2000, focusFiles: ['shop/util.py'] });
    expect(focused.fileRank[idx('shop/util.py')]!).toBeGreaterThan(repoMap(g, { tokenBudget: 2000 }).fileRank[idx('shop/util.py')]!);
    expect(base.length).toBe(focused.included.length);
  });
});

describe('codebase digest', () => {
  it('puts central files first as skeletons and degrades gracefully under a small budget', () => {
    const d = digestCodebase(g, { tokenBudget: 5000, fidelity: 'outline' });
    expect(d.files.every((f) => f.rendering === 'outline')).toBe(true);
    expect(d.text).not.toContain('net = item.unit_price');
    expect(d.text).toContain('def price_of(item, qty, region="eu"):');
    const order = d.files.map((f) => f.path);
    expect(order.indexOf('shop/pricing.py')).toBeLessThan(order.indexOf('shop/util.py'));

    const small = digestCodebase(g, { tokenBudget: 120, fidelity: 'outline' });
    expect(small.tokens).toBeLessThanOrEqual(120);
    const kinds = new Set(small.files.map((f) => f.rendering));
    expect(kinds.has('outline') || kinds.has('abstract')).toBe(true);
    expect([...kinds].some((k) => k === 'listed' || k === 'omitted' || k === 'abstract')).toBe(true);
  });
});
