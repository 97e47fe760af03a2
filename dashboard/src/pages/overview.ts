// Overview: tokens and money saved by day (chart + the same figures as a table), compressions this
// month against the quota, cache hit rate, the last 10 compressions.
import uPlot from 'uplot';
import { h, put, table, fmtInt, fmtUsd, fmtPct, fmtDate } from '../dom';
import { tool } from '../api';
import { section, type Page } from '../context';

interface Daily {
  days: Array<{ date: string; compressions: number; tokens_in: number; tokens_saved: number; cost_saved_usd: number }>;
  total_tokens_saved: number;
  total_cost_saved_usd: number;
  pricing_model: string;
}

/** A colour variable resolved for the current theme (light-dark() is resolved only on a real property). */
function css(name: string): string {
  const probe = document.createElement('span');
  probe.style.color = `var(${name})`;
  document.body.appendChild(probe);
  const c = getComputedStyle(probe).color;
  probe.remove();
  return c;
}

function chart(el: HTMLElement, d: Daily): uPlot {
  const xs = d.days.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000);
  const width = Math.max(320, el.clientWidth || 640);
  const axis = { stroke: css('--fg-muted'), grid: { stroke: css('--border'), width: 1 }, ticks: { stroke: css('--border'), width: 1 } };
  return new uPlot(
    {
      width,
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, tokens: { auto: true }, usd: { auto: true } },
      axes: [
        { ...axis },
        { ...axis, scale: 'tokens', size: 70, label: 'Tokens saved', values: (_u, vals) => vals.map((v) => fmtInt(v)) },
        { ...axis, scale: 'usd', side: 1, size: 80, label: 'USD saved', grid: { show: false }, values: (_u, vals) => vals.map((v) => `$${v.toFixed(3)}`) },
      ],
      series: [
        { label: 'Day (UTC)', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
        { label: 'Tokens saved', scale: 'tokens', stroke: css('--accent'), fill: css('--accent-soft'), width: 1, paths: uPlot.paths.bars!({ size: [0.7, 40] }), value: (_u, v) => (v == null ? '—' : fmtInt(v)) },
        { label: 'USD saved', scale: 'usd', stroke: css('--ok'), width: 2, points: { show: true }, value: (_u, v) => (v == null ? '—' : fmtUsd(v)) },
      ],
    },
    [xs, d.days.map((r) => r.tokens_saved), d.days.map((r) => r.cost_saved_usd)],
    el,
  );
}

export const overview: Page = {
  id: 'overview',
  title: 'Overview',
  needs: ['get_usage'],
  async render(ctx, main, signal) {
    const [daily, usage, cache, recent] = await Promise.all([
      ctx.can('analytics_daily') ? tool<Daily>('analytics_daily', { days: 30 }) : null,
      tool('get_usage'),
      ctx.can('get_cache_savings') ? tool('get_cache_savings', { period_days: 30 }) : null,
      ctx.can('recent_compressions') ? tool('recent_compressions', { limit: 10 }) : null,
    ]);
    if (signal.aborted) return;
    const pct = usage.compressions_limit ? Math.min(100, (100 * usage.compressions_used) / usage.compressions_limit) : 0;
    const chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': 'Tokens and dollars saved per day over the last 30 days; the table below has the same figures.' });
    const withUse = daily ? daily.days.filter((d) => d.compressions > 0 || d.tokens_saved > 0).reverse() : [];
    put(
      main,
      h('h1', null, 'Overview'),
      h(
        'div',
        { class: 'stats' },
        daily && h('div', { class: 'stat', id: 'stat-saved' }, h('span', { class: 'stat-label' }, 'Tokens saved (30 days)'), h('strong', null, fmtInt(daily.total_tokens_saved)), h('span', null, `${fmtUsd(daily.total_cost_saved_usd)} at ${daily.pricing_model} input rates`)),
        h(
          'div',
          { class: 'stat', id: 'stat-quota' },
          h('span', { class: 'stat-label', id: 'quota-label' }, `Compressions this month (${usage.period})`),
          h('strong', null, `${fmtInt(usage.compressions_used)} / ${fmtInt(usage.compressions_limit)}`),
          h('progress', { max: 100, value: pct.toFixed(1), 'aria-labelledby': 'quota-label' }),
          h('span', null, `${fmtPct(usage.pct_used)} of the ${usage.plan} quota; resets ${fmtDate(usage.resets_at)}`),
        ),
        cache &&
          h(
            'div',
            { class: 'stat', id: 'stat-cache' },
            h('span', { class: 'stat-label' }, 'Cache hit rate (30 days)'),
            h('strong', null, fmtPct(100 * cache.semantic_cache.hit_rate)),
            h('span', null, `${fmtInt(cache.by_source.exact_hits)} exact, ${fmtInt(cache.by_source.semantic_hits)} semantic, ${fmtInt(cache.by_source.misses)} misses`),
          ),
      ),
      daily &&
      section(
        'Saved by day',
        chartEl,
        h(
          'details',
          { id: 'savings-table' },
          h('summary', null, 'Show as a table'),
          table(['Day (UTC)', 'Compressions', 'Tokens in', 'Tokens saved', 'USD saved'], withUse.map((d) => [d.date, fmtInt(d.compressions), fmtInt(d.tokens_in), fmtInt(d.tokens_saved), fmtUsd(d.cost_saved_usd)]), 'Days with use, newest first'),
        ),
      ),
      recent &&
        section(
          'Last 10 compressions',
          table(
            ['When', 'Tool', 'Fidelity', 'Tokens in', 'Tokens out', 'Ratio', 'Saved', 'Cache'],
            recent.compressions.map((c: any) => [fmtDate(c.at), h('code', null, c.tool), c.fidelity ?? '—', fmtInt(c.tokens_in), fmtInt(c.tokens_out), c.ratio.toFixed(3), fmtPct(c.savings_pct), c.cache ?? 'miss']),
            undefined,
            { id: 'recent-compressions' },
          ),
        ),
    );
    if (!daily) return;
    const plot = chart(chartEl, daily);
    const resize = () => plot.setSize({ width: Math.max(320, chartEl.clientWidth), height: 260 });
    window.addEventListener('resize', resize);
    signal.addEventListener('abort', () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    });
  },
};
