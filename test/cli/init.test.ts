// `ctxgate init <client>` and `--uninstall` through the real CLI: existing configuration merged (never
// overwritten) with a backup, the hook and MCP entry added once, and uninstall giving back exactly the
// files as they were (byte for byte when nothing else changed; only ctxgate's entries when it did).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NODE_ARGS, ROOT, cliEnv } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';

const dir = useTempDirs();

function init(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [...NODE_ARGS, 'init', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function read(file: string) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every file under `root`, with its bytes. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(root);
  return out;
}

describe('ctxgate init', () => {
  it('claude-code: merges into existing settings with a backup, adds once, uninstall restores the bytes', () => {
    const project = dir();
    const env = cliEnv(dir(), { HOME: dir() });
    fs.mkdirSync(path.join(project, '.claude'));
    // The user's own settings, formatted their way, with a hook of their own.
    const original = '{\n    "permissions": { "allow": ["Bash(npm test:*)"] },\n    "hooks": { "PreToolUse": [ { "matcher": "Edit", "hooks": [ { "type": "command", "command": "./lint.sh" } ] } ] }\n}\n';
    fs.writeFileSync(path.join(project, '.claude/settings.json'), original);
    const before = snapshot(project);

    const r = init(['claude-code', '--dir', project], env);
    expect(r.status).toBe(0);
    const settings = read(path.join(project, '.claude/settings.json'));
    expect(settings.permissions).toEqual({ allow: ['Bash(npm test:*)'] });
    expect(settings.hooks.PreToolUse).toHaveLength(2);
    expect(settings.hooks.PreToolUse[0].matcher).toBe('Edit');
    expect(settings.hooks.PreToolUse[1]).toMatchObject({ matcher: 'Bash', hooks: [{ type: 'command' }] });
    expect(settings.hooks.PreToolUse[1].hooks[0].command).toMatch(/ hook claude-code --data-dir \S+$/);
    expect(fs.readFileSync(path.join(project, '.claude/settings.json.ctxgate-backup'), 'utf8')).toBe(original);
    const mcp = read(path.join(project, '.mcp.json'));
    expect(mcp.mcpServers.ctxgate.args.at(-1)).toBe('stdio');
    expect(mcp.mcpServers.ctxgate.env.CTXGATE_DATA_DIR).toBe(env.CTXGATE_DATA_DIR);

    // A second init adds nothing.
    const again = init(['claude-code', '--dir', project], env);
    expect(again.stdout).toMatch(/already installed/);
    expect(read(path.join(project, '.claude/settings.json')).hooks.PreToolUse).toHaveLength(2);

    const u = init(['claude-code', '--dir', project, '--uninstall'], env);
    expect(u.status).toBe(0);
    expect(snapshot(project)).toEqual(before);
  });

  it('CTXGATE_DATA_DIR at init is pinned for the hook too: its routed `ctxgate run` keeps its output there', () => {
    const project = dir();
    const data = path.join(dir(), 'data dir'); // a space: the hook command quotes it
    const r = init(['claude-code', '--dir', project], cliEnv(data, { HOME: dir() }));
    expect(r.status).toBe(0);
    const hookCmd = read(path.join(project, '.claude/settings.json')).hooks.PreToolUse[0].hooks[0].command as string;
    // The agent's shell knows nothing of CTXGATE_DATA_DIR: without the pin, runs would land in the clone's data/.
    const shellEnv = cliEnv(dir());
    delete shellEnv.CTXGATE_DATA_DIR;
    const payload = { tool_name: 'Bash', tool_input: { command: 'make -C /nonexistent-dir' } };
    const h = spawnSync('/bin/sh', ['-c', hookCmd], { cwd: ROOT, env: shellEnv, input: JSON.stringify(payload), encoding: 'utf8', timeout: 60_000 });
    expect(h.stderr).toBe('');
    const routed = JSON.parse(h.stdout).hookSpecificOutput.updatedInput.command as string;
    expect(routed).toContain(`CTXGATE_DATA_DIR='${data}' `);
    spawnSync('/bin/sh', ['-c', routed], { cwd: ROOT, env: shellEnv, encoding: 'utf8', timeout: 60_000 });
    // The run is kept under the pinned data dir (where `ctxgate show` and `gain` with it look).
    const show = spawnSync(process.execPath, [...NODE_ARGS, 'show'], { cwd: ROOT, env: cliEnv(data), encoding: 'utf8', timeout: 60_000 });
    expect(show.stdout).toContain('make -C /nonexistent-dir');
  });

  it("never overwrites an existing entry of the same name; uninstall after user edits removes only ctxgate's entries", () => {
    const project = dir();
    const env = cliEnv(dir(), { HOME: dir() });
    fs.mkdirSync(path.join(project, '.gemini'));
    const theirs = { command: '/opt/ctxgate-fork/bin/ctxgate', args: ['stdio'] };
    fs.writeFileSync(path.join(project, '.gemini/settings.json'), JSON.stringify({ theme: 'dark', mcpServers: { ctxgate: theirs } }));
    const r = init(['gemini-cli', '--dir', project], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kept the existing "mcpServers.ctxgate"/);
    const s = read(path.join(project, '.gemini/settings.json'));
    expect(s.mcpServers.ctxgate).toEqual(theirs);
    expect(s.hooks.BeforeTool[0]).toMatchObject({ matcher: 'run_shell_command', hooks: [{ name: 'ctxgate', type: 'command' }] });
    // The user changes something after install.
    s.theme = 'light';
    fs.writeFileSync(path.join(project, '.gemini/settings.json'), JSON.stringify(s));
    expect(init(['gemini-cli', '--dir', project, '--uninstall'], env).status).toBe(0);
    expect(read(path.join(project, '.gemini/settings.json'))).toEqual({ theme: 'light', mcpServers: { ctxgate: theirs } });
  });

  it('cursor --global: creates the files it needs and uninstall deletes them, leaving the home as it was', () => {
    const home = dir();
    const env = cliEnv(dir(), { HOME: home });
    const before = snapshot(home);
    expect(init(['cursor', '--global'], env).status).toBe(0);
    const hooks = read(path.join(home, '.cursor/hooks.json'));
    expect(hooks.version).toBe(1);
    expect(hooks.hooks.beforeShellExecution[0].command).toMatch(/ hook cursor --data-dir \S+$/);
    expect(read(path.join(home, '.cursor/mcp.json')).mcpServers.ctxgate.args.at(-1)).toBe('stdio');
    expect(init(['cursor', '--global', '--uninstall'], env).status).toBe(0);
    expect(snapshot(home)).toEqual(before);
    expect(fs.existsSync(path.join(home, '.cursor'))).toBe(false);
  });

  it('refuses a file that is not JSON without touching it, and an unknown client', () => {
    const project = dir();
    const env = cliEnv(dir(), { HOME: dir() });
    fs.mkdirSync(path.join(project, '.claude'));
    fs.writeFileSync(path.join(project, '.claude/settings.json'), '{ broken');
    const r = init(['claude-code', '--dir', project], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not valid JSON/);
    expect(fs.readFileSync(path.join(project, '.claude/settings.json'), 'utf8')).toBe('{ broken');
    expect(init(['vscode'], env).stderr).toMatch(/claude-code, cursor, gemini-cli/);
  });
});
