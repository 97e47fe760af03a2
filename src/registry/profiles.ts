// Profiles are data (profiles/*.json): which tools a connection sees. Validated at start-up so a
// profile naming an unknown tool stops the server with a clear message.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths.js';

export interface Profile {
  name: string;
  description: string;
  /** null = every registered tool. */
  tools: ReadonlySet<string> | null;
}

export const PROFILES_DIR = path.join(projectRoot, 'profiles');

export function loadProfiles(registered: ReadonlySet<string>, dir = PROFILES_DIR): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const where = path.join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(where, 'utf8'));
    } catch (e) {
      throw new Error(`profile ${where} is not valid JSON: ${(e as Error).message}`);
    }
    const p = raw as { name?: unknown; description?: unknown; tools?: unknown };
    if (typeof p.name !== 'string' || p.name !== file.replace(/\.json$/, '')) {
      throw new Error(`profile ${where} must have "name": "${file.replace(/\.json$/, '')}"`);
    }
    let tools: Set<string> | null;
    if (p.tools === '*') tools = null;
    else if (Array.isArray(p.tools) && p.tools.every((t) => typeof t === 'string')) {
      const unknown = (p.tools as string[]).filter((t) => !registered.has(t));
      if (unknown.length) {
        throw new Error(`profile "${p.name}" (${where}) names tools that are not registered: ${unknown.join(', ')}`);
      }
      tools = new Set(p.tools as string[]);
      if (tools.size !== p.tools.length) throw new Error(`profile "${p.name}" lists a tool twice`);
    } else {
      throw new Error(`profile ${where}: "tools" must be "*" or a list of tool names`);
    }
    out.set(p.name, { name: p.name, description: typeof p.description === 'string' ? p.description : '', tools });
  }
  for (const required of ['core', 'free', 'full', 'default']) {
    if (!out.has(required)) throw new Error(`profile "${required}" is missing from ${dir}`);
  }
  return out;
}
