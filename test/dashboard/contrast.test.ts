// WCAG AA in both themes (issue 20): every text colour the stylesheet puts on a background reaches
// 4.5:1, and control borders 3:1. Read from dashboard/src/app.css, so a colour change that breaks
// contrast fails here. Each colour is declared once as light-dark(light, dark).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';

const css = fs.readFileSync(path.join(projectRoot, 'dashboard', 'src', 'app.css'), 'utf8');

/** The light and dark value of every colour variable in :root (`--x: light-dark(L, D);`). */
function themes(): { light: Record<string, string>; dark: Record<string, string> } {
  const root = css.slice(css.indexOf(':root {'), css.indexOf('}', css.indexOf(':root {')));
  const light: Record<string, string> = {};
  const dark: Record<string, string> = {};
  for (const m of root.matchAll(/--([\w-]+):\s*light-dark\(\s*(#[0-9a-f]{6}|rgba\([^)]*\))\s*,\s*(#[0-9a-f]{6}|rgba\([^)]*\))\s*\);/gi)) {
    light[m[1]!] = m[2]!;
    dark[m[1]!] = m[3]!;
  }
  return { light, dark };
}

function luminance(hex: string): number {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(m[1]!.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

// [text, background, minimum]
const PAIRS: Array<[string, string, number]> = [
  ['fg', 'bg', 4.5],
  ['fg', 'surface', 4.5],
  ['fg-muted', 'bg', 4.5],
  ['fg-muted', 'surface', 4.5],
  ['accent', 'surface', 4.5],
  ['accent', 'bg', 4.5],
  ['accent-fg', 'accent', 4.5],
  ['danger', 'surface', 4.5],
  ['danger', 'bg', 4.5],
  ['ok', 'bg', 4.5],
  ['ok', 'surface', 4.5],
  ['warn-fg', 'warn-bg', 4.5],
  ['fg', 'add-bg', 4.5],
  ['fg', 'del-bg', 4.5],
  ['ok', 'add-bg', 4.5],
  ['fg-muted', 'add-bg', 4.5],
  ['fg-muted', 'del-bg', 4.5],
  ['bg', 'fg', 4.5], // the toast
  ['border', 'surface', 3],
  ['focus', 'surface', 3],
  ['focus', 'bg', 3],
];

describe('dashboard colours', () => {
  const { light, dark } = themes();
  it('declares every colour for both themes', () => {
    const used = new Set(PAIRS.flat().filter((x): x is string => typeof x === 'string'));
    for (const name of used) {
      expect(light[name], name).toBeDefined();
      expect(dark[name], name).toBeDefined();
    }
    // No colour variable outside light-dark(): it would not follow the theme.
    expect(css.slice(css.indexOf(':root {'), css.indexOf('}', css.indexOf(':root {'))).match(/--[\w-]+:(?!\s*light-dark)/g)).toBeNull();
  });
  for (const [name, theme] of [['light', light], ['dark', dark]] as const) {
    it(`passes WCAG AA in the ${name} theme`, () => {
      const failures = PAIRS.map(([fg, bg, min]) => ({ pair: `${fg} on ${bg}`, ratio: contrast(theme[fg]!, theme[bg]!), min })).filter((p) => !(p.ratio >= p.min));
      expect(failures).toEqual([]);
    });
  }

  it('computes contrast as WCAG defines it', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});
