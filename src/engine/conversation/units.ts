// A message's text cut into keep-or-drop units, each classified by rules: code (a whole fenced or
// indented block — never cut inside), error (a message line or a whole stack trace), command, decision,
// rationale, open question, TODO, path, filler (thanks, +1, quoted earlier text), other.
// Pure: no I/O.
import { sentenceRanges } from '../chunking.js';
import { countTokens } from '../tokens.js';

export const UNIT_KINDS = ['code', 'error', 'command', 'decision', 'rationale', 'question', 'todo', 'path', 'filler', 'other'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

export interface TextUnit {
  kind: UnitKind;
  text: string;
  /** Paragraph (or code block) the unit belongs to, counted within its text. */
  para: number;
  /** Joins the unit to the previous kept unit of its paragraph: ' ' (sentences) or '\n' (lines). */
  joiner: ' ' | '\n';
  tokens: number;
  /** Whitespace-collapsed lower-case text: the same unit is never kept twice (de-duplication). */
  norm: string;
}

export interface Segment {
  code: boolean;
  text: string;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

/** Split text into prose and fenced code blocks; an unclosed fence runs to the end of the text. */
export function splitFences(text: string): Segment[] {
  const lines = text.split('\n');
  const out: Segment[] = [];
  let prose: string[] = [];
  const flush = () => {
    if (prose.length) out.push({ code: false, text: prose.join('\n') });
    prose = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) {
      prose.push(lines[i]!);
      continue;
    }
    const ch = open[1]![0]!;
    const len = open[1]!.length;
    const close = new RegExp(`^ {0,3}\\${ch}{${len},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j]!)) j++;
    flush();
    out.push({ code: true, text: lines.slice(i, Math.min(j + 1, lines.length)).join('\n') });
    i = j;
  }
  flush();
  return out;
}

/** Every fenced code block of a text, byte-exact (for checks and the benchmark). */
export function codeBlocks(text: string): string[] {
  return splitFences(text)
    .filter((s) => s.code)
    .map((s) => s.text);
}

const TRACE_LINE =
  /^\s*(?:at\s+\S.*(?:\(.*:\d+(?::\d+)?\)|:\d+:\d+)|File ".*", line \d+|Traceback \(most recent call last\)|\S+\.(?:java|kt|scala):\d+\)|#\d+\s+0x[0-9a-f]+|goroutine \d+|\S+\.go:\d+|\S+\.rs:\d+:\d+|thread '.*' panicked|Caused by:|\.\.\. \d+ more)/i;
const ERROR_LINE =
  /(?:^|\s)(?:[A-Z][A-Za-z]*(?:Error|Exception)|Traceback|panic(?:ked)?|FATAL|ERROR|ERR!|error(?:\[E\d+\])?:|\berror [A-Z]{2,}\d+:|segmentation fault|Unhandled|Uncaught|fatal:|failed with exit code|exit code [1-9]|npm ERR|E\d{4}:|undefined reference|cannot find module|command not found|No such file or directory|Permission denied)/;
/**
 * An error code as tools print it: errno names (ENOENT, EADDRINUSE), Node's ERR_*, SQLite's SQLITE_*,
 * compiler codes (rustc E0425, tsc TS2345, C# CS0103). Not free-form CONSTANT_CASE: env vars look alike.
 */
const ERROR_CODE =
  /\b(?:E(?:NOENT|ACCES|PERM|EXIST|ISDIR|NOTDIR|NOTEMPTY|ADDRINUSE|ADDRNOTAVAIL|CONNREFUSED|CONNRESET|CONNABORTED|TIMEDOUT|PIPE|MFILE|NFILE|NOSPC|NOMEM|BUSY|INVAL|AGAIN|AI_AGAIN|HOSTUNREACH|NETUNREACH|ROFS|XDEV|LOOP|NAMETOOLONG|BADF|DEADLK|NOTSUP|PROTO)|ERR_[A-Z0-9_]{3,}|SQLITE_[A-Z_]{3,}|E\d{4}|TS\d{4,5}|CS\d{4})\b/;
const COMMAND_LINE =
  /^\s*(?:\$|>|#)?\s*(?:sudo\s+)?(?:npm|npx|yarn|pnpm|git|docker|docker-compose|kubectl|helm|pip3?|python3?|node|deno|bun|cargo|rustup|go|make|cmake|curl|wget|brew|apt(?:-get)?|gradle|mvn|dotnet|terraform|ssh|ls|cd|cat|export|tsc|pytest|jest|vitest|ruby|gem|bundle|composer|php|java|javac|conda|poetry|uv|ollama)\s+\S/;
const PATH_RE = /(?:^|[\s`'"(])(?:~|\.{1,2})?\/?(?:[\w@.-]+\/)+[\w@.-]+\.[A-Za-z0-9]{1,6}(?::\d+)?|\b[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|php|c|h|cc|cpp|hpp|cs|json|ya?ml|toml|lock|md|sql|sh|env|ini|cfg|conf|xml|gradle)\b/;
const DECISION =
  /\b(?:(?:we|i)(?:'ve|'ll| have| will)?\s+(?:decided|agreed|chose|chosen|settled|opted)|decided to|decision(?:\s+is)?:|agreed (?:to|on|that)|let'?s (?:go with|use|do|keep|drop|switch|move|stick|not|add|remove|merge|close|revert)|(?:we|i)(?:'ll| will| are going to|'re going to| am going to|'m going to)\s+(?:go with|use|switch|remove|keep|deprecate|merge|revert|add|drop|change|move|release|ship|close|implement|fix|make|rename|replace)|going (?:forward|to go with)|the plan is|(?:we|you) should (?:use|go with|keep|not|switch|drop|remove|add)|fixed (?:in|by|via) |resolved (?:in|by|via) |(?:has been|was|is now|got) (?:merged|fixed|released|reverted|closed|resolved|landed|shipped)|(?:closing|closed) (?:this|as|in favou?r)|won'?t fix|wontfix|lgtm|approved?\b|will be (?:removed|deprecated|released|fixed|merged|added|changed)|(?:instead|rather),? (?:we|i) |final(?:ly)?,? (?:we|i) |conclusion:|in favou?r of|the fix is|the solution is|solution:|workaround:|(?:this|that|which) (?:fixes|solves|resolves)\b|(?:i|we)(?:'ve| have)? (?:just )?(?:merged|pushed|released|published|reverted|landed|forked|fixed)\b|has been (?:pushed|published|released|merged|fixed|landed)|(?:is|as) a workaround|(?:can'?t|cannot|won'?t|will not) (?:be able to )?(?:release|merge|accept|fix|support|ship)|^\W*closing\b|\bin (?:release|version|v)\s*\d|will (?:address|fix|resolve|solve) (?:this|it|the)|^\W*will (?:test|fix|update|add|change|merge|release)\b|is the (?:command|fix|solution|way|answer|option|setting) (?:you|to)\b)/i;
const RATIONALE = /\b(?:because|since (?:the|it|we|this|that)|so that|the reason|due to|in order to|rationale|otherwise|which means|this means|to avoid|to prevent|the problem is|the issue is|root cause|caused by)\b/i;
const TODO = /\b(?:TODO|FIXME|XXX|follow[- ]?up|next steps?|need(?:s)? to|still (?:need|have to|missing)|will need|remaining|left to do|action item|we should also|to be done|TBD)\b/;
/** A question as written: ending in "?" (perhaps inside quotes or brackets). */
const ENDS_WITH_QUESTION_MARK = /\?["')\]]*$/;
const QUESTION_WORDS = /\b(?:open question|not sure (?:if|whether|how|why)|unclear (?:if|whether|how)|wondering (?:if|whether)|any (?:idea|thoughts))\b/i;
const FILLER =
  /^(?:\W*(?:thanks?(?: you)?(?: (?:so|very) much)?|thx|ty|\+1|same here|same|me too|bump|any (?:update|news)s?|ok(?:ay)?|cool|great|nice|awesome|perfect|sure|yes|yep|no|nope|hi|hello|hey|cheers|good (?:catch|point|idea)|sounds good|makes sense|got it|ping|done|fair enough|interesting|hmm+|i see|ah+|oh+)\b[\s\W]*(?:[\w@]+)?[!.\s\W]*$|hope (?:this|that) helps|thanks? (?:a lot|in advance|for (?:the|your|this|reporting|looking|working|the quick))|(?:please )?let me know (?:if|what|how)|looking forward|happy to help|any help (?:is|would be) appreciated)/i;

/**
 * A unit that states a hard technical fact — an error code, a file path or a command: what a problem
 * report turns on, kept by every rules strategy (select.ts) though it reads like a plain sentence.
 */
export function hasHardFact(text: string): boolean {
  return ERROR_CODE.test(text) || PATH_RE.test(text) || COMMAND_LINE.test(text);
}

function classify(text: string): UnitKind {
  const t = text.trim();
  if (ERROR_LINE.test(t) || TRACE_LINE.test(t) || ERROR_CODE.test(t)) return 'error';
  if (COMMAND_LINE.test(t) && t.length < 400) return 'command';
  if (DECISION.test(t)) return 'decision';
  if (TODO.test(t)) return 'todo';
  if (ENDS_WITH_QUESTION_MARK.test(t) || QUESTION_WORDS.test(t)) return 'question';
  if (RATIONALE.test(t)) return 'rationale';
  if (PATH_RE.test(t)) return 'path';
  if (FILLER.test(t) || t.length < 3 || /^[\p{P}\p{S}\s]+$/u.test(t)) return 'filler';
  return 'other';
}

function unit(kind: UnitKind, text: string, para: number, joiner: ' ' | '\n'): TextUnit {
  return { kind, text, para, joiner, tokens: countTokens(text), norm: text.replace(/\s+/g, ' ').trim().toLowerCase() };
}

/** A fence holding an error log or a stack trace rather than code: no language (or a log one) and error lines. */
export function isLogFence(block: string): boolean {
  const lines = block.split('\n');
  const lang = lines[0]!.replace(/^\s*[`~]+/, '').trim().toLowerCase();
  if (lang && !['text', 'txt', 'log', 'console', 'shell-session', 'output', 'plaintext', 'sh', 'shell', 'bash'].includes(lang)) return false;
  const body = lines.slice(1, -1);
  return body.some((l) => ERROR_LINE.test(l)) || body.filter((l) => TRACE_LINE.test(l)).length >= 2;
}

const LIST_LINE = /^\s*(?:[-*+]\s|\d+[.)]\s|\[[ xX]\]\s|- \[[ xX]\])/;

/** The units of one text, in order. */
export function splitUnits(text: string): TextUnit[] {
  const out: TextUnit[] = [];
  let para = 0;
  for (const seg of splitFences(text)) {
    if (seg.code) {
      out.push(unit(isLogFence(seg.text) ? 'error' : 'code', seg.text, para++, '\n'));
      continue;
    }
    for (const p of seg.text.split(/\n\s*\n/)) {
      const lines = p.split('\n').filter((l) => l.trim());
      if (!lines.length) continue;
      // Indented code (four spaces or a tab on every line) is code too: whole or not at all.
      if (lines.every((l) => /^(?: {4}|\t)/.test(l)) && lines.length > 1) {
        out.push(unit(lines.some((l) => TRACE_LINE.test(l)) ? 'error' : 'code', p.replace(/^\n+|\n+$/g, ''), para++, '\n'));
        continue;
      }
      // A stack trace (or log) pasted unfenced: one unit, kept whole or dropped whole.
      const traceLines = lines.filter((l) => TRACE_LINE.test(l)).length;
      if (traceLines >= 2 && traceLines >= lines.length / 2) {
        out.push(unit('error', p.trim(), para++, '\n'));
        continue;
      }
      const lineWise = lines.length > 1 && lines.some((l) => LIST_LINE.test(l) || COMMAND_LINE.test(l) || /^\s*>/.test(l) || ERROR_LINE.test(l));
      if (lineWise) {
        for (const l of lines) {
          // Quoted earlier text ("> ...") repeats what the conversation already holds.
          out.push(unit(/^\s*>/.test(l) ? 'filler' : classify(l), l, para, '\n'));
        }
        para++;
        continue;
      }
      const flat = lines.join('\n');
      if (/^\s*>/.test(flat)) {
        out.push(unit('filler', flat, para++, '\n'));
        continue;
      }
      for (const [s, e] of sentenceRanges(flat)) out.push(unit(classify(flat.slice(s, e)), flat.slice(s, e), para, ' '));
      para++;
    }
  }
  return out;
}

/** Kept units back into text: sentences of a paragraph on one line, paragraphs apart. */
export function joinUnits(units: TextUnit[]): string {
  let out = '';
  let prevPara = -1;
  for (const u of units) {
    if (out) out += u.para === prevPara ? u.joiner : '\n\n';
    out += u.text;
    prevPara = u.para;
  }
  return out;
}

/** A message as the open-question rule reads it: its role and its plain text. */
export interface RoleText {
  role: string;
  text: string;
}

/**
 * The questions still open in a conversation, in order, each once (the one rule for snapshots and
 * handoffs): its question units, except a question (ending in "?") that someone else answered — a
 * later non-empty message of another role. An explicit "open question: …" or "not sure whether …"
 * (no question mark) stays open whatever follows. `units` (each message's `splitUnits`) saves
 * splitting the messages twice.
 */
export function openQuestions(messages: RoleText[], units: TextUnit[][] = messages.map((m) => splitUnits(m.text))): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  // Each role's last non-empty message: a message is answered when another role spoke after it.
  const lastBy = new Map<string, number>();
  messages.forEach((m, mi) => {
    if (m.text.trim() !== '') lastBy.set(m.role, mi);
  });
  messages.forEach((m, mi) => {
    const answered = [...lastBy].some(([role, at]) => role !== m.role && at > mi);
    for (const u of units[mi]!) {
      const text = u.text.trim();
      if (u.kind !== 'question' || seen.has(u.norm) || (answered && ENDS_WITH_QUESTION_MARK.test(text))) continue;
      out.push(text);
      seen.add(u.norm);
    }
  });
  return out;
}
