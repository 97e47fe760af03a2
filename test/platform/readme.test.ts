// The README is the front door: its generated sections must match the registry and config, and its
// quickstart must name the two commands the project's scripts actually provide.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, renderReadme } from '../../scripts/readme-sections.js';
import { ENV_VARS } from '../../src/config.js';

const doc = fs.readFileSync(README, 'utf8');

describe('README', () => {
  it('has the tool overview and configuration table in sync (run `npm run docs` to fix)', () => {
    expect(renderReadme(doc)).toBe(doc);
  });

  it('documents every CTXGATE_ variable the code reads', () => {
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/CTXGATE_[A-Z_]+/g)) read.add(m[0]);
      }
    };
    walk('src');
    walk('tools');
    const documented = new Set(ENV_VARS.map((v) => v.name));
    const missing = [...read].filter((v) => !documented.has(v) && !doc.includes(v));
    expect(missing).toEqual([]);
  });

  it('quickstart commands exist as package scripts', () => {
    expect(doc).toContain('npm ci && npm start');
    expect(doc).toContain('npm ci && npm test');
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBeTruthy();
    expect(pkg.scripts.test).toBeTruthy();
  });
});
