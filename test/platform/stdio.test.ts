// The same registry over stdio, through the official SDK stdio client spawning the real CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { BUILT_ARGS, ROOT, cliEnv } from '../helpers/cli.js';
import { callTool, tempDir } from '../helpers/server.js';

const dataDir = tempDir();
let client: Client;
let changed = 0;

async function connect(extra: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...BUILT_ARGS, 'stdio'],
    cwd: ROOT,
    env: cliEnv(dataDir, { CTXGATE_LOG_LEVEL: 'warn', ...extra }),
    stderr: 'pipe',
  });
  const c = new Client({ name: 'stdio-test', version: '1.0.0' });
  c.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
  await c.connect(transport);
  return c;
}

beforeAll(async () => {
  client = await connect();
});
afterAll(async () => {
  await client?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('MCP over stdio', () => {
  it('initializes and lists the lean default surface with input schemas', async () => {
    expect(client.getServerVersion()?.name).toBe('ctxgate');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('estimate_tokens');
    expect(tools.map((t) => t.name)).toContain('search_tools');
    expect(tools.every((t) => t.inputSchema.type === 'object')).toBe(true);
  });

  it('calls tools as the local owner, with structured results and isError for bad input', async () => {
    const ok = await callTool(client, 'estimate_tokens', { text: 'hello world' });
    expect(ok.structured.tokens).toBe(2);
    const env = await callTool(client, 'check_environment', {});
    expect(env.structured.authenticated).toBe(true);
    expect(env.structured.session.transport).toBe('stdio');
    const bad = await callTool(client, 'estimate_tokens', {});
    expect(bad.isError).toBe(true);
    expect(bad.structured.detail).toBe("Field 'text' is required");
  });

  it('stores and finds documents and compresses text as the local owner', async () => {
    const text = '# Deploy\n\nThe deploy script uploads artifacts to the staging bucket.\n\n## Rollback\n\nRun rollback.sh with the release id to restore the previous build.';
    const ing = await callTool(client, 'ingest_context', { file_id: 'runbook.md', content: text });
    expect(ing.isError).toBe(false);
    const hits = await callTool(client, 'search_semantic', { query: 'how do I restore the previous build', top_k: 1 });
    expect(hits.isError).toBe(false);
    expect(JSON.stringify(hits.structured)).toMatch(/rollback/i);
    const comp = await callTool(client, 'compress_text', { text: text.repeat(20), fidelity: 'outline' });
    expect(comp.isError).toBe(false);
    expect(comp.structured.stats.compressed_tokens).toBeLessThan(comp.structured.stats.original_tokens);
  });

  it('enable_toolset sends list_changed over stdio too', async () => {
    const c = await connect({ CTXGATE_TOOLSETS: 'system' });
    const before = changed;
    expect((await c.listTools()).tools.map((t) => t.name)).not.toContain('estimate_tokens');
    const r = await callTool(c, 'enable_toolset', { toolsets: ['compress'] });
    expect(r.structured.added_tools).toContain('estimate_tokens');
    await new Promise((res) => setTimeout(res, 100));
    expect(changed).toBe(before + 1);
    expect((await c.listTools()).tools.map((t) => t.name)).toContain('estimate_tokens');
    await c.close();
  });

  it('a profile via CTXGATE_PROFILE narrows the list', async () => {
    const c = await connect({ CTXGATE_PROFILE: 'core' });
    const core = JSON.parse(fs.readFileSync(`${ROOT}/profiles/core.json`, 'utf8')).tools as string[];
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual([...core].sort());
    await c.close();
  });
});
