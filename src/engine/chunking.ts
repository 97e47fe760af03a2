// Structure-aware chunking. Pure: no I/O.
//
// CONTRACT (consumed by the documents toolset and the compressor):
//   chunkText(text, { minTokens = 200, maxTokens = 400, overlapTokens = 40 }?) → Chunk[]
//   Chunk = { index, text, tokens, kind, headingPath, start, end }
//     - text === input.slice(start, end): start/end are UTF-16 char offsets into the input.
//     - tokens: o200k_base count of `text` as the sum of its blocks' exact counts (within a few percent
//       of countTokens(text); exact stats are counted on whole texts by the callers).
//     - kind: 'heading' | 'paragraph' | 'list' | 'code' | 'table' | 'mixed' (the non-heading blocks'
//       kind when they all agree; 'heading' when the chunk is only headings).
//     - headingPath: the section titles in effect at the chunk's first block, outermost first.
//   Blocks are Markdown/reStructuredText aware: ATX and underlined (setext / rst) headings, fenced code
//   (``` / ~~~, never split, even when larger than maxTokens), indented code, list items, tables,
//   paragraphs. A chunk closes at a heading once it holds ≥ minTokens, and before it would pass
//   maxTokens; an oversized paragraph / list / table is split at sentence / item / row boundaries.
//   Overlap repeats whole trailing sentences of the previous chunk (≤ overlapTokens) when a section is
//   split by size; never across a heading, never inside code.
//   splitUnits(chunk) → Unit[]: the pieces the compressor keeps or drops (headings, sentences, list
//   items, table rows, whole code blocks), with offsets into the original input. URLs contain no
//   whitespace, so no split ever falls inside one.
import { countTokens } from './tokens.js';

export type BlockKind = 'heading' | 'paragraph' | 'list' | 'code' | 'table';
export type ChunkKind = BlockKind | 'mixed';

export interface Chunk {
  index: number;
  text: string;
  tokens: number;
  kind: ChunkKind;
  headingPath: string[];
  start: number;
  end: number;
  /**
   * The full heading path at the chunk's start and of every heading inside it ("A > B; A > C"), so a
   * chunk that spans sections is labelled with all of them. Absent on chunks stored before it existed.
   */
  label?: string;
}

export interface ChunkOptions {
  minTokens?: number;
  maxTokens?: number;
  overlapTokens?: number;
}

export interface Block {
  kind: BlockKind;
  start: number;
  end: number;
  /** Heading level (1 = outermost) for headings. */
  level?: number;
  /** Heading title for headings. */
  title?: string;
  headingPath: string[];
}

export interface Unit {
  kind: BlockKind | 'sentence';
  start: number;
  end: number;
  text: string;
  /** For headings: level and title as parsed within the chunk. */
  level?: number;
  title?: string;
}

export const DEFAULT_CHUNK: Required<ChunkOptions> = { minTokens: 200, maxTokens: 400, overlapTokens: 40 };

interface Line {
  text: string;
  start: number;
  /** Offset just past the line's last character (excluding the newline). */
  end: number;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--; // CRLF
    lines.push({ text: text.slice(pos, end), start: pos, end });
    pos = nl + 1;
  }
  return lines;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$/;
const LIST_ITEM = /^\s{0,3}(?:[-*+•]|\d{1,9}[.)])\s+\S/;
const TABLE_ROW = /^\s*(?:\|.*|\+[-=+]{3,}.*)$/;
// A line made of one repeated punctuation character: an rst/setext underline (or a rule).
const UNDERLINE = /^([=\-`:'"~^_*+#<>])\1{2,}\s*$/;
const INDENTED = /^(?: {4}|\t)/;

function isBlank(s: string): boolean {
  return s.trim().length === 0;
}

export type Dialect = 'markdown' | 'rst' | 'man';

/** reStructuredText directives whose body is code (kept byte-for-byte, never parsed for headings). */
const RST_CODE_DIRECTIVE = /^(\s*)\.\. (?:code-block|code|sourcecode|highlight|literalinclude|parsed-literal|doctest|testcode|testoutput|productionlist|prompt|math)::/;
/** Directives that document one API object: their argument joins the heading path of their body. */
const RST_API_DIRECTIVE = /^(\s*)\.\. (?:[a-z]+:)?(?:function|method|class|attribute|data|exception|decorator|decoratormethod|classmethod|staticmethod|module|command|envvar|variable|option|describe|object|type|member|macro|property|coroutinefunction|coroutinemethod|abstractmethod|opcode|cmdoption|genex|prop_\w+)::[ \t]*(\S.*)?$/;
const RST_DIRECTIVE = /^(\s*)\.\.[ \t]+\S.*$/;
/** Directives whose body the built page never shows (doctest set-up and clean-up code). */
const RST_HIDDEN_DIRECTIVE = /^\s*\.\. (?:testsetup|testcleanup)::/;
/** Heading levels of API directives sit below every section level (10 + indentation). */
const DIRECTIVE_LEVEL = 10;

/**
 * Which markup the text is written in: reStructuredText (directives, literal blocks), a manual page as
 * man(1) renders it (section titles at column 0, everything else indented), or Markdown (the default,
 * which also covers plain text). Decided on the first 64 KB.
 */
export function detectDialect(text: string): Dialect {
  const head = text.length > 65_536 ? text.slice(0, 65_536) : text;
  const firstLine = /^\s*(\S.*)$/m.exec(head)?.[1] ?? '';
  if (/^\S+\(\w+\)\s.*\S+\(\w+\)\s*$/.test(firstLine)) return 'man';
  const atx = head.match(/^ {0,3}#{1,6}\s+\S/gm)?.length ?? 0;
  const fences = head.match(/^ {0,3}(```|~~~)/gm)?.length ?? 0;
  const manTitles = head.match(/^[A-Z][A-Z0-9 ,/&-]{1,40}\n {3,8}\S/gm)?.length ?? 0;
  if (manTitles >= 3 && atx === 0 && fences === 0) return 'man';
  const directives = head.match(/^\s*\.\. [\w:-]+::/gm)?.length ?? 0;
  const literals = head.match(/::[ \t]*\n[ \t]*\n[ \t]+\S/g)?.length ?? 0;
  const roles = head.match(/:\w+:`[^`]+`|``[^`\n]+``/g)?.length ?? 0;
  if (directives + literals >= 2 && atx <= directives + literals) return 'rst';
  if (directives + literals >= 1 && roles >= 3 && fences === 0) return 'rst';
  return 'markdown';
}

function indentOf(s: string): number {
  let i = 0;
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

/** Parse text into structural blocks with heading paths (dialect: detected unless given). */
export function parseBlocks(text: string, dialect: Dialect = detectDialect(text)): Block[] {
  const lines = splitLines(text);
  const blocks: Block[] = [];
  const stack: Array<{ level: number; title: string; indent: number }> = [];
  // rst assigns heading levels by the order underline characters first appear.
  const underlineLevels: string[] = [];
  const path = () => stack.map((s) => s.title);
  const pushHeading = (level: number, title: string, start: number, end: number, indent = -1) => {
    while (stack.length && stack[stack.length - 1]!.level >= level) stack.pop();
    stack.push({ level, title, indent });
    blocks.push({ kind: 'heading', start, end, level, title, headingPath: path() });
  };
  const rst = dialect === 'rst';
  const man = dialect === 'man';
  /** The end (line index, inclusive) of an indented body that follows line i: deeper lines and blanks. */
  const bodyEnd = (i: number, indent: number): number => {
    let j = i;
    let last = i;
    while (j + 1 < lines.length) {
      const nx = lines[j + 1]!;
      if (isBlank(nx.text)) {
        j++;
        continue;
      }
      if (indentOf(nx.text) <= indent) break;
      j++;
      last = j;
    }
    return last;
  };

  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line.text)) {
      i++;
      continue;
    }
    const indent = indentOf(line.text);
    if (rst && /^\s*\.\.\s*$/.test(line.text)) {
      // ".." alone: a comment whose body is the indented lines right below it, or (followed by a
      // blank line) an empty comment that only ends the construct before it. Never content.
      const nx = lines[i + 1];
      i = nx && !isBlank(nx.text) && indentOf(nx.text) > indent ? bodyEnd(i, indent) + 1 : i + 1;
      continue;
    }
    if (rst) {
      // A block less indented than an API directive ends that directive's body.
      while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    }
    const fence = FENCE.exec(line.text);
    if (fence && !man) {
      const marker = fence[1]!;
      let j = i + 1;
      while (j < lines.length) {
        const close = lines[j]!.text.trim();
        if (close.startsWith(marker[0]!.repeat(marker.length)) && /^(`+|~+)$/.test(close)) break;
        j++;
      }
      const last = lines[Math.min(j, lines.length - 1)]!;
      blocks.push({ kind: 'code', start: line.start, end: last.end, headingPath: path() });
      i = j + 1;
      continue;
    }
    if (rst && RST_DIRECTIVE.test(line.text)) {
      if (RST_CODE_DIRECTIVE.test(line.text)) {
        // The directive, its options and its body: one code block, indentation untouched.
        const j = bodyEnd(i, indent);
        blocks.push({ kind: 'code', start: line.start, end: lines[j]!.end, headingPath: path() });
        i = j + 1;
        continue;
      }
      const api = RST_API_DIRECTIVE.exec(line.text);
      if (api) {
        // Signature continuation lines and :options: belong to the heading.
        let j = i;
        while (j + 1 < lines.length && !isBlank(lines[j + 1]!.text) && (/^\s+:[\w-]+:/.test(lines[j + 1]!.text) || indentOf(lines[j + 1]!.text) > indent + 3)) j++;
        const title = (api[2] ?? '').trim() || line.text.trim();
        pushHeading(DIRECTIVE_LEVEL + indent, title, line.start, lines[j]!.end, indent);
        i = j + 1;
        continue;
      }
      if (/^\s*\.\. (?:_[^:]*:|\|[^|]+\||\[[^\]]+\])/.test(line.text) || !/::/.test(line.text) || RST_HIDDEN_DIRECTIVE.test(line.text)) {
        // Link targets, substitutions, footnotes, comments and doctest set-up: markup, not content.
        i = bodyEnd(i, indent) + 1;
        continue;
      }
      // Other directives (note, versionadded, toctree ...): the line is a short paragraph of its own;
      // the body is parsed as ordinary content.
      let j = i;
      while (j + 1 < lines.length && /^\s+:[\w-]+:/.test(lines[j + 1]!.text)) j++;
      blocks.push({ kind: 'paragraph', start: line.start, end: lines[j]!.end, headingPath: path() });
      i = j + 1;
      continue;
    }
    const atx = rst || man ? null : ATX.exec(line.text);
    if (atx) {
      pushHeading(atx[1]!.length, (atx[2] ?? '').trim(), line.start, line.end);
      i++;
      continue;
    }
    const next = lines[i + 1];
    if (man) {
      // Section titles at column 0, subsection titles indented less than the prose (3 columns).
      const title = line.text.trim();
      if (indent < 5 && title.length <= 60 && !/[.:;,]$/.test(title) && next && !isBlank(next.text) && indentOf(next.text) > indent) {
        pushHeading(indent === 0 ? 1 : 2, title, line.start, line.end);
        i++;
        continue;
      }
    }
    // Overlined rst title: rule, title, rule.
    const after = lines[i + 2];
    if (!man && UNDERLINE.test(line.text) && next && !isBlank(next.text) && after && UNDERLINE.test(after.text) && after.text.trim()[0] === line.text.trim()[0]) {
      const ch = 'o' + line.text.trim()[0]!;
      if (!underlineLevels.includes(ch)) underlineLevels.push(ch);
      pushHeading(underlineLevels.indexOf(ch) + 1, next.text.trim(), line.start, after.end);
      i += 3;
      continue;
    }
    // Underlined title: one text line followed by a rule at least 3 long.
    if (!man && next && UNDERLINE.test(next.text) && !LIST_ITEM.test(line.text) && !TABLE_ROW.test(line.text) && line.text.trim().length <= 120 &&
      next.text.trim().length >= Math.min(3, line.text.trim().length) && indentOf(next.text) === indent) {
      const ch = next.text.trim()[0]!;
      if (!underlineLevels.includes(ch)) underlineLevels.push(ch);
      pushHeading(underlineLevels.indexOf(ch) + 1, line.text.trim(), line.start, next.end);
      i += 2;
      continue;
    }
    if (UNDERLINE.test(line.text)) {
      // A lone rule: a separator, not content.
      i++;
      continue;
    }
    if (TABLE_ROW.test(line.text)) {
      let j = i;
      while (j + 1 < lines.length && TABLE_ROW.test(lines[j + 1]!.text)) j++;
      blocks.push({ kind: 'table', start: line.start, end: lines[j]!.end, headingPath: path() });
      i = j + 1;
      continue;
    }
    if (!man && LIST_ITEM.test(line.text)) {
      // One block per item: continuation lines are indented or follow without a blank line.
      let j = i;
      while (j + 1 < lines.length) {
        const nx = lines[j + 1]!;
        if (isBlank(nx.text)) {
          const nn = lines[j + 2];
          if (nn && !isBlank(nn.text) && !LIST_ITEM.test(nn.text) && indentOf(nn.text) > indent) {
            j += 2;
            continue;
          }
          break;
        }
        if (LIST_ITEM.test(nx.text) && indentOf(nx.text) <= indent) break;
        if (FENCE.test(nx.text) || (!rst && ATX.test(nx.text))) break;
        j++;
      }
      blocks.push({ kind: 'list', start: line.start, end: lines[j]!.end, headingPath: path() });
      i = j + 1;
      continue;
    }
    // Indented code: Markdown only (rst marks literal blocks with "::"; man pages indent all prose).
    if (dialect === 'markdown' && INDENTED.test(line.text)) {
      let j = i;
      while (j + 1 < lines.length && (INDENTED.test(lines[j + 1]!.text) || (isBlank(lines[j + 1]!.text) && lines[j + 2] && INDENTED.test(lines[j + 2]!.text)))) j++;
      blocks.push({ kind: 'code', start: line.start, end: lines[j]!.end, headingPath: path() });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j + 1 < lines.length) {
      const nx = lines[j + 1]!;
      if (isBlank(nx.text) || (!man && (FENCE.test(nx.text) || LIST_ITEM.test(nx.text))) || TABLE_ROW.test(nx.text) || (!rst && !man && ATX.test(nx.text))) break;
      if (rst && RST_DIRECTIVE.test(nx.text)) break;
      // The next line may be an underlined title.
      const nn = lines[j + 2];
      if (!man && nn && UNDERLINE.test(nn.text) && !UNDERLINE.test(nx.text)) break;
      if (UNDERLINE.test(nx.text)) break;
      j++;
    }
    // A paragraph that is only "::" introduces the literal block below and is not shown itself.
    if (!(rst && i === j && line.text.trim() === '::')) blocks.push({ kind: 'paragraph', start: line.start, end: lines[j]!.end, headingPath: path() });
    i = j + 1;
    if (rst && /::[ \t]*$/.test(lines[j]!.text)) {
      // A literal block follows "::": every more-indented line (and the blanks between) is code.
      const k = bodyEnd(j, indentOf(line.text));
      if (k > j) {
        let s = j + 1;
        while (s <= k && isBlank(lines[s]!.text)) s++;
        blocks.push({ kind: 'code', start: lines[s]!.start, end: lines[k]!.end, headingPath: path() });
        i = k + 1;
      }
    }
  }
  return blocks;
}

const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'vs', 'mr', 'mrs', 'ms', 'dr', 'prof', 'fig', 'no', 'cf', 'al', 'approx', 'inc', 'ltd', 'st']);

/** Sentence ranges [start, end) within text[from, to); whitespace between sentences is excluded. */
export function sentenceRanges(text: string, from = 0, to = text.length): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /[.!?。]+["'’”)\]]*\s+/g;
  re.lastIndex = from;
  let start = from;
  while (start < to && /\s/.test(text[start]!)) start++;
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    const boundary = m.index + m[0].length;
    if (boundary >= to) break;
    const nextCh = text[boundary]!;
    if (!/[\p{Lu}\p{N}"'“(\[`*_]/u.test(nextCh)) continue;
    const word = /([\p{L}.]+)$/u.exec(text.slice(Math.max(start, m.index - 12), m.index));
    if (word && ABBREVIATIONS.has(word[1]!.toLowerCase())) continue;
    if (word && /^\p{Lu}$/u.test(word[1]!)) continue; // an initial: "J. Smith"
    let end = boundary;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end > start) out.push([start, end]);
    start = boundary;
  }
  let end = to;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  if (end > start) out.push([start, end]);
  return out;
}

/** Lines of text[from, to) as ranges (for list and table splits). */
function lineRanges(text: string, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let s = from;
  while (s < to) {
    let e = text.indexOf('\n', s);
    if (e === -1 || e > to) e = to;
    if (!isBlank(text.slice(s, e))) out.push([s, e]);
    s = e + 1;
  }
  return out;
}

interface Piece {
  kind: BlockKind;
  start: number;
  end: number;
  tokens: number;
  headingPath: string[];
  /** Sentence ranges, kept for overlap (paragraph pieces only). */
  sentences?: Array<[number, number]>;
}

/** Hard split for a single sentence longer than the window (no boundary to respect). */
function hardSplit(text: string, start: number, end: number, maxTokens: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  // Split on whitespace so no word (or URL) is cut; size by a char estimate, then verify.
  let s = start;
  while (s < end) {
    let e = Math.min(end, s + maxTokens * 3);
    if (e < end) {
      // Back to the last space inside this window only: lastIndexOf would scan to the start of a
      // text without spaces on every window (quadratic on one long run).
      let ws = e;
      while (ws > s && text.charCodeAt(ws) !== 32) ws--;
      if (ws > s) e = ws;
    }
    out.push([s, e]);
    s = e;
    while (s < end && /\s/.test(text[s]!)) s++;
  }
  return out;
}

/** Cut one oversized block into pieces of at most maxTokens at natural boundaries. */
function splitBlock(text: string, b: Block, maxTokens: number): Piece[] {
  let ranges: Array<[number, number]>;
  if (b.kind === 'paragraph') ranges = sentenceRanges(text, b.start, b.end);
  else ranges = lineRanges(text, b.start, b.end);
  const pieces: Piece[] = [];
  let cur: Piece | null = null;
  for (const [s0, e0] of ranges) {
    let sub: Array<[number, number]> = [[s0, e0]];
    let t = countTokens(text.slice(s0, e0));
    if (t > maxTokens) sub = hardSplit(text, s0, e0, maxTokens);
    for (const [s, e] of sub) {
      if (sub.length > 1) t = countTokens(text.slice(s, e));
      if (cur && cur.tokens + t > maxTokens) {
        pieces.push(cur);
        cur = null;
      }
      if (!cur) cur = { kind: b.kind, start: s, end: e, tokens: t, headingPath: b.headingPath, sentences: b.kind === 'paragraph' ? [] : undefined };
      else {
        cur.end = e;
        cur.tokens += t + 1;
      }
      cur.sentences?.push([s, e]);
    }
  }
  if (cur) pieces.push(cur);
  return pieces;
}

/** Split text into structure-respecting chunks (see the contract at the top of this file). */
export function chunkText(text: string, opts: ChunkOptions = {}): Chunk[] {
  return runSync(chunkSteps(text, opts)).chunks;
}

/** chunkText that yields to the event loop every few milliseconds (large inputs on a shared server). */
export async function chunkTextAsync(text: string, opts: ChunkOptions = {}): Promise<Chunk[]> {
  return (await runCooperative(chunkSteps(text, opts))).chunks;
}

/** Chunks plus the exact token count of the whole text, from one tokenisation pass, cooperatively. */
export function chunkTextCounted(text: string, opts: ChunkOptions = {}): Promise<{ chunks: Chunk[]; totalTokens: number }> {
  return runCooperative(chunkSteps(text, opts));
}

/** Text from `start` to the next block start at which pre-tokenisation must split (see countTokensSteps). */
function isCountBoundary(text: string, at: number): boolean {
  return at === 0 || (text.charCodeAt(at - 1) === 10 && !/\s/.test(text[at]!));
}

/**
 * Token counts per block from one pass over the text: segments start at block starts where the
 * tokenizer always splits, so their counts sum exactly to the whole text's; a segment's count (its
 * trailing blank lines included) is shared among its blocks by length.
 */
function* blockTokenCounts(text: string, blocks: Block[]): Generator<void, { perBlock: Float64Array; total: number }, void> {
  const perBlock = new Float64Array(blocks.length);
  let total = 0;
  let segStart = 0;
  let first = 0;
  for (let k = 1; k <= blocks.length; k++) {
    if (k < blocks.length && !isCountBoundary(text, blocks[k]!.start)) continue;
    const end = k < blocks.length ? blocks[k]!.start : text.length;
    const t = countTokens(text.slice(segStart, end));
    total += t;
    let chars = 0;
    for (let i = first; i < k; i++) chars += blocks[i]!.end - blocks[i]!.start;
    for (let i = first; i < k; i++) perBlock[i] = chars > 0 ? (t * (blocks[i]!.end - blocks[i]!.start)) / chars : t / (k - first);
    segStart = end;
    first = k;
    yield;
  }
  if (blocks.length === 0) total = countTokens(text);
  return { perBlock, total };
}

function* chunkSteps(text: string, opts: ChunkOptions): Generator<void, { chunks: Chunk[]; totalTokens: number }, void> {
  const minTokens = Math.max(1, opts.minTokens ?? DEFAULT_CHUNK.minTokens);
  const maxTokens = Math.max(minTokens, opts.maxTokens ?? DEFAULT_CHUNK.maxTokens);
  const overlapTokens = Math.max(0, Math.min(opts.overlapTokens ?? DEFAULT_CHUNK.overlapTokens, Math.floor(maxTokens / 2)));
  const blocks = parseBlocks(text);
  const counted = yield* blockTokenCounts(text, blocks);

  const groups: Array<{ pieces: Piece[]; overlapStart?: number; overlapTokens: number }> = [];
  let cur: Piece[] = [];
  let curTokens = 0;
  let curOverlap: { start: number; tokens: number } | null = null;

  const flush = (bySize: boolean) => {
    if (!cur.length) {
      // Only a pending overlap and the next piece does not fit beside it: drop the overlap.
      if (bySize) {
        curOverlap = null;
        curTokens = 0;
      }
      return;
    }
    // A heading at the end of a size-closed chunk belongs with the content that follows it.
    const carry: Piece[] = [];
    if (bySize) while (cur.length > 1 && cur[cur.length - 1]!.kind === 'heading') carry.unshift(cur.pop()!);
    groups.push({ pieces: cur, overlapStart: curOverlap?.start, overlapTokens: curOverlap?.tokens ?? 0 });
    const last = cur[cur.length - 1]!;
    cur = carry;
    curTokens = carry.reduce((n, p) => n + p.tokens, 0);
    curOverlap = null;
    // Repeat the tail sentences of a split section in the next chunk.
    if (bySize && !carry.length && overlapTokens > 0 && last.kind === 'paragraph') {
      const sents = last.sentences ?? sentenceRanges(text, last.start, last.end);
      let tokens = 0;
      let start = -1;
      for (let k = sents.length - 1; k >= 1; k--) {
        const t = countTokens(text.slice(sents[k]![0], sents[k]![1]));
        if (tokens + t > overlapTokens) break;
        tokens += t;
        start = sents[k]![0];
      }
      if (start >= 0) {
        curOverlap = { start, tokens };
        curTokens = tokens;
      }
    }
  };

  for (let bi = 0; bi < blocks.length; bi++) {
    yield;
    const b = blocks[bi]!;
    const tokens = Math.max(1, Math.round(counted.perBlock[bi]!));
    if (b.kind === 'heading' && curTokens >= minTokens) flush(false);
    if (b.kind === 'heading' && curOverlap && !cur.length) {
      // No overlap across a section boundary.
      curOverlap = null;
      curTokens = 0;
    }
    const piece: Piece = { kind: b.kind, start: b.start, end: b.end, tokens, headingPath: b.headingPath };
    if (curTokens + tokens <= maxTokens) {
      cur.push(piece);
      curTokens += tokens;
      continue;
    }
    if (b.kind === 'code' || b.kind === 'heading' || tokens <= maxTokens) {
      // Headings waiting for content stay with it (an unsplittable code block may then pass maxTokens).
      if (b.kind === 'heading' || !cur.length || !cur.every((x) => x.kind === 'heading')) flush(true);
      cur.push(piece);
      curTokens += tokens;
      continue;
    }
    // Oversized splittable block: fill the open chunk, then emit full pieces.
    const pieces = splitBlock(text, b, maxTokens);
    for (const p of pieces) {
      // A section heading stays with the first piece of its oversized block, never alone.
      if (curTokens + p.tokens > maxTokens && !cur.every((x) => x.kind === 'heading')) flush(true);
      cur.push(p);
      curTokens += p.tokens;
    }
  }
  flush(false);

  const chunks = groups.map((g, index) => {
    const first = g.pieces[0]!;
    const start = g.overlapStart ?? first.start;
    const end = g.pieces[g.pieces.length - 1]!.end;
    const chunkText = text.slice(start, end);
    const kinds = new Set(g.pieces.filter((p) => p.kind !== 'heading').map((p) => p.kind));
    const kind: ChunkKind = kinds.size === 0 ? 'heading' : kinds.size === 1 ? [...kinds][0]! : 'mixed';
    // Sum of the pieces' counts (each with its trailing separator): within a few percent of counting
    // the chunk alone, without tokenising the document a second time. (+1: the separator after the
    // repeated overlap sentences.)
    let tokens = g.overlapStart !== undefined ? g.overlapTokens + 1 : 0;
    for (const p of g.pieces) tokens += p.tokens;
    const paths: string[] = [];
    for (const p of g.pieces) {
      if (p !== first && p.kind !== 'heading') continue;
      const label = p.headingPath.join(' > ');
      if (label && !paths.includes(label)) paths.push(label);
    }
    return { index, text: chunkText, tokens, kind, headingPath: first.headingPath, start, end, label: paths.join('; ') };
  });
  return { chunks, totalTokens: counted.total };
}

/**
 * A definition list written as one paragraph (term line, indented definition, next term ...) split
 * into its items, so each term + definition is a unit of its own; other paragraphs come back whole.
 */
export function definitionItemRanges(text: string, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let itemStart = from;
  let itemIndent = -1;
  let deeper = false;
  let pos = from;
  while (pos < to) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1 || nl > to) nl = to;
    const line = text.slice(pos, nl);
    if (line.trim() !== '') {
      const ind = indentOf(line);
      if (itemIndent < 0) itemIndent = ind;
      else if (ind > itemIndent) deeper = true;
      else if (deeper && ind <= itemIndent) {
        // A term line back at the item's indentation after an indented definition: a new item.
        out.push([itemStart, pos]);
        itemStart = pos;
        itemIndent = ind;
        deeper = false;
      }
    }
    pos = nl + 1;
  }
  out.push([itemStart, to]);
  return out;
}

/**
 * The keep-or-drop units of a chunk, with offsets into the original input (chunk.start-based):
 * headings, code blocks and table rows whole, list items whole, paragraphs by sentence.
 */
export function splitUnits(chunk: Pick<Chunk, 'text' | 'start'>): Unit[] {
  const units: Unit[] = [];
  const t = chunk.text;
  for (const b of parseBlocks(t)) {
    if (b.kind === 'paragraph') {
      for (const [ds, de] of definitionItemRanges(t, b.start, b.end)) {
        for (const [s, e] of sentenceRanges(t, ds, de)) units.push({ kind: 'sentence', start: chunk.start + s, end: chunk.start + e, text: t.slice(s, e) });
      }
    } else {
      units.push({ kind: b.kind, start: chunk.start + b.start, end: chunk.start + b.end, text: t.slice(b.start, b.end), level: b.level, title: b.title });
    }
  }
  return units;
}

// Cooperative execution. CPU-heavy steps are written as generators that `yield` between small units
// of work; runSync drains them at once, runCooperative gives the event loop a turn whenever a slice
// of work has run for `sliceMs`, so one large compression does not stall other clients.

export function runSync<T>(gen: Generator<void, T, void>): T {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

export async function runCooperative<T>(gen: Generator<void, T, void>, sliceMs = 8): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/**
 * Exact token count in segments, yielding between them. Segments end right after a run of newlines
 * that is followed by a non-space character: o200k/cl100k pre-tokenisation always separates there,
 * so the sum over segments equals the count of the whole text.
 */
export function* countTokensSteps(text: string, segmentChars = 8192): Generator<void, number, void> {
  let total = 0;
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + segmentChars);
    if (end < text.length) {
      const re = /\n+(?=[^\s])/g;
      re.lastIndex = end;
      const m = re.exec(text);
      end = m ? m.index + m[0].length : text.length;
    }
    total += countTokens(text.slice(start, end));
    start = end;
    yield;
  }
  return total;
}

export function countTokensAsync(text: string): Promise<number> {
  return runCooperative(countTokensSteps(text));
}

/** Each text's tokens, counted cooperatively one after another (a list of large texts must not stall other clients). */
export async function countTokensEachAsync(texts: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const t of texts) out.push(await countTokensAsync(t));
  return out;
}
