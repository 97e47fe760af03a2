// Structural rules of skeletons (issue 10) on documents none of us wrote (test/fixtures/outline):
// within budget, no text twice, no dependent sentence without what it depends on, every gap marked,
// every top-level section covered, the first code example kept; reStructuredText code stays code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkText, detectDialect, parseBlocks } from '../../src/engine/chunking.js';
import { buildSkeleton, FIDELITIES, OUTPUT_STYLES, type Fidelity } from '../../src/engine/compress.js';
import type { Embedder } from '../../src/engine/embeddings/types.js';
import { density, documentUnitsSteps, isDependent } from '../../src/engine/units.js';
import { runSync } from '../../src/engine/chunking.js';
import { countTokens } from '../../src/engine/tokens.js';
import { loadConfig } from '../../src/config.js';
import { createEmbedder } from '../../src/services/embedder.js';

const DIR = path.join(import.meta.dirname, '..', 'fixtures', 'outline');
const README = fs.readFileSync(path.join(DIR, 'body-parser-README.md'), 'utf8');
const RST = fs.readFileSync(path.join(DIR, 'cmake_parse_arguments.rst'), 'utf8');
const MAN = fs.readFileSync(path.join(DIR, 'grep.1.txt'), 'utf8');
const STRING = fs.readFileSync(path.join(DIR, 'string.rst'), 'utf8');
const ARGPARSE = fs.readFileSync(path.join(DIR, 'argparse-README.md'), 'utf8');
const ABC = fs.readFileSync(path.join(DIR, 'collections.abc.rst'), 'utf8');
const DOCS = { README, RST, MAN };

let embedder: Embedder;
beforeAll(async () => {
  embedder = (await createEmbedder(loadConfig({ embedder: 'offline', dataDir: path.join(os.tmpdir(), 'ctxgate-engine-test') }))).embedder;
});

// Each document is chunked and embedded once, each query embedded once, and each skeleton built once
// (buildSkeleton is pure: the same arguments give the same skeleton), so tests that look at the same
// skeleton from different sides share it.
const prepared = new Map<string, Promise<{ chunks: ReturnType<typeof chunkText>; vectors: Float32Array[] }>>();
const queryVectors = new Map<string, Promise<Float32Array>>();
const skeletons = new Map<string, Promise<ReturnType<typeof buildSkeleton>>>();
function prepare(text: string) {
  let p = prepared.get(text);
  if (!p) {
    const chunks = chunkText(text);
    p = embedder.embed(chunks.map((c) => c.text)).then((vectors) => ({ chunks, vectors }));
    prepared.set(text, p);
  }
  return p;
}
function embedQuery(query: string) {
  let p = queryVectors.get(query);
  if (!p) queryVectors.set(query, (p = embedder.embed([query]).then((v) => v[0]!)));
  return p;
}
function skeleton(text: string, fidelity: Fidelity, query?: string, outputStyle?: (typeof OUTPUT_STYLES)[number]) {
  const key = JSON.stringify([text, fidelity, query ?? null, outputStyle ?? null]);
  let sk = skeletons.get(key);
  if (!sk) {
    sk = (async () => {
      const { chunks, vectors } = await prepare(text);
      const queryVector = query ? await embedQuery(query) : undefined;
      return buildSkeleton({ chunks, vectors, fidelity, source: text, query, queryVector, outputStyle });
    })();
    skeletons.set(key, sk);
  }
  return sk;
}

const isMarker = (p: string) => /^\[…( \d+ paragraphs?( on .*)?)?\]$/.test(p.trim());

describe('skeleton structure', () => {
  it('never exceeds budget_tokens, for every fidelity, style, document and with or without a query', async () => {
    for (const [name, text] of Object.entries(DOCS)) {
      for (const f of FIDELITIES.filter((x) => x !== 'raw')) {
        for (const style of OUTPUT_STYLES) {
          for (const q of [undefined, 'maximum request body size']) {
            const sk = await skeleton(text, f, q, style);
            if (sk.passthrough) continue;
            expect(sk.tokens, `${name} ${f} ${style} ${q ?? ''}`).toBeLessThanOrEqual(sk.budgetTokens);
            expect(sk.tokens).toBe(countTokens(sk.text));
          }
        }
      }
    }
  });

  it('keeps no text twice and every kept piece is verbatim source', async () => {
    for (const text of Object.values(DOCS)) {
      for (const f of ['outline', 'balanced', 'detailed'] as const) {
        const sk = await skeleton(text, f);
        const pieces = sk.plain.split('\n\n').map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 20);
        expect(new Set(pieces).size).toBe(pieces.length);
        for (const p of sk.plain.split('\n\n')) expect(text).toContain(p);
      }
    }
  });

  it('never keeps a dependent sentence ("Defaults to …") without the unit it hangs on', async () => {
    const { units } = runSync(documentUnitsSteps(README, chunkText(README)));
    const dependents = units.filter((u) => u.dep >= 0);
    expect(dependents.some((u) => /^Defaults to/.test(u.text.trim()))).toBe(true);
    for (const f of ['abstract', 'outline', 'balanced', 'detailed'] as const) {
      for (const q of [undefined, 'limit', 'extended option qs library']) {
        const sk = await skeleton(README, f, q);
        for (const u of dependents) {
          // Only where the text occurs once in the document can its presence be attributed to this unit.
          if (README.split(u.text).length !== 2 || !sk.plain.includes(u.text)) continue;
          // With a query, the context may be its twin said in another section (kept once, wrapped
          // differently): compared without line breaks.
          const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
          expect(flat(sk.plain), `${f} ${q}: "${u.text.slice(0, 40)}" without its context`).toContain(flat(units[u.dep]!.text));
        }
      }
    }
    expect(isDependent('Defaults to `false`.')).toBe(true);
    expect(isDependent('The `limit` option controls the maximum request body size.')).toBe(false);
  });

  it('marks every gap: between two kept pieces that are not adjacent in the source there is a marker', async () => {
    for (const text of Object.values(DOCS)) {
      const sk = await skeleton(text, 'balanced');
      const paras = sk.text.split('\n\n').flatMap((p) => p.split(' […] ').flatMap((x, i, a) => (i < a.length - 1 ? [x, '[…]'] : [x])));
      let pos = 0;
      let markerSince = true; // text before the first kept piece needs a marker too
      for (const p of paras) {
        if (isMarker(p)) {
          markerSince = true;
          continue;
        }
        const at = text.indexOf(p, pos);
        expect(at, p.slice(0, 60)).toBeGreaterThanOrEqual(0);
        if (text.slice(pos, at).trim() !== '') expect(markerSince, `unmarked gap before "${p.slice(0, 50)}"`).toBe(true);
        pos = at + p.length;
        markerSince = false;
      }
      if (text.slice(pos).trim() !== '') expect(markerSince).toBe(true);
    }
  });

  it('without a query covers every top-level section and keeps the first code example of a section with examples', async () => {
    const sk = await skeleton(README, 'balanced');
    for (const h of README.match(/^## .*$/gm)!) expect(sk.text).toContain(h);
    const examples = README.slice(README.indexOf('## Examples'));
    const firstCode = /```js[\s\S]*?```/.exec(examples)![0];
    expect(sk.text).toContain(firstCode);
    // And it is an outline, not one slice: kept pieces come from all over the document.
    const starts = sk.plain.split('\n\n').map((p) => README.indexOf(p) / README.length);
    expect(Math.min(...starts)).toBeLessThan(0.1);
    expect(Math.max(...starts)).toBeGreaterThan(0.8);
  });

  it('keeps the whole passage holding every word of a question, when it is said over several table rows or list items', async () => {
    // A grid table cell wraps one sentence over several rows (string.rst, format type 'g'); the
    // question's words are on rows after the one holding the answer.
    const table = await skeleton(STRING, 'outline', 'point format formatted exponent');
    for (const row of ['General format.  For a given precision ``p >= 1``,', 'then formats the result in either fixed-point format', 'precision ``p-1`` would have exponent ``exp``.']) expect(table.text).toContain(row);
    expect(table.tokens).toBeLessThanOrEqual(table.budgetTokens);
    // A list of short items without full stops reads as one sentence; its words span four items.
    const list = await skeleton(ARGPARSE, 'outline', 'class unnecessary resolving conflicting');
    for (const item of ['```formatterClass```', '```prog```', '```usage```', '```conflictHandler```']) expect(list.text).toContain(item);
    expect(list.tokens).toBeLessThanOrEqual(list.budgetTokens);
  });

  it('keeps the best-matching unit that holds every word of a question at outline, though it is long', async () => {
    // collections.abc's table of ABCs is one long unit (~70% of the outline budget); the question's
    // words are all in it and BM25 ranks it first, so its size does not count against it.
    const sk = await skeleton(ABC, 'outline', 'iterator reversible sized callable');
    expect(sk.text).toContain(':class:`Hashable` [1]_                                ``__hash__``');
    expect(sk.tokens).toBeLessThanOrEqual(sk.budgetTokens);
  });

  it('with a query, keeps a sentence whose context is the same sentence kept in another section (said once)', async () => {
    // body-parser repeats "This option can be a string, array of strings, or a function." under each
    // parser's `type` option; the sentence after it in bodyParser.raw is kept though the one in
    // bodyParser.text (its twin) was kept first.
    for (const f of ['outline', 'balanced'] as const) {
      const sk = await skeleton(README, f, 'passed npmjs package like');
      expect(sk.text, f).toContain('`application/*`');
      expect(sk.text.split('This option can be a string, array of strings, or a function.').length, f).toBe(2);
    }
  });

  it('keeps a query-selected sentence with its own heading', async () => {
    const sk = await skeleton(README, 'outline', 'depth option qs library extended');
    expect(sk.text).toContain('The `depth` option is used to configure the maximum depth of the `qs` library');
    expect(sk.text).toContain('##### depth');
  });
});

describe('information density', () => {
  it('gives a sentence that names and defines nothing no weight in an outline, and one naming a rare identifier some', () => {
    const filler = { text: 'We hope you enjoy reading the rest of this guide very much.', tokens: 13, kind: 'sentence' as const };
    const named = { text: 'Set ``CMAKE_FIND_ROOT_PATH`` to the directory holding the target root file system.', tokens: 18, kind: 'sentence' as const };
    expect(density(filler, undefined, 0)).toBe(0);
    expect(density(named, undefined, 0)).toBeGreaterThan(0);
    // The default (conversation selection) still ranks short filler above nothing.
    expect(density(filler)).toBeGreaterThan(0);
  });

  it('counts a name once per unit: repeating it adds no information', () => {
    const once = { text: 'Use FOO_BAR to set the size, then FOO_BAZ and FOO_QUX.', tokens: 14, kind: 'sentence' as const };
    const thrice = { text: 'Use FOO_BAR to set the size, then FOO_BAR and FOO_BAR.', tokens: 14, kind: 'sentence' as const };
    expect(density(thrice, undefined, 0)).toBeLessThan(density(once, undefined, 0));
    expect(density(thrice, undefined, 0)).toBeCloseTo(density({ ...once, text: 'Use FOO_BAR to set the size, then the rest of it.' }, undefined, 0), 10);
  });
});

describe('overhead of a skeleton without a query', () => {
  // A Sphinx page: bookkeeping directives in the preamble, then API objects with long signatures.
  const API = [
    ':mod:`frob` --- Frobnication',
    '============================',
    '',
    '.. module:: frob',
    '.. moduleauthor:: Some Very Long Author Name <some.very.long.author.name@example.org>',
    '.. sectionauthor:: Some Very Long Author Name <some.very.long.author.name@example.org>',
    '',
    'The frob module frobnicates targets in place and reports what changed in the build tree.',
    '',
    ...Array.from({ length: 12 }, (_, i) => [
      `Group ${i}`,
      '--------',
      '',
      `.. function:: frob_${i}(target, stride=None, repeat=False, output_log=None, schedule=${i}, retries=3)`,
      '',
      `   Frobnicate with \`\`mode_${i}\`\` set, writing the log to \`\`log_${i}.txt\`\` when it is given.`,
      `   The stride is \`\`${i * 7}\`\` unless \`\`stride_${i}\`\` says otherwise, and the retries default to three.`,
      `   Each run writes \`\`state_${i}.json\`\` and leaves a summary of what changed in the project log.`,
      '',
    ]).flat(),
  ].join('\n');

  it('keeps no author line, gaps inside a section are a bare […], and a skipped API object is named without its arguments', async () => {
    const sk = await skeleton(API, 'balanced');
    expect(sk.plain).not.toContain('moduleauthor');
    expect(sk.plain).not.toContain('sectionauthor');
    const markers = sk.text.split('\n').filter((l) => l.startsWith('[…'));
    expect(markers.length).toBeGreaterThan(0);
    for (const m of markers) {
      expect(m).not.toMatch(/\(target/);
      if (!m.includes(' on ')) expect(m).toBe('[…]');
    }
  });
});

describe('what a skeleton without a query spends its budget on', () => {
  // An rst page whose substitution definitions (text the parser keeps out of the units) sit between
  // the title and the first paragraph, then sections with "see also" boxes.
  const SUBST = [
    'find_frob',
    '---------',
    '',
    ...Array.from({ length: 14 }, (_, i) => `.. |FROB_SUBST_${i}| replace:: \`\`<prefix>/lib/frob_${i}\`\` when :variable:\`CMAKE_FROB_ARCH_${i}\` is set`),
    '',
    'This command finds a frob library named by ``NAMES`` and stores its full path in ``<VAR>``.',
    '',
    ...Array.from({ length: 10 }, (_, i) => [
      `Part ${i}`,
      '^^^^^^',
      '',
      `The search in part ${i} looks in \`\`frob_dir_${i}\`\` first and then in \`\`FROB_PATH_${i}\`\` for each name.`,
      `Every match in part ${i} is checked against \`\`FROB_VERSION_${i}\`\` before it is accepted as found.`,
      '',
      '.. seealso::',
      '',
      `  The frob manual, chapter ${i}, which says much more about the search than fits in this page.`,
      '',
    ]).flat(),
  ].join('\n');

  it('never carries left-out text between two kept units, and marks it', async () => {
    for (const f of ['outline', 'balanced', 'detailed'] as const) {
      const sk = await skeleton(SUBST, f);
      expect(sk.plain, f).not.toContain('replace::');
      expect(sk.tokens).toBeLessThanOrEqual(sk.budgetTokens);
    }
    const sk = await skeleton(SUBST, 'balanced');
    expect(sk.text).toContain('find_frob\n---------\n\n[…]\n\nThis command finds a frob library');
  });

  it('keeps no directive line alone and names one skipped heading per gap marker', async () => {
    for (const f of ['outline', 'balanced', 'detailed'] as const) {
      const sk = await skeleton(SUBST, f);
      // ".. seealso::" only with the text it introduces.
      for (const [k, p] of sk.plain.split('\n\n').entries()) if (p.trim() === '.. seealso::') expect(sk.plain.split('\n\n')[k + 1] ?? '', f).toMatch(/^ {2}The frob manual/);
      for (const m of sk.text.split('\n').filter((l) => l.startsWith('[… '))) expect(m, f).toMatch(/^\[… \d+ paragraphs? on [^;]+(; \+\d+ more)?\]$/);
    }
  });

  it('keeps no row of badges and no list of link targets', async () => {
    const badges = '[![NPM Version][npm-image]][npm-url]\n[![NPM Downloads][downloads-image]][downloads-url]\n[![Build Status][ci-image]][ci-url]';
    const refs = '[npm-image]: https://img.shields.io/npm/v/frob.svg\n[npm-url]: https://npmjs.org/package/frob\n[ci-image]: https://badgen.net/github/checks/frob/frob\n[ci-url]: https://github.com/frob/frob/actions';
    const sections = Array.from({ length: 8 }, (_, i) => `## Part ${i}\n\nThe \`frob${i}()\` call frobnicates \`target_${i}\` in place and returns the number of changed files.\n\nIt takes \`options.depth_${i}\` (default \`${i + 2}\`) and \`options.mode_${i}\`, which is \`"fast"\` unless set.\n\n${'A frob run in this part writes its log and its state to the build tree, and reports what changed. '.repeat(10)}`);
    const readme = [`# frob`, badges, ...sections, '## Links', refs].join('\n\n');
    for (const f of ['outline', 'balanced'] as const) {
      const sk = await skeleton(readme, f);
      expect(sk.plain, f).not.toContain('[![');
      expect(sk.plain, f).not.toMatch(/^\[[\w-]+\]: https/m);
    }
    // Their sections are still there, as headings.
    const sk = await skeleton(readme, 'balanced');
    expect(sk.text).toMatch(/^# frob\n\n\[…\]/);
    expect(sk.text).toContain('## Links');
  });
});

describe('definition terms and named sections', () => {
  // An rst option list: each term on a line of its own, its definition indented below it, with a
  // directive line in between (CMake's style).
  const OPTIONS = [
    'frob_target',
    '-----------',
    '',
    'Frobnicates a target in place and reports what changed in the build tree of the project.',
    '',
    'Options',
    '^^^^^^^',
    '',
    ...['QUIET', 'STRIDE <n>', 'REPEAT <mode>', 'OUTPUT_LOG <file>', 'SCHEDULE_RANDOM', 'RETRIES <count>'].flatMap((t, i) => [
      `\`\`${t}\`\``,
      '  .. versionadded:: 3.1' + i,
      '',
      `  Option number ${i} changes the behaviour of the frobnication run when a target is rebuilt twice.`,
      `  It is passed through to the worker processes unchanged and logged in the summary at the end.`,
      '',
    ]),
    'Notes',
    '^^^^^',
    '',
    'The frobnication never touches files outside the build tree and can be undone by a clean build.',
    '',
  ].join('\n');

  it('keeps a definition with its term line and never a term line alone', async () => {
    const units = runSync(documentUnitsSteps(OPTIONS, chunkText(OPTIONS))).units;
    const body = units.find((u) => u.text.includes('Option number 1'))!;
    expect(units[body.term]!.text).toBe('``STRIDE <n>``');
    const sk = await skeleton(OPTIONS, 'balanced', 'frob_target STRIDE');
    expect(sk.text).toContain('``STRIDE <n>``');
    expect(sk.text).toContain('Option number 1 changes');
    for (const f of ['outline', 'balanced'] as const) {
      const plain = (await skeleton(OPTIONS, f)).plain;
      for (const t of plain.split('\n\n').filter((p) => /^``[^`]+``$/.test(p.trim()))) {
        // A kept term is followed (after its directive line) by its definition.
        const after = OPTIONS.slice(OPTIONS.indexOf(t) + t.length).split('\n').find((l) => /^ {2}[A-Z]/.test(l))!;
        expect(plain).toContain(after.trim());
      }
    }
  });

  it('a question that names a section keeps what the section opens with', async () => {
    const sk = await skeleton(OPTIONS, 'balanced', 'frob_target Notes');
    expect(sk.text).toContain('The frobnication never touches files outside the build tree');
    expect(sk.text).toContain('Notes\n^^^^^');
  });
});

describe('reStructuredText and manual pages', () => {
  it('detects the dialect', () => {
    expect(detectDialect(RST)).toBe('rst');
    expect(detectDialect(MAN)).toBe('man');
    expect(detectDialect(README)).toBe('markdown');
  });

  it('parses code-block directives and :: literal blocks as code, byte for byte, with no headings from # inside code', () => {
    const text = [
      'Usage',
      '=====',
      '',
      'Build it like this:',
      '',
      '.. code-block:: cmake',
      '',
      '  # Configure the project',
      '  cmake -S . -B build',
      '      # deeper comment keeps its indentation',
      '',
      'The variables set are::',
      '',
      '   # not a heading either',
      '   MY_INSTALL_OPTIONAL = TRUE',
      '',
      'Details',
      '-------',
      '',
      'After the code.',
    ].join('\n');
    const blocks = parseBlocks(text);
    const heads = blocks.filter((b) => b.kind === 'heading').map((b) => b.title);
    expect(heads).toEqual(['Usage', 'Details']);
    const code = blocks.filter((b) => b.kind === 'code').map((b) => text.slice(b.start, b.end));
    expect(code[0]).toBe('.. code-block:: cmake\n\n  # Configure the project\n  cmake -S . -B build\n      # deeper comment keeps its indentation');
    expect(code[1]).toBe('   # not a heading either\n   MY_INSTALL_OPTIONAL = TRUE');
    for (const c of chunkText(text, { minTokens: 5, maxTokens: 20, overlapTokens: 0 })) expect(c.headingPath.join(' ')).not.toMatch(/Configure|not a heading/);
    // The real page: every code block the parser finds is exactly the source lines, indentation included.
    for (const b of parseBlocks(RST).filter((x) => x.kind === 'code')) {
      const s = RST.slice(b.start, b.end);
      expect(RST.includes(s)).toBe(true);
      expect(b.start === 0 || RST[b.start - 1] === '\n').toBe(true);
    }
    expect(parseBlocks(RST).filter((b) => b.kind === 'heading').every((b) => !/^#/.test(b.title ?? ''))).toBe(true);
  });

  it('labels chunks with the full heading path of every heading they contain', () => {
    const text = 'Top\n===\n\nIntro text.\n\nFirst\n-----\n\nOne.\n\nSecond\n------\n\nTwo.\n';
    const [c] = chunkText(text);
    expect(c!.headingPath).toEqual(['Top']);
    expect(c!.label).toBe('Top; Top > First; Top > Second');
  });

  it('reads man page sections as headings and keeps kept lines with their indentation', async () => {
    const heads = parseBlocks(MAN).filter((b) => b.kind === 'heading' && b.level === 1).map((b) => b.title);
    expect(heads).toEqual(expect.arrayContaining(['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS']));
    const sk = await skeleton(MAN, 'outline');
    expect(sk.text).toContain('NAME\n       grep, egrep, fgrep, rgrep - print lines that match patterns');
  });
});
