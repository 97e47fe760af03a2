// camelCase views of snake_case tools, for REST aliases of seeds that write camelCase (RestAlias.casing).
// Only names a tool's JSON Schema defines are converted, so free-form values (a context's JSON
// content, metadata) keep their keys exactly as sent. Pure.
import type { JsonSchema } from './schema.js';

export const toCamel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
export const toSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function resolve(schema: JsonSchema | undefined, root: JsonSchema): JsonSchema | undefined {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === 'string' && i < 10; i++) {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    s = m ? ((root[m[1]!] as Record<string, JsonSchema> | undefined)?.[m[2]!] ?? undefined) : undefined;
  }
  return s;
}

/** The object/array branches of a schema (anyOf: the first branch that fits the value). */
function branchFor(schema: JsonSchema | undefined, value: unknown, root: JsonSchema): JsonSchema | undefined {
  const s = resolve(schema, root);
  if (!s) return undefined;
  const branches = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (!branches) return s;
  const want = Array.isArray(value) ? 'array' : value && typeof value === 'object' ? 'object' : null;
  return want ? branches.map((b) => resolve(b, root)).find((b) => b?.type === want) : undefined;
}

function walk(value: unknown, schema: JsonSchema | undefined, root: JsonSchema, rename: (key: string, props: Record<string, JsonSchema>) => [string, JsonSchema | undefined]): unknown {
  const s = branchFor(schema, value, root);
  if (!s) return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, s.items as JsonSchema | undefined, root, rename));
  if (!value || typeof value !== 'object') return value;
  const props = s.properties as Record<string, JsonSchema> | undefined;
  if (!props) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const [name, sub] = rename(k, props);
    out[name] = walk(v, sub, root, rename);
  }
  return out;
}

/** Request arguments written in camelCase → the tool's snake_case names (unknown names pass through, to be refused by name). */
export function snakeArgs(value: unknown, inputSchema: JsonSchema): unknown {
  return walk(value, inputSchema, inputSchema, (k, props) => {
    if (k in props) return [k, props[k]];
    const snake = toSnake(k);
    return snake in props ? [snake, props[snake]] : [k, undefined];
  });
}

/** A result's snake_case names → camelCase, as far as the output schema names them. */
export function camelResult(value: unknown, outputSchema: JsonSchema): unknown {
  return walk(value, outputSchema, outputSchema, (k, props) => [k in props ? toCamel(k) : k, props[k]]);
}

/** The schema as a camelCase route reads or writes it (OpenAPI for such routes). */
export function camelSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(camelSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as JsonSchema)) {
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as JsonSchema).map(([p, sub]) => [toCamel(p), camelSchema(sub)]));
    else if (k === 'required' && Array.isArray(v)) out[k] = v.map((p) => (typeof p === 'string' ? toCamel(p) : p));
    else out[k] = camelSchema(v);
  }
  return out;
}
