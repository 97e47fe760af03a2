// The KB bug of issue 12: a write by another process (here a real second Node process on the same
// data dir or PostgreSQL database) must be seen by this process's next search, vectors included.
import { describe, expect, it } from 'vitest';
import { KbService } from '../../src/services/kb.js';
import { appPool, newScope, writeFromChild } from '../retrieval/app.js';

const { open, dir } = appPool();

const JENKINS = 'The deployment pipeline runs on Jenkins with nightly builds and a manual approval step.';
const PENGUINS = 'Emperor penguins huddle together on Antarctic sea ice to survive the winter storms.';

describe('KB writes from another process', () => {
  it('a KB item ingested by a second process is found by the first one’s next semantic search, and gone after its delete', async () => {
    const d = dir();
    const app = await open(d);
    const scope = await newScope(app);
    const kb = app.deps.service(KbService);
    await kb.ingest(scope, { itemId: 'ci', mode: 'text', content: JENKINS });
    // Warm this process's vector table for the scope.
    const before = await kb.query(scope, { query: 'penguins antarctic ice', topK: 5, mode: 'semantic' });
    expect(before.results.map((r) => r.item_id)).toEqual(['ci']);

    await writeFromChild(d, scope, { op: 'kb-ingest', itemId: 'birds', content: PENGUINS });
    const after = await kb.query(scope, { query: 'penguins antarctic ice', topK: 5, mode: 'semantic' });
    expect(after.results[0]?.item_id).toBe('birds');

    await writeFromChild(d, scope, { op: 'kb-delete', itemId: 'birds' });
    const gone = await kb.query(scope, { query: 'penguins antarctic ice', topK: 5, mode: 'hybrid' });
    expect(gone.results.map((r) => r.item_id)).toEqual(['ci']);
  });
});
