// Artifact extraction from a conversation or a document: every fenced or indented code block (with
// its language and, when the conversation names it, its file name), classified as code, a schema
// (JSON Schema, SQL DDL, OpenAPI, TypeScript interfaces/types, protobuf) or a diagram (Mermaid,
// PlantUML, Graphviz); and from the prose, commands, decisions (with the reason given beside them),
// open questions and TODOs (the unit classification of conversation/units.ts). Pure: no I/O.
//
// Each artifact carries a lineage — what stays the same when it is shown again changed (kind + file
// name, schema/table/type name, diagram title, first declared symbol; else the content itself) —
// so the store can turn "the same artifact seen again" into a new version of it.
import { createHash } from 'node:crypto';
import { splitFences, splitUnits, type TextUnit } from './conversation/units.js';

export const ARTIFACT_KINDS = ['code', 'schema', 'diagram', 'command', 'decision', 'question', 'todo'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];
export const SCHEMA_TYPES = ['json_schema', 'sql_ddl', 'openapi', 'typescript', 'protobuf'] as const;
export const DIAGRAM_TYPES = ['mermaid', 'plantuml', 'graphviz'] as const;

export interface TextMessage {
  role: string;
  text: string;
}

export interface ExtractedArtifact {
  kind: ArtifactKind;
  /** Schema or diagram type; for decisions, null. */
  subtype: string | null;
  language: string | null;
  /** File name, or the schema / type / diagram name; null when none is given. */
  name: string | null;
  /** Code: the block's body byte-exact (without its fences); prose kinds: the sentence or line. */
  content: string;
  /** Decisions: the reason stated beside them. */
  reason: string | null;
  messageIndex: number;
  role: string;
  lineage: string;
  contentHash: string;
}

export const hashText = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

const FILE_NAME = /(?:^|[\s`'"(*])((?:[\w@.-]+\/)*[\w@-][\w@.-]*\.(?:ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|php|c|h|cc|cpp|hpp|cs|json|ya?ml|toml|md|sql|sh|env|ini|cfg|conf|xml|gradle|proto|html|css|scss|vue|svelte|swift|dart|lua|tf|mmd|puml|dot|graphql|prisma)|Dockerfile|Makefile|docker-compose\.ya?ml)(?=$|[\s`'"):,*])/;
const LANG_ALIASES: Record<string, string> = {
  js: 'javascript', javascript: 'javascript', jsx: 'javascript', mjs: 'javascript', ts: 'typescript', typescript: 'typescript', tsx: 'typescript',
  py: 'python', python: 'python', python3: 'python', sh: 'shell', bash: 'shell', shell: 'shell', zsh: 'shell', console: 'shell', 'shell-session': 'shell',
  yml: 'yaml', yaml: 'yaml', rb: 'ruby', rs: 'rust', golang: 'go', 'c++': 'cpp', cc: 'cpp', cs: 'csharp', 'c#': 'csharp', kt: 'kotlin', proto: 'protobuf',
  protobuf: 'protobuf', puml: 'plantuml', plantuml: 'plantuml', dot: 'graphviz', graphviz: 'graphviz', mermaid: 'mermaid', mmd: 'mermaid', psql: 'sql', postgresql: 'sql', sql: 'sql',
};
const EXT_LANG: Record<string, string> = { ts: 'typescript', tsx: 'typescript', js: 'javascript', jsx: 'javascript', py: 'python', go: 'go', rs: 'rust', java: 'java', rb: 'ruby', sql: 'sql', json: 'json', yml: 'yaml', yaml: 'yaml', sh: 'shell', proto: 'protobuf', toml: 'toml', md: 'markdown', html: 'html', css: 'css', php: 'php', kt: 'kotlin', cs: 'csharp' };

/** A fenced block's info string → language and a file name written in it (```ts title="a.ts"`, ```python:app.py). */
function parseInfo(info: string): { language: string | null; name: string | null } {
  const t = info.trim();
  if (!t) return { language: null, name: null };
  const titled = /(?:title|file|filename)=["']?([^"'\s]+)/i.exec(t);
  const [head, ...rest] = t.split(/\s+/);
  let lang = head!.toLowerCase();
  let name = titled?.[1] ?? null;
  const colon = /^([\w+#-]+):(\S+)$/.exec(head!);
  if (colon) {
    lang = colon[1]!.toLowerCase();
    name ??= colon[2]!;
  } else if (!name && rest.length === 1 && FILE_NAME.test(` ${rest[0]}`)) name = rest[0]!;
  if (FILE_NAME.test(` ${head}`) && head!.includes('.')) {
    // ```src/app.ts — a bare file name as the info string
    name ??= head!;
    lang = EXT_LANG[head!.split('.').pop()!.toLowerCase()] ?? lang;
  }
  return { language: LANG_ALIASES[lang] ?? (/^[\w+#-]{1,20}$/.test(lang) ? lang : null), name };
}

/** The file a block is introduced as: the last line of prose before it naming one, or a first-line comment. */
function nameFromContext(before: string, body: string): string | null {
  const first = body.split('\n', 1)[0] ?? '';
  const comment = /^\s*(?:\/\/|#|--|\/\*|<!--)\s*(?:file(?:name)?:\s*)?((?:[\w@.-]+\/)*[\w@-][\w@.-]*\.[A-Za-z0-9]{1,6})\s*(?:\*\/|-->)?\s*$/i.exec(first);
  if (comment) return comment[1]!;
  const lines = before.split('\n').filter((l) => l.trim());
  const last = lines[lines.length - 1];
  if (!last || last.length > 300) return null;
  // "In src/app.ts:", "**app.py**", "Create `config.yaml` with:" — a prose line that leads into the block.
  if (!/[:：]\s*$|^\s*(?:\*\*|`|#+\s)/.test(last)) return null;
  return FILE_NAME.exec(last)?.[1] ?? null;
}

interface Classified {
  kind: 'code' | 'schema' | 'diagram';
  subtype: string | null;
  name: string | null;
}

function classifyBlock(language: string | null, body: string): Classified {
  const b = body.trim();
  if (language === 'mermaid' || /^(?:graph|flowchart)\s+(?:TD|TB|BT|RL|LR)\b|^(?:sequenceDiagram|classDiagram|stateDiagram(?:-v2)?|erDiagram|gantt|pie|journey|gitGraph|mindmap)\b/.test(b)) {
    return { kind: 'diagram', subtype: 'mermaid', name: /^\s*title:?\s+(.+)$/m.exec(b)?.[1]?.trim() ?? null };
  }
  if (language === 'plantuml' || /^@start(?:uml|mindmap|gantt)/.test(b)) return { kind: 'diagram', subtype: 'plantuml', name: /^@start\w+\s+(\S.*)$/m.exec(b)?.[1]?.trim() ?? /^\s*title\s+(.+)$/m.exec(b)?.[1]?.trim() ?? null };
  if (language === 'graphviz' || /^(?:strict\s+)?(?:di)?graph\s+[\w"]*\s*\{/.test(b)) return { kind: 'diagram', subtype: 'graphviz', name: /^(?:strict\s+)?(?:di)?graph\s+"?(\w+)"?/.exec(b)?.[1] ?? null };
  const ddl = /\bCREATE\s+(?:TABLE|TYPE|VIEW|INDEX)\s+(?:IF\s+NOT\s+EXISTS\s+)?["`]?([\w.]+)/i.exec(b);
  if (ddl && (language === 'sql' || language === null || language === 'text')) return { kind: 'schema', subtype: 'sql_ddl', name: ddl[1]! };
  if (language === 'protobuf' || /^\s*syntax\s*=\s*"proto[23]"/m.test(b)) return { kind: 'schema', subtype: 'protobuf', name: /^\s*message\s+(\w+)/m.exec(b)?.[1] ?? null };
  if (/^\s*["']?(?:openapi|swagger)["']?\s*:\s*["']?\d/m.test(b)) return { kind: 'schema', subtype: 'openapi', name: /^\s*["']?title["']?\s*:\s*["']?([^"'\n,]+)/m.exec(b)?.[1]?.trim() ?? null };
  if (/["']\$schema["']\s*:|^\s*\$schema\s*:/m.test(b) || (language === 'json' && /"type"\s*:\s*"object"/.test(b) && /"properties"\s*:/.test(b))) {
    return { kind: 'schema', subtype: 'json_schema', name: /["']title["']\s*:\s*["']([^"']+)/.exec(b)?.[1] ?? null };
  }
  if ((language === 'typescript' || language === null) && /^\s*(?:export\s+)?(?:declare\s+)?(?:interface\s+\w+|type\s+\w+(?:<[^>]*>)?\s*=)/m.test(b)) {
    // Only declarations: a block that also runs code is code that happens to declare a type.
    const code = b.split('\n').filter((l) => /^\s*(?:(?:export\s+)?(?:async\s+)?function\b|(?:export\s+)?(?:const|let|var|class)\s|import\s|return\b|if\s*\(|for\s*\(|\w+\([^)]*\);\s*$)/.test(l));
    if (code.length === 0) return { kind: 'schema', subtype: 'typescript', name: /(?:interface|type)\s+(\w+)/.exec(b)![1]! };
  }
  return { kind: 'code', subtype: null, name: null };
}

/** The first declared symbol of a code block: what a changed version of the same code still shares. */
function firstSymbol(body: string): string | null {
  const m = /^\s*(?:export\s+)?(?:default\s+)?(?:pub(?:\(crate\))?\s+)?(?:async\s+)?(?:function\*?|def|class|fn|func|struct|enum|trait|impl|interface|module|object)\s+([A-Za-z_][\w]*)/m.exec(body);
  if (m) return m[1]!;
  const c = /^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\(|function|class)/m.exec(body);
  return c?.[1] ?? null;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** A fence segment → its info string and body, byte-exact (an unclosed fence runs to the end). */
export function unfence(block: string): { info: string; body: string } {
  const lines = block.split('\n');
  const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[0]!)!;
  const fence = open[1]!;
  const closed = lines.length > 1 && new RegExp(`^ {0,3}\\${fence[0]}{${fence.length},}\\s*$`).test(lines[lines.length - 1]!);
  return { info: open[2]!, body: lines.slice(1, closed ? -1 : undefined).join('\n') };
}

function blockArtifact(body: string, info: string, before: string, messageIndex: number, role: string): ExtractedArtifact | null {
  if (!body.trim()) return null;
  const parsed = parseInfo(info);
  const fileName = parsed.name ?? nameFromContext(before, body);
  const language = parsed.language ?? (fileName ? (EXT_LANG[fileName.split('.').pop()!.toLowerCase()] ?? null) : null);
  const c = classifyBlock(language, body);
  const name = fileName ?? c.name;
  const contentHash = hashText(body);
  let lineage: string;
  if (fileName) lineage = `file:${fileName.toLowerCase()}`;
  else if (c.name) lineage = `${c.kind}:${c.subtype}:${c.name.toLowerCase()}`;
  else {
    const sym = c.kind === 'code' ? firstSymbol(body) : null;
    lineage = sym ? `code:${language ?? 'any'}:${sym}` : `${c.kind}:hash:${contentHash}`;
  }
  return { kind: c.kind, subtype: c.subtype, language, name, content: body, reason: null, messageIndex, role, lineage, contentHash };
}

function proseArtifact(kind: 'command' | 'decision' | 'question' | 'todo', text: string, reason: string | null, messageIndex: number, role: string): ExtractedArtifact {
  const content = kind === 'command' ? text.replace(/^\s*(?:\$|>)\s*/, '').trim() : text.trim();
  const h = hashText(norm(content));
  return { kind, subtype: null, language: kind === 'command' ? 'shell' : null, name: null, content, reason, messageIndex, role, lineage: `${kind}:${h}`, contentHash: h };
}

/** The reason stated beside a decision: the rationale unit that follows it in its paragraph. */
export function reasonAfter(units: TextUnit[], i: number): string | null {
  const next = units[i + 1];
  return next && next.para === units[i]!.para && next.kind === 'rationale' ? next.text.trim() : null;
}

/** Every artifact of one message's text, in order. */
export function extractFromText(text: string, messageIndex: number, role: string): ExtractedArtifact[] {
  const out: ExtractedArtifact[] = [];
  let before = '';
  for (const seg of splitFences(text)) {
    if (seg.code) {
      const { info, body } = unfence(seg.text);
      const a = blockArtifact(body, info, before, messageIndex, role);
      if (a) out.push(a);
      before = '';
      continue;
    }
    before = seg.text;
    const units = splitUnits(seg.text);
    units.forEach((u, i) => {
      if (u.kind === 'code') {
        const a = blockArtifact(u.text, '', i > 0 ? units[i - 1]!.text : '', messageIndex, role);
        if (a) out.push(a);
      } else if (u.kind === 'command' || u.kind === 'question' || u.kind === 'todo') {
        out.push(proseArtifact(u.kind, u.text, null, messageIndex, role));
      } else if (u.kind === 'decision') {
        out.push(proseArtifact('decision', u.text, reasonAfter(units, i), messageIndex, role));
      }
    });
  }
  return out;
}

/** Every artifact of a conversation (or of a document given as one message), in message order. */
export function extractArtifacts(messages: TextMessage[]): ExtractedArtifact[] {
  return messages.flatMap((m, i) => extractFromText(m.text, i, m.role));
}

/** The searchable text of an artifact: what it is and its content (the retrieval index's row). */
export function artifactSearchText(a: Pick<ExtractedArtifact, 'kind' | 'subtype' | 'language' | 'name' | 'content' | 'reason'>): string {
  const head = [a.kind, a.subtype, a.language, a.name].filter(Boolean).join(' ');
  return `${head}\n${a.content}${a.reason ? `\n${a.reason}` : ''}`.slice(0, 20_000);
}
