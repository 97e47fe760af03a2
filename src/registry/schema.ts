// zod → JSON Schema (draft-7, what MCP clients' validators expect), and zod errors → one clear message.
import { z } from 'zod';
import { BadRequest, InvalidInput } from '../errors.js';

export type JsonSchema = Record<string, unknown>;

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const js = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as JsonSchema;
  delete js.$schema;
  return js;
}

function fieldName(path: PropertyKey[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(arguments)';
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
}

/**
 * The seed API's convention: a bad value of a known field with a fixed set of options (e.g. fidelity)
 * is 400 listing the valid ones; missing fields and wrong types are 422.
 */
export function zodToAppError(err: z.ZodError, input: unknown): BadRequest | InvalidInput {
  const issue = err.issues[0]!;
  const field = fieldName(issue.path);
  if (issue.code === 'invalid_value' && 'values' in issue) {
    const valid = (issue.values as unknown[]).map((v) => String(v));
    const got = valueAt(input, issue.path);
    return new BadRequest(`Invalid ${field} '${String(got)}'. Valid: [${valid.map((v) => `'${v}'`).join(', ')}]`, 'invalid_value', {
      field,
      valid,
    });
  }
  let message: string;
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    message = `Field '${field}' is required`;
  } else {
    message = `Field '${field}': ${issue.message}`;
  }
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problem${err.issues.length > 2 ? 's' : ''})` : '';
  return new InvalidInput(message + more, {
    field,
    problems: err.issues.slice(0, 10).map((i) => ({ field: fieldName(i.path), message: i.message })),
  });
}
