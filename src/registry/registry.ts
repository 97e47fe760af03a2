// The registry: every tool once, plus what is derived from it (JSON schemas, profiles, plan gates).
import type { Plan } from '../config.js';
import type { AnyTool } from './define.js';
import { loadProfiles, type Profile } from './profiles.js';
import { toJsonSchema, type JsonSchema } from './schema.js';

export interface McpToolEntry {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  annotations: Record<string, unknown>;
}

export interface Selection {
  profile?: string;
  toolsets?: ReadonlySet<string> | null;
  plan?: Plan | null;
  /** Toolsets added to the connection at run time (enable_toolset): visible whatever the profile. */
  enabled?: ReadonlySet<string>;
}

export class Registry {
  readonly tools = new Map<string, AnyTool>();
  readonly profiles: Map<string, Profile>;
  private readonly entries = new Map<string, McpToolEntry>();

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

  /** Lowest plan that may call the tool: the free profile is the free plan's allow-list. */
  minPlan(tool: AnyTool): Plan {
    return this.profiles.get('free')!.tools!.has(tool.name) ? 'free' : 'pro';
  }

  allowed(tool: AnyTool, plan: Plan): boolean {
    return plan !== 'free' || this.minPlan(tool) === 'free';
  }

  /** Registered toolsets with their tools, in catalog order. */
  toolsets(): Array<{ name: string; description: string; tools: AnyTool[] }> {
    return Object.entries(this.toolsetNames)
      .map(([name, description]) => ({ name, description, tools: [...this.tools.values()].filter((t) => t.toolset === name) }))
      .filter((ts) => ts.tools.length > 0);
  }

  /** Tools a connection sees: (profile ∩ toolsets) ∪ enabled toolsets, ∩ what the plan may call. */
  select(sel: Selection): AnyTool[] {
    return [...this.tools.values()].filter((t) => this.visible(t, sel));
  }

  visible(t: AnyTool, sel: Selection): boolean {
    const profile = this.profiles.get(sel.profile ?? 'full');
    if (!profile) throw new Error(`unknown profile ${sel.profile}`);
    const base = (profile.tools === null || profile.tools.has(t.name)) && (!sel.toolsets || sel.toolsets.has(t.toolset));
    return (base || !!sel.enabled?.has(t.toolset)) && (!sel.plan || this.allowed(t, sel.plan));
  }

  /** Parse `?profile=` and `?toolsets=`; errors name the valid values. */
  parseSelection(profile: unknown, toolsets: unknown): { profile: string; toolsets: Set<string> | null } {
    const p = typeof profile === 'string' && profile !== '' ? profile : 'full';
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

  /** The tools/list entry (schemas computed once). */
  entry(tool: AnyTool): McpToolEntry {
    let e = this.entries.get(tool.name);
    if (!e) {
      e = {
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: toJsonSchema(tool.input, 'input'),
        outputSchema: toJsonSchema(tool.output, 'output'),
        annotations: { title: tool.title, ...tool.annotations },
      };
      this.entries.set(tool.name, e);
    }
    return e;
  }

  /** Names close to an unknown one, for the error message. */
  suggest(name: string): string[] {
    const n = name.toLowerCase();
    return [...this.tools.keys()]
      .map((k) => ({ k, d: editDistance(n, k) }))
      .filter((x) => x.d <= Math.max(2, Math.floor(n.length / 4)) || x.k.includes(n) || (n.length > 3 && n.includes(x.k)))
      .sort((a, b) => a.d - b.d)
      .slice(0, 3)
      .map((x) => x.k);
  }
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
