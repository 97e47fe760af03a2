// Manifest compression (gc_compress_manifest, compress_mcp_registry, and the descriptions of
// aggregated upstream tools): shorter descriptions, identical validation. Pure: no I/O.
//   Descriptions: whitespace folded, filler phrases dropped, then whole sentences kept in order of
//   what they say (the first sentence always; constraints — must, only, never, default, limit,
//   error — before examples and narration) within a share of the original tokens. Only source
//   text survives: a sentence is kept or dropped, a filler phrase removed; nothing is rewritten.
//   Schemas: every validation keyword (type, properties, required, enum, const, default, format,
//   pattern, min*/max*, items, anyOf/oneOf/allOf, additionalProperties, $ref/$defs …) is kept as it
//   is; only annotations go — `description` is compressed like a tool description (a shorter
//   share) or dropped when it only restates the names around it ("name": "The name of the
//   entity" inside `entities`), `$schema`, `title`, `$comment` and `examples` inside schemas are dropped.
import { countTokens } from '../../engine/tokens.js';

export const MANIFEST_LEVELS = ['light', 'balanced', 'aggressive'] as const;
export type ManifestLevel = (typeof MANIFEST_LEVELS)[number];
export const OUTPUT_SCHEMA_MODES = ['compress', 'keep', 'drop'] as const;
export type OutputSchemaMode = (typeof OUTPUT_SCHEMA_MODES)[number];

/** Share of a description's tokens kept (the first sentence is kept even past it). */
const KEEP_SHARE: Record<ManifestLevel, { tool: number; property: number }> = {
  light: { tool: 0.6, property: 1 },
  balanced: { tool: 0.35, property: 0.6 },
  aggressive: { tool: 0.15, property: 0.3 },
};

/** Annotation keywords: no effect on which arguments validate. */
const DROPPED_KEYWORDS = new Set(['$schema', 'title', '$comment', 'examples']);

/** Phrases that cost tokens and say nothing about what a tool does (removed wherever they occur). */
const FILLER: RegExp[] = [
  /\b(?:this tool|this function|this endpoint|the tool) (?:allows you to|lets you|can be used to|is used to|will|is designed to|helps you)\s+/gi,
  /\b(?:use this tool to|use this to|you can use this to|this tool)\s+/gi,
  /\b(?:please note that|note that|keep in mind that|it is important to note that|be aware that)\s+/gi,
  /\b(?:basically|simply|just|very|really|actually|specifically|essentially|easily)\s+/gi,
  /\b(?:in order to)\b/gi,
];

/** Words that mark a sentence as a rule the caller must know. */
const CONSTRAINT = /\b(?:must|only|never|not|cannot|can't|don't|required?|default|defaults|maximum|minimum|max|min|limit|at most|at least|fails?|errors?|returns?|exactly|absolute|relative|allowed|within|overwrite|delete|irreversible|warning)\b/i;
/** Sentences that show rather than state: dropped first. */
const NARRATION = /\b(?:for example|e\.g\.|example|such as|for instance|useful|helpful|you should|you can|consider|when you|this is|great for|ideal for|perfect for)\b/i;

export function foldSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function stripFiller(s: string): string {
  let out = s;
  for (const re of FILLER) out = out.replace(re, (m, offset: number) => (offset === 0 || /[.!?]\s*$/.test(out.slice(0, offset)) ? '' : m.startsWith('in order to') ? 'to' : ''));
  out = out.replace(/\bin order to\b/gi, 'to');
  // A sentence that lost its lead-in starts with a capital again.
  return foldSpace(out).replace(/(^|[.!?] )([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase());
}

/** Sentences and list items, in order (a bullet or numbered line is one unit). */
function units(text: string): string[] {
  const lines = text.split(/\n+/).map((l) => l.trim()).filter(Boolean);
  const out: string[] = [];
  for (const line of lines) {
    if (/^(?:[-*•]|\d+[.)])\s/.test(line)) out.push(line);
    else out.push(...(line.match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g) ?? [line]).map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

const isListItem = (u: string) => /^(?:[-*•]|\d+[.)])\s/.test(u);

function score(unit: string, index: number): number {
  if (index === 0) return 100;
  let s = 0;
  if (CONSTRAINT.test(unit)) s += 10;
  if (/`[^`]+`|\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z]\w+\b/.test(unit)) s += 4; // names an identifier
  if (NARRATION.test(unit)) s -= 8;
  if (/^(?:[-*•]|\d+[.)])\s/.test(unit)) s -= 2;
  return s - index * 0.01;
}

/** A shorter description: filler removed, then the best sentences within `share` of its tokens, in source order. */
export function compressDescription(text: string, share: number): string {
  if (!text) return text;
  const units0 = units(text).map(stripFiller).filter(Boolean);
  if (share >= 1 || units0.length <= 1) return units0.join(units0.some(isListItem) ? '\n' : ' ') || foldSpace(text);
  const total = countTokens(foldSpace(text));
  const budget = Math.max(1, Math.floor(total * share));
  const order = units0.map((u, i) => ({ u, i, s: score(u, i), t: countTokens(u) })).sort((a, b) => b.s - a.s || a.i - b.i);
  const kept = new Set<number>();
  let used = 0;
  for (const o of order) {
    if (o.i !== 0 && (o.s < 0 || used + o.t > budget)) continue;
    kept.add(o.i);
    used += o.t;
  }
  const out = units0.filter((_, i) => kept.has(i));
  return out.join(out.some(isListItem) ? '\n' : ' ');
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface ManifestTool {
  name: string;
  description?: string;
  inputSchema?: Json;
  outputSchema?: Json;
  [k: string]: unknown;
}

/** Words of an identifier or phrase, lower case, crudely singular: `entityNames` → entity, name. */
function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w.length > 4 && w.endsWith('ies') ? w.slice(0, -3) + 'y' : w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

const RESTATE_STOPWORDS = new Set('the a an of to for in on at by with from array list object string value values its this that and or be is are which one each given specific multiple new'.split(' '));

/**
 * A property description that only restates names the reader already has — the property's own and
 * those of what contains it ("name": "The name of the entity" inside `entities`) — says nothing.
 */
function restates(description: string, context: readonly string[]): boolean {
  const content = words(description).filter((w) => !RESTATE_STOPWORDS.has(w));
  return content.length > 0 && content.every((w) => context.includes(w));
}

/**
 * A JSON Schema with its annotations shortened: every validation keyword copied unchanged.
 * `context`: words of the names around this schema (tool, enclosing properties); with `dropRestating`,
 * descriptions made only of those words are dropped.
 */
export function compressSchema(schema: Json, share: number, context: string[] = [], dropRestating = false): Json {
  if (Array.isArray(schema)) return schema.map((s) => compressSchema(s, share, context, dropRestating));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DROPPED_KEYWORDS.has(k) && (typeof v === 'string' || k === 'examples')) continue;
    if (k === 'description' && typeof v === 'string') {
      if (dropRestating && restates(v, context)) continue;
      const d = compressDescription(v, share);
      if (d) out[k] = d;
    } else if (VALUE_KEYWORDS.has(k)) {
      out[k] = v; // data, not schema: `default`, `enum`, `const` values are copied verbatim
    } else if (MAP_KEYWORDS.has(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      // Property names are data: a property called "title" or "description" is still a property.
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, compressSchema(sub, share, [...context, ...words(name)], dropRestating)]));
    } else {
      out[k] = compressSchema(v, share, context, dropRestating);
    }
  }
  return out;
}

const VALUE_KEYWORDS = new Set(['default', 'enum', 'const', 'required', 'examples', 'pattern', 'format', 'type']);
const MAP_KEYWORDS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

export interface ToolSaving {
  name: string;
  original_tokens: number;
  compressed_tokens: number;
  description_tokens_before: number;
  description_tokens_after: number;
  savings_pct: number;
}

export interface ManifestResult {
  tools: ManifestTool[];
  per_tool: ToolSaving[];
  totals: { original_tokens: number; compressed_tokens: number; tokens_saved: number; savings_pct: number; description_tokens_before: number; description_tokens_after: number; description_savings_pct: number };
}

export interface ManifestOptions {
  level?: ManifestLevel;
  outputSchema?: OutputSchemaMode;
}

/** Every description in a tool entry (its own and its schemas'), concatenated: what "description tokens" measures. */
function descriptionText(t: ManifestTool): string {
  const parts: string[] = [t.description ?? ''];
  const walk = (s: unknown): void => {
    if (Array.isArray(s)) return s.forEach(walk);
    if (!s || typeof s !== 'object') return;
    for (const [k, v] of Object.entries(s)) {
      if (k === 'description' && typeof v === 'string') parts.push(v);
      else if (!VALUE_KEYWORDS.has(k)) walk(v);
    }
  };
  walk(t.inputSchema);
  walk(t.outputSchema);
  return parts.filter(Boolean).join('\n');
}

const pct = (before: number, after: number) => (before > 0 ? Math.round((1000 * (before - after)) / before) / 10 : 0);

export function compressTool(tool: ManifestTool, opts: ManifestOptions = {}): ManifestTool {
  const share = KEEP_SHARE[opts.level ?? 'balanced'];
  const { description, inputSchema, outputSchema, title, ...rest } = tool;
  const out: ManifestTool = { ...rest, name: tool.name };
  // The tool's display title says what the name already says; clients fall back to the name.
  if (title !== undefined && (opts.level ?? 'balanced') === 'light') out.title = title;
  if (description !== undefined) out.description = compressDescription(description, share.tool);
  const level = opts.level ?? 'balanced';
  const ctx = words(tool.name);
  if (inputSchema !== undefined) out.inputSchema = compressSchema(inputSchema, share.property, ctx, level !== 'light');
  const mode = opts.outputSchema ?? 'compress';
  if (outputSchema !== undefined && mode !== 'drop') out.outputSchema = mode === 'keep' ? outputSchema : compressSchema(outputSchema, share.property, ctx, level !== 'light');
  return out;
}

export function compressManifest(tools: ManifestTool[], opts: ManifestOptions = {}): ManifestResult {
  const out = tools.map((t) => compressTool(t, opts));
  const per_tool = tools.map((t, i): ToolSaving => {
    const before = countTokens(JSON.stringify(t));
    const after = countTokens(JSON.stringify(out[i]));
    return {
      name: t.name,
      original_tokens: before,
      compressed_tokens: after,
      description_tokens_before: countTokens(descriptionText(t)),
      description_tokens_after: countTokens(descriptionText(out[i]!)),
      savings_pct: pct(before, after),
    };
  });
  const sum = (k: keyof ToolSaving) => per_tool.reduce((a, r) => a + (r[k] as number), 0);
  const o = countTokens(JSON.stringify({ tools }));
  const c = countTokens(JSON.stringify({ tools: out }));
  const db = sum('description_tokens_before');
  const da = sum('description_tokens_after');
  return {
    tools: out,
    per_tool,
    totals: { original_tokens: o, compressed_tokens: c, tokens_saved: o - c, savings_pct: pct(o, c), description_tokens_before: db, description_tokens_after: da, description_savings_pct: pct(db, da) },
  };
}
