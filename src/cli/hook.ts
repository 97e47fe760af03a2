// `ctxgate hook <client>`: the agent hook `ctxgate init` installs. It reads the client's JSON (the
// shell command the agent is about to run) on stdin and answers on stdout with the client's JSON: the
// same command routed through `ctxgate run` when it is a known noisy one, else nothing to change.
// It runs before every agent shell command, so it imports nothing but node built-ins, and it fails
// open: bad input gets an empty reply, never a blocked command.
import fs from 'node:fs';
import path from 'node:path';

export const HOOK_CLIENTS = ['claude-code', 'cursor', 'gemini-cli'] as const;
export type HookClient = (typeof HOOK_CLIENTS)[number];

export function isHookClient(s: string | undefined): s is HookClient {
  return (HOOK_CLIENTS as readonly string[]).includes(s ?? '');
}

/**
 * Commands whose output is long and repetitive: test runners, builds, package managers, git history
 * and diffs, linters. Matched against a simple command's words after env assignments and runners.
 */
const NOISY: RegExp[] = [
  // test runners
  /^(npm|pnpm|yarn|bun) (test|t|run test\S*|run (lint|build|check|typecheck)\S*|(test|lint|build|typecheck)\S*)\b/,
  /^(npx |pnpm exec |yarn dlx |bunx )?(vitest|jest|mocha|playwright test|ava|tap|tsc|eslint|prettier --check|biome (check|lint))\b/,
  /^((uv|poetry|pipenv) run )?(python3? -m )?(pytest|py\.test|tox|nox|mypy|ruff|flake8|pylint|black --check)\b/,
  /^go (test|build|vet)\b/,
  /^golangci-lint\b/,
  /^cargo (test|build|check|clippy|nextest)\b/,
  /^(make|ninja|cmake --build|mvn|\.\/mvnw|gradle|\.\/gradlew|dotnet (build|test|restore)|bazel (build|test)|rspec|rubocop|bundle exec (rspec|rubocop|rake))\b/,
  // package managers
  /^(npm (install|i|ci|update|audit|ls)|pnpm (install|i|add|update)|yarn( install| add| upgrade)?$|yarn (install|add|upgrade)|bun (install|add))\b/,
  /^(pip3?|uv pip|python3? -m pip) install\b/,
  /^(uv (sync|add|lock)|poetry (install|add|update|lock)|bundle install|composer (install|update)|go mod (download|tidy))\b/,
  // git
  /^git (log|diff|status|show)\b/,
];

/** Unquoted characters that change what the shell does with output or exit status: not rewritten. */
const UNSAFE = new Set(['|', '>', '<', '&', '(', ')', '{', '}', '\n', '`']);

/**
 * Splits a command line into simple commands at unquoted `&&`, `||` and `;` (keeping the separators),
 * or returns undefined when something (a pipe, a redirection, a subshell, background) makes wrapping a
 * part change its meaning. A trailing `2>&1` is allowed: ctxgate run already merges the two streams.
 */
export function splitCommandLine(line: string): Array<{ text: string; sep: string }> | undefined {
  const src = line.replace(/\s+2>&1\s*$/, '');
  const parts: Array<{ text: string; sep: string }> = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      cur += c;
      if (c === '\\' && quote === '"' && i + 1 < src.length) cur += src[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '\\' && i + 1 < src.length) {
      cur += c + src[++i];
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||' || c === ';') {
      parts.push({ text: cur, sep: c === ';' ? ';' : two });
      cur = '';
      if (c !== ';') i++;
      continue;
    }
    if (c === '$' && src[i + 1] === '(') return undefined;
    if (UNSAFE.has(c)) return undefined;
    cur += c;
  }
  if (quote) return undefined;
  parts.push({ text: cur, sep: '' });
  return parts;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|\S*)\s+/;

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * How the agent's shell should call ctxgate: `ctxgate` when that is on PATH and is this very
 * installation, else node with this script (and tsx when running from source).
 */
export function selfCommand(): string {
  const script = fs.realpathSync(process.argv[1]!);
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      if (fs.realpathSync(path.join(dir, 'ctxgate')) === script) return 'ctxgate';
    } catch {
      /* not here */
    }
  }
  const loader = script.endsWith('.ts') ? ' --import tsx' : '';
  return `${shellQuote(process.execPath)}${loader} ${shellQuote(script)}`;
}

/**
 * The command line with each noisy simple command routed through `ctxgate run`, or undefined when
 * there is nothing to route (or the line is not one this can rewrite without changing its meaning).
 */
export function rewriteCommand(line: string, self: string): string | undefined {
  if (line.includes('ctxgate') || line.includes(' run -- ')) return undefined; // already routed
  const parts = splitCommandLine(line);
  if (!parts) return undefined;
  let changed = false;
  const out = parts.map(({ text, sep }) => {
    const lead = text.match(/^\s*/)![0];
    let body = text.slice(lead.length).replace(/\s+$/, '');
    let env = '';
    for (let m = body.match(ASSIGNMENT); m; m = body.match(ASSIGNMENT)) {
      env += m[0];
      body = body.slice(m[0].length);
    }
    const words = body.replace(/\s+/g, ' ');
    if (!NOISY.some((re) => re.test(words))) return lead + env + body + (sep ? ` ${sep}` : '');
    changed = true;
    return `${lead}${env}${self} run -- ${body}${sep ? ` ${sep}` : ''}`;
  });
  return changed ? out.join('').replace(/\s+$/, '') : undefined;
}

const REASON = 'ctxgate: long output is filtered (failures kept verbatim; the raw output is kept for `ctxgate show`)';

/** The client's reply for one hook call. `{}` means: run the command as the agent wrote it. */
export function hookReply(client: HookClient, input: unknown, opts: { self: string; autoApprove: boolean }): Record<string, unknown> {
  const obj = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const toolInput = (obj.tool_input && typeof obj.tool_input === 'object' ? obj.tool_input : {}) as Record<string, unknown>;
  switch (client) {
    case 'claude-code': {
      // PreToolUse on the Bash tool: updatedInput replaces the tool input; "ask" shows the rewritten
      // command for approval, "allow" (--auto-approve) skips the prompt — the user's deny and ask rules still apply.
      if (obj.tool_name !== 'Bash' || typeof toolInput.command !== 'string') return {};
      const cmd = rewriteCommand(toolInput.command, opts.self);
      if (!cmd) return {};
      return {
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: opts.autoApprove ? 'allow' : 'ask',
          permissionDecisionReason: REASON,
          updatedInput: { ...toolInput, command: cmd },
        },
      };
    }
    case 'cursor': {
      // beforeShellExecution: the command is at the top level; the reply carries the permission and
      // the rewritten command in updated_input.
      if (typeof obj.command !== 'string') return {};
      const cmd = rewriteCommand(obj.command, opts.self);
      if (!cmd) return {};
      return { permission: opts.autoApprove ? 'allow' : 'ask', updated_input: { command: cmd }, user_message: REASON };
    }
    case 'gemini-cli': {
      // BeforeTool on run_shell_command: hookSpecificOutput.tool_input is merged over the model's
      // arguments; without a decision the CLI's own confirmation applies as usual.
      if (obj.tool_name !== 'run_shell_command' || typeof toolInput.command !== 'string') return {};
      const cmd = rewriteCommand(toolInput.command, opts.self);
      if (!cmd) return {};
      return {
        ...(opts.autoApprove && { decision: 'allow' }),
        hookSpecificOutput: { hookEventName: 'BeforeTool', tool_input: { command: cmd } },
      };
    }
  }
}

export async function hookCmd(argv: string[]): Promise<void> {
  const client = argv[0];
  if (!isHookClient(client)) {
    // Exit 1, not 2: clients read 2 as "block the command", and a misconfigured hook must not do that.
    process.stderr.write(`ctxgate hook: name the client: ${HOOK_CLIENTS.join(', ')}\n`);
    process.exit(1);
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  let input: unknown;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    process.stderr.write('ctxgate hook: stdin was not JSON; the command runs unchanged\n');
    process.stdout.write('{}\n');
    return;
  }
  // `--data-dir DIR` (written by `ctxgate init` when CTXGATE_DATA_DIR was set): the routed command
  // records its run there, whatever the agent's shell environment says.
  const at = argv.indexOf('--data-dir');
  const dataDir = at >= 0 ? argv[at + 1] : undefined;
  const self = dataDir ? `CTXGATE_DATA_DIR=${shellQuote(dataDir)} ${selfCommand()}` : selfCommand();
  const reply = hookReply(client, input, { self, autoApprove: argv.includes('--auto-approve') });
  process.stdout.write(JSON.stringify(reply) + '\n');
}
