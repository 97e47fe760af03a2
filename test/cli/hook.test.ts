// `ctxgate hook <client>` through the real CLI: the JSON each client sends on stdin, the JSON reply
// it expects on stdout — a noisy command routed through `ctxgate run`, anything else left alone.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { NODE_ARGS, ROOT, cliEnv } from '../helpers/cli.js';
import { useTempDirs } from '../helpers/server.js';
import { rewriteCommand, splitCommandLine } from '../../src/cli/hook.js';

const dir = useTempDirs();

function hook(client: string, payload: unknown, extra: string[] = []) {
  const r = spawnSync(process.execPath, [...NODE_ARGS, 'hook', client, ...extra], {
    cwd: ROOT,
    env: cliEnv(dir()),
    input: typeof payload === 'string' ? payload : JSON.stringify(payload),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, reply: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

/** The rewritten command runs the same ctxgate: `<node> --import tsx <src/cli.ts> run -- <command>`. */
const ROUTED = /^'?\S*node'? --import tsx '?\S*src\/cli\.ts'? run -- /;

describe('ctxgate hook', () => {
  it('claude-code: PreToolUse on Bash gets updatedInput through ctxgate run, asking unless --auto-approve', () => {
    const payload = {
      session_id: 'abc123',
      transcript_path: '/tmp/t.jsonl',
      cwd: ROOT,
      permission_mode: 'default',
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'npm test -- --run', description: 'Run the tests', timeout: 120000 },
    };
    const r = hook('claude-code', payload);
    expect(r.status).toBe(0);
    const out = r.reply.hookSpecificOutput;
    expect(out.hookEventName).toBe('PreToolUse');
    expect(out.permissionDecision).toBe('ask');
    expect(out.updatedInput.description).toBe('Run the tests');
    expect(out.updatedInput.timeout).toBe(120000);
    expect(out.updatedInput.command).toMatch(ROUTED);
    expect(out.updatedInput.command.endsWith(' run -- npm test -- --run')).toBe(true);
    expect(hook('claude-code', payload, ['--auto-approve']).reply.hookSpecificOutput.permissionDecision).toBe('allow');
    // Not noisy, not Bash, or a pipeline: left alone.
    expect(hook('claude-code', { ...payload, tool_input: { command: 'ls -la' } }).reply).toEqual({});
    expect(hook('claude-code', { ...payload, tool_name: 'Read', tool_input: { file_path: '/x' } }).reply).toEqual({});
    expect(hook('claude-code', { ...payload, tool_input: { command: 'npm test | tail -5' } }).reply).toEqual({});
  });

  it('cursor: beforeShellExecution gets permission and updated_input', () => {
    const payload = {
      hook_event_name: 'beforeShellExecution',
      conversation_id: 'conv-1',
      generation_id: 'gen-1',
      workspace_roots: [ROOT],
      command: 'cd packages/api && pytest -x tests/',
      cwd: ROOT,
    };
    const r = hook('cursor', payload);
    expect(r.status).toBe(0);
    expect(r.reply.permission).toBe('ask');
    expect(r.reply.updated_input.command).toMatch(/^cd packages\/api && \S.* run -- pytest -x tests\/$/);
    expect(hook('cursor', { ...payload, command: 'echo hi' }).reply).toEqual({});
  });

  it('gemini-cli: BeforeTool on run_shell_command gets hookSpecificOutput.tool_input, no decision unless --auto-approve', () => {
    const payload = {
      session_id: 's1',
      transcript_path: '/tmp/t.json',
      cwd: ROOT,
      hook_event_name: 'BeforeTool',
      timestamp: '2026-11-29T13:00:00.000Z',
      tool_name: 'run_shell_command',
      tool_input: { command: 'git log --stat -n 20', description: 'recent history' },
    };
    const r = hook('gemini-cli', payload);
    expect(r.status).toBe(0);
    expect(r.reply.decision).toBeUndefined();
    expect(r.reply.hookSpecificOutput.hookEventName).toBe('BeforeTool');
    expect(r.reply.hookSpecificOutput.tool_input.command).toMatch(ROUTED);
    expect(r.reply.hookSpecificOutput.tool_input.command.endsWith(' run -- git log --stat -n 20')).toBe(true);
    expect(hook('gemini-cli', payload, ['--auto-approve']).reply.decision).toBe('allow');
    expect(hook('gemini-cli', { ...payload, tool_name: 'read_file', tool_input: { path: 'x' } }).reply).toEqual({});
  });

  it('fails open: input that is not JSON, a bad configuration, an unknown client never block the command', () => {
    const r = hook('claude-code', 'not json{');
    expect(r.status).toBe(0);
    expect(r.reply).toEqual({});
    expect(r.stderr).toMatch(/not JSON/);
    // A configuration error elsewhere in ctxgate does not reach the hook.
    const cfg = spawnSync(process.execPath, [...NODE_ARGS, 'hook', 'claude-code'], {
      cwd: ROOT,
      env: cliEnv(dir(), { CTXGATE_OWNER_PLAN: 'gold' }),
      input: JSON.stringify({ tool_name: 'Bash', tool_input: { command: 'ls' } }),
      encoding: 'utf8',
    });
    expect(cfg.status).toBe(0);
    expect(JSON.parse(cfg.stdout)).toEqual({});
    const u = hook('vscode', {});
    expect(u.status).toBe(1); // never 2, which Claude Code reads as "block the command"
    expect(u.stderr).toMatch(/claude-code, cursor, gemini-cli/);
  });
});

describe('command rewriting', () => {
  const self = 'ctxgate';
  it('routes noisy simple commands, keeping env assignments, chains and a trailing 2>&1', () => {
    expect(rewriteCommand('npm test', self)).toBe('ctxgate run -- npm test');
    expect(rewriteCommand('CI=1 npx vitest run', self)).toBe('CI=1 ctxgate run -- npx vitest run');
    expect(rewriteCommand('cd web && npm ci && npm run build', self)).toBe('cd web && ctxgate run -- npm ci && ctxgate run -- npm run build');
    expect(rewriteCommand('cargo test 2>&1', self)).toBe('ctxgate run -- cargo test');
    expect(rewriteCommand('git status', self)).toBe('ctxgate run -- git status');
    expect(rewriteCommand('python -m pytest -q "tests/a b.py"', self)).toBe('ctxgate run -- python -m pytest -q "tests/a b.py"');
    expect(rewriteCommand('go test ./... ; git diff', self)).toBe('ctxgate run -- go test ./... ; ctxgate run -- git diff');
  });
  it('leaves alone what wrapping would change: pipes, redirections, subshells, background, already routed', () => {
    for (const c of ['npm test | tail', 'npm test > out.txt', '(cd x && npm test)', 'npm test &', 'ls', 'git commit -m "x"', 'ctxgate run -- npm test', 'echo "unterminated']) {
      expect(rewriteCommand(c, self)).toBeUndefined();
    }
    // Quoted metacharacters are arguments, not shell syntax.
    expect(splitCommandLine('git log --format="%h | %s"')).toEqual([{ text: 'git log --format="%h | %s"', sep: '' }]);
    expect(rewriteCommand('git log --format="%h | %s"', self)).toBe('ctxgate run -- git log --format="%h | %s"');
  });
});
