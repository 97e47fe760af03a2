// Package-manager installs: npm, yarn (classic and berry) and pnpm.
import type { CliFilter } from './types.js';
import { Out, countMatches, scoreFrom } from './clean.js';

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
    const npm = countMatches(lines, /^npm (http|verbose|verb|info|timing|sill|warn|error|ERR!|notice) /, 4);
    const result = countMatches(lines, /^(added|removed|changed|up to date,|audited) \d*|^found \d+ vulnerabilit|^\d+ (low|moderate|high|critical) severity vulnerabilit/, 2);
    const pnpm = countMatches(lines, /^Progress: resolved \d+, reused \d+, downloaded \d+, added \d+|^Packages: [+-]\d+|^ERR_PNPM_|^ WARN /, 3);
    const yarn = countMatches(lines, /^\[\d\/\d\] (Resolving|Fetching|Linking|Building)|^➤ YN\d{4}: |^yarn (install|add) v\d|^success Saved lockfile/, 3);
    const total = npm + result + pnpm + yarn;
    return total ? scoreFrom(total) : 0;
  },
  filter(lines) {
    const out = new Out();
    const deprecated: string[] = [];
    let lastProgress: string | null = null;
    for (const line of lines) {
      if (/^Progress: resolved /.test(line)) {
        lastProgress = line;
        out.drop('progress');
        continue;
      }
      if (lastProgress && /, done$/.test(lastProgress)) {
        out.keep(lastProgress);
      }
      lastProgress = null;
      const dep = /^(?:npm (?:warn|WARN) deprecated|warning .*?deprecated|\s*WARN\s+deprecated) (\S+?):? /.exec(line) ?? /^ WARN  \d+ deprecated subdependencies found: (.*)$/.exec(line);
      if (dep) {
        deprecated.push(dep[1]!);
        out.drop('deprecation warnings');
        continue;
      }
      if (/^npm (error|ERR!)|^ERR_PNPM_|^\s*ERR_PNPM|^error\s|^yarn error|^➤ YN(?!0000)\d{4}: |^ ERROR /.test(line)) {
        out.keep(line);
        continue;
      }
      if (/^npm (warn|WARN) Unknown (user|project|env) config /.test(line)) {
        out.drop('npm config warnings');
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
      if (/^\++$|^-+$/.test(line) || /^\[\d\/\d\] /.test(line) || /^➤ YN0000: /.test(line) && !/Done|Failed/.test(line)) {
        out.drop('progress');
        continue;
      }
      if (/postinstall: Done$|install: Done$|prepare: Done$|(preinstall|postinstall|install|prepare)\$ /.test(line)) {
        out.drop('lifecycle scripts');
        continue;
      }
      if (line.trim() === '') {
        out.drop('blank');
        continue;
      }
      out.keep(line);
    }
    if (lastProgress) out.keep(lastProgress);
    if (deprecated.length) {
      const uniq = [...new Set(deprecated)];
      out.note(`[${deprecated.length} deprecation warning${deprecated.length === 1 ? '' : 's'}: ${uniq.join(', ')}]`);
    }
    return out.done();
  },
};
