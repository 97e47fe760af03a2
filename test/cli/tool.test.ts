// filter_cli_output and list_cli_filters through the real server: MCP (official SDK client) and REST.
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectMcp, rest, type TestServer, useServerAndClient } from '../helpers/server.js';
import { FIXTURES, missingSignals, readFixture } from '../fixtures/cli/signals.js';

let server: TestServer;
let client: Client;

useServerAndClient((s, c) => {
  server = s;
  client = c;
});

describe('filter_cli_output over MCP', () => {
  it('filters a real pytest failure, keeps its signals, and returns the seed fields', async () => {
    const fx = FIXTURES.find((f) => f.file === 'pytest-fail.txt')!;
    const raw = readFixture(fx.file);
    const res = await callTool(client, 'filter_cli_output', { output: raw });
    expect(res.isError).toBe(false);
    const s = res.structured;
    expect(s.detected_type).toBe('pytest');
    expect(s.original_chars).toBe(raw.length);
    expect(s.filtered_chars).toBe(s.filtered.length);
    expect(s.savings_pct).toBeGreaterThan(50);
    expect(missingSignals(fx, raw, s.filtered).missing).toEqual([]);
    // The model reads the filtered text itself, not JSON-escaped.
    expect(res.text).toContain('E           AssertionError: 1 != 0');
    expect(res.text.split('\n')[0]).toMatch(/^\[filter_cli_output: pytest; \d+ → \d+ chars, [\d.]+% saved\]$/);
  });

  it('accepts the tutorial spelling (content, source)', async () => {
    const res = await callTool(client, 'filter_cli_output', { content: readFixture('go-test-fail.txt'), source: 'go test ./...' });
    expect(res.isError).toBe(false);
    expect(res.structured.detected_type).toBe('go_test');
    expect(res.structured.filtered).toContain('--- FAIL: TestTop/more_than_available (0.00s)');
  });

  it('refuses blank output with 422 naming the field', async () => {
    const res = await callTool(client, 'filter_cli_output', { output: ' \n\t ' });
    expect(res.isError).toBe(true);
    expect(res.structured.error_code).toBe('invalid_input');
    expect(res.structured.detail).toMatch(/output/);
  });

  it('refuses output and content together (one_of) and neither (required), naming the fields', async () => {
    const both = await callTool(client, 'filter_cli_output', { output: 'ok 1', content: 'FAIL 2' });
    expect(both.isError).toBe(true);
    expect(both.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'content', rule: 'one_of', valid: ['output', 'content'] });
    const neither = await callTool(client, 'filter_cli_output', { command_hint: 'pytest' });
    expect(neither.structured).toMatchObject({ status: 422, error_code: 'invalid_input', field: 'output', rule: 'required' });
  });

  it('refuses an unknown command_hint with 400 listing the valid ones', async () => {
    const res = await callTool(client, 'filter_cli_output', { output: 'hello', command_hint: 'photoshop' });
    expect(res.isError).toBe(true);
    expect(res.structured.error_code).toBe('invalid_value');
    expect(res.structured.valid).toContain('git_diff');
    expect(res.structured.detail).toMatch(/command_hint/);
  });

  it('list_cli_filters describes every detector with what it keeps', async () => {
    const res = await callTool(client, 'list_cli_filters', {});
    expect(res.isError).toBe(false);
    const ids = res.structured.filters.map((f: { id: string }) => f.id);
    for (const id of ['git_diff', 'git_log', 'git_status', 'pytest', 'jest', 'vitest', 'mocha', 'go_test', 'cargo', 'tsc', 'eslint', 'make_gcc', 'npm_install', 'generic']) {
      expect(ids).toContain(id);
    }
    for (const f of res.structured.filters) expect(f.keeps.length).toBeGreaterThan(0);
    expect(res.structured.group_hints).toContain('test_output');
  });

  it('is in the core profile', async () => {
    const core = await connectMcp(server, { key: server.ownerKey, profile: 'core' });
    try {
      const names = (await core.listTools()).tools.map((t) => t.name);
      expect(names).toContain('filter_cli_output');
      expect(names).not.toContain('list_cli_filters');
    } finally {
      await core.close();
    }
  });
});

describe('POST /v1/filter-cli (seed REST shape)', () => {
  it('filters a real git diff with command_hint', async () => {
    const raw = readFixture('git-diff.txt');
    const res = await rest(server, 'POST', '/v1/filter-cli', { key: server.ownerKey, body: { output: raw, command_hint: 'git_diff' } });
    expect(res.status).toBe(200);
    expect(res.body.detected_type).toBe('git_diff');
    expect(res.body.filtered).toContain('diff --git a/more_itertools/more.py b/more_itertools/more.py');
    expect(res.body.savings_pct).toBeGreaterThan(30);
  });

  it('422 for a missing output, 400 binary_content for binary, 401 without a key', async () => {
    const missing = await rest(server, 'POST', '/v1/filter-cli', { key: server.ownerKey, body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toMatch(/output/);
    const binary = await rest(server, 'POST', '/v1/filter-cli', { key: server.ownerKey, body: { output: 'PK\u0003\u0004\u0000\u0000\u0014\u0000' } });
    expect(binary.status).toBe(400);
    expect(binary.body.error_code).toBe('binary_content');
    const anon = await rest(server, 'POST', '/v1/filter-cli', { body: { output: 'x' } });
    expect(anon.status).toBe(401);
  });

  it("413 above the plan's text cap (free: 100 KB), checked before any work", async () => {
    const free = await server.createKey({ plan: 'free', name: 'free-cli' });
    const big = readFixture('npm-install-verbose.txt');
    expect(Buffer.byteLength(big)).toBeGreaterThan(100 * 1024);
    const res = await rest(server, 'POST', '/v1/filter-cli', { key: free.keyString, body: { output: big } });
    expect(res.status).toBe(413);
    expect(res.body.limit).toBe(100 * 1024);
  });
});
