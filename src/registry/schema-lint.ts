// Portability lint of tool schemas: the constructs that are legal JSON Schema yet rejected or
// mangled by some MCP client. The first three are the MCP Inspector's tool-schema portability rules
// (core/json/schemaLint.ts, inspector PRs #2121 and #2395: an array `type`, a schema that constrains
// nothing, a bare boolean schema); the last two are the issue's: ±2^53 integer bounds, which say
// nothing and cost tokens, and nullable inputs, which Gemini-style clients reject. Pure.
import type { JsonSchema } from './schema.js';

export type LintRule = 'type-union' | 'untyped-schema' | 'boolean-schema' | 'unsafe-integer-bound' | 'nullable-input';

export interface LintFinding {
  rule: LintRule;
  /** JSON pointer-ish path inside the schema, e.g. /properties/query. */
  at: string;
  message: string;
}

const SAFE = Number.MAX_SAFE_INTEGER;
const CONSTRAINS = ['type', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', '$ref', 'not'];

/** Findings for one tool schema (inputSchema or outputSchema). */
export function lintSchema(schema: JsonSchema, kind: 'input' | 'output'): LintFinding[] {
  const out: LintFinding[] = [];
  const visit = (node: unknown, at: string, isRoot: boolean, underAdditional: boolean) => {
    if (typeof node === 'boolean') {
      if (!(node === false && underAdditional)) out.push({ rule: 'boolean-schema', at, message: `bare boolean schema ${node}` });
      return;
    }
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as JsonSchema;
    if (Array.isArray(s.type)) out.push({ rule: 'type-union', at, message: `type is an array ${JSON.stringify(s.type)}` });
    if (!isRoot && !CONSTRAINS.some((k) => k in s)) out.push({ rule: 'untyped-schema', at, message: 'schema with no type (accepts anything)' });
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
      if (typeof s[k] === 'number' && Math.abs(s[k] as number) >= SAFE) out.push({ rule: 'unsafe-integer-bound', at, message: `${k} ${s[k]}` });
    }
    if (kind === 'input' && Array.isArray(s.anyOf) && (s.anyOf as JsonSchema[]).some((b) => b?.type === 'null')) {
      out.push({ rule: 'nullable-input', at, message: 'anyOf with a null branch' });
    }
    for (const [k, v] of Object.entries(s)) {
      if (k === 'properties' || k === 'definitions' || k === '$defs') {
        for (const [p, sub] of Object.entries(v as JsonSchema)) visit(sub, `${at}/${k}/${p}`, false, false);
      } else if (k === 'items' || k === 'not') {
        if (Array.isArray(v)) v.forEach((sub, i) => visit(sub, `${at}/${k}/${i}`, false, false));
        else visit(v, `${at}/${k}`, false, false);
      } else if (k === 'additionalProperties') {
        visit(v, `${at}/${k}`, false, true);
      } else if (k === 'anyOf' || k === 'oneOf' || k === 'allOf') {
        (v as unknown[]).forEach((sub, i) => visit(sub, `${at}/${k}/${i}`, false, false));
      }
    }
  };
  visit(schema, '', true, false);
  return out;
}
