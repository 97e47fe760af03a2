// Per-language knowledge of tree-sitter node types: which nodes define a named symbol (and where its
// name and body are), which wrap a definition (export, decorators, templates), which are imports,
// references and comments. The analyser walks the tree once with these tables.
import type { Node } from 'web-tree-sitter';
import type { LanguageId } from './languages.js';

export type DefKind =
  | 'function' | 'method' | 'class' | 'interface' | 'struct' | 'enum' | 'type' | 'trait' | 'impl'
  | 'module' | 'namespace' | 'macro' | 'constant' | 'variable' | 'prototype';

/**
 * How a definition is shortened in a skeleton: `body` replaces the body with a marker, `truncate`
 * keeps only the first line (long constants, macros, type aliases), `none` keeps it whole.
 */
export type Elision = 'body' | 'truncate' | 'none';

export interface DefMatch {
  kind: DefKind;
  name: string;
  nameNode: Node | null;
  /** The node elided (`body`) or whose members are walked (`container`). */
  body: Node | null;
  elide: Elision;
  /** Class-like: the body is kept and its members are definitions of their own. */
  container: boolean;
}

export type DefRule = (node: Node) => DefMatch | null;

export interface LangSpec {
  defs: Record<string, DefRule>;
  /** Nodes that wrap a single definition and belong to its header (export, decorators, template<>). */
  wrappers: Set<string>;
  imports: Set<string>;
  identifiers: Set<string>;
  comments: Set<string>;
  lineComment: string;
  /** Python: bodies are indentation blocks and may start with a docstring. */
  indentBodies: boolean;
}

const f = (n: Node, field: string): Node | null => n.childForFieldName(field);

function def(kind: DefKind, nameNode: Node | null, body: Node | null, elide: Elision, container = false, name?: string): DefMatch | null {
  const text = name ?? nameNode?.text;
  if (!text) return null;
  return { kind, name: text, nameNode, body, elide, container };
}

const named = (kind: DefKind, elide: Elision, container = false, bodyField = 'body'): DefRule =>
  (n) => def(kind, f(n, 'name'), f(n, bodyField), f(n, bodyField) ? elide : elide === 'body' ? 'none' : elide, container);

// ---- Python -------------------------------------------------------------------------------------
const python: LangSpec = {
  defs: {
    function_definition: named('function', 'body'),
    class_definition: named('class', 'none', true),
    // Module- and class-level assignments are definitions too (constants, type aliases, config).
    assignment: (n) => {
      const stmt = n.parent;
      const level = stmt?.parent?.type;
      if (stmt?.type !== 'expression_statement' || (level !== 'module' && level !== 'block')) return null;
      if (level === 'block' && stmt.parent?.parent?.type !== 'class_definition') return null;
      const left = f(n, 'left');
      if (left?.type !== 'identifier') return null;
      return def('variable', left, null, 'truncate');
    },
  },
  wrappers: new Set(['decorated_definition']),
  imports: new Set(['import_statement', 'import_from_statement', 'future_import_statement']),
  identifiers: new Set(['identifier']),
  comments: new Set(['comment']),
  lineComment: '#',
  indentBodies: true,
};

// ---- JavaScript / TypeScript ---------------------------------------------------------------------
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
const CLASS_VALUES = new Set(['class', 'class_expression']);

function functionValue(kind: DefKind, nameNode: Node | null, value: Node | null, name?: string): DefMatch | null {
  if (!value) return null;
  if (FUNCTION_VALUES.has(value.type)) {
    const body = f(value, 'body');
    return def(kind, nameNode, body, body?.type === 'statement_block' ? 'body' : 'truncate', false, name);
  }
  if (CLASS_VALUES.has(value.type)) return def('class', nameNode, f(value, 'body'), 'none', true, name);
  return null;
}

/** `exports.foo`, `Foo.prototype.bar`, `module.exports.baz` → the last property name. */
function memberName(left: Node | null): { node: Node | null; name: string } | null {
  if (!left) return null;
  if (left.type === 'identifier') return { node: left, name: left.text };
  if (left.type === 'member_expression') {
    const prop = f(left, 'property');
    if (prop && prop.text !== 'exports') return { node: prop, name: prop.text };
  }
  return null;
}

const jsDefs: Record<string, DefRule> = {
  function_declaration: named('function', 'body'),
  generator_function_declaration: named('function', 'body'),
  class_declaration: named('class', 'none', true),
  method_definition: named('method', 'body'),
  variable_declarator: (n) => {
    const nameNode = f(n, 'name');
    if (nameNode?.type !== 'identifier') return null;
    const value = f(n, 'value');
    const fv = functionValue('function', nameNode, value);
    if (fv) return fv;
    // `const fs = require('fs')` is an import, not a definition of this file.
    if (value?.type === 'call_expression' && f(value, 'function')?.text === 'require') return null;
    // Other top-level constants are definitions (exported config, lookup tables).
    const decl = n.parent;
    const level = decl?.parent?.type;
    if (level === 'program' || level === 'export_statement') return def('variable', nameNode, null, 'truncate');
    return null;
  },
  assignment_expression: (n) => {
    const m = memberName(f(n, 'left'));
    if (!m) return null;
    return functionValue('function', m.node, f(n, 'right'), m.name);
  },
  pair: (n) => {
    const key = f(n, 'key');
    if (!key || !/^(property_identifier|string|number)$/.test(key.type)) return null;
    return functionValue('method', key, f(n, 'value'), key.text.replace(/^['"]|['"]$/g, ''));
  },
  field_definition: (n) => functionValue('method', f(n, 'property'), f(n, 'value')),
};

const javascript: LangSpec = {
  defs: jsDefs,
  wrappers: new Set(['export_statement']),
  imports: new Set(['import_statement']),
  identifiers: new Set(['identifier', 'property_identifier', 'shorthand_property_identifier', 'shorthand_property_identifier_pattern']),
  comments: new Set(['comment']),
  lineComment: '//',
  indentBodies: false,
};

const tsDefs: Record<string, DefRule> = {
  ...jsDefs,
  abstract_class_declaration: named('class', 'none', true),
  public_field_definition: (n) => functionValue('method', f(n, 'name'), f(n, 'value')),
  interface_declaration: named('interface', 'none', true),
  type_alias_declaration: (n) => def('type', f(n, 'name'), null, 'truncate'),
  enum_declaration: named('enum', 'none', true),
  internal_module: named('namespace', 'none', true),
  module: named('namespace', 'none', true),
  function_signature: (n) => def('prototype', f(n, 'name'), null, 'none'),
  method_signature: (n) => def('prototype', f(n, 'name'), null, 'none'),
  abstract_method_signature: (n) => def('prototype', f(n, 'name'), null, 'none'),
};

const typescript: LangSpec = {
  ...javascript,
  defs: tsDefs,
  wrappers: new Set(['export_statement', 'ambient_declaration']),
  identifiers: new Set([...javascript.identifiers, 'type_identifier']),
};

// ---- Java ----------------------------------------------------------------------------------------
const java: LangSpec = {
  defs: {
    class_declaration: named('class', 'none', true),
    interface_declaration: named('interface', 'none', true),
    enum_declaration: named('enum', 'none', true),
    record_declaration: named('class', 'none', true),
    annotation_type_declaration: named('interface', 'none', true),
    method_declaration: (n) => {
      const body = f(n, 'body');
      return def(body ? 'method' : 'prototype', f(n, 'name'), body, body ? 'body' : 'none');
    },
    constructor_declaration: named('method', 'body'),
    compact_constructor_declaration: named('method', 'body'),
  },
  wrappers: new Set(),
  imports: new Set(['import_declaration', 'package_declaration']),
  identifiers: new Set(['identifier', 'type_identifier']),
  comments: new Set(['line_comment', 'block_comment']),
  lineComment: '//',
  indentBodies: false,
};

// ---- Go ------------------------------------------------------------------------------------------
const go: LangSpec = {
  defs: {
    function_declaration: named('function', 'body'),
    method_declaration: named('method', 'body'),
    type_spec: (n) => {
      const t = f(n, 'type')?.type;
      const kind: DefKind = t === 'struct_type' ? 'struct' : t === 'interface_type' ? 'interface' : 'type';
      return def(kind, f(n, 'name'), null, 'none');
    },
    const_spec: (n) => (n.parent?.parent?.type === 'source_file' ? def('constant', f(n, 'name'), null, 'truncate') : null),
    var_spec: (n) => (n.parent?.parent?.type === 'source_file' ? def('variable', f(n, 'name'), null, 'truncate') : null),
  },
  wrappers: new Set(['type_declaration']),
  imports: new Set(['import_declaration', 'package_clause']),
  identifiers: new Set(['identifier', 'type_identifier', 'field_identifier']),
  comments: new Set(['comment']),
  lineComment: '//',
  indentBodies: false,
};

// ---- Rust ----------------------------------------------------------------------------------------
const rust: LangSpec = {
  defs: {
    function_item: named('function', 'body'),
    function_signature_item: (n) => def('prototype', f(n, 'name'), null, 'none'),
    struct_item: named('struct', 'none'),
    union_item: named('struct', 'none'),
    enum_item: named('enum', 'none'),
    trait_item: named('trait', 'none', true),
    impl_item: (n) => {
      const type = f(n, 'type');
      return def('impl', type, f(n, 'body'), 'none', true, type?.text.replace(/<.*$/s, ''));
    },
    mod_item: (n) => {
      const body = f(n, 'body');
      return body ? def('module', f(n, 'name'), body, 'none', true) : null;
    },
    macro_definition: (n) => def('macro', f(n, 'name'), null, 'truncate'),
    const_item: (n) => def('constant', f(n, 'name'), null, 'truncate'),
    static_item: (n) => def('constant', f(n, 'name'), null, 'truncate'),
    type_item: (n) => def('type', f(n, 'name'), null, 'truncate'),
  },
  wrappers: new Set(),
  imports: new Set(['use_declaration', 'extern_crate_declaration']),
  identifiers: new Set(['identifier', 'type_identifier', 'field_identifier']),
  comments: new Set(['line_comment', 'block_comment']),
  lineComment: '//',
  indentBodies: false,
};

// ---- C / C++ -------------------------------------------------------------------------------------
const DECLARATOR_WRAPPERS = new Set([
  'pointer_declarator', 'reference_declarator', 'parenthesized_declarator', 'attributed_declarator', 'array_declarator',
]);

/** Walk a C declarator down to the function declarator's name (`Foo::bar`, `operator==`, `~Foo`). */
function functionName(declarator: Node | null): { node: Node; name: string; qualified: string } | null {
  let d = declarator;
  while (d && DECLARATOR_WRAPPERS.has(d.type)) d = f(d, 'declarator');
  if (d?.type !== 'function_declarator') return null;
  let inner = f(d, 'declarator');
  while (inner && DECLARATOR_WRAPPERS.has(inner.type)) inner = f(inner, 'declarator');
  if (!inner) return null;
  const qualified = inner.text;
  let last: Node = inner;
  while (last.type === 'qualified_identifier') {
    const next = f(last, 'name');
    if (!next) break;
    last = next;
  }
  if (last.type === 'template_function') last = f(last, 'name') ?? last;
  return { node: last, name: last.text, qualified };
}

const cDefs: Record<string, DefRule> = {
  function_definition: (n) => {
    const fn = functionName(f(n, 'declarator'));
    return fn ? def('function', fn.node, f(n, 'body'), 'body', false, fn.name) : null;
  },
  declaration: (n) => {
    const fn = functionName(f(n, 'declarator'));
    return fn ? def('prototype', fn.node, null, 'none', false, fn.name) : null;
  },
  field_declaration: (n) => {
    const fn = functionName(f(n, 'declarator'));
    return fn ? def('prototype', fn.node, null, 'none', false, fn.name) : null;
  },
  struct_specifier: (n) => (f(n, 'body') ? def('struct', f(n, 'name'), f(n, 'body'), 'none', true) : null),
  union_specifier: (n) => (f(n, 'body') ? def('struct', f(n, 'name'), f(n, 'body'), 'none', true) : null),
  enum_specifier: (n) => (f(n, 'body') ? def('enum', f(n, 'name'), null, 'none') : null),
  type_definition: (n) => {
    let d = f(n, 'declarator');
    while (d && DECLARATOR_WRAPPERS.has(d.type)) d = f(d, 'declarator');
    if (d?.type === 'function_declarator') d = f(d, 'declarator');
    while (d && DECLARATOR_WRAPPERS.has(d.type)) d = f(d, 'declarator');
    return d && d.type === 'type_identifier' ? def('type', d, null, 'none') : null;
  },
  preproc_def: (n) => def('macro', f(n, 'name'), null, 'truncate'),
  preproc_function_def: (n) => def('macro', f(n, 'name'), null, 'truncate'),
};

const c: LangSpec = {
  defs: cDefs,
  wrappers: new Set(),
  imports: new Set(['preproc_include']),
  identifiers: new Set(['identifier', 'type_identifier', 'field_identifier']),
  comments: new Set(['comment']),
  lineComment: '//',
  indentBodies: false,
};

const cpp: LangSpec = {
  ...c,
  defs: {
    ...cDefs,
    class_specifier: (n) => (f(n, 'body') ? def('class', f(n, 'name'), f(n, 'body'), 'none', true) : null),
    namespace_definition: (n) => def('namespace', f(n, 'name'), f(n, 'body'), 'none', true, f(n, 'name')?.text ?? '(anonymous)'),
  },
  wrappers: new Set(['template_declaration']),
  imports: new Set(['preproc_include', 'using_declaration']),
  identifiers: new Set(['identifier', 'type_identifier', 'field_identifier', 'namespace_identifier']),
};

export const SPECS: Record<LanguageId, LangSpec> = {
  python, javascript, typescript, tsx: typescript, java, go, rust, c, cpp,
};
