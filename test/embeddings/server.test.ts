// The embedder as the running server sees it: /health names the planned provider before first use
// and the loaded one after, for both the offline provider and minilm (on the tiny fixture model).
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { writeTinyModel } from '../../scripts/make-tiny-model.js';

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function health(s: TestServer) {
  const r = await rest(s, 'GET', '/health');
  expect(r.status).toBe(200);
  return (r.body as { checks: { embedder: { provider: string; id: string; loaded: boolean } } }).checks.embedder;
}

describe('embedder inside the server', () => {
  it('auto without model files: offline, reported before and after loading', async () => {
    const s = await startTestServer({ config: { embedder: 'auto', modelDir: undefined, allowDownload: false } });
    servers.push(s);
    expect(await health(s)).toMatchObject({ provider: 'offline', loaded: false });
    const e = await s.deps.embedder();
    expect(e.dim).toBe(612);
    const after = await health(s);
    expect(after).toMatchObject({ provider: 'offline', id: e.id, loaded: true });
  }, 60_000);

  it('auto with a model directory: minilm, loaded from that directory', async () => {
    const modelDir = path.join(tempDir('ctxgate-tiny-'), 'tiny-model');
    writeTinyModel(modelDir);
    const s = await startTestServer({ config: { embedder: 'auto', modelDir, allowDownload: false } });
    servers.push(s);
    expect(await health(s)).toMatchObject({ provider: 'minilm', loaded: false });
    const e = await s.deps.embedder();
    const [a, b] = await e.embed(['the cat sat', 'the cat sat']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(e.dim).toBe(8);
    const after = await health(s);
    expect(after).toMatchObject({ provider: 'minilm', loaded: true });
    // /health is public: it names the provider, never a path on the server.
    expect(JSON.stringify(after)).not.toContain(modelDir);
  }, 60_000);
});
