// One pass over a file's syntax tree: its definitions (name, kind, header/body ranges, nesting),
// imports, identifier references (attributed to the innermost enclosing definition), and the
// container-level regions a skeleton may shorten (long statements, long comment runs).
// The tree is freed before returning; the result is plain data.
import type { Node } from 'web-tree-sitter';
import type { LanguageId } from './languages.js';
import { parseSource } from './parser.js';
import { SPECS, type DefKind, type Elision, type LangSpec } from './spec.js';

export interface Range { start: number; end: number }

export interface CodeDef {
  name: string;
  /** Dotted path through enclosing definitions: `Outer.method`. */
  qualifiedName: string;
  kind: DefKind;
  /** The definition node itself. */
  start: number;
  end: number;
  /** Start including wrappers that belong to its header (export, decorators, template<>). */
  outerStart: number;
  startLine: number; // 1-based
  endLine: number;
  nameStart: number;
  /** Range replaced by a marker when the body is elided; for containers, the member list. */
  body: Range | null;
  /** Python docstring at the start of the body (kept when the body is elided). */
  docstring: Range | null;
  elide: Elision;
  container: boolean;
  parent: number;
  depth: number;
  /** Identifiers referenced inside this definition but outside nested definitions. */
  refs: Map<string, number>;
}

export interface FileAnalysis {
  /** null for text the parsers do not cover (it still takes part in lexical signals). */
  language: LanguageId | null;
  source: string;
  defs: CodeDef[];
  imports: Array<Range & { specifiers: string[] }>;
  /** Identifiers referenced outside every definition (module-level code). */
  moduleRefs: Map<string, number>;
  /** Every identifier reference in the file, with its count. */
  refCount: Map<string, number>;
  /** Non-definition statements at container level spanning several lines (no definitions inside). */
  longStatements: Range[];
  /** Runs of adjacent comments at container level: [start, end, line count]. */
  commentRuns: Array<Range & { lines: number }>;
  lineStarts: number[];
  /** Python module docstring. */
  moduleDocstring: Range | null;
  hasErrors: boolean;
}

export function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of a character offset. */
export function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

const LONG_STATEMENT_LINES = 4;

function importSpecifiers(lang: LanguageId, text: string): string[] {
  const out: string[] = [];
  switch (lang) {
    case 'python': {
      const from = /^\s*from\s+(\S+)\s+import/.exec(text);
      if (from) out.push(from[1]!);
      else for (const part of text.replace(/^\s*import\s+/, '').split(',')) out.push(part.trim().split(/\s+/)[0]!);
      break;
    }
    case 'java': {
      const m = /import\s+(?:static\s+)?([\w.]+)/.exec(text);
      if (m) out.push(m[1]!);
      break;
    }
    case 'rust': {
      const m = /(?:use|extern\s+crate)\s+([^;{]+)/.exec(text);
      if (m) out.push(m[1]!.trim().replace(/::$/, ''));
      break;
    }
    case 'c':
    case 'cpp': {
      const m = /[<"]([^>"]+)[>"]/.exec(text);
      if (m) out.push(m[1]!);
      break;
    }
    default:
      for (const m of text.matchAll(/["'`]([^"'`\n]+)["'`]/g)) out.push(m[1]!);
  }
  return out.filter(Boolean);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Python: the body's first statement when it is a bare string. */
function pythonDocstring(body: Node | null): Range | null {
  const first = body?.namedChildren[0];
  if (first?.type === 'expression_statement' && first.namedChildren[0]?.type === 'string' && first.namedChildCount === 1) {
    return { start: first.startIndex, end: first.endIndex };
  }
  return null;
}

export async function analyzeSource(lang: LanguageId, source: string): Promise<FileAnalysis> {
  const spec = SPECS[lang];
  const tree = await parseSource(lang, source);
  try {
    return walk(lang, spec, source, tree.rootNode);
  } finally {
    tree.delete();
  }
}

function walk(lang: LanguageId, spec: LangSpec, source: string, root: Node): FileAnalysis {
  const starts = lineStarts(source);
  const defs: CodeDef[] = [];
  const defNodeIds = new Map<number, number>(); // node id → def index
  const imports: FileAnalysis['imports'] = [];
  const moduleRefs = new Map<string, number>();
  const refCount = new Map<string, number>();
  const nameStarts = new Set<number>();
  const bodyNodes = new Map<number, Node>(); // def index → its body node (valid until the tree is freed)
  const holdsDef = new Set<number>(); // ids of nodes with a definition somewhere below
  const stack: number[] = []; // open definitions, innermost last
  const jsLike = lang === 'javascript' || lang === 'typescript' || lang === 'tsx';

  const cursor = root.walk();
  try {
    for (;;) {
      const startIndex = cursor.startIndex;
      while (stack.length && defs[stack[stack.length - 1]!]!.end <= startIndex) stack.pop();
      const type = cursor.nodeType;
      let descend = true;
      if (cursor.nodeIsNamed) {
        if (spec.identifiers.has(type)) {
          if (!nameStarts.has(startIndex)) {
            const name = cursor.nodeText;
            bump(refCount, name);
            const owner = stack.length ? defs[stack[stack.length - 1]!]!.refs : moduleRefs;
            bump(owner, name);
          }
          descend = false;
        } else if (spec.comments.has(type)) {
          descend = false;
        } else if (spec.imports.has(type)) {
          imports.push({ start: startIndex, end: cursor.endIndex, specifiers: importSpecifiers(lang, cursor.nodeText) });
        } else if (jsLike && type === 'call_expression') {
          const node = cursor.currentNode;
          const fn = node.childForFieldName('function');
          if (fn?.type === 'identifier' && fn.text === 'require') {
            const arg = node.childForFieldName('arguments')?.namedChildren[0];
            if (arg?.type === 'string') imports.push({ start: node.startIndex, end: node.endIndex, specifiers: importSpecifiers(lang, arg.text) });
          }
        } else if (jsLike && type === 'export_statement') {
          const src = cursor.currentNode.childForFieldName('source');
          if (src) imports.push({ start: startIndex, end: cursor.endIndex, specifiers: importSpecifiers(lang, src.text) });
        }
        const rule = spec.defs[type];
        if (rule) {
          const node = cursor.currentNode;
          const m = rule(node);
          if (m) {
            const parent = stack.length ? stack[stack.length - 1]! : -1;
            const parentDef = parent >= 0 ? defs[parent]! : null;
            let kind = m.kind;
            if (kind === 'function' && parentDef?.container) kind = 'method';
            let outer: Node = node;
            // A Python decorated definition, `export ...`, `template<...>`: the wrapper heads the symbol.
            for (let p = outer.parent; p && spec.wrappers.has(p.type) && p.namedChildren.filter((c) => c && !/decorator|comment/.test(c.type)).length <= 1 + (p.type === 'template_declaration' ? 1 : 0); p = p.parent) outer = p;
            // JS/TS `const x = () => {}` and Go `type X struct`: the declaration statement heads it.
            if (type === 'variable_declarator' && node.parent && /^(lexical|variable)_declaration$/.test(node.parent.type) && node.parent.namedChildCount === 1) {
              outer = node.parent;
              if (outer.parent && spec.wrappers.has(outer.parent.type)) outer = outer.parent;
            }
            if (type === 'assignment_expression' && node.parent?.type === 'expression_statement') outer = node.parent;
            const body = m.body ? { start: m.body.startIndex, end: m.body.endIndex } : null;
            const idx = defs.length;
            defs.push({
              name: m.name,
              qualifiedName: parentDef ? `${parentDef.qualifiedName}.${m.name}` : m.name,
              kind,
              start: node.startIndex,
              end: node.endIndex,
              outerStart: Math.min(outer.startIndex, node.startIndex),
              startLine: lineOf(starts, node.startIndex),
              endLine: lineOf(starts, Math.max(node.startIndex, node.endIndex - 1)),
              nameStart: m.nameNode?.startIndex ?? -1,
              body,
              docstring: spec.indentBodies && m.body ? pythonDocstring(m.body) : null,
              elide: m.elide,
              container: m.container,
              parent,
              depth: parentDef ? parentDef.depth + 1 : 0,
              refs: new Map(),
            });
            defNodeIds.set(node.id, idx);
            if (m.body) bodyNodes.set(idx, m.body);
            for (let p = node.parent; p && !holdsDef.has(p.id); p = p.parent) holdsDef.add(p.id);
            if (m.nameNode) nameStarts.add(m.nameNode.startIndex);
            stack.push(idx);
          }
        }
      }
      if (descend && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) {
          return finish();
        }
      }
    }
  } finally {
    cursor.delete();
  }

  function finish(): FileAnalysis {
    const longStatements: Range[] = [];
    const commentRuns: FileAnalysis['commentRuns'] = [];
    const ctx: LevelCtx = { spec, defs, defNodeIds, bodyNodes, holdsDef, starts, longStatements, commentRuns };
    containerLevel(root, ctx);
    const moduleDocstring = spec.indentBodies ? pythonDocstring(root) : null;
    return {
      language: lang,
      source,
      defs,
      imports,
      moduleRefs,
      refCount,
      longStatements,
      commentRuns,
      lineStarts: starts,
      moduleDocstring,
      hasErrors: root.hasError,
    };
  }
}

interface LevelCtx {
  spec: LangSpec;
  defs: CodeDef[];
  defNodeIds: Map<number, number>;
  bodyNodes: Map<number, Node>;
  holdsDef: Set<number>;
  starts: number[];
  longStatements: Range[];
  commentRuns: FileAnalysis['commentRuns'];
}

function spanLines(starts: number[], n: Node): number {
  return lineOf(starts, Math.max(n.startIndex, n.endIndex - 1)) - lineOf(starts, n.startIndex) + 1;
}

/** Walk one container level (module, class body, or a statement that holds definitions). */
function containerLevel(node: Node, ctx: LevelCtx): void {
  const { spec, defs, defNodeIds, bodyNodes, holdsDef, starts } = ctx;
  let run: { start: number; end: number; lines: number } | null = null;
  const closeRun = () => {
    if (run) ctx.commentRuns.push(run);
    run = null;
  };
  const children = node.namedChildren;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (!c) continue;
    if (spec.comments.has(c.type)) {
      const lines = spanLines(starts, c);
      const r = run as { start: number; end: number; lines: number } | null;
      if (r && lineOf(starts, c.startIndex) - lineOf(starts, r.end - 1) <= 1) {
        r.end = c.endIndex;
        r.lines += lines;
      } else {
        closeRun();
        run = { start: c.startIndex, end: c.endIndex, lines };
      }
      continue;
    }
    closeRun();
    const di = defNodeIds.get(c.id);
    if (di !== undefined) {
      const d = defs[di]!;
      const body = bodyNodes.get(di);
      if (d.container && body) containerLevel(body, ctx);
      // A constant whose value defines functions (`const api = { get() {...} }`): walk its members.
      else if (d.elide === 'truncate' && holdsDef.has(c.id)) containerLevel(c, ctx);
      continue;
    }
    if (holdsDef.has(c.id)) {
      containerLevel(c, ctx);
      continue;
    }
    if (spec.imports.has(c.type)) continue;
    // Python docstrings are handled (trimmed, never dropped) by the skeleton.
    if (spec.indentBodies && i === 0 && c.type === 'expression_statement' && c.namedChildren[0]?.type === 'string') continue;
    if (spanLines(starts, c) > LONG_STATEMENT_LINES) ctx.longStatements.push({ start: c.startIndex, end: c.endIndex });
  }
  closeRun();
}

/** A file no grammar covers: no definitions; identifier-like words count as module-level references. */
export function plainAnalysis(source: string): FileAnalysis {
  const refCount = new Map<string, number>();
  for (const m of source.matchAll(/[A-Za-z_$][\w$]*/g)) bump(refCount, m[0]);
  return {
    language: null,
    source,
    defs: [],
    imports: [],
    moduleRefs: refCount,
    refCount,
    longStatements: [],
    commentRuns: [],
    lineStarts: lineStarts(source),
    moduleDocstring: null,
    hasErrors: false,
  };
}
