// Typed errors, mapped once: to an HTTP status + {detail, ...} in REST, to an isError tool result in MCP,
// and to a JSON-RPC error whose `data` is the same body on /mcp transport failures.
//
// One vocabulary for every body: `detail` (what went wrong and what would be valid), `error_code`,
// and where they apply `field` (the argument or header at fault), `rule` (what it broke:
// required, enum, unknown_argument, max_depth, max_size, ...), `limit` + `unit` for caps, `size`
// for the offending size. Never the bad value itself beyond a short redacted excerpt.
export type ErrorBody = { detail: string; error_code: string } & Record<string, unknown>;

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
  toBody(): ErrorBody {
    return { detail: this.message, error_code: this.code, ...this.extra };
  }
}

/** Well-formed but invalid input (422), or a bad value of a known field (400 via `status`). */
export class InvalidInput extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}, status = 422, code = 'invalid_input') {
    super(status, code, message, extra);
  }
}
/**
 * Arguments that take exactly one of several fields ("messages or text"): returns the one given.
 * Neither → 422 `required` naming every choice; several → 422 `one_of` naming the extra one. A field
 * counts as given unless it is undefined, null or ''. `field` is the first choice (none given) or the
 * second one given (too many); `valid` lists the choices.
 */
export function exactlyOneOf<T extends object, K extends keyof T & string>(args: T, fields: readonly K[]): K {
  const given = fields.filter((f) => args[f] !== undefined && args[f] !== null && (args[f] as unknown) !== '');
  if (given.length === 1) return given[0]!;
  const names = fields.map((f) => `\`${f}\``);
  const choices = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join('');
  if (given.length === 0) throw new InvalidInput(`give one of ${choices}`, { field: fields[0], rule: 'required', valid: [...fields] });
  throw new InvalidInput(`give only one of ${choices} (got ${given.map((f) => `\`${f}\``).join(' and ')})`, { field: given[1], rule: 'one_of', valid: [...fields] });
}

export class BadRequest extends AppError {
  constructor(message: string, code = 'bad_request', extra: Record<string, unknown> = {}) {
    super(400, code, message, extra);
  }
}
export class Unauthorized extends AppError {
  constructor(message = 'Missing or invalid Bearer token (expected "Authorization: Bearer gc_...")') {
    super(401, 'unauthorized', message, {}, { 'WWW-Authenticate': 'Bearer realm="ctxgate"' });
  }
}
export class Forbidden extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(403, 'forbidden', message, extra);
  }
}
/**
 * A project-bound key naming another project (or the account's default): 403 `project_bound_key`,
 * said alike whether that project exists or not, so it tells the key nothing about other projects.
 */
export function projectBoundRefusal(boundTo: string, field = 'project_id'): Forbidden {
  return new Forbidden(`This key is bound to project ${boundTo} and cannot act on another project or the account's default`, { field, reason: 'project_bound_key' });
}
export class NotFound extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(404, 'not_found', message, extra);
  }
}
export class Conflict extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(409, 'conflict', message, extra);
  }
}
export class PayloadTooLarge extends AppError {
  /** extra: { field, limit, unit ('bytes' default | 'files' | ...), size }; older spellings are mapped. */
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(413, 'payload_too_large', message, capVocabulary(extra));
  }
}

/** limit_bytes / max_bytes / limit_files / size_bytes / bytes → limit, unit, size: one way to state a cap. */
function capVocabulary(extra: Record<string, unknown>): Record<string, unknown> {
  const { limit_bytes, max_bytes, limit_files, size_bytes, bytes, ...rest } = extra;
  const out: Record<string, unknown> = { rule: 'max_size', ...rest };
  const limit = rest.limit ?? limit_bytes ?? max_bytes ?? limit_files;
  if (limit !== undefined) {
    out.limit = limit;
    out.unit = rest.unit ?? (limit_files !== undefined ? 'files' : 'bytes');
  }
  const size = rest.size ?? size_bytes ?? bytes;
  if (size !== undefined) out.size = size;
  return out;
}
export class UnsupportedMediaType extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(415, 'unsupported_media_type', message, extra);
  }
}
export class RateLimited extends AppError {
  constructor(message: string, retryAfterSec: number, extra: Record<string, unknown> = {}) {
    super(429, 'rate_limited', message, { retry_after: retryAfterSec, ...extra }, { 'Retry-After': String(retryAfterSec) });
  }
}
export class QuotaExceeded extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(429, 'quota_exceeded', message, extra);
  }
}
export class Unavailable extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(503, 'unavailable', message, extra);
  }
}

/** The caller went away or cancelled (client closed request): work stopped, nothing half-written. */
export class Cancelled extends AppError {
  constructor(message = 'The request was cancelled', extra: Record<string, unknown> = {}) {
    super(499, 'cancelled', message, extra);
  }
}
/** A remote server (URL fetch, upstream MCP server, webhook target) failed or answered an error. */
export class UpstreamFailed extends AppError {
  constructor(message: string, code = 'upstream_failed', extra: Record<string, unknown> = {}) {
    super(502, code, message, extra);
  }
}
/** A remote server gave no complete answer in time. */
export class UpstreamTimeout extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(504, 'upstream_timeout', message, extra);
  }
}

/** JSON-RPC error codes for failures of the /mcp transport itself (tool errors are isError results). */
const RPC_CODES: Record<number, number> = { 400: -32600, 401: -32001, 404: -32001, 413: -32600, 415: -32600, 500: -32603 };

/** The same error as a JSON-RPC error response: message = detail, data = the REST body. */
export function toJsonRpcError(err: AppError, code?: number): { jsonrpc: '2.0'; error: { code: number; message: string; data: ErrorBody }; id: null } {
  return { jsonrpc: '2.0', error: { code: code ?? RPC_CODES[err.status] ?? -32000, message: err.message, data: err.toBody() }, id: null };
}

/** Anything that is not an AppError becomes an opaque 500: never a stack trace to the caller. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError(500, 'internal_error', 'Internal error; the server log has the details under this request id.');
}

/** The REST mapping: HTTP status, headers and the `{detail, error_code, ...}` body. */
export function restError(err: unknown): { status: number; headers: Record<string, string>; body: ErrorBody } {
  const e = toAppError(err);
  return { status: e.status, headers: e.headers, body: e.toBody() };
}

/** The MCP tool-result mapping: `isError` with the REST body (and its status) as the text. */
export function toolErrorResult(err: unknown): { isError: true; content: Array<{ type: 'text'; text: string }> } {
  const e = toAppError(err);
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ status: e.status, ...e.toBody() }) }] };
}

/** The JSON-RPC mapping for refusals at the /mcp transport (before any tool runs). */
