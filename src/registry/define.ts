// The one place a tool is described. MCP tools/list + tools/call, REST (/v1/tools/{name} and aliases),
// tool_help, OpenAPI, the agent card and the profile checks are all derived from these definitions.
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Plan } from '../config.js';
import type { AppDeps } from '../app-deps.js';
import type { Registry, Surface } from './registry.js';
import type { SessionView } from './visibility.js';
import type { Caller, Metering, Role, Scope } from '../domain/scope.js';

// Kept importable from here while callers move to src/domain.
export type { Caller, Metering, Role, Scope } from '../domain/scope.js';

export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface RestAlias {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Express-style path, e.g. /v1/profiles/:profile_id — params become arguments. */
  path: string;
  /** Success status of this route (default: the tool's restStatus, else 200). 204 answers with no body. */
  status?: number;
  /** Arguments this route supplies when the request does not (a seed route that always deletes for good). */
  args?: Record<string, unknown>;
  /**
   * The seed this route copies writes camelCase: request names are read, and result names written, in
   * camelCase — only names the tool's schemas define (free-form values keep their keys).
   */
  casing?: 'camel';
  /** Answer with this field of the result alone (a seed whose list is a bare JSON array). */
  unwrap?: string;
  /** Status for arguments that fail validation (422 by default), for a seed that documents another (400). */
  invalidStatus?: number;
}

/** Controls that exist only inside an MCP session (enable_toolset, enable_tools). */
export interface SessionControl {
  readonly id: string;
  /** What the session lists now, including what was enabled at run time. */
  surface(): Surface;
  /** Add toolsets / single tools to the list; returns the names newly listed (tools/list_changed sent if any). */
  enableToolsets(names: string[]): Promise<string[]>;
  enableTools(names: string[]): Promise<string[]>;
}

export interface ToolContext {
  app: AppDeps;
  /** The tool registry (for tools that describe tools: tool_help, list_toolsets). */
  registry: Registry;
  caller: Caller | null;
  /** The caller's owner/project scope; throws Unauthorized for anonymous callers. */
  scope(): Scope;
  requestId: string;
  signal: AbortSignal;
  /** MCP progress notification when the client asked for it; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  session: SessionControl | null;
  /** What this caller sees and may call (the one visibility rule; see visibility.ts). */
  view: SessionView;
  /** Run another tool through the same pipeline (call_tool), as this caller, in this session. */
  invoke(name: string, args: unknown): Promise<{ tool: AnyTool; output: unknown }>;
  transport: 'mcp' | 'rest' | 'stdio';
  /** Record one metered use of this tool (compressions count against the monthly quota). */
  meter(m: Metering): void;
  /**
   * The call acted on something of another project of the caller's account (a key bound to it): its
   * audit row also goes to that project's log, so that project's admins see who changed their keys.
   */
  alsoAudit(projectId: string): void;
  log: Logger;
}

export interface ToolExample {
  description: string;
  args: Record<string, unknown>;
}

export interface ToolDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  toolset: string;
  title: string;
  /** What the tool does, in one or two sentences: every session pays for it in tools/list. */
  description: string;
  /** Everything else an agent may need (options, limits, caveats): shown by tool_help, not in tools/list. */
  details?: string;
  input: I;
  output: O;
  /**
   * Advertise `output` as outputSchema in tools/list. Only where a client acts on the structure (small,
   * flat results); the result is sent as structuredContent either way, and tool_help shows the schema.
   */
  advertiseOutput?: boolean;
  annotations?: ToolAnnotations;
  /** Callable without an API key (gc_lookup, tool_help, ...). */
  public?: boolean;
  /**
   * The least project role that may call the tool (viewer < operator < admin < owner). Default: viewer
   * for read-only tools (annotations.readOnlyHint), operator for everything that writes. SessionView
   * applies it to every call.
   */
  requires?: Role;
  /**
   * The least plan that may call the tool, for the seed's Team / Enterprise features (roles, analytics,
   * the batch queue, MCP tool compression: team; audit-log export: enterprise). Default: free for the
   * tools of the free profile, pro for the rest. SessionView applies it to every call.
   */
  plan?: 'team' | 'enterprise';
  /** Status of a plan refusal where the seed documents one other than 403 (402 Payment Required). */
  upgradeStatus?: 402;
  /** Counts against the monthly compression quota: the quota is checked before the call. */
  metered?: boolean;
  /**
   * What a secret in the input does (the one rule, src/engine/secrets.ts): 'refuse' → 400
   * sensitive_content (tools that return derived text); 'redact' → value replaced, rest kept, result
   * says so in `secrets_redacted` (declare SecretsRedactedField in the output). Required in spirit for
   * every tool that returns or stores text derived from its input.
   */
  secrets?: 'refuse' | 'redact';
  rest?: RestAlias[];
  /** HTTP status for a successful REST call (default 200). */
  restStatus?: number;
  /**
   * A REST body that is not JSON (CSV, JSON Lines), derived from the result; null keeps JSON. MCP and
   * call_tool still get the structured result.
   */
  restRaw?: (out: z.output<O>) => { contentType: string; body: string; filename?: string } | null;
  /** Response headers derived from the result (X-Cache-Hit, X-Fidelity-Warning ...). */
  restHeaders?: (out: z.output<O>) => Record<string, string>;
  /**
   * The text content the model reads. Tools whose point is text (a skeleton, filtered output) return
   * that text after a one-line header of the figures; default: the output as JSON.
   */
  render?: (out: z.output<O>, registry: Registry) => string;
  /** Non-text MCP content blocks (images, audio, resources) sent after the rendered text, untouched. */
  attachments?: (out: z.output<O>) => Array<Record<string, unknown>>;
  examples?: ToolExample[];
  tags?: string[];
  resource?: ToolResource<O>;
  handler: (ctx: ToolContext, args: z.output<I>) => Promise<z.input<O>> | z.input<O>;
}

/** The tool's result also served as an MCP resource (for clients that attach resources instead of calling tools). */
export interface ToolResource<O extends z.ZodType = z.ZodType> {
  /** RFC 6570 level-1 template, e.g. ctxgate://brain/{project}. */
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  mimeType: string;
  /** The tool's arguments for a URI's variables. */
  args(vars: Record<string, string>): Record<string, unknown>;
  /** The resource's text, from the tool's result. */
  text(out: z.output<O>): string;
  /** The template's variables for the caller's own project (what resources/list shows). */
  listFor?(projectId: string): Record<string, string>;
}

export type AnyTool = ToolDef<z.ZodType, z.ZodType>;

export function defineTool<I extends z.ZodType, O extends z.ZodType>(def: ToolDef<I, O>): AnyTool {
  if (!/^[a-z][a-z0-9_]{1,63}$/.test(def.name)) throw new Error(`tool name "${def.name}" must be snake_case`);
  return def as unknown as AnyTool;
}
