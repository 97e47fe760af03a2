// Experiments: which compression setting keeps what matters on a user's own documents. The pure
// parts: what one compression run keeps (exact-span answers; headings, code blocks and URLs as
// counted by structure.ts; numbers as detect_issues reads them) and the table over documents.
import { numbers } from './quality.js';
import { countStructure, STRUCTURE_CLASSES } from './structure.js';

export const RETENTION_CLASSES = [...STRUCTURE_CLASSES, 'numbers'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

export interface Retained {
  total: number;
  kept: number;
}

/** One setting on one document: summed over its compression runs (one, or one per question). */
export interface SettingOnDocument {
  runs: number;
  original_tokens: number;
  compressed_tokens: number;
  ms: number;
  answers_total: number;
  answers_kept: number;
  /** Indexes (into the experiment's questions) whose answer survived. */
  kept_questions: number[];
  structure: Record<RetentionClass, Retained>;
}

export function emptyStructure(): Record<RetentionClass, Retained> {
  return Object.fromEntries(RETENTION_CLASSES.map((c) => [c, { total: 0, kept: 0 }])) as Record<RetentionClass, Retained>;
}

/**
 * What of `source`'s structure survives in `output`: headings, code blocks and URLs by count (at
 * most as many as the source had), numbers as distinct values present in both.
 */
export function structureKept(source: string, output: string): Record<RetentionClass, Retained> {
  const a = countStructure(source);
  const b = countStructure(output);
  const out = emptyStructure();
  for (const c of STRUCTURE_CLASSES) out[c] = { total: a[c], kept: Math.min(a[c], b[c]) };
  const src = new Set(numbers(source));
  const kept = new Set(numbers(output));
  out.numbers = { total: src.size, kept: [...src].filter((n) => kept.has(n)).length };
  return out;
}

/** An exact-span answer is kept when it occurs verbatim in the compressed text. */
export function answerKept(output: string, answer: string): boolean {
  return output.includes(answer);
}

export function addInto(into: SettingOnDocument, run: Omit<SettingOnDocument, 'runs'>): void {
  into.runs += 1;
  into.original_tokens += run.original_tokens;
  into.compressed_tokens += run.compressed_tokens;
  into.ms += run.ms;
  into.answers_total += run.answers_total;
  into.answers_kept += run.answers_kept;
  into.kept_questions.push(...run.kept_questions);
  for (const c of RETENTION_CLASSES) {
    into.structure[c].total += run.structure[c].total;
    into.structure[c].kept += run.structure[c].kept;
  }
}

export function emptyRun(): SettingOnDocument {
  return { runs: 0, original_tokens: 0, compressed_tokens: 0, ms: 0, answers_total: 0, answers_kept: 0, kept_questions: [], structure: emptyStructure() };
}

export interface TableRow {
  setting: string;
  documents: number;
  compressions: number;
  original_tokens: number;
  compressed_tokens: number;
  savings_pct: number;
  compression_ms: number;
  ms_per_compression: number;
  answers_total: number;
  answers_kept: number;
  /** Share of answers kept (0–1); null without questions. */
  answer_retention: number | null;
  /** Per class: kept / total over all runs (null where the documents had none). */
  structure: Record<RetentionClass, Retained & { retention: number | null }>;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** One row per setting, summed over the documents that finished. */
export function tabulate(labels: string[], perDocument: Array<SettingOnDocument[]>): TableRow[] {
  return labels.map((setting, s) => {
    const sum = emptyRun();
    for (const doc of perDocument) addInto(sum, { ...doc[s]! });
    // addInto counted one run per document; the real count is the documents' runs.
    const runs = perDocument.reduce((n, d) => n + d[s]!.runs, 0);
    const saved = sum.original_tokens - sum.compressed_tokens;
    return {
      setting,
      documents: perDocument.length,
      compressions: runs,
      original_tokens: sum.original_tokens,
      compressed_tokens: sum.compressed_tokens,
      savings_pct: sum.original_tokens ? Math.round((1000 * saved) / sum.original_tokens) / 10 : 0,
      compression_ms: Math.round(sum.ms),
      ms_per_compression: runs ? Math.round((10 * sum.ms) / runs) / 10 : 0,
      answers_total: sum.answers_total,
      answers_kept: sum.answers_kept,
      answer_retention: sum.answers_total ? r4(sum.answers_kept / sum.answers_total) : null,
      structure: Object.fromEntries(
        RETENTION_CLASSES.map((c) => [c, { ...sum.structure[c], retention: sum.structure[c].total ? r4(sum.structure[c].kept / sum.structure[c].total) : null }]),
      ) as TableRow['structure'],
    };
  });
}
