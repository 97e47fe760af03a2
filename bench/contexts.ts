// Contexts: populate of 1,000 nodes (dry run and real, one transaction) and brain assembly for a
// project of 500 approved contexts at a 4,000-token budget (median, p95), with the offline embedder.
// Node contents are the CMake documentation Debian ships (/usr/share/cmake-*/Help, reST): one file
// per node, keyed by its path (cmake/<section>/<name>), so the section parents are created as
// placeholders by populate itself. Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { AccountsService } from '../src/services/accounts.js';
import { BrainService } from '../src/services/contexts-brain.js';
import { ContextTreeService, type PopulateNode } from '../src/services/contexts-tree.js';
import { cmakeHelpDir } from './corpus/sentences.js';

const NODES = Number(process.env.BENCH_CONTEXT_NODES ?? 1000);
const BRAIN_CONTEXTS = Number(process.env.BENCH_BRAIN_CONTEXTS ?? 500);
const RUNS = Number(process.env.BENCH_BRAIN_RUNS ?? 30);
const BUDGET = 4000;

/** One node per reST file (at most 4 KB of it), keyed by section and name; parents by section. */
function nodes(dir: string, n: number): PopulateNode[] {
  const out: PopulateNode[] = [];
  for (const section of fs.readdirSync(dir).sort()) {
    const sub = path.join(dir, section);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const f of fs.readdirSync(sub).filter((x) => x.endsWith('.rst')).sort()) {
      const content = fs.readFileSync(path.join(sub, f), 'utf8').slice(0, 4096);
      const name = f.replace(/\.rst$/, '');
      out.push({ schema_key: `cmake/${section}/${name}`.toLowerCase(), name: name.slice(0, 100), content, parent_schema_key: `cmake/${section}`, context_type: 'reference' });
    }
  }
  // Interleave sections so a prefix of the list spans them all.
  const bySection = new Map<string, PopulateNode[]>();
  for (const x of out) bySection.set(x.parent_schema_key!, [...(bySection.get(x.parent_schema_key!) ?? []), x]);
  const mixed: PopulateNode[] = [];
  for (let i = 0; mixed.length < out.length; i++) for (const list of bySection.values()) if (list[i]) mixed.push(list[i]!);
  if (mixed.length < n) throw new Error(`corpus has ${mixed.length} files, need ${n}`);
  return mixed.slice(0, n);
}

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median_ms: round(q(0.5)), p95_ms: round(q(0.95)), max_ms: round(s[s.length - 1]!) };
}
const round = (x: number) => Math.round(x * 10) / 10;
/** Wall time, and this process's CPU time (user + system) beside it: the machine may be shared. */
const cpuMs: number[] = [];
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const c = process.cpuUsage();
  const t = performance.now();
  const r = await fn();
  const used = process.cpuUsage(c);
  cpuMs.push((used.user + used.system) / 1000);
  return [r, performance.now() - t];
};
const lastCpu = () => round(cpuMs[cpuMs.length - 1]!);

async function main() {
  const dir = cmakeHelpDir();
  const all = nodes(dir, Math.max(NODES, BRAIN_CONTEXTS));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-contexts-'));
  const databaseUrl = process.env.CTXGATE_DATABASE_URL;
  const app = await createApp(loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline', databaseUrl }), createLogger('silent'));
  try {
    const accounts = app.deps.service(AccountsService);
    const tree = app.deps.service(ContextTreeService);
    const brain = app.deps.service(BrainService);
    await app.deps.embedder();

    // Populate: 1,000 nodes into an empty project (dry run, then real), then again with 10% changed.
    const { user, project } = await accounts.createUser('bench-populate');
    const scope = { ownerId: user.id, projectId: project.id };
    const batch = all.slice(0, NODES);
    const opts = { source: 'bench', createMissingParents: true };
    const [dry, dryMs] = await timed(() => tree.populate(scope, batch, { ...opts, dryRun: true }));
    const dryCpu = lastCpu();
    const [real, realMs] = await timed(() => tree.populate(scope, batch, { ...opts, dryRun: false }));
    const realCpu = lastCpu();
    const changed = batch.map((n, i) => (i % 10 === 0 ? { ...n, content: `${n.content}\n\nRevised.` } : n));
    const [diff, diffMs] = await timed(() => tree.populate(scope, changed, { ...opts, dryRun: true }));
    const [again, againMs] = await timed(() => tree.populate(scope, changed, { ...opts, dryRun: false }));

    // Brain: 500 approved contexts (5% tier 1, 85% tier 2, 10% tier 3) in their section tree.
    const b = await accounts.createUser('bench-brain');
    const bScope = { ownerId: b.user.id, projectId: b.project.id };
    const brainNodes = all.slice(0, BRAIN_CONTEXTS).map((n, i) => ({ ...n, tier: i % 20 === 0 ? 1 : i % 10 === 5 ? 3 : 2 }));
    const created = await tree.populate(bScope, brainNodes, { ...opts, dryRun: false });
    for (const c of created.created) await tree.approve(bScope, c.id!, 'approve');

    const queries = ['find_package config mode search paths', 'target link libraries interface', 'policy behavior old new', 'generator expressions', 'install rules destination', 'ctest test properties timeout'];
    const [cold, coldMs] = await timed(() => brain.assemble(bScope, { budgetTokens: BUDGET, query: queries[0]!, includeArchive: false }));
    const noQuery: number[] = [];
    const withQuery: number[] = [];
    const noQueryCpu: number[] = [];
    const withQueryCpu: number[] = [];
    let last = cold;
    for (let i = 0; i < RUNS; i++) {
      noQuery.push((await timed(() => brain.assemble(bScope, { budgetTokens: BUDGET, query: null, includeArchive: false })))[1]);
      noQueryCpu.push(lastCpu());
      const [r, ms] = await timed(() => brain.assemble(bScope, { budgetTokens: BUDGET, query: queries[i % queries.length]!, includeArchive: false }));
      withQuery.push(ms);
      withQueryCpu.push(lastCpu());
      last = r;
    }

    console.log(
      JSON.stringify(
        {
          backend: app.deps.store.backend,
          corpus: dir,
          populate: {
            nodes: NODES,
            dry_run_ms: round(dryMs),
            dry_run_cpu_ms: dryCpu,
            real_ms: round(realMs),
            real_cpu_ms: realCpu,
            created: real.counts.created,
            dry_run_created: dry.counts.created,
            placeholders: real.created.filter((c) => c.placeholder).length,
            dry_run_10pct_changed_ms: round(diffMs),
            real_10pct_changed_ms: round(againMs),
            updated: again.counts.updated,
            diff_updated: diff.counts.updated,
          },
          brain: {
            contexts: BRAIN_CONTEXTS + created.created.filter((c) => c.placeholder).length,
            approved: created.created.length,
            budget_tokens: BUDGET,
            runs: RUNS,
            first_with_query_ms: round(coldMs),
            no_query: { ...stats(noQuery), cpu_median_ms: stats(noQueryCpu).median_ms, cpu_p95_ms: stats(noQueryCpu).p95_ms },
            with_query: { ...stats(withQuery), cpu_median_ms: stats(withQueryCpu).median_ms, cpu_p95_ms: stats(withQueryCpu).p95_ms },
            document_tokens: last.tokens,
            counts: last.counts,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
