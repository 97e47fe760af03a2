// The harder question set: questions that name WHERE the answer is (a section's heading path, an API
// object, an option, a definition-list term) and expect the value said there — not questions built
// from the answer's own sentence. Same corpora, same documents and the same tuning / held-back halves
// as the first set (bench/corpus/corpora.ts), so a document tuned on there is tuned on here too and the
// held-back documents stay held back. Mechanical: the questions are the documents' own titles and
// names, the answers exact spans of the documents; nothing here reads the compressor's output, and the
// parser below is its own (it shares no code with the engine's block parser).
//
// Method, per document:
//  1. Entries: every section (Markdown ATX / rst underlined or overlined titles / man(1) section and
//     subsection titles), every rst API directive (`.. function:: os.chmod(...)`, `.. command::`,
//     `.. variable::` ...), every definition-list item (rst "term\n   definition", man tagged
//     paragraphs such as option lists, Markdown list items that open with `code` or **bold**).
//  2. The answer: the first sentence (6+ words) of the entry's own first prose paragraph; in it an
//     inline literal (``x``, :role:`x`, `x`; for man pages an option, path or identifier) that occurs
//     once in the whole document and is not the entry's name; failing that the sentence's first six
//     words, if they occur once in the document.
//  3. The question: the cleaned titles of the entry's last two heading-path levels (for an API object,
//     option or term: its enclosing section's title and its name; a signature loses its arguments).
//  4. Not lifted: a candidate is dropped when every content word of its question occurs in the
//     answer's sentence, or when it has fewer than two content words (one identifier will do).
//  5. `distractors`: how many other paragraphs of the document hold at least half of the question's
//     content words (high = the question's words are all over the document). Reported, not filtered.
//  6. Up to HARD_PER_DOC questions per document, spread over the candidates in document order, one per
//     answer.
import fs from 'node:fs';
import { type CorpusName, type Question, fnv1a, questionsFile, readDoc, SEED } from './corpora.js';
import { rng } from './sentences.js';

export const HARD_PER_DOC = 5;
export type HardKind = 'section' | 'api' | 'term';
export interface HardQuestion extends Question {
  kind: HardKind;
  distractors: number;
}

interface Entry {
  kind: HardKind;
  path: string[];
  /** Start/end of the entry's own text (its body, without the title or term). */
  body: [number, number];
}

interface Line {
  text: string;
  start: number;
  end: number;
  indent: number;
  blank: boolean;
}

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let pos = 0;
  for (const t of text.split('\n')) {
    const indent = t.length - t.replace(/^[ \t]+/, '').length;
    out.push({ text: t, start: pos, end: pos + t.length, indent, blank: t.trim() === '' });
    pos += t.length + 1;
  }
  return out;
}

/** Titles and names as a reader would type them: markup, link targets and signature arguments removed. */
export function cleanTitle(t: string): string {
  return t
    .replace(/:[\w:.-]+:`[!~]?([^`<]*?)(?:\s*<[^>]*>)?`/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(`{1,2}|\*{1,2})(\S[^`*]*?)\1/g, '$2')
    .replace(/\(.*$/, '')
    .replace(/[<>{}\[\]|"`*]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const UNDER = /^([=\-`:'"~^_*+#<>])\1{2,}\s*$/;
const API = /^(\s*)\.\. (?:[a-z]+:)?(function|method|class|attribute|data|exception|decorator|classmethod|staticmethod|command|envvar|variable|option|describe|object|macro|coroutinefunction|coroutinemethod|abstractmethod|genex|prop_\w+)::[ \t]*(\S.*)$/;

function rstEntries(text: string, L: Line[]): Entry[] {
  const out: Entry[] = [];
  const adorn: string[] = [];
  const stack: Array<{ level: number; title: string }> = [];
  const apiStack: Array<{ indent: number; title: string }> = [];
  const path = () => [...stack.map((s) => s.title), ...apiStack.map((a) => a.title)];
  const bodyOf = (i: number, indent: number): number => {
    let last = i;
    for (let j = i + 1; j < L.length; j++) {
      if (L[j]!.blank) continue;
      if (L[j]!.indent <= indent) break;
      last = j;
    }
    return last;
  };
  let i = 0;
  while (i < L.length) {
    const l = L[i]!;
    if (l.blank) {
      i++;
      continue;
    }
    while (apiStack.length && apiStack[apiStack.length - 1]!.indent >= l.indent) apiStack.pop();
    const next = L[i + 1];
    let title: string | null = null;
    let ch = '';
    let skip = 0;
    if (UNDER.test(l.text) && next && !next.blank && L[i + 2] && UNDER.test(L[i + 2]!.text)) {
      [title, ch, skip] = [next.text.trim(), 'o' + l.text.trim()[0], 3];
    } else if (next && UNDER.test(next.text) && !UNDER.test(l.text) && next.indent === l.indent && l.indent === 0 && next.text.trim().length >= l.text.trim().length) {
      [title, ch, skip] = [l.text.trim(), next.text.trim()[0]!, 2];
    }
    if (title !== null) {
      if (!adorn.includes(ch)) adorn.push(ch);
      const level = adorn.indexOf(ch) + 1;
      while (stack.length && stack[stack.length - 1]!.level >= level) stack.pop();
      stack.push({ level, title: cleanTitle(title) });
      apiStack.length = 0;
      const bodyStart = L[i + skip]?.start ?? text.length;
      let j = i + skip;
      while (j < L.length && !(UNDER.test(L[j + 1]?.text ?? '') && !L[j]!.blank) && !(UNDER.test(L[j]!.text) && L[j + 2] && UNDER.test(L[j + 2]!.text))) j++;
      out.push({ kind: 'section', path: path(), body: [bodyStart, L[Math.min(j, L.length - 1)]!.start] });
      i += skip;
      continue;
    }
    const api = API.exec(l.text);
    if (api) {
      let j = i;
      while (L[j + 1] && !L[j + 1]!.blank && (/^\s+:[\w-]+:/.test(L[j + 1]!.text) || L[j + 1]!.indent > l.indent + 3)) j++;
      const end = bodyOf(i, l.indent);
      apiStack.push({ indent: l.indent, title: cleanTitle(api[3]!) });
      out.push({ kind: 'api', path: path(), body: [L[j + 1]?.start ?? text.length, L[end]!.end] });
      i = j + 1;
      continue;
    }
    if (/^\s*\.\. /.test(l.text) && !/^\s*\.\. (?:note|versionadded|versionchanged|deprecated|seealso|warning|tip|important|impl-detail)::/.test(l.text)) {
      // Code, link targets, comments, tables of contents: skipped with their bodies.
      i = bodyOf(i, l.indent) + 1;
      continue;
    }
    if (/::\s*$/.test(l.text)) {
      i = bodyOf(i, l.indent) + 1;
      continue;
    }
    // Definition list item: a short line after a blank, the definition indented right below it.
    const prevBlank = i === 0 || L[i - 1]!.blank;
    if (prevBlank && next && !next.blank && next.indent > l.indent && l.text.trim().length <= 70 && !/^\s*(?:[-*+]|\d+[.)]|\.\.)\s/.test(l.text) && !/[.,;]$/.test(l.text.trim())) {
      const end = bodyOf(i, l.indent);
      out.push({ kind: 'term', path: [...path(), cleanTitle(l.text)], body: [next.start, L[end]!.end] });
      i++;
      continue;
    }
    i++;
  }
  return out;
}

function markdownEntries(text: string, L: Line[]): Entry[] {
  const out: Entry[] = [];
  const stack: Array<{ level: number; title: string }> = [];
  let fence = false;
  let open: Entry | null = null;
  for (let i = 0; i < L.length; i++) {
    const l = L[i]!;
    if (/^\s*(```|~~~)/.test(l.text)) fence = !fence;
    if (fence) continue;
    const atx = /^ {0,3}(#{1,6})\s+(.*?)[\s#]*$/.exec(l.text);
    if (atx) {
      if (open) open.body[1] = l.start;
      const level = atx[1]!.length;
      while (stack.length && stack[stack.length - 1]!.level >= level) stack.pop();
      stack.push({ level, title: cleanTitle(atx[2]!) });
      open = { kind: 'section', path: stack.map((s) => s.title), body: [l.end + 1, text.length] };
      out.push(open);
      continue;
    }
    const item = /^(\s*[-*+]\s+)(`[^`\n]+`|\*\*[^*\n]+\*\*)(\s*(?:[:—–-]\s*)?)(\S.*)?$/.exec(l.text);
    if (item) {
      let j = i;
      while (L[j + 1] && !L[j + 1]!.blank && !/^\s*[-*+]\s/.test(L[j + 1]!.text)) j++;
      const bodyStart = l.start + item[1]!.length + item[2]!.length + item[3]!.length;
      out.push({ kind: 'term', path: [...stack.map((s) => s.title), cleanTitle(item[2]!)], body: [bodyStart, L[j]!.end] });
    }
  }
  return out;
}

function manEntries(text: string, L: Line[]): Entry[] {
  const out: Entry[] = [];
  const stack: Array<{ level: number; title: string }> = [];
  let open: Entry | null = null;
  for (let i = 1; i < L.length; i++) {
    const l = L[i]!;
    if (l.blank) continue;
    const next = L[i + 1];
    const title = l.text.trim();
    if (l.indent < 5 && title.length <= 60 && !/[.:;,]$/.test(title) && next && !next.blank && next.indent > l.indent) {
      if (open) open.body[1] = l.start;
      const level = l.indent === 0 ? 1 : 2;
      while (stack.length && stack[stack.length - 1]!.level >= level) stack.pop();
      stack.push({ level, title });
      open = { kind: 'section', path: stack.map((s) => s.title), body: [next.start, text.length] };
      out.push(open);
      continue;
    }
    // Tagged paragraph: a term line after a blank, the description indented deeper below it, or on the
    // same line after a run of spaces ("-a     Show all.").
    if (!L[i - 1]!.blank || l.indent < 5) continue;
    const inline = /^(\s+)(-\S+)( {2,})(\S.*)$/.exec(l.text);
    if (next && !next.blank && next.indent > l.indent) {
      if (inline && next.indent === inline[1]!.length + inline[2]!.length + inline[3]!.length) {
        out.push({ kind: 'term', path: [...stack.map((s) => s.title), inline[2]!], body: [l.start + l.text.length - inline[4]!.length, next.end] });
        continue;
      }
      if (title.length > 60 || /^\d+\.\s/.test(title)) continue;
      let j = i + 1;
      while (L[j + 1] && (L[j + 1]!.blank ? L[j + 2] && !L[j + 2]!.blank && L[j + 2]!.indent >= next.indent : L[j + 1]!.indent >= next.indent)) j++;
      out.push({ kind: 'term', path: [...stack.map((s) => s.title), title.replace(/\s{2,}/g, ' ')], body: [next.start, L[j]!.end] });
    }
  }
  return out;
}

const STOP = new Set(
  'the a an and or of to in on at by for with from as is are was were be this that it its not no if into which who what how does do all any see more other about using use new'.split(' '),
);
const words = (s: string) => [...new Set((s.toLowerCase().match(/[a-z0-9][a-z0-9_]*/g) ?? []).filter((w) => !STOP.has(w) && (w.length > 1 || /\d/.test(w))))];

function occurrences(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0 && n < 2; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}

/**
 * The entry's first prose paragraph at the body's own indentation (deeper paragraphs belong to
 * something nested: a directive body, a literal block, a sub-list): not code, not a directive.
 */
function firstProse(text: string, [s, e]: [number, number], corpus: CorpusName): [number, number] | null {
  const body = text.slice(s, e);
  const base = /^[ \t]*(?=\S)/m.exec(body)?.[0].length ?? 0;
  let off = 0;
  let fence = false;
  for (const para of body.split(/(\n[ \t]*\n)/)) {
    const at = s + off;
    off += para.length;
    if (!para.trim()) continue;
    const fences = para.split('\n').filter((x) => /^\s*(```|~~~)/.test(x)).length;
    const inFence = fence || fences > 0;
    if (fences % 2 === 1) fence = !fence;
    if (inFence) continue;
    const lead = para.length - para.replace(/^\s+/, '').length;
    const indent = lead - (para.lastIndexOf('\n', lead) + 1);
    if (indent !== base) continue;
    if (/^\s*(\.\. |:[\w-]+:|>>>|\$ |[|+]-|<)/.test(para)) continue;
    if (corpus === 'npm' && /^\s*[-*+]\s/.test(para)) continue;
    if (para.trim().split(/\s+/).length < 6) continue;
    return [at + lead, at + para.length];
  }
  return null;
}

function firstSentence(text: string, [s, e]: [number, number]): [number, number] {
  const re = /[.!?]["')\]]?\s+(?=[A-Z`"(])/g;
  re.lastIndex = s;
  const m = re.exec(text);
  return [s, m && m.index < e ? m.index + 1 : e];
}

function spansIn(corpus: CorpusName, sentence: string): string[] {
  if (corpus === 'cmake' || corpus === 'python') return [...sentence.matchAll(/``[^`\n]{2,40}``|:[\w:.-]+:`[^`\n]{2,50}`/g)].map((m) => m[0]);
  if (corpus === 'npm') return [...sentence.matchAll(/(?<!`)`[^`\n]{2,40}`(?!`)/g)].map((m) => m[0]);
  return [...sentence.matchAll(/(?<![\w/.-])(?:--?[A-Za-z][\w-]{2,}|\/[\w.-]+(?:\/[\w.-]+)+|[A-Za-z]+_[\w]+)(?![\w/-])/g)].map((m) => m[0]);
}

function paragraphRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /\n[ \t]*\n/g;
  let s = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (text.slice(s, m.index).trim()) out.push([s, m.index]);
    s = m.index + m[0].length;
  }
  if (text.slice(s).trim()) out.push([s, text.length]);
  return out;
}

export function hardQuestionsFor(corpus: CorpusName, doc: string, text: string, rand: () => number): Array<Omit<HardQuestion, 'half'>> {
  const L = linesOf(text);
  const entries = corpus === 'man' ? manEntries(text, L) : corpus === 'npm' ? markdownEntries(text, L) : rstEntries(text, L);
  const paras = paragraphRanges(text);
  const paraWords = paras.map(([s, e]) => new Set(words(text.slice(s, e))));
  const cands: Array<Omit<HardQuestion, 'half'>> = [];
  const answers = new Set<string>();
  for (const en of entries) {
    const prose = firstProse(text, en.body, corpus);
    if (!prose) continue;
    const [ss, se] = firstSentence(text, prose);
    const sentence = text.slice(ss, se);
    if (sentence.split(/\s+/).length < 6) continue;
    const name = en.path[en.path.length - 1] ?? '';
    const nameWords = new Set(words(name));
    let answer = spansIn(corpus, sentence).find((sp) => occurrences(text, sp) === 1 && !words(sp).every((w) => nameWords.has(w)));
    if (!answer) {
      const m = /^\S+(?:\s+\S+){5}/.exec(sentence);
      if (m && occurrences(text, m[0]) === 1 && m[0].length <= 80) answer = m[0];
    }
    if (!answer || answers.has(answer)) continue;
    const q = en.path.slice(-2).filter(Boolean).join(' ');
    const qWords = words(q);
    const hasId = /[_.]|[a-z][A-Z]|^-|\s-/.test(q);
    if (qWords.length < 2 && !(hasId && qWords.length >= 1)) continue;
    const sw = new Set(words(sentence));
    if (qWords.every((w) => sw.has(w))) continue;
    const home = paras.findIndex(([s, e]) => s <= ss && ss < e);
    const distractors = paraWords.filter((pw, k) => k !== home && qWords.filter((w) => pw.has(w)).length * 2 >= qWords.length).length;
    answers.add(answer);
    cands.push({ corpus, doc, question: q, answer, kind: en.kind, distractors });
  }
  // Spread over the document; the PRNG only breaks the spread's phase so a document's first entry is
  // not always in.
  const n = Math.min(HARD_PER_DOC, cands.length);
  const phase = rand();
  const out: Array<Omit<HardQuestion, 'half'>> = [];
  for (let k = 0; k < n; k++) out.push(cands[Math.floor(((k + phase) * cands.length) / n)]!);
  return out;
}

export function hardQuestionsFile(name: CorpusName): string {
  return questionsFile(name).replace(/\.json$/, '.hard.json');
}

/** The hard set over the first set's documents, each document in the same half as there. */
export function generateHard(name: CorpusName): HardQuestion[] {
  const first = (JSON.parse(fs.readFileSync(questionsFile(name), 'utf8')) as { questions: Question[] }).questions;
  const halves = new Map(first.map((q) => [q.doc, q.half]));
  const rand = rng(SEED + fnv1a(`hard:${name}`));
  const out: HardQuestion[] = [];
  for (const [doc, half] of halves) {
    let text: string;
    try {
      text = readDoc(name, doc);
    } catch {
      continue;
    }
    for (const q of hardQuestionsFor(name, doc, text, rand)) out.push({ ...q, half });
  }
  return out;
}
