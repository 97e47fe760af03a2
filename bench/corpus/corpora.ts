// The retention corpora: documentation none of us wrote, installed from Debian or npm, and the
// mechanical question generator (bench/corpus/generate.ts writes bench/corpus/retention/*.json once;
// bench/retention.ts reads them). Nothing here looks at the compressor's output.
//
// Corpora (each document 1,500–12,000 tokens):
//   cmake   CMake reference pages, reStructuredText   /usr/share/cmake-*/Help/{command,manual,...}   Debian cmake-data
//   python  Python library reference, reStructuredText /usr/share/doc/python3.11/html/_sources/library  Debian python3.11-doc
//   man     section-1 manual pages rendered by man(1) at 80 columns (plain text)  /usr/share/man/man1  Debian man-db + each package
//   npm     READMEs of the npm packages in node_modules (Markdown)                node_modules/*/README.md  npm
//
// Question method (the same for every corpus): split the document into paragraphs (blank lines) and
// sentences with a splitter of its own (not the engine's); skip code (fenced, indented past the
// document's prose indent, rst directive bodies). In a sentence of 12+ words, a distinctive span —
// an inline code literal (``x`` in rst, `x` in Markdown), or for man pages an option, path or
// identifier token — that occurs exactly once in the whole document is the answer. The question is
// four content words of the same sentence other than the answer's words, picked with a seeded PRNG
// and kept in order: a short keyword query (with six words every arm, BM25 included, kept ~100%, so
// nothing could be told apart). Four questions per document, spread over its length.
//
// Split: documents sorted by an FNV-1a hash of "corpus:path", alternately into `tuning` and
// `heldback` (deterministic, balanced, unrelated to names or order).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { countTokens } from '../../src/engine/tokens.js';
import { projectRoot } from '../../src/paths.js';
import { rng } from './sentences.js';

export type CorpusName = 'cmake' | 'python' | 'man' | 'npm';
export const CORPORA: readonly CorpusName[] = ['cmake', 'python', 'man', 'npm'];
export const MIN_TOKENS = 1500;
export const MAX_TOKENS = 12_000;
export const DOCS_PER_CORPUS = 40;
export const PER_DOC = 4;
export const SEED = 20261129;
/** Content words per question. */
export const QUESTION_WORDS = 4;

export interface Question {
  corpus: CorpusName;
  /** Path of the source document (absolute, or relative to the project for node_modules). */
  doc: string;
  half: 'tuning' | 'heldback';
  question: string;
  answer: string;
}

export interface CorpusInfo {
  name: CorpusName;
  kind: string;
  package: string;
  /** Root the documents are listed from, or null when the corpus is not installed. */
  root: string | null;
  /** Why the corpus is unavailable (for the skip message). */
  missing?: string;
}

function cmakeRoot(): string | null {
  if (!fs.existsSync('/usr/share')) return null;
  const share = fs.readdirSync('/usr/share').filter((d) => /^cmake-[\d.]+$/.test(d)).sort().pop();
  return share ? path.join('/usr/share', share, 'Help') : null;
}

function pythonRoot(): string | null {
  if (!fs.existsSync('/usr/share/doc')) return null;
  const d = fs.readdirSync('/usr/share/doc').filter((x) => /^python3\.\d+$/.test(x)).sort().map((x) => path.join('/usr/share/doc', x, 'html/_sources/library')).filter((p) => fs.existsSync(p)).pop();
  return d ?? null;
}

export function corpusInfo(name: CorpusName): CorpusInfo {
  switch (name) {
    case 'cmake': {
      const root = cmakeRoot();
      return { name, kind: 'reference pages, reStructuredText', package: 'Debian cmake-data', root, missing: root ? undefined : 'install cmake-data (/usr/share/cmake-*/Help)' };
    }
    case 'python': {
      const root = pythonRoot();
      return { name, kind: 'library reference, reStructuredText', package: 'Debian python3-doc', root, missing: root ? undefined : 'install python3-doc (/usr/share/doc/python3.*/html/_sources/library)' };
    }
    case 'man': {
      const ok = fs.existsSync('/usr/share/man/man1') && hasMan();
      return { name, kind: 'manual pages rendered as plain text', package: 'Debian man-db (pages from their packages)', root: ok ? '/usr/share/man/man1' : null, missing: ok ? undefined : 'install man-db and manual pages (/usr/share/man/man1)' };
    }
    case 'npm': {
      const root = path.join(projectRoot, 'node_modules');
      const ok = fs.existsSync(root);
      return { name, kind: 'package READMEs, Markdown', package: 'npm (this project\'s node_modules)', root: ok ? root : null, missing: ok ? undefined : 'run npm ci' };
    }
  }
}

let manAvailable: boolean | undefined;
function hasMan(): boolean {
  if (manAvailable === undefined) {
    try {
      execFileSync('man', ['--version'], { stdio: 'ignore' });
      manAvailable = true;
    } catch {
      manAvailable = false;
    }
  }
  return manAvailable;
}

const rendered = new Map<string, string>();

/** The document's text as a user would hand it to us (man pages rendered at 80 columns). */
export function readDoc(corpus: CorpusName, doc: string): string {
  const file = path.isAbsolute(doc) ? doc : path.join(projectRoot, doc);
  if (corpus !== 'man') return fs.readFileSync(file, 'utf8');
  let t = rendered.get(file);
  if (t === undefined) {
    t = execFileSync('man', ['-l', file], { env: { ...process.env, MANWIDTH: '80', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    rendered.set(file, t);
  }
  return t;
}

/** Every candidate document of a corpus (paths as stored in the questions), sorted. */
export function listDocs(info: CorpusInfo): string[] {
  const root = info.root;
  if (!root) return [];
  switch (info.name) {
    case 'cmake':
      return ['command', 'manual', 'cpack_gen', 'generator', 'module']
        .map((sub) => path.join(root, sub))
        .filter((d) => fs.existsSync(d))
        .flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.rst')).map((f) => path.join(d, f)))
        .sort();
    case 'python':
      return fs.readdirSync(root).filter((f) => f.endsWith('.rst.txt')).map((f) => path.join(root, f)).sort();
    case 'man':
      // One page per command: sub-command pages (gcloud_beta_…, git-… are kept; names with "_" are
      // generated per sub-command and would crowd out everything else) are left out.
      return fs.readdirSync(root).filter((f) => /^[^_]+\.1\.gz$/.test(f)).map((f) => path.join(root, f)).sort();
    case 'npm': {
      const dirs: string[] = [];
      for (const d of fs.readdirSync(root).sort()) {
        if (d.startsWith('.')) continue;
        if (d.startsWith('@')) for (const s of fs.readdirSync(path.join(root, d)).sort()) dirs.push(`${d}/${s}`);
        else dirs.push(d);
      }
      return dirs.map((d) => `node_modules/${d}/README.md`).filter((p) => fs.existsSync(path.join(projectRoot, p)));
    }
  }
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const STOP = new Set(
  'the a an and or of to in on at by for with from as is are was were be been this that these those it its can may must will not no if then than into which who when where what how does do also only any all each other such use used using see set sets specified specify following given default value values option options command commands variable variables property properties you your they their there here has have had but more most some one two when while should would could been being our out about above below after before same so very just'.split(' '),
);

function occurrences(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0 && n < 2; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}

/** Paragraphs of prose: [start, end) ranges, code and directive bodies left out. */
function proseParagraphs(text: string, corpus: CorpusName): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const lines = text.split('\n');
  // Man pages indent all prose by 7 columns; elsewhere prose starts at column 0–3.
  const proseIndent = corpus === 'man' ? 14 : 3;
  let pos = 0;
  let fence = false;
  let directive = -1; // indent of an rst directive / literal block whose body is being skipped
  let paraStart = -1;
  let paraEnd = -1;
  const close = () => {
    if (paraStart >= 0) out.push([paraStart, paraEnd]);
    paraStart = -1;
  };
  for (const line of lines) {
    const start = pos;
    pos += line.length + 1;
    const indent = line.length - line.trimStart().length;
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      close();
      continue;
    }
    if (fence) continue;
    if (line.trim() === '') {
      close();
      continue;
    }
    if (directive >= 0) {
      if (indent > directive) continue;
      directive = -1;
    }
    if (corpus !== 'man' && /^\s*\.\. /.test(line)) {
      close();
      directive = indent;
      continue;
    }
    // Man section headings sit at column 0 (and subsection headings at 3) directly above their text.
    if (corpus === 'man' && indent < 7) {
      close();
      continue;
    }
    if (indent > proseIndent) {
      close();
      continue;
    }
    if (paraStart < 0) paraStart = start;
    paraEnd = start + line.length;
    if (corpus !== 'man' && /::\s*$/.test(line)) {
      close();
      directive = indent;
    }
  }
  close();
  return out;
}

function sentencesOf(text: string, [s, e]: [number, number]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /[.!?]["')\]]?\s+(?=[A-Z`"(])/g;
  re.lastIndex = s;
  let start = s;
  for (let m = re.exec(text); m && m.index < e; m = re.exec(text)) {
    out.push([start, m.index + 1]);
    start = m.index + m[0].length;
  }
  if (start < e) out.push([start, e]);
  return out;
}

function spans(corpus: CorpusName, sentence: string): string[] {
  if (corpus === 'cmake' || corpus === 'python') return [...sentence.matchAll(/``[^`\n]{2,40}``/g)].map((m) => m[0]);
  if (corpus === 'npm') return [...sentence.matchAll(/(?<!`)`[^`\n]{2,40}`(?!`)/g)].map((m) => m[0]);
  // Man pages: options, paths, identifiers with "_" (environment variables, constants).
  return [...sentence.matchAll(/(?<![\w/.-])(?:--?[A-Za-z][\w-]{2,}|\/[\w.-]+(?:\/[\w.-]+)+|[A-Za-z]+_[\w]+)(?![\w/-])/g)].map((m) => m[0]);
}

/** Up to PER_DOC questions for one document (see the method at the top of this file). */
export function questionsFor(corpus: CorpusName, doc: string, text: string, rand: () => number): Array<Omit<Question, 'half'>> {
  const cands: Array<Omit<Question, 'half'>> = [];
  for (const para of proseParagraphs(text, corpus)) {
    for (const [s, e] of sentencesOf(text, para)) {
      const sent = text.slice(s, e);
      if (sent.split(/\s+/).length < 12) continue;
      const lits = spans(corpus, sent).filter((l) => occurrences(text, l) === 1);
      if (!lits.length) continue;
      const answer = lits[Math.floor(rand() * lits.length)]!;
      const answerWords = new Set(answer.toLowerCase().match(/[a-z0-9_]+/g) ?? []);
      const rest = sent.replace(answer, ' ');
      const content = [...new Set((rest.toLowerCase().match(/[a-z][a-z0-9_]+/g) ?? []).filter((w) => w.length > 2 && !STOP.has(w) && !answerWords.has(w)))];
      if (content.length < 4) continue;
      const pick = new Set<number>();
      while (pick.size < Math.min(QUESTION_WORDS, content.length)) pick.add(Math.floor(rand() * content.length));
      cands.push({ corpus, doc, question: [...pick].sort((a, b) => a - b).map((i) => content[i]).join(' '), answer });
    }
  }
  const n = Math.min(PER_DOC, cands.length);
  const out: Array<Omit<Question, 'half'>> = [];
  for (let k = 0; k < n; k++) out.push(cands[Math.floor(((k + 0.5) * cands.length) / n)]!);
  return out;
}

/** Generate a corpus's questions: eligible documents spread over the sorted list, then split. */
export function generateCorpus(info: CorpusInfo): Question[] {
  const rand = rng(SEED + fnv1a(info.name));
  const docs = listDocs(info);
  const picked: Array<{ doc: string; qs: Array<Omit<Question, 'half'>> }> = [];
  // Walk the sorted list with a stride so the documents are spread over it, until enough qualify.
  const stride = Math.max(1, Math.floor(docs.length / (DOCS_PER_CORPUS * 3)));
  const seen = new Set<number>();
  for (let pass = 0; pass < stride && picked.length < DOCS_PER_CORPUS; pass++) {
    for (let i = pass; i < docs.length && picked.length < DOCS_PER_CORPUS; i += stride) {
      let text: string;
      try {
        text = readDoc(info.name, docs[i]!);
      } catch {
        continue;
      }
      const t = countTokens(text);
      if (t < MIN_TOKENS || t > MAX_TOKENS) continue;
      // Aliases (egrep → grep, llvm-x-14 → llvm-x) render the same text: one of them only.
      const h = fnv1a(text);
      if (seen.has(h)) continue;
      seen.add(h);
      const qs = questionsFor(info.name, docs[i]!, text, rand);
      if (qs.length === PER_DOC) picked.push({ doc: docs[i]!, qs });
    }
  }
  const ordered = [...picked].sort((a, b) => fnv1a(`${info.name}:${a.doc}`) - fnv1a(`${info.name}:${b.doc}`) || a.doc.localeCompare(b.doc));
  return ordered.flatMap((p, k) => p.qs.map((q) => ({ ...q, half: k % 2 === 0 ? ('tuning' as const) : ('heldback' as const) })));
}

export const QUESTIONS_DIR = path.join(projectRoot, 'bench', 'corpus', 'retention');
export function questionsFile(name: CorpusName): string {
  return path.join(QUESTIONS_DIR, `${name}.json`);
}
