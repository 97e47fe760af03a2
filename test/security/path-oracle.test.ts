// Finding 11 (issue 11): paths outside the allowed roots answered 404 when missing and 403 when
// present (and lookup folders answered differently for files), so the tools could probe the host's
// file system. Every path outside the roots now gets one identical answer.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

describe('one answer for every path outside the allowed roots', () => {
  let s: TestServer;
  let client: Client;
  let root: string;
  let outsideDir: string;
  beforeAll(async () => {
    root = tempDir('ctxgate-root-');
    outsideDir = tempDir('ctxgate-outside-');
    fs.writeFileSync(path.join(outsideDir, 'secret.txt'), 'not yours');
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, 'docs', 'a.md'), '# A\n\nText.\n');
    fs.writeFileSync(path.join(root, 'docs', 'a.py'), 'def a():\n    return 1\n');
    // A symlink inside the root pointing outside it, and a dangling one.
    fs.symlinkSync(outsideDir, path.join(root, 'escape'));
    fs.symlinkSync(path.join(outsideDir, 'nothing-here'), path.join(root, 'dangling'));
    s = await startTestServer({ config: { allowedRoots: [root] } });
    client = await connectMcp(s, { key: s.ownerKey });
  });
  afterAll(async () => {
    await client.close();
    await s.close();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outsideDir, { recursive: true, force: true });
  });

  const probes = () => [
    outsideDir, // exists, folder
    path.join(outsideDir, 'secret.txt'), // exists, file
    path.join(outsideDir, 'missing'), // does not exist
    '/definitely/not/a/real/path',
    path.join(root, '..', path.basename(outsideDir)), // climbs out with ..
    path.join(root, 'escape'), // symlink out, target exists
    path.join(root, 'escape', 'secret.txt'),
    path.join(root, 'escape', 'missing'),
    path.join(root, 'dangling'), // symlink out, target missing
  ];

  it('add_lookup_source (folder): identical refusal over REST', async () => {
    const answers = await Promise.all(
      probes().map(async (p) => {
        const r = await rest(s, 'POST', '/v1/tools/add_lookup_source', { key: s.ownerKey, body: { kind: 'folder', path: p } });
        return { status: r.status, body: r.body };
      }),
    );
    expect(answers[0]!.status).toBe(403);
    for (const a of answers) expect(a).toEqual(answers[0]);
  });

  it.each(['compress_codebase', 'search_code', 'repo_map'])('%s (root): identical refusal over MCP', async (tool) => {
    const args = (p: string) => (tool === 'search_code' ? { root: p, query: 'a' } : { root: p });
    const answers = [];
    for (const p of probes()) {
      const r = await callTool(client, tool, args(p));
      expect(r.isError).toBe(true);
      answers.push(r.structured);
    }
    expect(answers[0].status).toBe(403);
    for (const a of answers) expect(a).toEqual(answers[0]);
  });

  it('inside the roots, the answers stay useful', async () => {
    const ok = await callTool(client, 'compress_codebase', { root: path.join(root, 'docs') });
    expect(ok.isError).toBe(false);
    const missing = await callTool(client, 'compress_codebase', { root: path.join(root, 'nope') });
    expect(missing.structured.status).toBe(404);
    const file = await rest(s, 'POST', '/v1/tools/add_lookup_source', { key: s.ownerKey, body: { kind: 'folder', path: path.join(root, 'docs', 'a.md') } });
    expect(file.status).toBe(422);
  });
});
