// Handoffs through the real server (MCP SDK client and REST): fields and conversations, token
// budgets, Markdown and JSON rendering, pick-up, expiry, references, tenancy and project deletion.
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { countTokens } from '../../src/engine/tokens.js';
import { query } from '../helpers/database.js';
import { callTool, connectMcp, rest, type TestServer, useServerAndClient } from '../helpers/server.js';

let server: TestServer;
let client: Client;
useServerAndClient((s, c) => {
  server = s;
  client = c;
});

const FULL = {
  title: 'Flaky upload test',
  goal: 'Fix the flaky upload test in CI without slowing the suite down.',
  progress: 'Reproduced locally with 50 runs; the failures come from a temp dir shared between workers.',
  decisions: [{ decision: 'Give each worker its own temp dir', reason: 'the race is on the shared path' }],
  files: ['test/upload.test.ts', 'test/helpers/fixtures.ts'],
  symbols: ['makeFixtureDir'],
  commands: ['npx vitest run test/upload.test.ts --repeat 50'],
  open_questions: ['Does the Windows runner need the same fix?'],
  next_steps: ['Patch makeFixtureDir', 'Run the suite 50 times'],
  from_agent: 'builder',
  to_agent: 'reviewer',
};

describe('ace handoffs', () => {
  it('packs explicit fields and renders them as Markdown and JSON', async () => {
    const made = await callTool(client, 'create_handoff', FULL);
    expect(made.isError, made.text).toBe(false);
    const h = made.structured;
    expect(h).toMatchObject({ title: 'Flaky upload test', status: 'open', from_agent: 'builder', to_agent: 'reviewer', trimmed: [], token_budget: 2000 });
    expect(h.tokens).toBe(countTokens(h.markdown));
    expect(h.markdown).toContain('# Handoff: Flaky upload test');
    expect(h.markdown).toContain('- Give each worker its own temp dir — because the race is on the shared path');
    expect(h.markdown).toContain('```sh\nnpx vitest run test/upload.test.ts --repeat 50\n```');
    expect(h.markdown).toContain('1. Patch makeFixtureDir\n2. Run the suite 50 times');

    const md = await callTool(client, 'get_handoff', { handoff_id: h.id });
    expect(md.text).toBe(h.markdown);
    const json = await callTool(client, 'get_handoff', { handoff_id: h.id, format: 'json' });
    const parsed = JSON.parse(json.text);
    expect(parsed.content).toEqual(h.content);
    expect(parsed.markdown).toBeNull();
    const viaRest = await rest(server, 'GET', `/v1/handoffs/${h.id}?format=json`, { key: server.ownerKey });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.content.files).toEqual(FULL.files);
  });

  it('keeps within the token budget by dropping the least important items first', async () => {
    const files = Array.from({ length: 60 }, (_, i) => `src/module${i}/implementation_file_${i}.ts`);
    const big = await callTool(client, 'create_handoff', { ...FULL, files, token_budget: 300 });
    expect(big.isError, big.text).toBe(false);
    const h = big.structured;
    expect(h.tokens).toBeLessThanOrEqual(300);
    expect(h.tokens).toBe(countTokens(h.markdown));
    expect(h.trimmed.some((t: string) => t.startsWith('files:'))).toBe(true);
    // The goal and the next steps survive; files were cut from the end.
    expect(h.content.goal).toBe(FULL.goal);
    expect(h.content.next_steps).toEqual(FULL.next_steps);
    expect(h.content.files.length).toBeLessThan(files.length);
    expect(h.content.files).toEqual(files.slice(0, h.content.files.length));

    const tiny = await rest(server, 'POST', '/v1/handoffs', { key: server.ownerKey, body: { goal: 'word '.repeat(200), token_budget: 50 } });
    expect(tiny.status).toBe(422);
    expect(tiny.body).toMatchObject({ field: 'token_budget', unit: 'tokens' });
  });

  it('takes the state from a plain conversation', async () => {
    const messages = [
      { role: 'user', content: 'Please add rate limiting to the public search endpoint.\n\nIt is in src/server/search.ts.' },
      { role: 'assistant', content: 'Decided to use a token bucket because it allows short bursts.\n```sh\nnpm run test -- test/server\n```' },
      // Anthropic content blocks and OpenAI strings mix: the conversation engine reads both.
      { role: 'user', content: [{ type: 'text', text: 'Next: add a per-key override. Should the limit apply to the admin keys too?' }] },
      { role: 'assistant', content: 'The bucket is in place in src/server/rate-limit.ts and the tests pass.' },
    ];
    const r = await callTool(client, 'create_handoff', { messages, next_steps: ['Write the README section'] });
    expect(r.isError, r.text).toBe(false);
    const c = r.structured.content;
    expect(c.goal).toBe('Please add rate limiting to the public search endpoint.');
    expect(c.progress).toBe('The bucket is in place in src/server/rate-limit.ts and the tests pass.');
    expect(c.files).toEqual(['src/server/search.ts', 'src/server/rate-limit.ts']);
    expect(c.commands).toEqual(['npm run test -- test/server']);
    expect(c.decisions).toEqual([{ decision: 'use a token bucket', reason: 'it allows short bursts' }]);
    expect(c.next_steps).toEqual(['Write the README section', 'add a per-key override. Should the limit apply to the admin keys too?']);
    // The assistant's last message came after the question: answered, so not open.
    expect(c.open_questions).toEqual([]);

    const orphan = await rest(server, 'POST', '/v1/handoffs', { key: server.ownerKey, body: { goal: 'g', messages: [{ role: 'tool', tool_call_id: 'call_1', content: 'done' }] } });
    expect(orphan.status).toBe(400);
    expect(orphan.body.field).toBe('messages[0]');

    const none = await callTool(client, 'create_handoff', { messages: [{ role: 'assistant', content: 'hello' }] });
    expect(none.isError).toBe(true);
    expect(none.structured).toMatchObject({ field: 'goal' });
  });

  it('lists the questions still open: unanswered or explicit, the latest within the cap', async () => {
    const openOf = async (messages: Array<{ role: string; content: string }>) => {
      const r = await callTool(client, 'create_handoff', { messages });
      expect(r.isError, r.text).toBe(false);
      return r.structured;
    };
    // Answered by the assistant's last message: not open. The explicit "not sure whether" two messages
    // earlier stays open although the user replied after it.
    const answered = [
      { role: 'user', content: 'Please switch the upload endpoint to streaming bodies.' },
      { role: 'assistant', content: 'Streaming is in place. Not sure whether the CDN buffers chunked responses.' },
      { role: 'user', content: 'Does it still honour the 25 MB cap?' },
      { role: 'assistant', content: 'Yes: the cap is checked on every chunk and the request stops at 25 MB.' },
    ];
    const a = await openOf(answered);
    expect(a.content.open_questions).toEqual(['Not sure whether the CDN buffers chunked responses.']);
    expect(a.markdown).toContain('## Open questions\n- Not sure whether the CDN buffers chunked responses.');

    // Nobody answered the question of an earlier message (only the assistant spoke after it): open.
    const unanswered = [
      { role: 'user', content: 'Please switch the upload endpoint to streaming bodies.' },
      { role: 'assistant', content: 'Streaming is in place. Which proxy timeout does production use?' },
      { role: 'assistant', content: 'I also rewrote the upload section of the README.' },
      { role: 'assistant', content: 'The whole suite passes locally.' },
    ];
    expect((await openOf(unanswered)).content.open_questions).toEqual(['Which proxy timeout does production use?']);

    // More than the cap (20): the latest ones, in order.
    const many = [
      { role: 'user', content: 'Please check the hosts in the staging pool.' },
      { role: 'assistant', content: Array.from({ length: 24 }, (_, i) => `- Is host ${i + 1} reachable?`).join('\n') },
    ];
    expect((await openOf(many)).content.open_questions).toEqual(Array.from({ length: 20 }, (_, i) => `- Is host ${i + 5} reachable?`));
  });

  it('checks references against the project', async () => {
    const mem = await callTool(client, 'add_memory', { text: 'The upload bucket is called ci-artifacts.' });
    const bullet = await callTool(client, 'ace_add_bullets', { bullets: [{ section: 'ci', text: 'Isolate temp dirs per test worker.' }] });
    const ok = await callTool(client, 'create_handoff', {
      goal: 'g',
      references: [
        { kind: 'memory', id: mem.structured.id, note: 'bucket name' },
        { kind: 'bullet', id: bullet.structured.results[0].id },
      ],
    });
    expect(ok.isError, ok.text).toBe(false);
    expect(ok.structured.markdown).toContain(`- memory \`${mem.structured.id}\` — bucket name`);
    const bad = await callTool(client, 'create_handoff', { goal: 'g', references: [{ kind: 'memory', id: mem.structured.id }, { kind: 'kb', id: 'no-such-item' }] });
    expect(bad.isError).toBe(true);
    expect(bad.structured).toMatchObject({ status: 404, field: 'references[1].id' });
  });

  it('is picked up once, lists by status, and expires', async () => {
    const h = (await callTool(client, 'create_handoff', { goal: 'Pick me up' })).structured;
    const picked = await callTool(client, 'get_handoff', { handoff_id: h.id, pick_up: true, format: 'json' });
    expect(picked.isError, picked.text).toBe(false);
    expect(picked.structured).toMatchObject({ status: 'picked_up', picked_up_by: 'owner' });
    const again = await rest(server, 'GET', `/v1/handoffs/${h.id}?pick_up=true`, { key: server.ownerKey });
    expect(again.status).toBe(409);
    expect(again.body.field).toBe('pick_up');

    const open = (await callTool(client, 'list_handoffs', { status: 'open', limit: 100 })).structured;
    expect(open.handoffs.map((x: any) => x.id)).not.toContain(h.id);
    const up = (await callTool(client, 'list_handoffs', { status: 'picked_up' })).structured;
    expect(up.handoffs.map((x: any) => x.id)).toEqual([h.id]);
    expect(up.handoffs[0].goal).toBe('Pick me up');

    const short = (await callTool(client, 'create_handoff', { goal: 'Gone soon', ttl_seconds: 1 })).structured;
    expect((await callTool(client, 'get_handoff', { handoff_id: short.id })).isError).toBe(false);
    await new Promise((r) => setTimeout(r, 1200));
    const gone = await callTool(client, 'get_handoff', { handoff_id: short.id });
    expect(gone.isError).toBe(true);
    expect(gone.structured).toMatchObject({ status: 404, field: 'handoff_id' });
    // Expired means deleted, not hidden.
    expect(await query(server.deps, 'SELECT id FROM ace_handoffs WHERE id = ?', short.id)).toEqual([]);
  });

  it('shows another tenant nothing, and project deletion removes the handoffs', async () => {
    const mine = (await callTool(client, 'create_handoff', { goal: 'Private work' })).structured;
    const other = await server.createKey({ newUser: true, name: 'other' });
    const oc = await connectMcp(server, { key: other.keyString });
    expect((await callTool(oc, 'list_handoffs', {})).structured.total).toBe(0);
    const peek = await callTool(oc, 'get_handoff', { handoff_id: mine.id });
    expect(peek.isError).toBe(true);
    expect(peek.structured.status).toBe(404);
    await oc.close();

    const proj = await rest(server, 'POST', '/v1/projects', { key: server.ownerKey, body: { name: 'handoff-doomed' } });
    const projectId = proj.body.id;
    const key = await server.createKey({ projectId });
    const pc = await connectMcp(server, { key: key.keyString });
    await callTool(pc, 'create_handoff', { goal: 'Soon deleted' });
    await pc.close();
    expect((await rest(server, 'DELETE', `/v1/projects/${projectId}`, { key: server.ownerKey })).status).toBeLessThan(300);
    expect(await query(server.deps, 'SELECT id FROM ace_handoffs WHERE project_id = ?', projectId)).toEqual([]);
  });
});
