// Spaces evaluation on real conversation-shaped data none of us wrote: the public GitHub issue and
// pull-request threads the distill work committed (bench/corpus/conversations/github-threads.json,
// source URL and hand-marked decisions per thread), in its tuning and held-back halves. Runs the real
// pipeline without HTTP on a real store: create_source (one per thread) → the processing job →
// artifacts; create_snapshot (default budget) per thread. Per half: share of fenced code blocks
// recovered as artifacts byte-exact, share of marked decisions present in the snapshot Markdown,
// compression ratio (conversation tokens / snapshot tokens), and artifacts by kind. Prints one JSON object.
// Env: SPACES_HALF=tune|held_back (default both).
import fs from 'node:fs';
import path from 'node:path';
import { unfence } from '../src/engine/artifacts.js';
import { codeBlocks } from '../src/engine/conversation/index.js';
import { JobsService } from '../src/services/jobs.js';
import { KeysService } from '../src/services/keys.js';
import { scopeOf } from '../src/domain/scope.js';
import { SpacesService } from '../src/services/spaces.js';
import { ArtifactsService } from '../src/services/spaces-artifacts.js';
import { SnapshotsService } from '../src/services/spaces-snapshots.js';
import { SourcesService } from '../src/services/spaces-sources.js';
import { startTestServer } from '../test/helpers/server.js';

const CORPUS = path.join(import.meta.dirname, 'corpus/conversations/github-threads.json');

interface Thread {
  id: string;
  source_url: string;
  half: 'tune' | 'held_back';
  messages: Array<{ role: string; content: string }>;
  decisions: string[] | null;
}
const HALVES = (process.env.SPACES_HALF ? [process.env.SPACES_HALF] : ['tune', 'held_back']) as Array<'tune' | 'held_back'>;
const corpus = JSON.parse(fs.readFileSync(CORPUS, 'utf8')) as { conversations: Thread[] };
const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
/** A fenced block's body byte-exact (what an artifact holds): without the fence lines. */
const body = (block: string) => unfence(block).body;
const share = (a: number, b: number) => (b ? Math.round((a / b) * 1000) / 1000 : null);

const server = await startTestServer();
try {
  const caller = (await server.deps.service(KeysService).authenticate(server.ownerKey))!;
  const scope = scopeOf(caller);
  const jobs = server.deps.service(JobsService);
  const report: Record<string, unknown> = {};
  for (const half of HALVES) {
    const threads = corpus.conversations.filter((c) => c.half === half);
    // One space per thread: each thread's artifacts are counted on their own (no cross-thread versions).
    let codeTotal = 0;
    let codeRecovered = 0;
    let decTotal = 0;
    let decPresent = 0;
    let tokensIn = 0;
    let tokensOut = 0;
    const kinds: Record<string, number> = {};
    const ratios: number[] = [];
    let ms = 0;
    for (const t of threads) {
      const space = await server.deps.service(SpacesService).create(scope, { name: t.id });
      const t0 = performance.now();
      const { sources, job_id } = await server.deps.service(SourcesService).create(caller, scope, { space_id: space.id, title: t.id, messages: t.messages });
      await jobs.waitFor(scope, job_id);
      ms += performance.now() - t0;
      const { artifacts } = await server.deps.service(ArtifactsService).list(scope, { source_id: sources[0]!.id, limit: 10_000, offset: 0 });
      for (const a of artifacts) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
      const contents = new Set(artifacts.map((a) => a.content));
      for (const m of t.messages) {
        for (const b of codeBlocks(m.content)) {
          if (!body(b).trim()) continue;
          codeTotal++;
          if (contents.has(body(b))) codeRecovered++;
        }
      }
      const snap = await server.deps.service(SnapshotsService).create(scope, { source_id: sources[0]!.id });
      tokensIn += snap.tokens_in;
      tokensOut += snap.tokens_out;
      ratios.push(snap.compression_ratio);
      const md = collapse(snap.markdown);
      for (const d of t.decisions ?? []) {
        decTotal++;
        if (md.includes(collapse(d))) decPresent++;
      }
    }
    // The half's threads as one long conversation (in order): the regime the 3–4× promise is about
    // (a long thread resumed from one paste), where section headings weigh little.
    const whole = await server.deps.service(SpacesService).create(scope, { name: `${half}-session` });
    const one = await server.deps.service(SourcesService).create(caller, scope, { space_id: whole.id, messages: threads.flatMap((t) => t.messages) });
    await jobs.waitFor(scope, one.job_id);
    const sessionSnap = await server.deps.service(SnapshotsService).create(scope, { source_id: one.sources[0]!.id });
    const sessionMd = collapse(sessionSnap.markdown);
    const sessionDecisions = threads.flatMap((t) => t.decisions ?? []);
    ratios.sort((a, b) => a - b);
    report[half] = {
      conversations: threads.length,
      messages: threads.reduce((n, t) => n + t.messages.length, 0),
      code_blocks: codeTotal,
      code_blocks_recovered_exact: codeRecovered,
      code_recovered_share: share(codeRecovered, codeTotal),
      marked_decisions: decTotal,
      marked_decisions_in_snapshot: decPresent,
      decision_share: share(decPresent, decTotal),
      tokens_in: tokensIn,
      tokens_out: tokensOut,
      compression_ratio: Math.round((tokensIn / Math.max(1, tokensOut)) * 100) / 100,
      median_conversation_ratio: ratios[Math.floor(ratios.length / 2)],
      artifacts_by_kind: kinds,
      ms_per_conversation_processing: Math.round((ms / threads.length) * 10) / 10,
      as_one_session: {
        messages: threads.reduce((n, t) => n + t.messages.length, 0),
        tokens_in: sessionSnap.tokens_in,
        tokens_out: sessionSnap.tokens_out,
        compression_ratio: sessionSnap.compression_ratio,
        decision_share: share(sessionDecisions.filter((d) => sessionMd.includes(collapse(d))).length, sessionDecisions.length),
      },
    };
  }
  console.log(
    JSON.stringify(
      {
        corpus: path.relative(process.cwd(), CORPUS),
        conversations: corpus.conversations.length,
        halves: { tune: 'used while tuning the rules (distill and spaces)', held_back: 'never tuned on' },
        snapshot_budget: 'default: conversation tokens / 3.5',
        ...report,
      },
      null,
      2,
    ),
  );
} finally {
  await server.close();
}
