// The inject guard and the inject's meaning without an LLM. Pure: no I/O.
//   checkInject(text) → the rule a phrase breaks (override attempts), or null.
//   keepTerms(text)   → the names an inject asks to keep ("preserve all mentions of variable authToken").

export const INJECT_MAX_CHARS = 400;

/**
 * Phrases that try to replace the strategy's system prompt rather than extend it. Matched on the
 * text lower-cased, NFKC-folded, with punctuation and zero-width characters removed, letters spelled
 * apart joined, and whitespace optional between words: "IGNORE  previous instructions", "ignore-previous-instructions" and
 * "ignorepreviousinstructions" are one phrase.
 */
// Most specific first: "disregard the system prompt" names the system prompt rule, not the generic one.
const RULES: Array<{ rule: string; label: string; re: RegExp }> = [
  {
    rule: 'system_prompt_override',
    label: 'targets the system prompt',
    re: /(?:ignore|disregard|forget|override|bypass|replace|reveal|print|show|repeat|leak|change|rewrite|delete|remove|skip|do\s*not\s*follow|dont\s*follow|stop\s*following)\s*(?:the|your|this|my|all)?\s*(?:system|hidden|initial|original)\s*(?:prompts?|messages?|instructions?|rules?)/,
  },
  {
    rule: 'ignore_previous_instructions',
    label: 'asks to ignore earlier instructions',
    re: /(?:ignore|disregard|forget|skip|bypass|override|overlook|drop|abandon|discard|neglect)\s*(?:all|any|every|each)?\s*(?:of)?\s*(?:the|your|my|these|those|this)?\s*(?:previous|prior|above|earlier|preceding|foregoing|former|initial|original|existing|old|system|given|default|core)\s*(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|commands?|context|messages?|constraints?)/,
  },
  {
    rule: 'role_reassignment',
    label: 'tries to give the model a new role',
    re: /(?:you\s*are\s*now|youre\s*now|from\s*now\s*on\s*you|act\s*as\s*(?:if|an?|the)|pretend\s*(?:to\s*be|you\s*are|that\s*you)|roleplay\s*as|new\s*(?:system\s*)?instructions?\s*(?:are|follow)?|developer\s*mode|jailbreak|do\s*anything\s*now|no\s*longer\s*(?:bound|restricted))/,
  },
];

function fold(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, '')
    .replace(/[’'`]/g, '')
    // Punctuation inside words goes ("I.g.n.o.r.e", "ignore-previous"), and letters spelled apart
    // ("i g n o r e") are joined: the patterns allow any spacing between words.
    .replace(/[^\p{L}\p{N}\s]+/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/(?<=\b\p{L}) (?=\p{L}\b)/gu, '');
}

export function checkInject(text: string): { rule: string; label: string } | null {
  const t = fold(text);
  for (const r of RULES) if (r.re.test(t)) return { rule: r.rule, label: r.label };
  return null;
}

const STOP = new Set('preserve keep retain all every mentions mention of the a an variable variables function functions term terms name names exactly as written verbatim and or any word words in to with that this please always do not never be is are it its their them field fields key keys value values class method file files path paths'.split(' '));

/**
 * Names an inject asks to keep: quoted or backticked strings, identifiers (camelCase, snake_case,
 * dotted, with digits), and the word after "variable", "function", "term", "mentions of" ...
 */
export function keepTerms(inject: string): string[] {
  const out = new Set<string>();
  for (const m of inject.matchAll(/`([^`]{2,80})`|"([^"]{2,80})"|'([^']{2,80})'/g)) out.add((m[1] ?? m[2] ?? m[3])!);
  const bare = inject.replace(/`[^`]*`|"[^"]*"|'[^']*'/g, ' ');
  for (const m of bare.matchAll(/[A-Za-z_$][\w$]*(?:[.:/-][\w$]+)*/g)) {
    const w = m[0];
    if (STOP.has(w.toLowerCase())) continue;
    if (/[a-z][A-Z]|_|\d|[.:/]|^[A-Z]{2,}$|\$/.test(w)) out.add(w);
  }
  for (const m of bare.matchAll(/\b(?:variable|function|method|class|term|name|named|key|field|identifier|mentions? of|word)\s+([A-Za-z_$][\w$.-]*)/gi)) {
    if (!STOP.has(m[1]!.toLowerCase())) out.add(m[1]!);
  }
  return [...out];
}
