// zod → JSON Schema (draft-7, what MCP clients' validators expect) in the portable subset every client
// accepts, the checks zod cannot express (unknown arguments, nesting depth, size of free-form objects),
// and zod errors → one clear message that names the field and the rule without echoing the input.
import { z } from 'zod';
import { LIMITS } from '../config.js';
import { detectSecret } from '../engine/secrets.js';
import { findModel, modelIds, type ModelInfo } from '../engine/tokens.js';
import { BadRequest, InvalidInput } from '../errors.js';
import { closestNames } from './suggest.js';

export type JsonSchema = Record<string, unknown>;

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const js = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as JsonSchema;
  delete js.$schema;
  return portable(js, io) as JsonSchema;
}

const SAFE = Number.MAX_SAFE_INTEGER;
const isNullSchema = (s: unknown) => !!s && typeof s === 'object' && (s as JsonSchema).type === 'null';

/**
 * The portable subset (what the MCP Inspector's schema lint accepts, and Gemini-style clients that
 * read `type` as one string): no ±2^53 bounds (zod's `.int()` default, which says nothing), no
 * `type: [X, "null"]` / `anyOf: [X, {type: "null"}]` for optional inputs (null is still accepted at
 * validation, just not advertised), no `additionalProperties: {}` (the default anyway). Output
 * schemas keep their nulls (structuredContent must stay valid against what is advertised), as
 * anyOf of single types rather than a `type` array.
 */
function portable(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((n) => portable(n, io));
  if (!node || typeof node !== 'object') return node;
  let s = { ...(node as JsonSchema) };
  if (io === 'input') {
    const any = s.anyOf as unknown[] | undefined;
    if (Array.isArray(any) && any.length === 2 && any.some(isNullSchema)) {
      const { anyOf: _drop, ...outer } = s;
      s = { ...(any.find((b) => !isNullSchema(b)) as JsonSchema), ...outer };
    }
    if (Array.isArray(s.type)) {
      const types = (s.type as string[]).filter((t) => t !== 'null');
      s.type = types.length === 1 ? types[0] : types;
    }
    if (s.default === null) delete s.default;
  } else if (Array.isArray(s.type)) {
    // Outputs may be null, so say so the way the Inspector suggests: anyOf of single types.
    const { type, ...rest } = s;
    const branches = (type as string[]).map((t) => ({ type: t }));
    s = branches.length === 1 ? { ...rest, type: (type as string[])[0] } : { ...rest, anyOf: branches };
  }
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
    if (typeof s[k] === 'number' && Math.abs(s[k] as number) >= SAFE) delete s[k];
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object' && Object.keys(s.additionalProperties).length === 0) {
    delete s.additionalProperties;
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' || k === 'definitions' || k === '$defs') {
      s[k] = Object.fromEntries(Object.entries(v as JsonSchema).map(([p, sub]) => [p, portable(sub, io)]));
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not' || k === 'anyOf' || k === 'oneOf' || k === 'allOf') {
      s[k] = portable(v, io);
    }
  }
  return s;
}

function fieldName(path: PropertyKey[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(arguments)';
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
}

/**
 * At most a short excerpt of a bad value, for an error message: never a credential (a secret pasted
 * into the wrong field must not come back), never more than a few characters of anything else.
 */
export function excerpt(value: unknown, max = 16): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  // Credentials by marker, by well-known prefix, or by shape (a long run of key characters mixing letters and digits).
  // Ids are not credentials: a UUID, or one of ours (newId: a short prefix and 16 base64url characters).
  const id = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) || /^[a-z]{2,3}_[A-Za-z0-9_-]{16}$/.test(value);
  const keyLike = !id && value.length >= 20 && /^[A-Za-z0-9+/_=.-]+$/.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value);
  if (detectSecret(value) || /^(gc_|sk-|ghp_|gho_|xox[bp]-|AKIA|ASIA|eyJ)/.test(value) || keyLike) {
    return '[redacted]';
  }
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/**
 * The seed API's convention: a bad value of a known field with a fixed set of options (e.g. fidelity)
 * is 400 listing the valid ones; missing fields and wrong types are 422. Every body names the field
 * and the rule it broke.
 */
export function zodToAppError(err: z.ZodError, input: unknown): BadRequest | InvalidInput {
  const issue = err.issues[0]!;
  const field = fieldName(issue.path);
  // A missing enum field is reported by zod as a bad value (undefined is not an option): it is missing.
  if (issue.code === 'invalid_value' && 'values' in issue && valueAt(input, issue.path) !== undefined) {
    const valid = (issue.values as unknown[]).map((v) => String(v));
    const got = excerpt(valueAt(input, issue.path));
    return new BadRequest(`Invalid ${field} ${got}: must be one of [${valid.map((v) => `'${v}'`).join(', ')}]`, 'invalid_value', {
      field,
      rule: 'enum',
      valid,
    });
  }
  let message: string;
  let rule: string = issue.code;
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && valueAt(input, issue.path) === undefined) {
    message = `Field '${field}' is required`;
    rule = 'required';
  } else {
    message = `Field '${field}': ${issue.message}`;
  }
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problem${err.issues.length > 2 ? 's' : ''})` : '';
  return new InvalidInput(message + more, {
    field,
    rule,
    problems: err.issues.slice(0, 10).map((i) => ({ field: fieldName(i.path), rule: i.code, message: i.message })),
  });
}

/** optional / nullable / default / readonly wrappers → the schema inside. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = (s as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType; type: string } } })._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    s = inner;
  }
  return s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Deepest nesting of a JSON value, walked without recursion (a 10,000-deep value must not overflow). */
function depthExceeds(value: unknown, max: number): string[] | null {
  const stack: Array<{ v: unknown; d: number; path: string[] }> = [{ v: value, d: 0, path: [] }];
  while (stack.length) {
    const { v, d, path } = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d >= max) return path;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (child && typeof child === 'object') stack.push({ v: child, d: d + 1, path: path.length < 3 ? [...path, k] : path });
    }
  }
  return null;
}

/**
 * What the schema cannot say: an argument the tool does not have (422 naming it and the closest real
 * one: `fidelty` → `fidelity`), nesting deeper than LIMITS.args.maxDepth, and free-form objects (a
 * record of anything, e.g. metadata) larger than LIMITS.args.freeformBytes. Runs before zod parses.
 */
export function checkArguments(input: z.ZodType, args: unknown): void {
  if (!isPlainObject(args)) return;
  const deep = depthExceeds(args, LIMITS.args.maxDepth);
  if (deep) {
    const field = deep[0] ?? '(arguments)';
    throw new InvalidInput(`Field '${field}' is nested more than ${LIMITS.args.maxDepth} levels deep (the limit for any argument)`, {
      field,
      rule: 'max_depth',
      limit: LIMITS.args.maxDepth,
    });
  }
  const shape = unwrap(input);
  if (shape instanceof z.ZodObject) {
    const known = Object.keys(shape.shape);
    const unknown = Object.keys(args).filter((k) => !known.includes(k));
    if (unknown.length) {
      const field = unknown[0]!;
      const [closest] = closestNames(field, known, 1);
      throw new InvalidInput(
        `Unknown argument '${field}'.${closest ? ` Did you mean '${closest}'?` : ''} Valid arguments: ${known.join(', ') || '(none)'}`,
        { field, rule: 'unknown_argument', ...(closest && { suggestion: closest }), valid: known },
      );
    }
  }
  checkFreeform(input, args, []);
}

function checkFreeform(schema: z.ZodType, value: unknown, path: PropertyKey[]): void {
  if (value === undefined || value === null) return;
  const s = unwrap(schema);
  if (s instanceof z.ZodRecord || s instanceof z.ZodUnknown || s instanceof z.ZodAny) {
    if (typeof value !== 'object') return;
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > LIMITS.args.freeformBytes) {
      throw new InvalidInput(`Field '${fieldName(path)}' is ${bytes} bytes of JSON; free-form objects are limited to ${LIMITS.args.freeformBytes} bytes`, {
        field: fieldName(path),
        rule: 'max_bytes',
        limit: LIMITS.args.freeformBytes,
      });
    }
  } else if (s instanceof z.ZodObject && isPlainObject(value)) {
    for (const [k, sub] of Object.entries(s.shape as Record<string, z.ZodType>)) checkFreeform(sub, value[k], [...path, k]);
  } else if (s instanceof z.ZodArray && Array.isArray(value)) {
    value.forEach((v, i) => checkFreeform(s.element as z.ZodType, v, [...path, i]));
  }
}

/** The model a `model` argument names; an unknown name is one 400 (same wording in every tool), listing the known ones. */
export function knownModel(name: string, field = 'model'): ModelInfo {
  const model = findModel(name);
  if (!model) throw new BadRequest(`Unknown model ${excerpt(name, 40)} in \`${field}\`. Known: ${modelIds().join(', ')}`, 'invalid_value', { field, rule: 'enum', valid: modelIds() });
  return model;
}
