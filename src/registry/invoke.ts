// The one call pipeline every transport uses (MCP tools/call, call_tool, REST): look up → authenticate
// → plan gate (SessionView) → check arguments (unknown names, depth, size) → validate input → quota →
// handler → validate output → metrics. Throws AppErrors only. Quota, metering and metrics are call
// hooks the app's wiring supplies (src/app.ts): the registry knows neither services nor the server.
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { AppDeps } from '../app-deps.js';
import { AppError, Unauthorized, toAppError } from '../errors.js';
import type { AnyTool, Caller, Metering, SessionControl, ToolContext } from './define.js';
import type { Registry } from './registry.js';
import { checkArguments, zodToAppError } from './schema.js';
import { REST_SURFACE, SessionView } from './visibility.js';
import { applySecretsPolicy } from '../engine/secrets.js';

/** What happens around every call, supplied by the app's wiring. */
export interface CallHooks {
  /**
   * Before a metered tool runs: throws (QuotaExceeded) when the caller may not make the call, else
   * holds one unit of the quota for it (exact under concurrent calls on several replicas). The call's
   * first ctx.meter settles the hold; a call that meters nothing releases it.
   */
  holdQuota(caller: Caller, tool: AnyTool): Promise<{ meter(m: Metering): Promise<void>; release(): Promise<void> }>;
  /** One metered use reported by a handler (ctx.meter); awaited before the call returns. */
  meter(caller: Caller, tool: AnyTool, m: Metering): Promise<void>;
  /** After every call, whatever its outcome. */
  observe(e: { tool: string; transport: CallEnv['transport']; outcome: 'ok' | 'rejected' | 'error'; seconds: number | null }): void;
  /**
   * After every call made with a key (audit log, events), awaited; a failure here is logged, never
   * the call's failure. It receives the arguments and the result, and must keep no more than ids.
   */
  record?(e: CallRecord): Promise<void>;
}

/** One finished call, as the `record` hook sees it. */
export interface CallRecord {
  /** The tool, or null when the name was no tool. */
  tool: AnyTool | null;
  name: string;
  caller: Caller;
  transport: CallEnv['transport'];
  clientAddress: string | null;
  requestId: string;
  outcome: 'ok' | 'refused' | 'error';
  status: number;
  code: string | null;
  args: unknown;
  output: unknown;
  /** Other projects of the caller's account the call acted on (ToolContext.alsoAudit). */
  alsoProjects?: string[];
}

export interface CallEnv {
  deps: AppDeps;
  registry: Registry;
  hooks: CallHooks;
  caller: Caller | null;
  transport: ToolContext['transport'];
  requestId: string;
  signal: AbortSignal;
  log: Logger;
  session?: SessionControl | null;
  progress?: ToolContext['progress'];
  /** The client's address (HTTP transports), for the audit log. */
  clientAddress?: string | null;
}

export interface CallResult {
  tool: AnyTool;
  output: unknown;
}

/** What this caller sees and may call: the session's surface, or every tool over REST. */
export function viewFor(env: CallEnv): SessionView {
  return new SessionView(env.registry, env.caller, env.session?.surface() ?? REST_SURFACE);
}

/** Every registered tool can be named by every caller; only a name that is no tool is "not found". */
export function resolveTool(env: CallEnv, name: string): AnyTool {
  const tool = env.registry.get(name);
  if (!tool) throw env.registry.unknownTool(name, 'name');
  return tool;
}

export async function invokeTool(env: CallEnv, name: string, rawArgs: unknown): Promise<CallResult> {
  const started = performance.now();
  let toolName = name;
  try {
    const tool = resolveTool(env, name);
    toolName = tool.name;
    const view = viewFor(env);
    const refusal = view.refusal(tool);
    if (refusal) throw refusal;
    checkArguments(tool.input, rawArgs ?? {});
    const parsed = tool.input.safeParse(rawArgs ?? {});
    if (!parsed.success) throw zodToAppError(parsed.error, rawArgs ?? {});
    const hold = tool.metered && env.caller ? await env.hooks.holdQuota(env.caller, tool) : null;
    // Metering writes are started as the handler reports use and awaited before the call returns.
    const metered: Array<Promise<void>> = [];
    const alsoProjects = new Set<string>();

    const ctx: ToolContext = {
      app: env.deps,
      registry: env.registry,
      caller: env.caller,
      scope() {
        if (!env.caller) throw new Unauthorized();
        return { ownerId: env.caller.userId, projectId: env.caller.projectId };
      },
      requestId: env.requestId,
      signal: env.signal,
      progress: env.progress ?? (async () => {}),
      session: env.session ?? null,
      view,
      invoke: (inner, args) => invokeTool(env, inner, args),
      transport: env.transport,
      meter(m: Metering) {
        if (env.caller) metered.push(hold ? hold.meter(m) : env.hooks.meter(env.caller, tool, m));
      },
      alsoAudit(projectId: string) {
        if (env.caller && projectId !== env.caller.projectId) alsoProjects.add(projectId);
      },
      log: env.log.child({ tool: tool.name }),
    };
    // The tool's secrets rule, before any work (refuse: 400 sensitive_content; redact: values replaced).
    const { args, redacted } = tool.secrets ? applySecretsPolicy(parsed.data, tool.secrets) : { args: parsed.data, redacted: [] };
    let handled: unknown;
    try {
      handled = await tool.handler(ctx, args);
    } finally {
      await Promise.all(metered);
      await hold?.release();
    }
    const result = redacted.length && handled && typeof handled === 'object' ? { ...handled, secrets_redacted: redacted } : handled;
    const out = (tool.output as z.ZodType).safeParse(result);
    if (!out.success) {
      env.log.error({ tool: tool.name, issues: out.error.issues.slice(0, 5) }, 'tool output does not match its schema');
      throw new AppError(500, 'internal_error', `Tool '${tool.name}' produced a result that does not match its output schema`);
    }
    env.hooks.observe({ tool: tool.name, transport: env.transport, outcome: 'ok', seconds: (performance.now() - started) / 1000 });
    await record(env, { tool, name: tool.name, outcome: 'ok', status: 200, code: null, args: parsed.data, output: out.data, alsoProjects: [...alsoProjects] });
    return { tool, output: out.data };
  } catch (err) {
    const appErr = toAppError(err);
    if (appErr.status >= 500) env.log.error({ err, tool: toolName }, 'tool call failed');
    else env.log.info({ tool: toolName, status: appErr.status, code: appErr.code }, 'tool call refused');
    const known = env.registry.get(toolName) ? toolName : '(unknown)';
    env.hooks.observe({ tool: known, transport: env.transport, outcome: appErr.status >= 500 ? 'error' : 'rejected', seconds: null });
    const tool = env.registry.get(toolName) ?? null;
    await record(env, { tool, name: tool ? tool.name : '(unknown)', outcome: appErr.status >= 500 ? 'error' : 'refused', status: appErr.status, code: appErr.code, args: rawArgs, output: null });
    throw appErr;
  }
}

async function record(env: CallEnv, e: Omit<CallRecord, 'caller' | 'transport' | 'clientAddress' | 'requestId'>): Promise<void> {
  if (!env.caller || !env.hooks.record) return;
  try {
    await env.hooks.record({ ...e, caller: env.caller, transport: env.transport, clientAddress: env.clientAddress ?? null, requestId: env.requestId });
  } catch (err) {
    env.log.error({ err, tool: e.name }, 'recording the call failed');
  }
}
