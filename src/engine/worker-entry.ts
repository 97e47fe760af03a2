// Where a worker thread's entry module is. Built, it is the .js file beside the caller. From source
// (tsx, vitest) it is a .ts file: a tiny ESM bootstrap registers tsx's loader inside the worker first
// (Node 20 does not apply `--import` hooks to a worker's entry module).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The entry URL of worker `name` (without extension) that lives beside the module at `callerUrl`. */
export function workerEntry(callerUrl: string, name: string): URL {
  if (!fileURLToPath(callerUrl).endsWith('.ts')) return new URL(`./${name}.js`, callerUrl);
  const api = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
