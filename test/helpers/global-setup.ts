// Once per test run (vitest globalSetup): compiles src/ and tools/ file by file with esbuild into
// .cache/test-build/, for the tests that start the CLI as a child process (test/helpers/cli.ts).
// The same transform tsx applies on the fly, done once: a child started from the compiled files
// skips tsx's loader, whose per-module hooks cost more CPU than the whole rest of a CLI start (about
// 1.2 s of 2.3 s for `ctxgate keys list`). Inline source maps keep stack traces on the .ts lines.
import fs from 'node:fs';
import path from 'node:path';
import { transform } from 'esbuild';
import { BUILD_DIR, ROOT } from './cli.js';

/** Writes `text` to `file` unless it already holds it; atomically, so a concurrent run never reads half a file. */
function writeIfChanged(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    /* not there yet */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export async function setup(): Promise<void> {
  const sources = ['src', 'tools'].flatMap((dir) =>
    (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)),
  );
  await Promise.all(
    sources.map(async (rel) => {
      const file = path.join(ROOT, rel);
      const { code } = await transform(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', sourcefile: file });
      writeIfChanged(path.join(BUILD_DIR, rel.replace(/\.ts$/, '.js')), code);
    }),
  );
}
