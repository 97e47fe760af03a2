// The one call pipeline every transport uses (MCP tools/call, call_tool, REST): look up → authenticate
// → plan gate (SessionView) → check arguments (unknown names, depth, size) → validate input → quota →
// handler → validate output → metrics. Throws AppErrors only.
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { AppDeps } from '../app-deps.js';
import { AppError, Unauthorized, toAppError } from '../errors.js';
import type { Metrics } from '../server/metrics.js';
import { UsageService } from '../services/usage.js';
import type { AnyTool, Caller, Metering, SessionControl, ToolContext } from './define.js';
import type { Registry } from './registry.js';
import { checkArguments, zodToAppError } from './schema.js';
import { REST_SURFACE, SessionView } from './visibility.js';
import { applySecretsPolicy } from '../engine/secrets.js';

export interface CallEnv {
  deps: AppDeps;
  registry: Registry;
  metrics: Metrics;
  caller: Caller | null;
  transport: ToolContext['transport'];
  requestId: string;
  signal: AbortSignal;
  log: Logger;
  session?: SessionControl | null;
  progress?: ToolContext['progress'];
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
    const usage = env.deps.service(UsageService);
    if (tool.metered && env.caller) usage.assertQuota(env.caller);

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
        if (env.caller) usage.record(env.caller, tool.name, m);
      },
      log: env.log.child({ tool: tool.name }),
    };
    // The tool's secrets rule, before any work (refuse: 400 sensitive_content; redact: values replaced).
    const { args, redacted } = tool.secrets ? applySecretsPolicy(parsed.data, tool.secrets) : { args: parsed.data, redacted: [] };
    const handled = await tool.handler(ctx, args);
    const result = redacted.length && handled && typeof handled === 'object' ? { ...handled, secrets_redacted: redacted } : handled;
    const out = (tool.output as z.ZodType).safeParse(result);
    if (!out.success) {
      env.log.error({ tool: tool.name, issues: out.error.issues.slice(0, 5) }, 'tool output does not match its schema');
      throw new AppError(500, 'internal_error', `Tool '${tool.name}' produced a result that does not match its output schema`);
    }
    env.metrics.toolCalls.inc({ tool: tool.name, transport: env.transport, outcome: 'ok' });
    env.metrics.toolDuration.observe({ tool: tool.name }, (performance.now() - started) / 1000);
    return { tool, output: out.data };
  } catch (err) {
    const appErr = toAppError(err);
    if (appErr.status >= 500) env.log.error({ err, tool: toolName }, 'tool call failed');
    else env.log.info({ tool: toolName, status: appErr.status, code: appErr.code }, 'tool call refused');
    const known = env.registry.get(toolName) ? toolName : '(unknown)';
    env.metrics.toolCalls.inc({ tool: known, transport: env.transport, outcome: appErr.status >= 500 ? 'error' : 'rejected' });
    throw appErr;
  }
}
