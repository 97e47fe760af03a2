// The registry: every tool once, plus what is derived from it (JSON schemas, profiles, plan gates).
import { PLANS, type Plan } from '../config.js';
import { NotFound } from '../errors.js';
import type { AnyTool } from './define.js';
import { loadProfiles, type Profile } from './profiles.js';
import { toJsonSchema, type JsonSchema } from './schema.js';
import type { SourceTool, ToolSource } from './sources.js';
import { closestNames } from './suggest.js';
import { ToolSearchIndex, type SearchDoc } from './tool-search.js';

/** A tool as described to clients: the full schemas (tool_help, OpenAPI). */
export interface ToolEntry {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  annotations: Record<string, unknown>;
}

/** A tools/list entry: outputSchema only for tools that advertise it (define.ts `advertiseOutput`). */
export type McpToolEntry = Omit<ToolEntry, 'outputSchema'> & { outputSchema?: JsonSchema };

/** What a connection lists: (profile ∩ toolsets) ∪ toolsets and tools enabled at run time. */
export interface Surface {
  profile: string;
  toolsets: ReadonlySet<string> | null;
  /** Toolsets added with enable_toolset: listed whatever the profile. */
  enabledToolsets?: ReadonlySet<string>;
  /** Single tools added with enable_tools. */
  enabledTools?: ReadonlySet<string>;
}

/** The profile a connection gets when it names none: core tools plus discovery. */
export const DEFAULT_PROFILE = 'default';

export class Registry {
  readonly tools = new Map<string, AnyTool>();
  readonly profiles: Map<string, Profile>;
  private readonly entries = new Map<string, ToolEntry>();
  private readonly listEntries = new Map<string, McpToolEntry>();
  private searchIndex: ToolSearchIndex | null = null;
  /** Tools reachable through the front door that are defined elsewhere (sources.ts). */
  readonly sources: ToolSource[] = [];

  /** `toolsets`: name → description, in catalog order (handed in by the app's wiring with the tools). */
  constructor(tools: AnyTool[], private readonly toolsetNames: Readonly<Record<string, string>>, profilesDir?: string) {
    for (const t of tools) {
      if (this.tools.has(t.name)) throw new Error(`tool "${t.name}" is defined twice`);
      if (!(t.toolset in toolsetNames)) throw new Error(`tool "${t.name}" names unknown toolset "${t.toolset}"`);
      this.tools.set(t.name, t);
    }
    this.profiles = loadProfiles(new Set(this.tools.keys()), profilesDir);
    for (const t of this.tools.values()) {
      if (t.public && !this.profiles.get('free')!.tools!.has(t.name)) {
        throw new Error(`tool "${t.name}" is public (no key needed) but not in the free profile`);
      }
    }
  }

  get(name: string): AnyTool | undefined {
    return this.tools.get(name);
  }

  addSource(source: ToolSource): void {
    this.sources.push(source);
  }

  /** The source that owns a name no defined tool has. */
  sourceFor(name: string): ToolSource | undefined {
    return this.tools.has(name) ? undefined : this.sources.find((s) => s.owns(name));
  }

  /** Lowest plan that may call the tool: its declared plan (Team / Enterprise features), else the free profile is the free plan's allow-list. */
  minPlan(tool: AnyTool): Plan {
    return tool.plan ?? (this.profiles.get('free')!.tools!.has(tool.name) ? 'free' : 'pro');
  }

  /** Whether a key on this plan may call the tool (plan gate only; see SessionView for the whole rule). */
  allowed(tool: AnyTool, plan: Plan): boolean {
    return PLANS.indexOf(plan) >= PLANS.indexOf(this.minPlan(tool));
  }

  /** The lowest plan that may call every one of these tools. */
  minPlanOfAll(tools: readonly AnyTool[]): Plan {
    return PLANS[Math.max(0, ...tools.map((t) => PLANS.indexOf(this.minPlan(t))))]!;
  }

  /** Registered toolsets with their tools, in catalog order. */
  toolsets(): Array<{ name: string; description: string; tools: AnyTool[] }> {
    return Object.entries(this.toolsetNames)
      .map(([name, description]) => ({ name, description, tools: [...this.tools.values()].filter((t) => t.toolset === name) }))
      .filter((ts) => ts.tools.length > 0);
  }

  /** Whether a tool is in a connection's list. Who may call it is SessionView's business, not this. */
  listed(t: AnyTool, surface: Surface): boolean {
    const profile = this.profiles.get(surface.profile);
    if (!profile) throw new Error(`unknown profile ${surface.profile}`);
    const base = (profile.tools === null || profile.tools.has(t.name)) && (!surface.toolsets || surface.toolsets.has(t.toolset));
    return base || !!surface.enabledToolsets?.has(t.toolset) || !!surface.enabledTools?.has(t.name);
  }

  /** The tools of a surface, in registry order. */
  select(surface: Surface): AnyTool[] {
    return [...this.tools.values()].filter((t) => this.listed(t, surface));
  }

  /** Parse `?profile=` and `?toolsets=`; errors name the valid values. */
  parseSelection(profile: unknown, toolsets: unknown): { profile: string; toolsets: Set<string> | null } {
    const named = typeof toolsets === 'string' && toolsets.trim() !== '';
    // ?toolsets= alone means "these toolsets, whole", not "these toolsets within the lean default".
    const p = typeof profile === 'string' && profile !== '' ? profile : named ? 'full' : DEFAULT_PROFILE;
    if (!this.profiles.has(p)) {
      throw new Error(`Unknown profile '${p}'. Valid: ${[...this.profiles.keys()].join(', ')}`);
    }
    if (typeof toolsets !== 'string' || toolsets.trim() === '') return { profile: p, toolsets: null };
    const names = toolsets.split(',').map((s) => s.trim()).filter(Boolean);
    const known = new Set(this.toolsets().map((t) => t.name));
    const bad = names.filter((n) => !known.has(n));
    if (bad.length) throw new Error(`Unknown toolset(s) ${bad.join(', ')}. Valid: ${[...known].join(', ')}`);
    return { profile: p, toolsets: new Set(names) };
  }

  /** The full description of a tool (schemas computed once): tool_help and OpenAPI. */
  entry(tool: AnyTool): ToolEntry {
    let e = this.entries.get(tool.name);
    if (!e) {
      e = {
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: toJsonSchema(tool.input, 'input'),
        outputSchema: toJsonSchema(tool.output, 'output'),
        annotations: { ...tool.annotations },
      };
      this.entries.set(tool.name, e);
    }
    return e;
  }

  /** The tools/list entry: what every session pays for, so only what a client acts on. */
  listEntry(tool: AnyTool): McpToolEntry {
    let e = this.listEntries.get(tool.name);
    if (!e) {
      const { outputSchema, ...rest } = this.entry(tool);
      e = tool.advertiseOutput ? { ...rest, outputSchema } : rest;
      this.listEntries.set(tool.name, e);
    }
    return e;
  }

  /** The text content a model reads for a result: the tool's render (payload + one-line header), else JSON. */
  renderText(tool: AnyTool, output: unknown): string {
    return tool.render ? tool.render(output as never, this) : JSON.stringify(output);
  }

  /**
   * Tools ranked by what they do (BM25 over name, title, description, details and toolset), for
   * search_tools. Words are crudely stemmed so "compression" finds compress_text, and a few words
   * readers use are widened to ours ("undo" → restore; SYNONYMS in tool-search.ts).
   */
  search(query: string, k: number): Array<{ tool: AnyTool; score: number }>;
  search(query: string, k: number, extra: SourceTool[]): Array<{ tool?: AnyTool; external?: SourceTool; score: number }>;
  search(query: string, k: number, extra: SourceTool[] = []): Array<{ tool?: AnyTool; external?: SourceTool; score: number }> {
    const all = [...this.tools.values()];
    const own = (t: AnyTool): SearchDoc => ({ name: t.name, summary: `${t.title} ${t.description}`, details: t.details ?? '', toolset: `${t.toolset} ${this.toolsetNames[t.toolset] ?? ''}` });
    if (!this.searchIndex) {
      this.searchIndex = new ToolSearchIndex(new Set(this.tools.keys()));
      for (const t of all) this.searchIndex.add(own(t));
    }
    // Source tools change per project: one index over both for this query (scores stay comparable).
    let index = this.searchIndex;
    if (extra.length) {
      index = new ToolSearchIndex(new Set([...this.tools.keys(), ...extra.map((e) => e.name)]));
      for (const t of all) index.add(own(t));
      for (const e of extra) index.add({ name: e.name, summary: `${e.title ?? ''} ${e.description}`, details: '', toolset: e.origin });
    }
    return index.top(query, k).map((h) => (h.index < all.length ? { tool: all[h.index]!, score: h.score } : { external: extra[h.index - all.length]!, score: h.score }));
  }

  /** The one "no such tool" error: suggestions, and where to look instead. */
  unknownTool(name: string, field: string): NotFound {
    const hint = this.suggest(name);
    return new NotFound(`Unknown tool '${name.slice(0, 64)}'${hint.length ? `. Did you mean: ${hint.join(', ')}?` : ''} (search_tools finds tools by what they do)`, {
      field,
      rule: 'unknown_tool',
      suggestions: hint,
    });
  }

  /** Names close to an unknown one, for the error message. */
  suggest(name: string): string[] {
    return closestNames(name, [...this.tools.keys()], 3);
  }
}

