// Package-manager installs: npm, yarn (classic and berry) and pnpm.
import type { CliFilter } from './types.js';
import { Out, countMatches, scoreFrom, YIELD_EVERY } from './clean.js';
import { plural } from '../plural.js';

export const packageInstall: CliFilter = {
  id: 'npm_install',
  family: 'install',
  title: 'npm / yarn / pnpm install',
  aliases: ['npm install', 'npm ci', 'npm i', 'yarn', 'yarn install', 'yarn add', 'pnpm', 'pnpm install', 'pnpm add', 'npm', 'install'],
  keeps: [
    'every error line (npm error / npm ERR! / ERR_PNPM_* / yarn error / YN codes other than YN0000)',
    'warnings other than deprecations; deprecations folded into one line naming each package',
    'failed lifecycle scripts',
    'the outcome: added/removed/changed/audited counts, vulnerabilities, up to date, Done in, pnpm "+ pkg version" list, exit status',
  ],
  drops: ['http fetch/cache rows, verbose/silly/timing rows, progress rows and bars', 'successful lifecycle-script rows', 'resolution/fetch/link step banners'],
  detect(lines) {
    // "npm warn Unknown ... config" precedes anything run through npx: it says nothing about installs.
    const npm = countMatches(lines, /^npm (http|verbose|verb|info|timing|sill|warn|error|ERR!|notice) (?!Unknown (user|project|env) config )/, 4);
    // npm's summary ("added 12 packages", "up to date, audited 5 packages"): with the count and
    // "package", or prose that begins "added to the …" or "removed first" reads as an install.
    const result = countMatches(lines, /^(?:added|removed|changed|audited) \d+ packages?\b|^up to date, audited \d+ packages?\b|^found \d+ vulnerabilit|^\d+ (low|moderate|high|critical) severity vulnerabilit/, 2);
    const pnpm = countMatches(lines, /^Progress: resolved \d+, reused \d+, downloaded \d+, added \d+|^Packages: [+-]\d+|^ERR_PNPM_|^ WARN /, 3);
    const yarn = countMatches(lines, /^\[\d\/\d\] (Resolving|Fetching|Linking|Building)|^➤ YN\d{4}: |^yarn (install|add) v\d|^success Saved lockfile/, 3);
    const total = npm + result + pnpm + yarn;
    return total ? scoreFrom(total) : 0;
  },
  *filter(lines) {
    const out = new Out();
    const deprecated: string[] = [];
    // yarn classic prints the direct dependencies, then every installed package: only the first is news.
    let yarnTree: 'direct' | 'all' | null = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i & YIELD_EVERY) === YIELD_EVERY) yield;
      if (/^Progress: resolved /.test(line)) {
        // pnpm redraws its progress many times; the outcome lines below say how it ended.
        out.skip();
        continue;
      }
      const dep = /^(?:npm (?:warn|WARN) deprecated|warning .*?deprecated|\s*WARN\s+deprecated) (\S+?):? /.exec(line) ?? /^ WARN  \d+ deprecated subdependencies found: (.*)$/.exec(line);
      if (dep) {
        deprecated.push(dep[1]!);
        out.drop('deprecation warnings');
        continue;
      }
      if (/^info Direct dependencies$/.test(line)) {
        yarnTree = 'direct';
        out.keep(line);
        continue;
      }
      if (/^info All dependencies$/.test(line)) {
        yarnTree = 'all';
        // The full tree repeats what "success Saved N new dependencies" counts.
        out.skip();
        continue;
      }
      if (yarnTree && /^[├└│]/.test(line)) {
        if (yarnTree === 'direct') out.keep(line);
        else out.skip();
        continue;
      }
      yarnTree = null;
      if (/^info (No lockfile found|Visit https:\/\/yarnpkg\.com|Lockfile is up to date|fsevents)/.test(line)) {
        out.skip();
        continue;
      }
      if (/^npm (error|ERR!)|^ERR_PNPM_|^\s*ERR_PNPM|^error\s|^yarn error|^➤ YN(?!0000)\d{4}: |^ ERROR /.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^npm (warn|WARN) Unknown (user|project|env) config /.test(line) || /^yarn (add|install|upgrade|remove|global add) v\d/.test(line)) {
        // Local npm configuration noise and yarn's banner.
        out.skip();
        continue;
      }
      if (/^npm (warn|WARN)|^warning\s|^ WARN /.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^npm (http|sill|silly|timing|verb|notice)\b/.test(line)) {
        out.drop(/^npm http/.test(line) ? 'http fetches' : 'verbose log');
        continue;
      }
      if (/^npm verbose exit \d+|^npm verbose code \d+/.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^npm verbose /.test(line)) {
        out.drop('verbose log');
        continue;
      }
      if (/^npm info run .*\{ code: (\d+)/.test(line)) {
        if (/\{ code: 0,/.test(line)) out.drop('lifecycle scripts');
        else out.keep(line);
        continue;
      }
      if (/^npm info (ok|using|it worked)/.test(line)) {
        if (/^npm info ok/.test(line)) out.keep(line);
        else out.drop('verbose log');
        continue;
      }
      if (/^npm info /.test(line)) {
        out.drop('verbose log');
        continue;
      }
      if (/^\++$|^-+$/.test(line) || /^\[\d\/\d\] /.test(line) || (/^➤ YN0000: /.test(line) && !/Done|Failed/.test(line))) {
        // Step banners and progress bars: the outcome lines say how it ended.
        out.skip();
        continue;
      }
      if (/postinstall: Done$|install: Done$|prepare: Done$|(preinstall|postinstall|install|prepare)\$ /.test(line)) {
        // Lifecycle scripts that succeeded (failures print an error line, kept above).
        out.skip();
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      out.keep(line);
    }
    if (deprecated.length) {
      const uniq = [...new Set(deprecated)];
      out.note(`[${plural(deprecated.length, 'deprecation warning')}: ${uniq.join(', ')}]`);
    }
    return out.done();
  },
};
