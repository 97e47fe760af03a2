// Runs every benchmark in bench/ (one process each, so they do not disturb each other) and prints
// one JSON object: { name: result }. `npm run bench -- platform compress` runs a subset.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const names = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  // backends.ts reruns memory and documents on both stores, replicas.ts starts server processes over
  // PostgreSQL: asked for by name only.
  .filter((f) => wanted.length > 0 || !['backends.ts', 'replicas.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();
const results: Record<string, unknown> = {};
for (const name of names) {
  process.stderr.write(`bench ${name} ...\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.ts`)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  const out = r.stdout.trim();
  const start = out.indexOf('{');
  try {
    results[name] = r.status === 0 && start >= 0 ? JSON.parse(out.slice(start)) : { error: `exit ${r.status}`, output: out.slice(-2000) };
  } catch {
    results[name] = { error: 'output was not JSON', output: out.slice(-2000) };
  }
}
console.log(JSON.stringify(results, null, 2));
