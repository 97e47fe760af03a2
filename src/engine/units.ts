// The keep-or-drop units of a whole document, for the skeleton builder: headings, sentences, list
// items, table rows and whole code blocks, each with its full heading path, its top-level section,
// its own heading, and the unit it cannot stand without (a "Defaults to …" sentence needs the
// sentence or heading before it). Parsed once over the whole text, so a code block or directive
// body is never re-read out of context, as it would be chunk by chunk. Pure: no I/O.
import { detectDialect, parseBlocks, sentenceRanges, definitionItemRanges, type Block, type Chunk } from './chunking.js';

export type UnitKind = 'heading' | 'sentence' | 'list' | 'code' | 'table';

export interface DocUnit {
  /** Position in document order. */
  idx: number;
  kind: UnitKind;
  start: number;
  end: number;
  text: string;
  /** Estimated o200k tokens (proportional to the document's chars per token). */
  tokens: number;
  /** Section titles in effect, outermost first (a heading's own title included). */
  headingPath: string[];
  /** Index of the source block the unit belongs to. */
  block: number;
  /** Top-level section number (0 = text before the first top-level heading). */
  section: number;
  /** The unit index of this unit's own (nearest) heading, or -1. */
  heading: number;
  /** A unit this one cannot be read without (kept together or not at all), or -1. */
  dep: number;
  /**
   * The definition-list term this unit explains (rst "``NAME``" line above an indented body, a man
   * page's option line), or -1: ranked with the unit and kept with it, like a heading.
   */
  term: number;
  /** Chunk that holds the unit's start. */
  chunk: number;
  /** Whitespace-collapsed lower-case text: the same text is never kept twice. */
  norm: string;
  /** Heading title for headings. */
  title?: string;
}

export interface DocUnits {
  units: DocUnit[];
  /** Number of top-level sections (including the preamble, section 0). */
  sections: number;
  /** Title of each top-level section ('' for the preamble). */
  sectionTitles: string[];
}

// A sentence or paragraph that opens like this continues the one before it: alone it would read as
// if it belonged to whatever was kept above it.
const DEPENDENT = /^(?:\(?defaults? (?:to|is)\b|default:|this\b|these\b|those\b|that\b|it\b|its\b|they\b|such\b|otherwise\b|also\b|however\b|in (?:that|this) case\b|if so\b|if not\b|for example\b|e\.g\.|similarly\b|likewise\b|then\b|instead\b|but\b|and\b|or\b|so\b|thus\b|hence\b|therefore\b|here\b|the (?:former|latter|same)\b|alternatively\b|in addition\b|additionally\b|furthermore\b|moreover\b|as (?:a result|such|above|below)\b|see (?:above|below)\b|only\b|unless\b|except\b|note:?\s)/i;

/**
 * Whether a sentence continues the one before it (DEPENDENT's openings). Every sentence opening with
 * "This" counts, "This module parses …" too: telling the pronoun from the determiner was tried and
 * lost answers on the dev sets.
 */
export function isDependent(text: string): boolean {
  return DEPENDENT.test(text.replace(/^[\s*_>`-]+/, ''));
}

// Sphinx directives whose line is bookkeeping for the build (authors, index entries, the current
// module, test set-up, included files), never something a reader of the text is told.
const METADATA_DIRECTIVES = 'moduleauthor|sectionauthor|codeauthor|index|highlight|currentmodule|testsetup|testcleanup|include|literalinclude|tabularcolumns|toctree|contents|audit-event|default-domain|default-role';
const MARKUP_LINE = new RegExp(`^\\s*\\.\\. (?:[\\w:-]+::[^\\n]{0,40}|(?:${METADATA_DIRECTIVES})::[^\\n]*|\\|[^|\\n]+\\| [\\w:-]+::[^\\n]*|_[^\\n]*:[^\\n]*)$`);

/**
 * rst markup lines alone (".. versionadded:: 3.16", ".. note::", ".. moduleauthor:: …", a
 * substitution or a link target): markup around content, not content.
 */
export function isMarkupLine(text: string): boolean {
  return text.split('\n').every((line) => line.trim() === '' || MARKUP_LINE.test(line));
}

/** Chunk index holding offset `at` (chunks sorted by start). */
function chunkAt(chunks: Chunk[], at: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid]!.start <= at) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** The heading level that divides the document into its top-level sections. */
function topLevel(blocks: Block[]): number {
  const counts = new Map<number, number>();
  for (const b of blocks) if (b.kind === 'heading') counts.set(b.level!, (counts.get(b.level!) ?? 0) + 1);
  const levels = [...counts.keys()].sort((a, b) => a - b);
  // A single title above everything (a README's "# name") is not a section: use the level below it.
  return levels.find((l) => counts.get(l)! >= 2) ?? levels[0] ?? 1;
}

/** Table rows and long list items are split further; everything else is one unit per block. */
const LONG_ITEM_CHARS = 600;

/** A line that names something rather than says something: short, no sentence end. */
function isTermLine(line: string): boolean {
  const t = line.trim();
  return t.length > 0 && t.length <= 80 && !/[.:;,]$/.test(t) && !/^(?:[-*+•]|\d{1,9}[.)])\s/.test(t) && !t.startsWith('..');
}

export function* documentUnitsSteps(source: string, chunks: Chunk[]): Generator<void, DocUnits, void> {
  const dialect = detectDialect(source);
  const blocks = parseBlocks(source, dialect);
  const totalTokens = chunks.reduce((n, c) => n + c.tokens, 0);
  const charsPerToken = totalTokens > 0 ? Math.max(1, source.length / totalTokens) : 4;
  const level = topLevel(blocks);
  const units: DocUnit[] = [];
  const sectionTitles: string[] = [''];
  let section = 0;
  let heading = -1;
  // Open definition-list terms, innermost last: a body indented deeper than its term belongs to it.
  const terms: Array<{ indent: number; idx: number }> = [];
  const lineIndent = (at: number): number => {
    let ls = at;
    while (ls > 0 && source[ls - 1] !== '\n') ls--;
    let k = ls;
    while (source[k] === ' ' || source[k] === '\t') k++;
    return k - ls;
  };
  const push = (b: Block, bi: number, kind: UnitKind, s: number, e: number, dep: number): DocUnit => {
    // A unit that opens its line keeps the line's indentation (man pages, nested lists, rst bodies).
    let ls = s;
    while (ls > 0 && (source[ls - 1] === ' ' || source[ls - 1] === '\t')) ls--;
    if (ls === 0 || source[ls - 1] === '\n') s = ls;
    const text = source.slice(s, e);
    const u: DocUnit = {
      idx: units.length,
      kind,
      start: s,
      end: e,
      text,
      tokens: Math.max(1, Math.round(text.length / charsPerToken)),
      headingPath: b.headingPath,
      block: bi,
      section,
      heading: kind === 'heading' ? -1 : heading,
      dep,
      term: kind === 'heading' ? -1 : (terms[terms.length - 1]?.idx ?? -1),
      chunk: chunks.length ? chunkAt(chunks, s) : 0,
      norm: text.replace(/\s+/g, ' ').trim().toLowerCase(),
      title: kind === 'heading' ? b.title : undefined,
    };
    units.push(u);
    return u;
  };
  for (let bi = 0; bi < blocks.length; bi++) {
    if ((bi & 127) === 127) yield;
    const b = blocks[bi]!;
    const indent = b.kind === 'heading' ? -1 : lineIndent(b.start);
    while (terms.length && terms[terms.length - 1]!.indent >= indent) terms.pop();
    if (b.kind === 'heading') {
      if (b.level! <= level) {
        section++;
        sectionTitles.push(b.title ?? '');
      }
      heading = push(b, bi, 'heading', b.start, b.end, -1).idx;
      continue;
    }
    // A dependent opening hangs on the unit before it in the same section (or on its heading).
    // (Directive lines alone, ".. note::", are markup, not what a sentence goes on from.)
    const prevInSection = (): number => {
      for (let k = units.length - 1; k >= 0 && units[k]!.section === section; k--) if (units[k]!.kind === 'heading' || !isMarkupLine(units[k]!.text)) return k;
      return -1;
    };
    if (b.kind === 'code') {
      push(b, bi, 'code', b.start, b.end, -1);
      continue;
    }
    if (b.kind === 'table') {
      // Rows, each hanging on the header row so a kept row still says what its columns are.
      let first = -1;
      let pos = b.start;
      while (pos < b.end) {
        let nl = source.indexOf('\n', pos);
        if (nl === -1 || nl > b.end) nl = b.end;
        const row = source.slice(pos, nl);
        if (row.trim() !== '' && !/^\s*[|+]?[\s:=|+-]+$/.test(row)) {
          const u = push(b, bi, 'table', pos, nl, first);
          if (first < 0) first = u.idx;
        }
        pos = nl + 1;
      }
      continue;
    }
    if (b.kind === 'list' && b.end - b.start <= LONG_ITEM_CHARS) {
      const text = source.slice(b.start, b.end);
      push(b, bi, 'list', b.start, b.end, isDependent(text.replace(/^\s*(?:[-*+•]|\d{1,9}[.)])\s+/, '')) ? prevInSection() : -1);
      continue;
    }
    // Paragraphs (and long list items): definition items, then sentences. A sentence that depends on
    // the one before hangs on it; the first sentence of an item may hang on the previous unit.
    const next = blocks[bi + 1];
    for (const [ds, de] of definitionItemRanges(source, b.start, b.end)) {
      let prev = -1;
      // A term line with its definition indented right below it (one block): the term opens the item.
      const nl = source.indexOf('\n', ds);
      const termLine = nl > 0 && nl < de && isTermLine(source.slice(ds, nl)) && lineIndent(nl + 1) > lineIndent(ds);
      let itemTerm = false;
      for (const [s, e] of sentenceRanges(source, ds, de)) {
        const text = source.slice(s, e);
        const dep = isDependent(text) ? (prev >= 0 ? prev : prevInSection() >= 0 ? prevInSection() : heading) : -1;
        prev = push(b, bi, 'sentence', s, e, dep).idx;
        if (termLine && !itemTerm) {
          terms.push({ indent: lineIndent(ds), idx: prev });
          itemTerm = true;
        }
      }
      if (itemTerm) terms.pop();
    }
    // A one-line paragraph followed by a more indented block (rst "``NAME``" then its body): a term.
    if (dialect !== 'markdown' && b.kind === 'paragraph' && next && next.kind !== 'heading' && !source.slice(b.start, b.end).includes('\n') && isTermLine(source.slice(b.start, b.end)) && lineIndent(next.start) > indent) {
      terms.push({ indent, idx: units.length - 1 });
    }
  }
  return { units, sections: section + 1, sectionTitles };
}

// Signs of information: code identifiers, options, numbers, paths, quoted names, definitions.
const INFO_RE = /`[^`\n]+`|\b[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+\b|\b[a-z]+[A-Z]\w*\b|\b\w+_\w+\b|(?<![\w-])--?[A-Za-z][\w-]+|\b\d+(?:\.\d+)*\b|\b\w+\(\)|"[^"\n]{2,40}"|\b[A-Z]{2,}\b/g;
const DEFINITION_RE = /\b(?:is|are) (?:a|an|the|used|required|optional)\b|\bmeans?\b|\brefers? to\b|\bdefaults? to\b|\bspecif(?:y|ies)\b|\breturns?\b|\bmust\b|\bcontrols?\b|\benables?\b|^[^\s:]{1,40}:\s/i;

const LINK_RE = /!?\[([^\]]*)\]\([^)]*\)|!?\[([^\]]*)\]\[[^\]]*\]|^\s*\[[^\]]+\]:\s*\S+.*$|<https?:[^>]+>|https?:\/\/\S+/gm;

/** Mostly link syntax and addresses (a row of badges, link reference definitions): where to read, not what. */
export function isLinkOnly(text: string, bare = text.replace(LINK_RE, '$1')): boolean {
  return bare.replace(/[\s\[\]!()|]/g, '').length < 0.3 * text.replace(/\s/g, '').length;
}

export function infoFrequencies(units: Array<Pick<DocUnit, 'text'>>): Map<string, number> {
  const freq = new Map<string, number>();
  for (const u of units) for (const m of u.text.match(INFO_RE) ?? []) freq.set(m, (freq.get(m) ?? 0) + 1);
  return freq;
}

/**
 * How much a unit says per token: names, numbers, identifiers and definitions, not filler. With the
 * document's frequencies, a name said once in the whole document counts fully and a name repeated
 * everywhere counts little (it tells units apart poorly, and the reader meets it anyway).
 * `base` is what a unit with none of these is worth: 1 ranks short filler above long filler; the
 * outline passes 0, so a sentence that names nothing and defines nothing carries no information and
 * is kept only for its position or centrality.
 */
export function density(u: Pick<DocUnit, 'text' | 'tokens' | 'kind'>, freq?: Map<string, number>, base = 1): number {
  if (u.kind === 'heading') return 0;
  // Links say where to read more, not what is there: badges and reference lists count for little.
  const bare = u.text.replace(LINK_RE, '$1');
  const linkOnly = isLinkOnly(u.text, bare);
  const found = bare.match(INFO_RE) ?? [];
  let info = 0;
  // A name counts once per unit: saying it three times tells the reader one thing.
  for (const m of new Set(found)) info += freq ? 1 / (freq.get(m) ?? 1) : 1;
  const def = DEFINITION_RE.test(bare) ? 1.5 : 0;
  if (linkOnly) return (0.2 * (info + 1)) / Math.sqrt(u.tokens + 4);
  // Fragments ("See below.") say little however dense; very long units cost more than they give.
  const size = u.tokens < 6 ? 0.3 : u.tokens > 120 ? 120 / u.tokens : 1;
  return ((info + def + base) / Math.sqrt(u.tokens + 4)) * size;
}
