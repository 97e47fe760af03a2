// Tools that are not defined here but reachable through the front door (search_tools, call_tool and,
// on request, tools/list): e.g. the tools of upstream MCP servers. A source is handed to the
// registry by the app's wiring; the registry knows only this interface.
import type { Scope } from '../domain/scope.js';
import type { JsonSchema } from './schema.js';

export interface SourceTool {
  /** Unique across the registry: a source's names never collide with defined tools (e.g. `server__tool`). */
  name: string;
  title?: string;
  description: string;
  inputSchema: JsonSchema;
  /** Where it comes from (an upstream's name), shown as its toolset in search results. */
  origin: string;
}

export interface SourceResult {
  content: Array<{ type: string; [k: string]: unknown }>;
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
}

export interface ToolSource {
  /** The registered tool whose plan gate and visibility apply to this source's tools. */
  readonly gate: string;
  /** Whether a name is this source's (no I/O). */
  owns(name: string): boolean;
  /** The tools of one owner's project (a source that cannot answer lists nothing rather than failing). */
  tools(scope: Scope, signal?: AbortSignal): Promise<SourceTool[]>;
  call(scope: Scope, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<SourceResult>;
}
