// detect_issues: compare a compressed text with its source. Hallucinations are compressed sentences
// the source does not support (absent numbers/identifiers, or too few of their content words in the
// source); blind spots are key facts of the source missing from the compressed text (numbers, code
// identifiers, names, negations — a negation dropped from a kept statement flips its meaning). Pure.
import { sentenceRanges } from './chunking.js';

export type IssueType = 'hallucination' | 'blind_spot';
export type Severity = 'low' | 'medium' | 'high';

export interface Issue {
  type: IssueType;
  severity: Severity;
  description: string;
  location: string | null;
}

export interface QualityReport {
  issues_found: number;
  issues: Issue[];
  quality_score: number;
  hallucination_score: number | null;
  coverage_score: number | null;
  checked: { sentences: number; key_facts: number };
}

const STOP = new Set(
  'a an the and or but if then else of to in on at by for with from as is are was were be been being it its this that these those there here which who whom whose what when where why how not no nor so than too very can could should would may might must will shall do does did done have has had having into onto over under about above below between through during before after again further once all any both each few more most other some such only own same just also i you he she we they them his her their our your my me us'.split(
    ' ',
  ),
);
const NEGATION = /\b(?:not|never|no|none|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|shouldn't|mustn't|without|neither|nor)\b/i;

function words(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}

function contentWords(s: string): string[] {
  return words(s).filter((w) => w.length > 2 && !STOP.has(w));
}

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

function sentences(text: string): string[] {
  const out: string[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    for (const [s, e] of sentenceRanges(para)) {
      const t = para.slice(s, e).replace(/^\s*(?:[-*+•]|\d+[.)]|#{1,6})\s+/, '').trim();
      if (t) out.push(t);
    }
  }
  return out;
}

/** Numbers with an optional unit/percent, as written. */
export function numbers(s: string): string[] {
  return (s.match(/(?<![\w.])\d+(?:[.,]\d+)*(?:\s?%|\s?(?:ms|s|kb|mb|gb|tb|px|k|m|x))?(?![\w])/gi) ?? []).map((n) => n.toLowerCase().replace(/\s/g, ''));
}

/** Code-like identifiers: backticked spans, snake_case, camelCase, dotted paths, calls. */
function identifiers(s: string): string[] {
  const out = new Set<string>();
  for (const m of s.matchAll(/`([^`\n]{2,60})`/g)) out.add(m[1]!.trim());
  for (const m of s.matchAll(/\b[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?|\b[a-z]+[A-Z][\w$]*\b|\b[A-Za-z]+_[\w]+\b|\b[A-Za-z_$][\w$]*\(\)/g)) out.add(m[0]);
  return [...out].filter((x) => !/^\d/.test(x));
}

/** Capitalised multi-word names and mid-sentence capitalised words (not sentence starts). */
function names(s: string): string[] {
  const out = new Set<string>();
  for (const sent of sentences(s)) {
    const toks = sent.split(/\s+/);
    for (let i = 1; i < toks.length; i++) {
      const w = toks[i]!.replace(/^[("'“]+|[)"'”.,;:!?]+$/g, '');
      if (/^\p{Lu}[\p{Ll}\p{N}]{2,}$/u.test(w) && !STOP.has(w.toLowerCase())) out.add(w);
    }
  }
  return [...out];
}

function short(s: string, n = 80): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** Up to this many lost facts of one kind are listed one by one; more become one grouped issue. */
const LOST_LISTED_ALONE = 3;
/** How many values a grouped lost-facts issue names before "and N more". */
const LOST_SHOWN = 12;

export interface DetectOptions {
  checkHallucination?: boolean;
  checkBlindSpots?: boolean;
  /** Cap on issues listed (issues_found still counts all). */
  maxIssues?: number;
}

export function detectIssues(original: string, compressed: string, opts: DetectOptions = {}): QualityReport {
  const checkH = opts.checkHallucination ?? true;
  const checkB = opts.checkBlindSpots ?? true;
  const maxIssues = opts.maxIssues ?? 100;
  const issues: Issue[] = [];
  const srcNorm = norm(original);
  const srcWords = new Set(words(original));
  const srcNumbers = new Set(numbers(original));
  const srcLower = original.toLowerCase();
  const outLower = compressed.toLowerCase();
  const outNorm = norm(compressed);

  let hScore: number | null = null;
  let compSentences: string[] = [];
  if (checkH) {
    compSentences = sentences(compressed);
    let weighted = 0;
    compSentences.forEach((sent, i) => {
      if (srcNorm.includes(norm(sent))) return;
      const badNumbers = numbers(sent).filter((n) => !srcNumbers.has(n));
      const badIds = identifiers(sent).filter((id) => !srcLower.includes(id.toLowerCase()));
      const cw = contentWords(sent);
      const missing = cw.filter((w) => !srcWords.has(w));
      const support = cw.length ? 1 - missing.length / cw.length : 1;
      let severity: Severity | null = null;
      let why = '';
      if (badNumbers.length || badIds.length) {
        severity = 'high';
        why = `states ${[...badNumbers, ...badIds].slice(0, 5).map((x) => `'${x}'`).join(', ')} which the source does not contain`;
      } else if (support < 0.5) {
        severity = support < 0.25 ? 'high' : 'medium';
        why = `only ${Math.round(support * 100)}% of its content words appear in the source (unsupported: ${missing.slice(0, 5).join(', ')})`;
      } else if (support < 0.8 && cw.length >= 4) {
        severity = 'low';
        why = `${Math.round(support * 100)}% of its content words appear in the source (unsupported: ${missing.slice(0, 5).join(', ')})`;
      }
      // A negation in the output that the matching source statement lacks also changes meaning.
      if (!severity && NEGATION.test(sent)) {
        const neg = sent.match(NEGATION)![0]!.toLowerCase();
        if (!srcLower.includes(neg)) {
          severity = 'high';
          why = `adds the negation '${neg}', absent from the source`;
        }
      }
      if (severity) {
        weighted += severity === 'high' ? 1 : severity === 'medium' ? 0.6 : 0.25;
        issues.push({ type: 'hallucination', severity, description: `Sentence ${i + 1} ${why}: "${short(sent)}"`, location: `compressed sentence ${i + 1}` });
      }
    });
    hScore = compSentences.length ? Math.max(0, 1 - weighted / compSentences.length) : 1;
  }

  let cScore: number | null = null;
  let facts = 0;
  if (checkB) {
    let lostWeight = 0;
    let totalWeight = 0;
    const outNumbers = new Set(numbers(compressed));
    const lost = (kind: string, value: string, severity: Severity, weight: number, location: string | null) => {
      lostWeight += weight;
      issues.push({ type: 'blind_spot', severity, description: `Lost ${kind}: '${short(value, 60)}'`, location });
    };
    // Lost numbers, identifiers and names are counted alike, but reported as one grouped issue per kind
    // once there are more than a few: a table of figures must not bury the real issue under hundreds.
    const lostFacts = (kind: string, plural: string, values: Iterable<string>, severity: Severity, weight: number, missing: (v: string) => boolean) => {
      const gone: string[] = [];
      for (const v of values) {
        facts++;
        totalWeight += weight;
        if (missing(v)) gone.push(v);
      }
      if (gone.length <= LOST_LISTED_ALONE) {
        for (const v of gone) lost(kind, v, severity, weight, null);
        return;
      }
      lostWeight += weight * gone.length;
      const shown = gone.slice(0, LOST_SHOWN).map((v) => `'${short(v, 40)}'`).join(', ');
      const rest = gone.length > LOST_SHOWN ? ` and ${gone.length - LOST_SHOWN} more` : '';
      issues.push({ type: 'blind_spot', severity, description: `Lost ${gone.length} ${plural}: ${shown}${rest}`, location: null });
    };
    lostFacts('number', 'numbers', new Set(numbers(original)), 'medium', 1, (n) => !outNumbers.has(n));
    lostFacts('code identifier', 'code identifiers', identifiers(original), 'medium', 1, (id) => !outLower.includes(id.toLowerCase()));
    lostFacts('name', 'names', names(original), 'low', 0.5, (name) => !outLower.includes(name.toLowerCase()));
    sentences(original).forEach((sent, i) => {
      if (!NEGATION.test(sent)) return;
      facts++;
      totalWeight += 1.5;
      const neg = sent.match(NEGATION)![0]!.toLowerCase();
      if (outNorm.includes(norm(sent))) return;
      const cw = contentWords(sent);
      const kept = cw.filter((w) => outLower.includes(w)).length / Math.max(1, cw.length);
      // The statement survives (most of its words are there) but its negation does not.
      const near = compSentences.length ? compSentences : sentences(compressed);
      const carrier = near.find((c) => {
        const cc = new Set(contentWords(c));
        return cw.length > 0 && cw.filter((w) => cc.has(w)).length / cw.length >= 0.6;
      });
      if (carrier && !NEGATION.test(carrier)) lost(`negation ('${neg}' dropped; meaning flipped)`, sent, 'high', 1.5, `source sentence ${i + 1}`);
      else if (!carrier && kept < 0.5) lost(`negative statement`, sent, 'medium', 1, `source sentence ${i + 1}`);
    });
    cScore = totalWeight ? Math.max(0, 1 - lostWeight / totalWeight) : 1;
  }

  const parts = [hScore, cScore].filter((x): x is number => x !== null);
  const score = parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : 1;
  const order: Record<Severity, number> = { high: 0, medium: 1, low: 2 };
  const sorted = [...issues].sort((a, b) => order[a.severity] - order[b.severity]);
  return {
    issues_found: issues.length,
    issues: sorted.slice(0, maxIssues),
    quality_score: Math.round(score * 1000) / 1000,
    hallucination_score: hScore === null ? null : Math.round(hScore * 1000) / 1000,
    coverage_score: cScore === null ? null : Math.round(cScore * 1000) / 1000,
    checked: { sentences: compSentences.length, key_facts: facts },
  };
}
