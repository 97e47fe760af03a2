// `ctxgate init <client> [--global] [--auto-approve] [--dir DIR]` and `ctxgate init <client> --uninstall`:
// adds the shell hook (`ctxgate hook <client>`) and the MCP server entry to an agent's configuration.
// Existing files are merged, never replaced, and backed up first; what was added is recorded in a
// manifest under the data dir, so --uninstall removes exactly that (restoring the backup byte for byte
// when nothing else changed since).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, isDeepStrictEqual } from 'node:util';
import { loadConfig } from '../config.js';
import { PRIVATE_FILE_MODE, ensurePrivateDir } from '../paths.js';
import { fail } from './fail.js';
import { HOOK_CLIENTS, isHookClient, selfCommand, shellQuote, type HookClient } from './hook.js';

type Json = Record<string, unknown>;
/** One change to a JSON file: an element appended to an array, or a key set on an object. */
interface Addition {
  /** Keys from the root to the array or object that received it. */
  at: string[];
  kind: 'element' | 'key';
  key?: string;
  value: unknown;
}
interface FileRecord {
  file: string;
  /** The file did not exist: uninstall deletes it (if nothing else is left in it). */
  created: boolean;
  /** Directories init made for it, deepest first. */
  createdDirs: string[];
  backup: string | null;
  /** Containers (objects/arrays) init created, in creation order. */
  createdContainers: string[][];
  additions: Addition[];
}
interface Manifest {
  installs: Record<string, { client: HookClient; at: string; files: FileRecord[] }>;
}

interface Plan {
  file: string;
  additions: Addition[];
}

/** Where each client keeps hooks and MCP servers, and what ctxgate adds there. */
function plans(client: HookClient, base: string, global: boolean, hookCmd: string, mcp: Json): Plan[] {
  const home = os.homedir();
  switch (client) {
    case 'claude-code':
      return [
        {
          file: path.join(global ? path.join(home, '.claude') : path.join(base, '.claude'), 'settings.json'),
          additions: [{ at: ['hooks', 'PreToolUse'], kind: 'element', value: { matcher: 'Bash', hooks: [{ type: 'command', command: hookCmd }] } }],
        },
        { file: global ? path.join(home, '.claude.json') : path.join(base, '.mcp.json'), additions: [{ at: ['mcpServers'], kind: 'key', key: 'ctxgate', value: mcp }] },
      ];
    case 'cursor': {
      const dir = global ? path.join(home, '.cursor') : path.join(base, '.cursor');
      return [
        {
          file: path.join(dir, 'hooks.json'),
          additions: [
            { at: [], kind: 'key', key: 'version', value: 1 },
            { at: ['hooks', 'beforeShellExecution'], kind: 'element', value: { command: hookCmd } },
          ],
        },
        { file: path.join(dir, 'mcp.json'), additions: [{ at: ['mcpServers'], kind: 'key', key: 'ctxgate', value: mcp }] },
      ];
    }
    case 'gemini-cli':
      return [
        {
          file: path.join(global ? path.join(home, '.gemini') : path.join(base, '.gemini'), 'settings.json'),
          additions: [
            { at: ['hooks', 'BeforeTool'], kind: 'element', value: { matcher: 'run_shell_command', hooks: [{ name: 'ctxgate', type: 'command', command: hookCmd }] } },
            { at: ['mcpServers'], kind: 'key', key: 'ctxgate', value: mcp },
          ],
        },
      ];
  }
}

function readJson(file: string): Json | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(`${file} is not valid JSON (${(e as Error).message}); it was not touched. Fix it, then run init again.`, 1);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`${file} does not hold a JSON object; it was not touched.`, 1);
  return v as Json;
}

/** The container at `at`, created (and recorded) where missing. */
function containerAt(root: Json, at: string[], isArray: boolean, created: string[][]): Json | unknown[] {
  let node: Json = root;
  for (let i = 0; i < at.length; i++) {
    const k = at[i]!;
    const last = i === at.length - 1;
    const existing = node[k];
    if (existing === undefined) {
      node[k] = last && isArray ? [] : {};
      created.push(at.slice(0, i + 1));
    } else if (typeof existing !== 'object' || existing === null || (last && isArray !== Array.isArray(existing)) || (!last && Array.isArray(existing))) {
      fail(`"${at.slice(0, i + 1).join('.')}" has an unexpected type; the file was not touched.`, 1);
    }
    node = node[k] as Json;
  }
  return node;
}

function lookup(root: Json, at: string[]): unknown {
  let node: unknown = root;
  for (const k of at) node = node && typeof node === 'object' ? (node as Json)[k] : undefined;
  return node;
}

function manifestPath(): string {
  return path.join(loadConfig().dataDir, 'init-manifest.json');
}

function loadManifest(): Manifest {
  try {
    return JSON.parse(fs.readFileSync(manifestPath(), 'utf8')) as Manifest;
  } catch {
    return { installs: {} };
  }
}

function saveManifest(m: Manifest): void {
  const p = manifestPath();
  ensurePrivateDir(path.dirname(p));
  if (Object.keys(m.installs).length === 0) fs.rmSync(p, { force: true });
  else fs.writeFileSync(p, JSON.stringify(m, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
}

function writeJson(file: string, v: Json): void {
  fs.writeFileSync(file, JSON.stringify(v, null, 2) + '\n');
}

function install(client: HookClient, key: string, base: string, global: boolean, autoApprove: boolean): string[] {
  const self = selfCommand();
  // A data dir given at init time is pinned for both: the MCP entry (env) and the hook, which passes it
  // on to the `ctxgate run` it writes into the agent's command, so `ctxgate gain` sees those runs.
  const dataDir = process.env.CTXGATE_DATA_DIR ? path.resolve(process.env.CTXGATE_DATA_DIR) : undefined;
  const hookCmd = `${self} hook ${client}${autoApprove ? ' --auto-approve' : ''}${dataDir ? ` --data-dir ${shellQuote(dataDir)}` : ''}`;
  // The MCP entry runs the same installation over stdio (argv form: clients spawn it without a shell).
  const script = fs.realpathSync(process.argv[1]!);
  const mcp: Json =
    self === 'ctxgate'
      ? { command: 'ctxgate', args: ['stdio'] }
      : { command: process.execPath, args: [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script, 'stdio'] };
  if (dataDir) mcp.env = { CTXGATE_DATA_DIR: dataDir };
  const records: FileRecord[] = [];
  const notes: string[] = [];
  for (const plan of plans(client, base, global, hookCmd, mcp)) {
    const before = readJson(plan.file);
    const root: Json = before ? structuredClone(before) : {};
    const rec: FileRecord = { file: plan.file, created: before === undefined, createdDirs: [], backup: null, createdContainers: [], additions: [] };
    for (const a of plan.additions) {
      if (a.kind === 'element') {
        const arr = containerAt(root, a.at, true, rec.createdContainers) as unknown[];
        if (arr.some((e) => isDeepStrictEqual(e, a.value))) continue;
        arr.push(a.value);
      } else {
        const obj = containerAt(root, a.at, false, rec.createdContainers) as Json;
        if (obj[a.key!] !== undefined) {
          // Never overwrite: an entry by that name stays as the user wrote it.
          if (!isDeepStrictEqual(obj[a.key!], a.value) && a.key !== 'version') notes.push(`${plan.file}: kept the existing "${[...a.at, a.key].join('.')}" (not replaced)`);
          continue;
        }
        obj[a.key!] = a.value;
      }
      rec.additions.push(a);
    }
    if (rec.additions.length === 0) continue;
    if (before !== undefined) {
      rec.backup = `${plan.file}.ctxgate-backup`;
      if (fs.existsSync(rec.backup)) rec.backup = `${plan.file}.ctxgate-backup-${Date.now()}`;
      fs.copyFileSync(plan.file, rec.backup);
    } else {
      for (let d = path.dirname(plan.file); !fs.existsSync(d); d = path.dirname(d)) rec.createdDirs.push(d);
      fs.mkdirSync(path.dirname(plan.file), { recursive: true });
    }
    writeJson(plan.file, root);
    records.push(rec);
    notes.push(`${rec.created ? 'created' : 'updated'} ${plan.file}${rec.backup ? ` (backup: ${rec.backup})` : ''}`);
  }
  const m = loadManifest();
  const prev = m.installs[key];
  m.installs[key] = { client, at: new Date().toISOString(), files: [...(prev?.files ?? []), ...records] };
  if (m.installs[key]!.files.length) saveManifest(m);
  if (records.length === 0) notes.push('already installed: nothing to add');
  return notes;
}

function uninstall(key: string): string[] {
  const m = loadManifest();
  const entry = m.installs[key];
  if (!entry) return ['nothing to remove: ctxgate init did not install anything here'];
  const notes: string[] = [];
  // Newest first, so a second install's changes come off before the first's.
  for (const rec of [...entry.files].reverse()) {
    const current = readJson(rec.file);
    if (current === undefined) {
      notes.push(`${rec.file} is gone already`);
      continue;
    }
    for (const a of rec.additions) {
      const node = lookup(current, a.at);
      if (a.kind === 'element' && Array.isArray(node)) {
        const i = node.findIndex((e) => isDeepStrictEqual(e, a.value));
        if (i !== -1) node.splice(i, 1);
      } else if (a.kind === 'key' && node && typeof node === 'object' && isDeepStrictEqual((node as Json)[a.key!], a.value)) {
        delete (node as Json)[a.key!];
      }
    }
    for (const at of [...rec.createdContainers].reverse()) {
      const node = lookup(current, at);
      const parent = lookup(current, at.slice(0, -1)) as Json | undefined;
      const empty = Array.isArray(node) ? node.length === 0 : !!node && typeof node === 'object' && Object.keys(node).length === 0;
      if (empty && parent) delete parent[at[at.length - 1]!];
    }
    if (rec.created && Object.keys(current).length === 0) {
      fs.rmSync(rec.file);
      for (const d of rec.createdDirs) {
        try {
          fs.rmdirSync(d);
        } catch {
          break; // not empty: something else lives there now
        }
      }
      notes.push(`removed ${rec.file}`);
      continue;
    }
    const backup = rec.backup && fs.existsSync(rec.backup) ? rec.backup : null;
    if (backup && isDeepStrictEqual(readJson(backup), current)) {
      // Nothing else changed since install: the original bytes come back exactly.
      fs.copyFileSync(backup, rec.file);
      fs.rmSync(backup);
      notes.push(`restored ${rec.file} from its backup`);
    } else {
      writeJson(rec.file, current);
      notes.push(`removed ctxgate's entries from ${rec.file}${backup ? ` (it changed since install; the backup stays at ${backup})` : ''}`);
    }
  }
  delete m.installs[key];
  saveManifest(m);
  return notes;
}

export async function initCmd(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { global: { type: 'boolean' }, uninstall: { type: 'boolean' }, 'auto-approve': { type: 'boolean' }, dir: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const client = positionals[0];
  if (!isHookClient(client)) fail(`init: name the client: ${HOOK_CLIENTS.join(', ')} (e.g. ctxgate init claude-code)`);
  const base = path.resolve(values.dir ?? process.cwd());
  const global = values.global ?? false;
  const key = `${client}:${global ? `global:${os.homedir()}` : base}`;
  const notes = values.uninstall ? uninstall(key) : install(client, key, base, global, values['auto-approve'] ?? false);
  process.stdout.write(notes.map((n) => `ctxgate init ${client}: ${n}\n`).join(''));
  if (!values.uninstall) {
    process.stdout.write(
      `ctxgate init ${client}: noisy shell commands (tests, builds, installs, git log/diff/status, linters) now go through \`ctxgate run\`; ` +
        `\`ctxgate show\` lists the raw output kept. Undo with: ctxgate init ${client} --uninstall${values.global ? ' --global' : ''}${values.dir ? ` --dir ${values.dir}` : ''}\n`,
    );
  }
}
