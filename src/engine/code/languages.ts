// The languages the code tools parse, their names and aliases, and detection from a path or content.
export const LANGUAGES = ['python', 'javascript', 'typescript', 'tsx', 'java', 'go', 'rust', 'c', 'cpp'] as const;
export type LanguageId = (typeof LANGUAGES)[number];

const ALIASES: Record<string, LanguageId> = {
  python: 'python', py: 'python', python3: 'python',
  javascript: 'javascript', js: 'javascript', jsx: 'javascript', node: 'javascript', mjs: 'javascript', cjs: 'javascript',
  typescript: 'typescript', ts: 'typescript', mts: 'typescript', cts: 'typescript',
  tsx: 'tsx',
  java: 'java',
  go: 'go', golang: 'go',
  rust: 'rust', rs: 'rust',
  c: 'c', h: 'c',
  cpp: 'cpp', 'c++': 'cpp', cxx: 'cpp', cc: 'cpp', hpp: 'cpp',
};

/** Hint values accepted by the `language` field, for error messages and schema descriptions. */
export const LANGUAGE_HINTS = Object.keys(ALIASES);

/** A language hint (case-insensitive, aliases allowed) → its id, or null when unknown. */
export function resolveLanguage(hint: string): LanguageId | null {
  return ALIASES[hint.trim().toLowerCase()] ?? null;
}

const EXTENSIONS: Record<string, LanguageId> = {
  '.py': 'python', '.pyi': 'python', '.pyw': 'python',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript',
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.tsx': 'tsx',
  '.java': 'java',
  '.go': 'go',
  '.rs': 'rust',
  '.c': 'c',
  // .h is ambiguous: headers are decided by content (C++ constructs → cpp).
  '.cc': 'cpp', '.cpp': 'cpp', '.cxx': 'cpp', '.c++': 'cpp', '.hpp': 'cpp', '.hh': 'cpp', '.hxx': 'cpp', '.ipp': 'cpp',
};

function extensionOf(p: string): string {
  const base = p.slice(p.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot) : '';
}

/** Language from the file extension alone (null when the extension is not one of ours). */
export function languageFromPath(p: string): LanguageId | null {
  const ext = extensionOf(p);
  if (ext === '.h') return 'c';
  return EXTENSIONS[ext] ?? null;
}

/** True when the path has an extension we can parse. */
export function isSupportedPath(p: string): boolean {
  return languageFromPath(p) !== null;
}

// Content signals, each scored; the highest total wins. Used when no hint or extension decides.
const SIGNALS: Array<[LanguageId, RegExp, number]> = [
  ['python', /^#!.*\bpython/m, 10],
  ['python', /^\s*def \w+\s*\(.*\)\s*(->\s*[^:]+)?:\s*$/m, 4],
  ['python', /^\s*(from [\w.]+ import |import [\w.]+\s*$)/m, 3],
  ['python', /^\s*class \w+(\(.*\))?:\s*$/m, 3],
  ['python', /\bself\.\w+/, 1],
  ['javascript', /^#!.*\bnode/m, 10],
  ['javascript', /\brequire\(['"][^'"]+['"]\)/, 3],
  ['javascript', /\bmodule\.exports\b|\bexports\.\w+\s*=/, 3],
  ['javascript', /\b(const|let|var)\s+\w+\s*=|=>|\bfunction\s*\*?\s*\w*\s*\(/, 2],
  ['typescript', /\b(interface|type)\s+\w+(<[^>]*>)?\s*(=|\{|extends)/, 4],
  ['typescript', /\w\s*:\s*(string|number|boolean|void|unknown|any|never)\b/, 3],
  ['typescript', /\bimport\s+type\b|\bas\s+const\b|\bexport\s+(type|interface|enum)\b/, 3],
  ['tsx', /<\w+[^>]*\/?>[\s\S]*:\s*(string|number|React\.)/, 1],
  ['java', /^\s*package\s+[\w.]+;\s*$/m, 5],
  ['java', /^\s*import\s+(static\s+)?[\w.]+(\.\*)?;\s*$/m, 4],
  ['java', /\b(public|private|protected)\s+(static\s+)?(final\s+)?(class|interface|enum|record|void|int|String)\b/, 3],
  ['go', /^\s*package\s+\w+\s*$/m, 5],
  ['go', /^\s*func\s+(\(\w+\s+\*?\w+\)\s*)?\w+\s*\(/m, 5],
  ['go', /:=/, 2],
  ['rust', /^\s*(pub(\(crate\))?\s+)?fn\s+\w+/m, 5],
  ['rust', /\blet\s+mut\b|\bimpl(<[^>]*>)?\s+\w+|\buse\s+\w+::|&self\b|->\s*Result</, 3],
  ['c', /^\s*#\s*include\s*[<"]/m, 3],
  ['c', /^\s*#\s*(define|ifndef|ifdef|endif)\b/m, 2],
  ['c', /\b(static\s+)?(int|void|char|unsigned|size_t|struct\s+\w+)\s*\*?\s*\w+\s*\([^)]*\)\s*\{/, 3],
  ['cpp', /\bstd::|\bnamespace\s+[\w:]+\s*\{|\busing\s+namespace\s|\btemplate\s*<|\bclass\s+\w+\s*(:\s*(public|private)|\{)|::\w+\s*\(|\bnullptr\b|#include\s*<(iostream|vector|string|memory|map)>/, 6],
];

/** Best guess from content alone, or null when nothing points anywhere. */
export function languageFromContent(content: string): LanguageId | null {
  const sample = content.length > 20_000 ? content.slice(0, 20_000) : content;
  const score = new Map<LanguageId, number>();
  for (const [lang, re, w] of SIGNALS) if (re.test(sample)) score.set(lang, (score.get(lang) ?? 0) + w);
  // TypeScript is a superset of JavaScript: its JS signals count for it too.
  if (score.has('typescript')) score.set('typescript', score.get('typescript')! + (score.get('javascript') ?? 0));
  if (score.has('cpp')) score.set('cpp', score.get('cpp')! + (score.get('c') ?? 0));
  let best: LanguageId | null = null;
  let bestScore = 2;
  for (const [lang, s] of score) if (s > bestScore) { best = lang; bestScore = s; }
  return best;
}

/**
 * Language for a file: the extension decides when it is unambiguous; `.h` headers and
 * extension-less content are decided by their content.
 */
export function detectLanguage(content: string, p?: string | null): LanguageId | null {
  if (p) {
    const ext = extensionOf(p);
    if (ext === '.h') return languageFromContent(content) === 'cpp' ? 'cpp' : 'c';
    const byExt = EXTENSIONS[ext];
    if (byExt) return byExt;
  }
  return languageFromContent(content);
}
