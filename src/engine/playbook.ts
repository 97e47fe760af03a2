// Playbooks (ACE, Zhang et al. 2025): an agent's standing context as itemised bullets that grow by
// counted deltas instead of being rewritten. The pure parts: normalised text, usefulness order,
// the curation plan (near-duplicate groups and prunes) and the Markdown rendering under a budget.
import { countTokens } from './tokens.js';

/** Lower case, letters and digits only, single spaces: two bullets with one norm say the same thing. */
export function normalizeBullet(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export interface BulletStats {
  helpful: number;
  harmful: number;
  merge_count: number;
}

/**
 * How useful a bullet has proved: helpful minus harmful outcomes, plus one per near-duplicate delta
 * folded in (the same lesson learnt again counts as evidence too).
 */
export function utility(b: BulletStats): number {
  return b.helpful - b.harmful + b.merge_count;
}

/** Most useful first; ties: the older bullet first (by `order`, e.g. its row number). */
export function byUsefulness<T extends BulletStats & { order: number }>(a: T, b: T): number {
  return utility(b) - utility(a) || a.order - b.order;
}

export interface CurateCandidate extends BulletStats {
  key: number;
  norm: string;
  vec: Float32Array;
}

export interface MergeGroup {
  /** The bullet that stays (the most useful of the group; the oldest on a tie). */
  keep: number;
  /** Bullets folded into it, each with its similarity to `keep`. */
  merged: Array<{ key: number; similarity: number }>;
}

/**
 * Groups near-duplicates around representatives: bullets are visited most useful first, and each one
 * not yet taken becomes a representative that takes every untaken bullet with the same norm or a
 * similarity ≥ `threshold` to it. Star groups, not chains: A~B and B~C never pull in an unrelated C.
 * Vectors are unit length (the embedders normalise), so the dot product is the cosine.
 */
export function planMerges(items: CurateCandidate[], threshold: number): MergeGroup[] {
  const order = items.map((it, i) => ({ ...it, order: i })).sort(byUsefulness);
  const n = order.length;
  const dim = n ? order[0]!.vec.length : 0;
  // One contiguous matrix: the n²/2 dot products are the whole cost at a few thousand bullets.
  const m = new Float32Array(n * dim);
  order.forEach((o, i) => m.set(o.vec, i * dim));
  const taken = new Uint8Array(n);
  const floor = threshold - 1e-6; // float rounding puts identical texts a hair under 1.0
  const groups: MergeGroup[] = [];
  for (let i = 0; i < n; i++) {
    if (taken[i]) continue;
    const rep = order[i]!;
    const a = i * dim;
    const merged: MergeGroup['merged'] = [];
    for (let j = i + 1; j < n; j++) {
      if (taken[j]) continue;
      let sim: number;
      if (order[j]!.norm === rep.norm) sim = 1;
      else {
        sim = 0;
        const b = j * dim;
        for (let d = 0; d < dim; d++) sim += m[a + d]! * m[b + d]!;
      }
      if (sim >= floor) {
        taken[j] = 1;
        merged.push({ key: order[j]!.key, similarity: Math.round(sim * 1e4) / 1e4 });
      }
    }
    if (merged.length > 0) groups.push({ keep: rep.key, merged });
  }
  return groups;
}

/** Prune rule: harmful outcomes exceed helpful ones by more than `margin`. */
export function shouldPrune(b: { helpful: number; harmful: number }, margin: number): boolean {
  return b.harmful - b.helpful > margin;
}

export interface RenderBullet {
  id: string;
  section: string;
  text: string;
  helpful: number;
  harmful: number;
}

export function bulletLine(b: RenderBullet): string {
  return `- [${b.id}] ${b.text} (helpful ${b.helpful}, harmful ${b.harmful})`;
}

/**
 * Takes bullets in the given order while their lines fit `budget` tokens (a bullet that does not fit
 * is skipped; smaller ones after it may still fit), then renders them grouped by section, sections
 * in order of their first chosen bullet.
 */
export function fitPlaybook<T extends RenderBullet>(bullets: T[], budget: number | null, title: string): { chosen: T[]; markdown: string; tokens: number; omitted: number } {
  const header = `# Playbook: ${title}`;
  let used = countTokens(header) + 1;
  const chosen: T[] = [];
  const sectionCost = new Map<string, number>();
  for (const b of bullets) {
    if (budget === null) {
      chosen.push(b);
      continue;
    }
    const line = countTokens(bulletLine(b)) + 1;
    const sec = sectionCost.has(b.section) ? 0 : countTokens(`## ${b.section}`) + 2;
    if (used + line + sec > budget) continue;
    used += line + sec;
    if (sec) sectionCost.set(b.section, sec);
    chosen.push(b);
  }
  const render = () => {
    const sections = new Map<string, T[]>();
    for (const b of chosen) {
      const list = sections.get(b.section) ?? [];
      list.push(b);
      sections.set(b.section, list);
    }
    const parts = [header];
    for (const [name, list] of sections) parts.push(`\n## ${name}\n${list.map(bulletLine).join('\n')}`);
    return parts.join('\n');
  };
  let markdown = render();
  let tokens = countTokens(markdown);
  // Line counts are an estimate of the joined text's; the budget holds for the real count.
  while (budget !== null && tokens > budget && chosen.length > 0) {
    chosen.pop();
    markdown = render();
    tokens = countTokens(markdown);
  }
  return { chosen, markdown, tokens, omitted: bullets.length - chosen.length };
}
