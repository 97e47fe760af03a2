// `ctxgate CMD --help` prints that command's usage and exits 0. It used to fail with node's
// "Unknown option '--help'" (filter, compress, gain, init), and `ctxgate serve --help` started a server.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';

const dir = useTempDirs();

describe('ctxgate CMD --help', () => {
  it('prints the command usage, exits 0 and touches no data dir', () => {
    const d = path.join(dir(), 'data');
    for (const [cmd, flag] of [['filter', '--help'], ['compress', '-h'], ['gain', '--help'], ['init', '--help'], ['serve', '--help'], ['run', '--help'], ['show', '--help']]) {
      const r = runCli([cmd!, flag!], d);
      expect(r.status, `${cmd} ${flag}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage:\\n  ctxgate ${cmd}\\b`));
      expect(r.stdout).toContain('All commands: ctxgate --help');
    }
    expect(fs.existsSync(d)).toBe(false);
  });

  it('after `--`, run passes --help to the wrapped command', () => {
    const r = runCli(['run', '--', 'echo', 'x', '--help'], path.join(dir(), 'data'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('x --help\n');
  });
});
