// `ctxgate show [ID] [--meta]`: the raw output `ctxgate run` kept — byte for byte on stdout — or, with
// no ID, the recent runs. Notes about the log (a truncated run) go to stderr so stdout stays exact.
import fs from 'node:fs';
import type { Config } from '../config.js';
import { isRunId } from '../services/run-log.js';
import { runLog } from './run.js';
import { fail } from './fail.js';

export async function showCmd(config: Config, argv: string[]): Promise<void> {
  const log = runLog(config);
  const wantMeta = argv.includes('--meta');
  const unknown = argv.find((a) => a.startsWith('-') && a !== '--meta');
  if (unknown) fail(`show: unknown option "${unknown}" (usage: ctxgate show [ID|last] [--meta])`);
  let id = argv.find((a) => !a.startsWith('-'));
  if (id === undefined) {
    const runs = log.list(20);
    if (runs.length === 0) {
      process.stdout.write(`No runs kept in ${log.dir}. Wrap a command: ctxgate run -- npm test\n`);
      return;
    }
    for (const r of runs) {
      const status = r.signal ?? `exit ${r.exit_code}`;
      process.stdout.write(`${r.id}  ${r.started_at.slice(0, 19).replace('T', ' ')}  ${status.padEnd(7)}  ${String(r.lines).padStart(6)} lines  ${r.shown.padEnd(11)}  ${r.argv.join(' ').slice(0, 80)}\n`);
    }
    return;
  }
  if (id === 'last') id = log.list(1)[0]?.id ?? '';
  if (!isRunId(id)) fail(`show: "${id.slice(0, 40)}" is not a run id (run_…); \`ctxgate show\` lists the kept runs`);
  const meta = log.meta(id);
  const raw = log.rawPath(id);
  if (!meta || !raw) fail(`show: no kept output for ${id} (runs are kept ${config.run.logMaxAgeDays} days, within ${config.run.logTotalBytes} bytes); \`ctxgate show\` lists them`);
  if (wantMeta) {
    process.stdout.write(JSON.stringify(meta, null, 2) + '\n');
    return;
  }
  if (meta.truncated) {
    process.stderr.write(`ctxgate show: ${id} printed ${meta.bytes} bytes; the log kept the first ${meta.head_bytes} and the last ${meta.kept_bytes - meta.head_bytes} (CTXGATE_RUN_LOG_MAX_BYTES)\n`);
  }
  // A reader that went away (`ctxgate show ID | head`) ends the command quietly.
  process.stdout.on('error', () => process.exit(0));
  await new Promise<void>((resolve, reject) => {
    const s = fs.createReadStream(raw);
    s.on('error', reject);
    s.on('end', resolve);
    s.pipe(process.stdout, { end: false });
  });
}
