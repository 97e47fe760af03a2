// `ctxgate gain`: what ctxgate saved, from the usage records — tokens and their price at a model's
// input rate, by tool and by day.
import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { DEFAULT_MODEL, findModel, inputCost, modelIds } from '../engine/tokens.js';
import { createLogger } from '../log.js';
import { AccountsService } from '../services/accounts.js';
import { usageBreakdown, type UsageRow } from '../services/usage.js';
import { fail } from './common.js';
import { plural } from '../engine/plural.js';

function table(title: string, rows: UsageRow[], usd: (tokens: number) => number): string {
  const head = [title, 'calls', 'tokens in', 'tokens saved', 'saved %', 'USD saved'];
  const body = rows.map((r) => [
    r.group,
    String(r.calls),
    String(r.tokens_in),
    String(r.tokens_saved),
    r.tokens_in ? ((100 * r.tokens_saved) / r.tokens_in).toFixed(1) : '0.0',
    usd(r.tokens_saved).toFixed(4),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

export async function gainCmd(config: Config, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { days: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isInteger(days) || days < 1) fail(`--days must be a whole number of days (1 or more), got "${values.days}"`);
  const model = findModel(values.model ?? DEFAULT_MODEL);
  if (!model) fail(`--model: unknown model "${values.model}". Known: ${modelIds().join(', ')}`);
  const app = await createApp(config, createLogger('silent', 'stderr'));
  try {
    const owner = (await app.deps.service(AccountsService).owner()).user.id;
    const since = new Date(Date.now() - days * 86_400_000);
    since.setUTCHours(0, 0, 0, 0);
    const { by_tool, by_day } = await usageBreakdown(app.deps, owner, since.toISOString());
    const usd = (t: number) => inputCost(t, model);
    const total = by_tool.reduce((a, r) => ({ calls: a.calls + r.calls, in: a.in + r.tokens_in, saved: a.saved + r.tokens_saved }), { calls: 0, in: 0, saved: 0 });
    const summary = {
      since: since.toISOString().slice(0, 10),
      model: model.id,
      calls: total.calls,
      tokens_in: total.in,
      tokens_saved: total.saved,
      usd_saved: Number(usd(total.saved).toFixed(4)),
    };
    if (values.json) {
      const money = (rows: UsageRow[]) => rows.map((r) => ({ ...r, usd_saved: Number(usd(r.tokens_saved).toFixed(4)) }));
      process.stdout.write(JSON.stringify({ ...summary, by_tool: money(by_tool), by_day: money(by_day) }, null, 2) + '\n');
      return;
    }
    if (total.calls === 0) {
      process.stdout.write(`No metered calls since ${summary.since}. Compress something (ctxgate compress FILE, git log | ctxgate filter) or connect an agent, then run this again.\n`);
      return;
    }
    process.stdout.write(
      `ctxgate saved ${plural(summary.tokens_saved, 'token')} in ${plural(summary.calls, 'call')} since ${summary.since} ` +
        `(${total.in ? ((100 * total.saved) / total.in).toFixed(1) : '0.0'}% of ${total.in}), worth $${summary.usd_saved.toFixed(2)} at ${model.id} input prices.\n\n` +
        `${table('tool', by_tool, usd)}\n\n${table('day (UTC)', by_day, usd)}\n`,
    );
  } finally {
    await app.close();
  }
}
