// The fallback for any log: timestamps normalised, repeated lines folded with counts, and when the
// log is long, only the lines around errors/warnings plus its head and tail.
import type { CliFilter } from './types.js';
import { Out, YIELD_EVERY } from './clean.js';

// Leading timestamps: ISO 8601 (with optional brackets, T or space, fraction, zone), syslog
// ("Nov 23 17:51:14"), bare times ("17:51:14.123", "[12:00:01 PM]").
const TS_RE =
  /^\[?(?:(\d{4}[-/]\d{2}[-/]\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| ?UTC)?|(?:[A-Z][a-z]{2} +\d{1,2}) (\d{2}:\d{2}:\d{2})|(\d{2}:\d{2}:\d{2})(?:[.,]\d+)?(?: ?[AP]M)?)\]?\s*/;

const SIGNAL_RE = /\b(error|errors|fatal|fail|failed|failure|exception|traceback|panic|denied|refused|timeout|timed out|abort|aborted|segmentation fault|critical|cannot|could not|unable to|not found|warn|warning|exit (code|status) [1-9])\b|^\s+at\s|^E\s/i;

export interface Stamp {
  date: string | null;
  time: string;
  rest: string;
}

export function splitTimestamp(line: string): Stamp | null {
  // Cheap first-character gate: every supported form starts with a digit, "[" or a month name.
  const c = line.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 91 || (c >= 65 && c <= 90))) return null;
  const m = TS_RE.exec(line);
  if (!m) return null;
  const time = m[2] ?? m[3] ?? m[4];
  if (!time) return null;
  return { date: m[1]?.replace(/\//g, '-') ?? null, time, rest: line.slice(m[0].length) };
}

/** Shape of a line for folding: lines that differ only in numbers, ids or quoted values share one. */
export function lineShape(s: string): string {
  // Numbers and hex ids (any run of hex characters containing a digit) → #; quoted values → Q.
  const shaped = s.replace(/[0-9a-f]*\d[0-9a-f]*/gi, '#');
  return shaped.includes("'") || shaped.includes('"') ? shaped.replace(/'[^']*'|"[^"]*"/g, 'Q') : shaped;
}

const HEAD = 20;
const TAIL = 25;
const CONTEXT = 3;
/** Below this many lines (after folding) nothing is cut, only folded. */
const SHORT = 80;

export const genericLog: CliFilter = {
  id: 'generic',
  family: 'log',
  title: 'Generic log',
  aliases: ['log', 'logs', 'text', 'other', 'output', 'docker logs', 'journalctl', 'kubectl logs', 'fly logs', 'apt', 'apt-get', 'pip', 'pip install', 'build'],
  keeps: [
    'every line mentioning an error, failure, exception, panic, warning or non-zero exit, with 3 lines of context',
    'the first 20 and last 25 lines (how it started, how it ended)',
    'one line of each run of identical or same-shaped lines, with the count ([×N] or [+N similar])',
    'timestamps as HH:MM:SS (the date once, when the log carries one)',
  ],
  drops: ['ANSI colour codes and carriage-return progress redraws', 'repeats (folded)', 'in logs over 80 lines, ordinary lines far from any error (counted)'],
  detect() {
    return 0.05;
  },
  *filter(lines) {
    // 1. Timestamps → HH:MM:SS (the date reported once), and
    // 2. runs folded: identical text → [×N]; same shape (numbers/ids differ) → first, last, [+N similar].
    const dates = new Set<string>();
    type Row = { text: string; body: string; shape: string | null; count: number; similar: number; last?: string };
    const rows: Row[] = [];
    for (let i = 0; i < lines.length; i++) {
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      const raw = lines[i]!;
      const st = splitTimestamp(raw);
      if (st?.date) dates.add(st.date);
      const l = st ? `${st.time} ${st.rest}` : raw;
      const body = st ? st.rest : raw;
      const prev = rows[rows.length - 1];
      if (prev && body.trim() !== '') {
        if (prev.similar === 0 && prev.body === body) {
          prev.count++;
          continue;
        }
        if (prev.body.length > 8) {
          prev.shape ??= lineShape(prev.body);
          const shape = lineShape(body);
          // Error lines are never folded into a "similar" run: each one is shown.
          if (prev.shape === shape && !SIGNAL_RE.test(l)) {
            prev.similar++;
            prev.last = l;
            continue;
          }
          rows.push({ text: l, body, shape, count: 1, similar: 0 });
          continue;
        }
      }
      rows.push({ text: l, body, shape: null, count: 1, similar: 0 });
    }
    const render = (r: Row): string[] => {
      const first = r.count > 1 ? `${r.text} [×${r.count}]` : r.text;
      if (r.similar === 0) return [first];
      if (r.similar === 1) return [first, r.last!];
      return [first, `  [+${r.similar - 1} similar lines]`, r.last!];
    };
    const out = new Out();
    if (dates.size) {
      const sorted = [...dates].sort();
      out.note(`[log dates: ${sorted.length === 1 ? sorted[0] : `${sorted[0]} … ${sorted[sorted.length - 1]}`}; times shown as HH:MM:SS]`);
    }
    if (rows.length <= SHORT) {
      for (const r of rows) for (const l of render(r)) out.keep(l);
      return out.done();
    }
    // 3. Long log: keep head, tail, and a window around every signal line.
    const keep = new Uint8Array(rows.length);
    for (let i = 0; i < Math.min(HEAD, rows.length); i++) keep[i] = 1;
    for (let i = Math.max(0, rows.length - TAIL); i < rows.length; i++) keep[i] = 1;
    for (let i = 0; i < rows.length; i++) {
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (SIGNAL_RE.test(rows[i]!.text)) for (let j = Math.max(0, i - CONTEXT); j <= Math.min(rows.length - 1, i + CONTEXT); j++) keep[j] = 1;
    }
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (keep[i]) for (const l of render(r)) out.keep(l);
      else out.drop(r.text.trim() === '' ? 'blank' : 'ordinary lines', r.count + r.similar);
    }
    return out.done();
  },
};
