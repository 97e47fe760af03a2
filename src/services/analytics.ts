// Usage analytics (issue 18, point 3; the seed's /v1/analytics/* and /v1/usage/by-cache): per-project
// figures of the billing month, a daily CSV export of a date range, and cache-adjusted savings.
import type { AppDeps } from '../app-deps.js';
import { BadRequest } from '../errors.js';
import { DEFAULT_MODEL, findModel, inputCost } from '../engine/tokens.js';
import { monthOf } from './usage.js';

export const CSV_COLUMNS = ['date', 'project', 'compressions', 'tokens_in', 'tokens_saved', 'savings_pct'] as const;
const MAX_EXPORT_DAYS = 366;
const DAY_MS = 86_400_000;

const pct = (saved: number, tokensIn: number) => (tokensIn > 0 ? Math.round((1000 * saved) / tokensIn) / 10 : 0);

/** RFC 4180: quote a field holding a comma, quote or line break; double its quotes. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A YYYY-MM-DD day as its UTC midnight, or a 400 naming the field. */
function day(value: string | undefined, field: 'start' | 'end'): number {
  if (!value) throw new BadRequest(`${field} is required: a date as YYYY-MM-DD (e.g. ?start=2026-04-01&end=2026-04-14)`, 'invalid_range', { field, rule: 'required' });
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new BadRequest(`${field} must be a date as YYYY-MM-DD`, 'invalid_range', { field, rule: 'date' });
  }
  return t;
}

export class AnalyticsService {
  constructor(private readonly deps: AppDeps) {}

  private async names(ownerId: string): Promise<Map<string, string>> {
    return new Map((await this.deps.store.projects({ ownerId }).list()).map((p) => [p.id, p.name]));
  }

  /** Per-project figures of the current month (UTC); `projectId` narrows to one (bound keys). */
  async summary(ownerId: string, projectId?: string) {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    const rows = await this.deps.store.analytics({ ownerId }).byProject(from, to, projectId);
    const names = await this.names(ownerId);
    const projects = rows
      .map((r) => ({ project_id: r.project_id, project_name: names.get(r.project_id) ?? '(deleted project)', compressions: r.compressions, tokens_saved: r.tokens_saved, avg_savings_pct: pct(r.tokens_saved, r.tokens_in) }))
      .sort((a, b) => b.compressions - a.compressions || a.project_name.localeCompare(b.project_name));
    return {
      period: monthOf(now),
      total_compressions: projects.reduce((s, p) => s + p.compressions, 0),
      total_tokens_saved: projects.reduce((s, p) => s + p.tokens_saved, 0),
      projects,
    };
  }

  /** One CSV row per UTC day and project with use, start and end inclusive. 400 on a bad range. */
  async exportCsv(ownerId: string, start: string | undefined, end: string | undefined, projectId?: string): Promise<{ csv: string; rows: number }> {
    const from = day(start, 'start');
    const to = day(end, 'end');
    if (to < from) throw new BadRequest('end is before start', 'invalid_range', { field: 'end', rule: 'range' });
    if ((to - from) / DAY_MS + 1 > MAX_EXPORT_DAYS) throw new BadRequest(`The range spans more than ${MAX_EXPORT_DAYS} days; export it in parts`, 'invalid_range', { field: 'end', rule: 'range', limit: MAX_EXPORT_DAYS, unit: 'days' });
    const rows = await this.deps.store.analytics({ ownerId }).byDay(new Date(from).toISOString(), new Date(to + DAY_MS).toISOString(), projectId);
    const names = await this.names(ownerId);
    const lines = [CSV_COLUMNS.join(',')];
    for (const r of rows) {
      lines.push([r.day, names.get(r.project_id) ?? r.project_id, r.compressions, r.tokens_in, r.tokens_saved, pct(r.tokens_saved, r.tokens_in).toFixed(1)].map(csvField).join(','));
    }
    return { csv: lines.join('\r\n') + '\r\n', rows: rows.length };
  }

  /**
   * Totals per UTC day of the last `days` days (today included, oldest first, days without use as
   * zeros) with the dollar value of the tokens saved at the default model's input rate.
   */
  async daily(ownerId: string, days: number, projectId?: string) {
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const from = today - (days - 1) * DAY_MS;
    const rows = await this.deps.store.analytics({ ownerId }).byDay(new Date(from).toISOString(), new Date(today + DAY_MS).toISOString(), projectId);
    const model = findModel(DEFAULT_MODEL)!;
    const byDay = new Map<string, { compressions: number; tokens_in: number; tokens_saved: number }>();
    for (const r of rows) {
      const d = byDay.get(r.day) ?? { compressions: 0, tokens_in: 0, tokens_saved: 0 };
      d.compressions += r.compressions;
      d.tokens_in += r.tokens_in;
      d.tokens_saved += r.tokens_saved;
      byDay.set(r.day, d);
    }
    const out = [];
    for (let t = from; t <= today; t += DAY_MS) {
      const date = new Date(t).toISOString().slice(0, 10);
      const d = byDay.get(date) ?? { compressions: 0, tokens_in: 0, tokens_saved: 0 };
      out.push({ date, ...d, cost_saved_usd: Math.round(inputCost(d.tokens_saved, model) * 1e6) / 1e6 });
    }
    return {
      days: out,
      total_tokens_saved: out.reduce((s, d) => s + d.tokens_saved, 0),
      total_cost_saved_usd: Math.round(inputCost(out.reduce((s, d) => s + d.tokens_saved, 0), model) * 1e6) / 1e6,
      pricing_model: model.id,
    };
  }

  /** The newest metered calls with their fidelity, sizes and ratio (compressed / original tokens). */
  async recent(ownerId: string, limit: number, projectId?: string) {
    const rows = await this.deps.store.analytics({ ownerId }).recent(limit, projectId);
    return {
      compressions: rows.map((r) => ({ ...r, ratio: r.tokens_in > 0 ? Math.round((10000 * r.tokens_out) / r.tokens_in) / 10000 : 1, savings_pct: pct(r.tokens_saved, r.tokens_in) })),
    };
  }

  /** The seed's /v1/usage/by-cache: hits and misses of the last `days`, compression-only vs cache-adjusted savings. */
  async byCache(ownerId: string, days: number, projectId?: string) {
    const to = Date.now();
    const w = await this.deps.store.analytics({ ownerId }).cache(new Date(to - days * DAY_MS).toISOString(), new Date(to + 1000).toISOString(), projectId);
    const hits = w.exact_hits + w.semantic_hits;
    const model = findModel(DEFAULT_MODEL)!;
    const usd = (tokens: number) => Math.round(inputCost(tokens, model) * 1e6) / 1e6;
    return {
      period_days: days,
      semantic_cache: { hits, misses: w.misses, hit_rate: hits + w.misses ? Math.round((10000 * hits) / (hits + w.misses)) / 10000 : 0 },
      by_source: { exact_hits: w.exact_hits, semantic_hits: w.semantic_hits, misses: w.misses },
      savings: {
        compression_only_tokens_saved: w.compression_saved,
        cache_adjusted_tokens_saved: w.compression_saved + w.cache_saved,
        compression_only_usd: usd(w.compression_saved),
        cache_adjusted_usd: usd(w.compression_saved + w.cache_saved),
        pricing_model: model.id,
      },
    };
  }
}
