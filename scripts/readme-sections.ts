// Generated README sections: the tool overview (from the registry) and the configuration table (from
// src/config.ts). `npm run docs` rewrites them; test/readme.test.ts fails when the README drifts.
import fs from 'node:fs';
import path from 'node:path';
import { ENV_VARS } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { Registry } from '../src/registry/registry.js';
import { allTools } from '../tools/index.js';
import { TOOLSETS } from '../tools/toolsets.js';

export const README = path.join(projectRoot, 'README.md');

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function firstSentence(s: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(s.trim());
  return m ? m[1]! : s.trim();
}

export function renderTools(registry = new Registry(allTools, TOOLSETS)): string {
  const core = registry.profiles.get('core')!.tools!;
  const lines: string[] = [];
  lines.push(`${registry.tools.size} tools are registered. ● = core profile, ○ = free plan (free profile), others need pro or higher; (team) / (enterprise) = the seed's Team / Enterprise features. 🔓 = works without an API key.`);
  for (const ts of registry.toolsets()) {
    lines.push('', `### ${ts.name}`, '', cell(ts.description), '', '| tool | what it does | REST |', '|---|---|---|');
    for (const t of ts.tools) {
      const mark = core.has(t.name) ? '● ' : registry.minPlan(t) === 'free' ? '○ ' : '';
      const open = (t.public ? ' 🔓' : '') + (t.plan ? ` (${t.plan})` : '');
      const routes = (t.rest ?? []).map((r) => `\`${r.method} ${r.path}\``).join('<br>');
      lines.push(`| ${mark}\`${t.name}\`${open} | ${cell(firstSentence(t.description))} | ${routes} |`);
    }
  }
  return lines.join('\n');
}

export function renderConfig(): string {
  const lines = ['| variable | default | meaning |', '|---|---|---|'];
  for (const v of ENV_VARS) lines.push(`| \`${v.name}\` | ${cell(v.default)} | ${cell(v.description)} |`);
  return lines.join('\n');
}

export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README is missing the ${start} ... ${end} markers`);
  return doc.slice(0, i + start.length) + '\n' + body + '\n' + doc.slice(j);
}

export function renderReadme(doc: string): string {
  return replaceSection(replaceSection(doc, 'tools', renderTools()), 'config', renderConfig());
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const doc = fs.readFileSync(README, 'utf8');
  const next = renderReadme(doc);
  if (next !== doc) fs.writeFileSync(README, next);
  process.stdout.write(next === doc ? 'README up to date\n' : 'README sections regenerated\n');
}
