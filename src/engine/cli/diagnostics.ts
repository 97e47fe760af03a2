// Grouping of repeated diagnostics: a compiler or linter that reports the same code and message at
// many places (a renamed type, a missing import) prints the message once, with its first location
// verbatim, then every other location compactly. Nothing is dropped: each location is listed.

export interface Diagnostic {
  /** The location as written ("src/a.ts(3,5)", "src/a.c:3:5"). */
  file: string;
  at: string;
  /** What must be identical for two lines to be one diagnostic repeated: severity, code, message. */
  key: string;
}

/** A parser for one tool's diagnostic lines; null for any other line. */
export type DiagnosticParser = (line: string) => Diagnostic | null;

/** Repeats at or above this count are grouped; fewer stay as they are. */
const GROUP_AT = 3;

/**
 * Groups repeated diagnostics in `lines` (a filter's output). A diagnostic's continuation lines
 * (indented elaboration directly below it) are part of its identity, so grouped lines differ only
 * in location. The first occurrence stays in place with its continuation lines; the rest of the
 * group becomes one line listing every other location, file by file.
 */
export function groupDiagnostics(lines: string[], parse: DiagnosticParser): string[] {
  type Occ = { i: number; d: Diagnostic; tail: string[] };
  const occs: Occ[] = [];
  for (let i = 0; i < lines.length; i++) {
    const d = parse(lines[i]!);
    if (!d) continue;
    const tail: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]!) && !parse(lines[j]!); j++) tail.push(lines[j]!);
    occs.push({ i, d, tail });
  }
  const groups = new Map<string, Occ[]>();
  for (const o of occs) {
    const k = `${o.d.key}\u0000${o.tail.join('\n')}`;
    const g = groups.get(k);
    if (g) g.push(o);
    else groups.set(k, [o]);
  }
  const drop = new Set<number>();
  const after = new Map<number, string>();
  for (const g of groups.values()) {
    if (g.length < GROUP_AT) continue;
    const [first, ...rest] = g;
    for (const o of rest) {
      drop.add(o.i);
      for (let t = 1; t <= o.tail.length; t++) drop.add(o.i + t);
    }
    // Locations file by file, in order of first appearance: "a.ts (3,5) (9,1); b.ts (4,4)".
    const byFile = new Map<string, string[]>();
    for (const o of rest) byFile.set(o.d.file, [...(byFile.get(o.d.file) ?? []), o.d.at]);
    const list = [...byFile].map(([f, ats]) => `${f} ${ats.join(' ')}`).join('; ');
    after.set(first!.i + first!.tail.length, `  [same ${rest.length === 1 ? 'diagnostic' : `diagnostic at ${rest.length} more locations`}: ${list}]`);
  }
  if (!after.size) return lines;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!drop.has(i)) out.push(lines[i]!);
    const a = after.get(i);
    if (a) out.push(a);
  }
  return out;
}

const TSC_PLAIN = /^(\S.*?)(\(\d+,\d+\)): ((?:error|warning) TS\d+: .*)$/;
const TSC_PRETTY = /^(\S.*?):(\d+:\d+) - ((?:error|warning) TS\d+: .*)$/;

export const parseTsc: DiagnosticParser = (line) => {
  const m = TSC_PLAIN.exec(line) ?? TSC_PRETTY.exec(line);
  return m ? { file: m[1]!, at: m[2]!.startsWith('(') ? m[2]! : `(${m[2]!.replace(':', ',')})`, key: m[3]! } : null;
};

const CC = /^(\S.*?):(\d+(?::\d+)?): ((?:fatal error|error|warning): .*)$/;

export const parseCc: DiagnosticParser = (line) => {
  const m = CC.exec(line);
  return m ? { file: m[1]!, at: `:${m[2]!}`, key: m[3]! } : null;
};

const ESLINT_UNIX = /^(\S+?):(\d+:\d+): (.* \[(?:Error|Warning)\/[\w@/-]+\])$/;

export const parseEslintUnix: DiagnosticParser = (line) => {
  const m = ESLINT_UNIX.exec(line);
  return m ? { file: m[1]!, at: `:${m[2]!}`, key: m[3]! } : null;
};
