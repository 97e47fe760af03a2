// How a stdio process ends and what it does with a bad key: every ending exits 0 with only log lines
// on stderr (no RangeError storm from onclose → close → onclose), and a stale key keeps the process
// up, answering every request with the reason. Real processes; stderr is read.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BUILT_ARGS, ROOT, cliEnv, runCli } from '../helpers/cli.js';
import { callTool, tempDir } from '../helpers/server.js';

const dataDir = tempDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Every stderr line must be one of our JSON log lines; returns them parsed. */
function logLines(stderr: string): Array<{ level: number; msg: string }> {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  for (const l of lines) expect(() => JSON.parse(l), `not a log line: ${l.slice(0, 200)}`).not.toThrow();
  return lines.map((l) => JSON.parse(l));
}

interface Proc {
  child: ChildProcess;
  stderr(): string;
  exit: Promise<number | null>;
  /** Send one JSON-RPC request and wait for its response line. */
  request(id: number, method: string, params?: unknown): Promise<any>;
}

function spawnStdio(extra: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [...BUILT_ARGS, 'stdio'], { cwd: ROOT, env: cliEnv(dataDir, extra), stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const waiting = new Map<number, (m: unknown) => void>();
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const msg = JSON.parse(line) as { id?: number };
      if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
    }
  });
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    child,
    stderr: () => err,
    exit,
    request(id, method, params = {}) {
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
      });
    },
  };
}

async function initialized(p: Proc): Promise<void> {
  const r = await p.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
  expect(r.result.serverInfo.name).toBe('ctxgate');
  p.child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  const tools = await p.request(2, 'tools/list');
  expect(tools.result.tools.length).toBeGreaterThan(0);
}

describe('a stdio session ends cleanly', () => {
  it('stdin EOF: exit 0, only log lines on stderr', async () => {
    const p = spawnStdio();
    await initialized(p);
    p.child.stdin!.end();
    expect(await p.exit).toBe(0);
    const logs = logLines(p.stderr());
    expect(p.stderr()).not.toMatch(/RangeError|Maximum call stack/);
    expect(logs.map((l) => l.msg)).toContain('stdio session ended');
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('stdin closed right after a request: the request is still answered, then exit 0', async () => {
    const p = spawnStdio();
    const init = p.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } });
    const call = p.request(2, 'tools/call', { name: 'estimate_tokens', arguments: { text: 'hello world' } });
    p.child.stdin!.end();
    expect((await init).result.serverInfo.name).toBe('ctxgate');
    expect((await call).result.structuredContent.tokens).toBe(2);
    expect(await p.exit).toBe(0);
    logLines(p.stderr());
  });

  it('SIGTERM: exit 0, only log lines on stderr', async () => {
    const p = spawnStdio();
    await initialized(p);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    logLines(p.stderr());
    expect(p.stderr()).not.toMatch(/RangeError|Maximum call stack/);
  });

  it('the SDK client closing: the process exits by itself, stderr clean', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [...BUILT_ARGS, 'stdio'], cwd: ROOT, env: cliEnv(dataDir), stderr: 'pipe' });
    let err = '';
    transport.stderr!.on('data', (d) => (err += d));
    const client = new Client({ name: 'closer', version: '1' });
    await client.connect(transport);
    // Resources are listed (the caller's project brain), never -32601.
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual([expect.stringMatching(/^ctxgate:\/\/brain\/prj_/)]);
    expect((await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toEqual(['ctxgate://brain/{project}']);
    const pid = transport.pid!;
    await client.close();
    // close() ends stdin and waits; the process must be gone without needing a signal.
    await new Promise((r) => setTimeout(r, 300));
    expect(() => process.kill(pid, 0)).toThrow();
    logLines(err);
    expect(err).not.toMatch(/RangeError|Maximum call stack/);
  });
});

describe('a stdio process with a stale key', () => {
  it('stays up and answers every request with the reason, instead of exiting 2', async () => {
    const created = JSON.parse(runCli(['keys', 'create', '--name', 'old'], dataDir).stdout);
    expect(runCli(['keys', 'revoke', created.key_id], dataDir).status).toBe(0);
    const transport = new StdioClientTransport({ command: process.execPath, args: [...BUILT_ARGS, 'stdio'], cwd: ROOT, env: cliEnv(dataDir, { CTXGATE_KEY: created.key }), stderr: 'pipe' });
    let err = '';
    transport.stderr!.on('data', (d) => (err += d));
    const client = new Client({ name: 'stale', version: '1' });
    await client.connect(transport);
    expect(client.getInstructions()).toMatch(/CTXGATE_KEY is not a valid, unrevoked API key/);
    await expect(client.listTools()).rejects.toThrow(/CTXGATE_KEY is not a valid, unrevoked API key.*keys create/);
    await expect(client.listTools()).rejects.toThrow(/^MCP error -32600: ctxgate: CTXGATE_KEY/);
    const r = await callTool(client, 'estimate_tokens', { text: 'hi' });
    expect(r.isError).toBe(true);
    expect(r.structured.status).toBe(401);
    expect(r.structured.detail).toMatch(/CTXGATE_KEY/);
    expect(r.text).not.toContain(created.key);
    // Still alive after both answers.
    expect(() => process.kill(transport.pid!, 0)).not.toThrow();
    await client.close();
    expect(err).not.toContain(created.key);
  });
});
