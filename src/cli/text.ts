// `ctxgate compress FILE|-` and `ctxgate filter`: the compress_text and filter_cli_output tools for
// pipes and files. The result goes to stdout, the figures to stderr, so both compose in a pipeline.
import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { toAppError } from '../errors.js';
import { createLogger } from '../log.js';
import { fail, readInput, runToolAsOwner } from './common.js';

async function withApp<T>(config: Config, run: (app: Awaited<ReturnType<typeof createApp>>, log: ReturnType<typeof createLogger>) => Promise<T>): Promise<T> {
  const log = createLogger('silent', 'stderr');
  const app = await createApp(config, log);
  try {
    return await run(app, log);
  } catch (e) {
    fail(toAppError(e).message, 1);
  } finally {
    await app.close();
  }
}

export async function compressCmd(config: Config, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { fidelity: { type: 'string' }, query: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) fail('compress needs a FILE (use - for stdin)');
  const text = await readInput(file);
  await withApp(config, async (app, log) => {
    const out = (await runToolAsOwner(app, log, 'compress_text', {
      text,
      ...(values.fidelity && { fidelity: values.fidelity }),
      ...(values.query && { query: values.query }),
    })) as { compressed?: string; stats?: unknown };
    if (values.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      process.stdout.write((out.compressed ?? '') + '\n');
      process.stderr.write(JSON.stringify(out.stats) + '\n');
    }
  });
}

interface Filtered {
  filtered: string;
  detected_type: string | null;
  original_chars: number;
  filtered_chars: number;
  original_lines: number;
  filtered_lines: number;
  savings_pct: number;
}

export async function filterCmd(config: Config, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { hint: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    allowPositionals: true,
  });
  if (!positionals[0] && process.stdin.isTTY) fail('filter reads command output from stdin: pipe something into it, e.g. `git log --stat | ctxgate filter` (or name a FILE)');
  const text = await readInput(positionals[0] ?? '-');
  // Nothing to filter (a command that printed nothing): pass the nothing through.
  if (text.trim() === '') return;
  await withApp(config, async (app, log) => {
    const out = (await runToolAsOwner(app, log, 'filter_cli_output', { output: text, ...(values.hint && { command_hint: values.hint }) })) as Filtered;
    if (values.json) {
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return;
    }
    process.stdout.write(out.filtered.endsWith('\n') ? out.filtered : out.filtered + '\n');
    if (!values.quiet) {
      process.stderr.write(
        `ctxgate filter: ${out.detected_type ?? 'generic'}; ${out.original_lines} → ${out.filtered_lines} lines, ` +
          `${out.original_chars} → ${out.filtered_chars} chars (${out.savings_pct}% saved)\n`,
      );
    }
  });
}
