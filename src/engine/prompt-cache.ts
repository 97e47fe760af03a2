// Provider prompt caching: audit how cacheable a prompt is, and plan an order + breakpoints for a set
// of prompt parts. Provider rules are prefix caching: the cache only helps up to the first byte that
// changes between calls, and only past a minimum length. Pure.
import { countTokens } from './tokens.js';
import { plural } from './plural.js';

export const PROVIDERS = ['anthropic', 'openai', 'google'] as const;
export type Provider = (typeof PROVIDERS)[number];

interface ProviderRules {
  /** Shortest prefix the provider will cache. */
  minTokens: number;
  /** Share of the input price saved on a cached read. */
  readDiscount: number;
  /** Explicit breakpoints the request may carry (0 = automatic prefix caching). */
  maxBreakpoints: number;
  /** Cached prefixes are matched in blocks of this many tokens (OpenAI: 128). */
  granularity: number;
  note: string;
}

// Published behaviour of each provider's prompt cache (list prices, default TTLs).
export const PROVIDER_RULES: Record<Provider, ProviderRules> = {
  anthropic: { minTokens: 1024, readDiscount: 0.9, maxBreakpoints: 4, granularity: 1, note: 'explicit cache_control breakpoints (up to 4), 5-minute TTL refreshed on hit; writes cost 25% extra' },
  openai: { minTokens: 1024, readDiscount: 0.5, maxBreakpoints: 0, granularity: 128, note: 'automatic prefix caching from 1,024 tokens in 128-token steps; no markup on writes' },
  google: { minTokens: 1024, readDiscount: 0.75, maxBreakpoints: 0, granularity: 1, note: 'implicit caching on Gemini 2.5 from 1,024 tokens (2,048 on Pro); explicit context caches for larger stable prefixes' },
};

interface DynamicMarker {
  kind: string;
  re: RegExp;
}

// Content that changes from call to call and so ends the cacheable prefix where it appears.
const DYNAMIC: DynamicMarker[] = [
  { kind: 'ISO timestamp', re: /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?/ },
  { kind: 'date', re: /\b(?:today is|current date|as of)\b[^\n]{0,40}\d/i },
  { kind: 'time of day', re: /\b\d{1,2}:\d{2}(?::\d{2})?\s?(?:am|pm|utc|gmt)?\b/i },
  { kind: 'UUID', re: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i },
  { kind: 'request/session id', re: /\b(?:request|session|trace|conversation|user)[_ -]?id\s*[:=]\s*\S+/i },
  { kind: 'unix timestamp', re: /\b1[6-9]\d{8}(?:\d{3})?\b/ },
  { kind: 'template placeholder', re: /\{\{\s*[\w.]+\s*\}\}|\$\{[\w.]+\}/ },
  { kind: 'random nonce', re: /\b(?:nonce|random|seed)\s*[:=]\s*\w+/i },
];

export interface DynamicHit {
  kind: string;
  offset: number;
  line: number;
}

export function findDynamic(text: string): DynamicHit[] {
  const hits: DynamicHit[] = [];
  for (const d of DYNAMIC) {
    const re = new RegExp(d.re.source, d.re.flags.includes('g') ? d.re.flags : d.re.flags + 'g');
    for (const m of text.matchAll(re)) {
      hits.push({ kind: d.kind, offset: m.index!, line: text.slice(0, m.index!).split('\n').length });
      if (hits.length > 50) break;
    }
  }
  return hits.sort((a, b) => a.offset - b.offset);
}

export interface CacheAudit {
  provider: Provider;
  cache_friendly: boolean;
  score: number;
  recommendations: string[];
  estimated_savings_pct: number;
  total_tokens: number;
  stable_prefix_tokens: number;
  min_cacheable_tokens: number;
  dynamic_content: Array<{ kind: string; line: number }>;
}

function roundDown(n: number, step: number): number {
  return step > 1 ? Math.floor(n / step) * step : n;
}

export function auditCache(text: string, provider: Provider): CacheAudit {
  const rules = PROVIDER_RULES[provider];
  const total = countTokens(text);
  const dyn = findDynamic(text);
  const firstDyn = dyn[0];
  const stable = firstDyn ? countTokens(text.slice(0, firstDyn.offset)) : total;
  const cacheable = stable >= rules.minTokens ? roundDown(stable, rules.granularity) : 0;
  const stableShare = total ? stable / total : 0;
  const lengthFactor = Math.min(1, total / rules.minTokens);
  // The score is the share of the prompt a repeat call could read from cache, discounted when the
  // whole prompt is under the provider's minimum (nothing is cached then).
  let score = stable >= rules.minTokens ? cacheable / Math.max(1, total) : 0.5 * stableShare * lengthFactor;
  const trailingWs = /[ \t]+$/m.test(text.slice(0, Math.min(text.length, firstDyn?.offset ?? text.length)));
  if (trailingWs) score *= 0.97;
  score = Math.round(Math.max(0, Math.min(1, score)) * 1000) / 1000;

  const recs: string[] = [];
  if (firstDyn) {
    const kinds = [...new Set(dyn.map((d) => d.kind))].slice(0, 4).join(', ');
    recs.push(`Move per-call content (${kinds}; first at line ${firstDyn.line}) to the end of the prompt: the cache stops at the first byte that changes.`);
  }
  if (total < rules.minTokens) {
    recs.push(`The prompt is ${plural(total, 'token')}; ${provider} caches only prefixes of at least ${rules.minTokens}. Put the long static material (instructions, tool definitions, reference docs) into one shared prefix.`);
  } else if (stable < rules.minTokens) {
    recs.push(`Only ${plural(stable, 'token')} precede the first dynamic content; ${provider} needs a stable prefix of ${rules.minTokens}. Reorder so static parts come first.`);
  }
  if (provider === 'anthropic' && cacheable > 0) recs.push(`Add a cache_control breakpoint at the end of the static prefix (about token ${cacheable}); up to ${rules.maxBreakpoints} are allowed.`);
  if (provider === 'openai' && cacheable > 0) recs.push(`Keep the first ${cacheable} tokens byte-identical across calls (prefix caching works in ${rules.granularity}-token steps).`);
  if (provider === 'google' && cacheable > 0 && cacheable >= 32_768) recs.push('This stable prefix is large enough for an explicit context cache, which is billed per hour but read at a discount.');
  if (trailingWs) recs.push('Trailing whitespace in the static part: normalise it so identical prompts are byte-identical.');
  if (!recs.length) recs.push('Already cache-friendly: a long stable prefix with the variable part at the end.');

  const savings = total ? Math.round((cacheable / total) * rules.readDiscount * 1000) / 10 : 0;
  return {
    provider,
    cache_friendly: score >= 0.6 && cacheable > 0,
    score,
    recommendations: recs,
    estimated_savings_pct: savings,
    total_tokens: total,
    stable_prefix_tokens: stable,
    min_cacheable_tokens: rules.minTokens,
    dynamic_content: dyn.slice(0, 20).map((d) => ({ kind: d.kind, line: d.line })),
  };
}

export interface PromptPart {
  name?: string;
  role?: string;
  content: string;
  /** 'static' | 'dynamic'; detected from the content when omitted. */
  kind?: 'static' | 'dynamic';
}

export interface PlannedPart {
  index: number;
  name: string;
  role: string | null;
  kind: 'static' | 'dynamic';
  detected: boolean;
  reason: string;
  tokens: number;
  cumulative_tokens: number;
  cache_breakpoint: boolean;
}

export interface PromptCachePlan {
  provider: Provider;
  order: number[];
  parts: PlannedPart[];
  breakpoints: Array<{ after_part: number; cumulative_tokens: number }>;
  total_tokens: number;
  cacheable_prefix_tokens: number;
  estimated_savings_pct: number;
  moved: number;
  notes: string[];
}

// Roles whose content usually does not change between calls.
const STATIC_ROLES = new Set(['system', 'tools', 'tool_definitions', 'developer', 'instructions', 'documents', 'examples']);

export function planPromptCache(parts: PromptPart[], provider: Provider): PromptCachePlan {
  const rules = PROVIDER_RULES[provider];
  const classified = parts.map((p, i) => {
    const dyn = findDynamic(p.content);
    let kind: 'static' | 'dynamic';
    let reason: string;
    const detected = p.kind === undefined;
    if (p.kind) [kind, reason] = [p.kind, 'given'];
    else if (dyn.length) [kind, reason] = ['dynamic', `contains ${dyn[0]!.kind}`];
    else if (p.role && STATIC_ROLES.has(p.role)) [kind, reason] = ['static', `role ${p.role}`];
    else if (p.role === 'user' || p.role === 'assistant') [kind, reason] = ['dynamic', `conversation turn (${p.role})`];
    else [kind, reason] = ['static', 'no per-call content found'];
    return { i, p, kind, reason, detected, tokens: countTokens(p.content) };
  });
  // Stable sort: static first, each group in its original order (conversation order is preserved).
  const ordered = [...classified.filter((c) => c.kind === 'static'), ...classified.filter((c) => c.kind === 'dynamic')];
  const moved = ordered.filter((c, k) => c.i !== k).length;
  let cum = 0;
  const planned: PlannedPart[] = ordered.map((c) => {
    cum += c.tokens;
    return { index: c.i, name: c.p.name ?? `part ${c.i + 1}`, role: c.p.role ?? null, kind: c.kind, detected: c.detected, reason: c.reason, tokens: c.tokens, cumulative_tokens: cum, cache_breakpoint: false };
  });
  const total = cum;
  const staticCount = ordered.filter((c) => c.kind === 'static').length;
  const staticTokens = staticCount ? planned[staticCount - 1]!.cumulative_tokens : 0;
  const notes: string[] = [rules.note];
  const breakpoints: Array<{ after_part: number; cumulative_tokens: number }> = [];
  if (staticTokens >= rules.minTokens) {
    if (rules.maxBreakpoints > 0) {
      // The last static part always gets one; earlier ones go where a shorter prefix is already
      // cacheable and large, so partial reuse works when later static parts change.
      const candidates = planned.slice(0, staticCount).map((p, k) => ({ k, p })).filter(({ p }) => p.cumulative_tokens >= rules.minTokens);
      const chosen = new Set<number>([staticCount - 1]);
      for (const { k } of candidates.reverse()) {
        if (chosen.size >= rules.maxBreakpoints) break;
        chosen.add(k);
      }
      for (const k of [...chosen].sort((a, b) => a - b)) {
        planned[k]!.cache_breakpoint = true;
        breakpoints.push({ after_part: planned[k]!.index, cumulative_tokens: planned[k]!.cumulative_tokens });
      }
    } else {
      notes.push(`No explicit breakpoints for ${provider}: keep the first ${roundDown(staticTokens, rules.granularity)} tokens identical across calls.`);
    }
  } else {
    notes.push(`The static prefix is ${plural(staticTokens, 'token')}, under the ${rules.minTokens}-token minimum for ${provider}: nothing will be cached until it grows.`);
  }
  const cacheable = staticTokens >= rules.minTokens ? roundDown(staticTokens, rules.granularity) : 0;
  if (moved) notes.push(`${moved} part(s) moved so static content comes first.`);
  return {
    provider,
    order: planned.map((p) => p.index),
    parts: planned,
    breakpoints,
    total_tokens: total,
    cacheable_prefix_tokens: cacheable,
    estimated_savings_pct: total ? Math.round((cacheable / total) * rules.readDiscount * 1000) / 10 : 0,
    moved,
    notes,
  };
}
