// One replica's job runner as its own process: the app over the shared store, with a job kind of its
// own registered the way src/app.ts registers the real ones. Each item it runs is appended to
// RUN_LOG (runner, job, index), so the test can tell how often each item ran and where.
import fs from 'node:fs';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { JobsService, type JobKind } from '../../src/services/jobs.js';

const runner = process.env.RUNNER_NAME!;
const itemMs = Number(process.env.ITEM_MS ?? 150);
const app = await createApp(loadConfig({ logLevel: 'silent', embedder: 'offline' }), createLogger('silent'));

const slowKind: JobKind<{ n: number }, { n: number; runner: string }> = {
  tool: 'test_slow_tool',
  run: async (_deps, item) => {
    fs.appendFileSync(process.env.RUN_LOG!, `${runner} ${item.jobId} ${item.index}\n`);
    await new Promise((r) => setTimeout(r, itemMs));
    return { result: { n: item.input.n, runner }, meter: { tokensIn: 10, tokensOut: 1 } };
  },
};
const jobs = app.deps.service(JobsService);
jobs.register('test_slow', slowKind);
jobs.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
