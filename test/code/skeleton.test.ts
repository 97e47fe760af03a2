// compress_code's engine on real parsers: every language, every fidelity.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectedGraph } from 'graphology';
import pagerankModule from 'graphology-metrics/centrality/pagerank.js';
import { analyzeSource } from '../../src/engine/code/analyze.js';
import { detectLanguage, languageFromContent, resolveLanguage, type LanguageId } from '../../src/engine/code/languages.js';
import { pagerank } from '../../src/engine/code/pagerank.js';
import { rankDefinitions, renderSkeleton, topLevelDefs } from '../../src/engine/code/skeleton.js';
import { SPECS } from '../../src/engine/code/spec.js';

const FIX = path.join(import.meta.dirname, '../fixtures/code');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');

// fixture → language, expected top-level names, the import line, a doc comment, the most-used helper
const CASES: Array<{ file: string; lang: LanguageId; names: string[]; imp: string; doc: string; helper: string }> = [
  { file: 'sample.py', lang: 'python', names: ['TAX_RATE', 'normalize', 'Item', 'load', 'index'], imp: 'from dataclasses import dataclass', doc: '"""Read items from a JSON file."""', helper: 'normalize' },
  { file: 'sample.js', lang: 'javascript', names: ['normalize', 'Item', 'load', 'index'], imp: "const fs = require('fs');", doc: '/** Canonical form of a product name. */', helper: 'normalize' },
  { file: 'sample.ts', lang: 'typescript', names: ['Item', 'Index', 'normalize', 'Inventory', 'load', 'Unit'], imp: "import { readFileSync } from 'node:fs';", doc: '/** A stock record. */', helper: 'normalize' },
  { file: 'sample.tsx', lang: 'tsx', names: ['RowProps', 'formatQty', 'Row', 'Table'], imp: "import React from 'react';", doc: '/** Formats a quantity. */', helper: 'formatQty' },
  { file: 'Sample.java', lang: 'java', names: ['Sample'], imp: 'import java.util.List;', doc: '/** Canonical form of a product name. */', helper: 'normalize' },
  { file: 'sample.go', lang: 'go', names: ['Item', 'Store', 'Normalize', 'Key', 'Load'], imp: '"encoding/json"', doc: '// Normalize returns the canonical form of a product name.', helper: 'Normalize' },
  { file: 'sample.rs', lang: 'rust', names: ['Item', 'normalize', 'Priced', 'index', 'MAX_QTY'], imp: 'use std::collections::HashMap;', doc: '/// Lookup key.', helper: 'normalize' },
  { file: 'sample.c', lang: 'c', names: ['MAX_NAME', 'item', 'item_t', 'normalize', 'item_key', 'item_total'], imp: '#include <string.h>', doc: '/* Lower-case a product name in place. */', helper: 'normalize' },
  { file: 'sample.cpp', lang: 'cpp', names: ['normalize', 'Inventory', 'contains'], imp: '#include <vector>', doc: '/// Canonical form of a product name.', helper: 'normalize' },
];

const bodyMarkers = (src: string) => [...src.matchAll(/BODY_(\w+)/g)].map((m) => m[0]);

describe('language detection', () => {
  it('resolves hints and aliases, case-insensitively', () => {
    expect(resolveLanguage('Python')).toBe('python');
    expect(resolveLanguage('c++')).toBe('cpp');
    expect(resolveLanguage('ts')).toBe('typescript');
    expect(resolveLanguage('cobol')).toBeNull();
  });
  it.each(CASES)('detects $lang from the path of $file', ({ file, lang }) => {
    expect(detectLanguage(read(file), file)).toBe(lang);
  });
  it.each(CASES.filter((c) => c.lang !== 'tsx'))('detects $lang from the content of $file alone', ({ file, lang }) => {
    expect(languageFromContent(read(file))).toBe(lang);
  });
  it('decides .h headers by content and gives up on prose', () => {
    expect(detectLanguage('#include <vector>\nnamespace a { class B {}; }', 'x.h')).toBe('cpp');
    expect(detectLanguage('#include <stdio.h>\nint f(void);', 'x.h')).toBe('c');
    expect(languageFromContent('Dear team, the meeting moved to Tuesday.')).toBeNull();
  });
});

describe.each(CASES)('skeleton of $file', ({ file, lang, names, imp, doc, helper }) => {
  const src = read(file);
  const render = async (fid: 'abstract' | 'outline' | 'balanced' | 'detailed' | 'raw') => {
    const a = await analyzeSource(lang, src);
    return { a, sk: renderSkeleton(a, fid, SPECS[lang].lineComment) };
  };

  it('outline keeps imports, docs and every top-level name, and elides every body', async () => {
    const { a, sk } = await render('outline');
    expect(a.hasErrors).toBe(false);
    for (const n of names) expect(sk.text).toMatch(new RegExp(`\\b${n}\\b`));
    expect(sk.text).toContain(imp);
    expect(sk.text).toContain(doc);
    expect(bodyMarkers(sk.text)).toEqual([]);
    expect(sk.text).toContain('...');
    expect(sk.text.length).toBeLessThan(src.length);
    const top = topLevelDefs(a).map((i) => a.defs[i]!.name);
    for (const n of top) expect(sk.text).toContain(n);
  });

  it('balanced keeps the body of the top-ranked symbol only', async () => {
    const { a, sk } = await render('balanced');
    const ranks = rankDefinitions(a);
    const elidable = a.defs.map((d, i) => i).filter((i) => a.defs[i]!.elide === 'body' && a.defs[i]!.body);
    const best = elidable.sort((x, y) => ranks[y]! - ranks[x]!)[0]!;
    expect(a.defs[best]!.name).toBe(helper);
    expect(sk.bodiesKept).toBe(1);
    expect(sk.text).toContain(`BODY_${helper}`);
    expect(bodyMarkers(sk.text)).toEqual([`BODY_${helper}`]);
    for (const n of names) expect(sk.text).toMatch(new RegExp(`\\b${n}\\b`));
  });

  it('raw is the input unchanged; abstract lists fewer, top-ranked signatures', async () => {
    expect((await render('raw')).sk.text).toBe(src);
    const { sk } = await render('abstract');
    expect(bodyMarkers(sk.text)).toEqual([]);
    expect(sk.text).not.toContain(imp);
    expect(sk.text.length).toBeLessThan((await render('outline')).sk.text.length);
  });
});

describe('skeleton details', () => {
  it('cuts long docstrings to their summary and keeps Python valid', async () => {
    const src = 'def f(x):\n    """Summary line.\n\n    Long details\n    over lines.\n    """\n    return x + 1\n\nclass A:\n    def m(self):\n        return f(1)\n';
    const a = await analyzeSource('python', src);
    const sk = renderSkeleton(a, 'outline', '#');
    expect(sk.text).toContain('"""Summary line.');
    expect(sk.text).not.toContain('Long details');
    expect(sk.text).not.toContain('return x + 1');
    expect(sk.text).toContain('    def m(self):\n        ...');
  });

  it('shortens long module-level statements but keeps their first line', async () => {
    const table = `const TABLE = [\n${Array.from({ length: 30 }, (_, i) => `  ${i},`).join('\n')}\n];\nfunction use() { return TABLE[0]; }\n`;
    const a = await analyzeSource('javascript', table);
    const sk = renderSkeleton(a, 'outline', '//');
    expect(sk.text).toContain('const TABLE = [ ...');
    expect(sk.text).not.toContain('  17,');
  });

  it('walks into UMD-style wrappers instead of eliding them whole', async () => {
    const src = '(function (root) {\n  function inner(a) {\n    return a * 2; // BODY_inner\n  }\n  root.inner = inner;\n})(this);\n';
    const a = await analyzeSource('javascript', src);
    const sk = renderSkeleton(a, 'outline', '//');
    expect(sk.text).toContain('function inner(a) { ... }');
    expect(sk.text).not.toContain('BODY_inner');
  });

  it('handles non-ASCII text without shifting ranges', async () => {
    const src = 'NAME = "ünïcødé ✓"\n\ndef grüße(x):\n    """Grüße."""\n    return x  # körper\n';
    const a = await analyzeSource('python', src);
    const sk = renderSkeleton(a, 'outline', '#');
    expect(sk.text).toContain('def grüße(x):\n    """Grüße."""\n    ...');
    expect(sk.text).not.toContain('körper');
  });
});

describe('pagerank', () => {
  it('matches graphology-metrics with a uniform teleport vector', () => {
    const edges = [
      [0, 1, 1], [1, 2, 2], [2, 0, 1], [2, 3, 0.5], [3, 1, 3], [4, 2, 1], [1, 4, 1],
    ] as const;
    const ours = pagerank(5, edges.map(([from, to, weight]) => ({ from, to, weight })), { tolerance: 1e-12, maxIterations: 500 });
    // The CJS module's default export differs between loaders: take the function wherever it is.
    type PagerankFn = (g: DirectedGraph, o: Record<string, unknown>) => Record<string, number>;
    const pagerankLib = ((pagerankModule as unknown as { default?: PagerankFn }).default ?? pagerankModule) as unknown as PagerankFn;
    const g = new DirectedGraph();
    for (let i = 0; i < 5; i++) g.addNode(String(i));
    for (const [a, b, w] of edges) g.addEdge(String(a), String(b), { weight: w });
    const lib = pagerankLib(g, { getEdgeWeight: 'weight', tolerance: 1e-12, maxIterations: 500 });
    for (let i = 0; i < 5; i++) expect(ours[i]!).toBeCloseTo(lib[String(i)]!, 6);
  });

  it('personalisation pulls rank towards the teleport set', () => {
    const edges = [{ from: 0, to: 1, weight: 1 }, { from: 1, to: 0, weight: 1 }, { from: 2, to: 3, weight: 1 }, { from: 3, to: 2, weight: 1 }];
    const pr = pagerank(4, edges, { personalization: [1, 0, 0, 0] });
    expect(pr[0]! + pr[1]!).toBeGreaterThan(0.99);
    expect(pr[0]!).toBeGreaterThan(pr[1]!);
  });
});
