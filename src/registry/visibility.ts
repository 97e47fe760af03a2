// The one place that decides what a caller sees and may call. tools/list, list_toolsets,
// check_environment, enable_toolset/enable_tools, search_tools, call_tool, REST and tools/call all ask
// a SessionView, so they cannot disagree.
//
// The rule: every registered tool is *present* for every caller — listed when it is in the connection's
// surface, found by search_tools, shown by list_toolsets and tool_help — and calling one the caller may
// not use is refused the same way everywhere: 401 without a key, 403 naming the plan it needs (402
// where the seed documents it), 403 naming the role it needs. Plans, lowest first: free (the free
// profile), pro (everything else), team and enterprise (tools that declare `plan`: the seed's Team /
// Enterprise features). The plan is the calling key's (members' keys carry their inviter's plan).
import { AppError, Forbidden, Unauthorized } from '../errors.js';
import { roleAtLeast, type Role } from '../domain/scope.js';
import type { Plan } from '../config.js';
import type { AnyTool, Caller } from './define.js';
import type { Registry, Surface } from './registry.js';

/** REST has no session: every tool is reachable at POST /v1/tools/{name}, as if the full profile. */
export const REST_SURFACE: Surface = { profile: 'full', toolsets: null };

export class SessionView {
  constructor(
    readonly registry: Registry,
    readonly caller: Caller | null,
    readonly surface: Surface,
  ) {}

  /** In this connection's tools/list. */
  listed(tool: AnyTool): boolean {
    return this.registry.listed(tool, this.surface);
  }

  listedTools(): AnyTool[] {
    return this.registry.select(this.surface);
  }

  /** Why this caller may not call the tool, or null when it may. */
  refusal(tool: AnyTool): AppError | null {
    if (tool.public) return null;
    if (!this.caller) {
      return new Unauthorized(`Tool '${tool.name}' needs an API key: send "Authorization: Bearer gc_..." (create one with: ctxgate keys create --name NAME)`);
    }
    if (!this.registry.allowed(tool, this.caller.plan)) {
      const needed = this.registry.minPlan(tool);
      const msg = `Tool '${tool.name}' requires the ${needed} plan or higher${needed === 'team' ? ' (Team or Enterprise)' : ''}; this key is on the ${this.caller.plan} plan`;
      const extra = { tool: tool.name, plan: this.caller.plan, required_plan: needed };
      return tool.upgradeStatus === 402 ? new AppError(402, 'payment_required', msg, extra) : new Forbidden(msg, extra);
    }
    const role = this.caller.role ?? 'owner';
    const needed = requiredRole(tool);
    if (!roleAtLeast(role, needed)) {
      return new Forbidden(`Tool '${tool.name}' requires the ${needed} role or higher in this project; this key's role is ${role}`, {
        tool: tool.name,
        role,
        required_role: needed,
        reason: 'role',
      });
    }
    return null;
  }

  callable(tool: AnyTool): boolean {
    return this.refusal(tool) === null;
  }

  /** What list-like tools report about one tool for this caller. */
  describe(tool: AnyTool): { listed: boolean; callable: boolean; min_plan: Plan; needs_api_key: boolean } {
    return { listed: this.listed(tool), callable: this.callable(tool), min_plan: this.registry.minPlan(tool), needs_api_key: !tool.public };
  }
}

/** The least role that may call a tool: declared, else viewer for read-only tools and operator for writes. */
export function requiredRole(tool: AnyTool): Role {
  return tool.requires ?? (tool.annotations?.readOnlyHint ? 'viewer' : 'operator');
}
