import os from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

// Test files that touch the store and already pass on PostgreSQL: run a second time there, each
// data dir in a fresh database (test/helpers/database.ts). The list grows as aggregates move to
// repositories; a file that needs a not-yet-converted service stays SQLite-only until then.
export const POSTGRES_TESTS = [
  'test/platform/backend.test.ts',
  'test/platform/rest.test.ts',
  'test/platform/lifecycle.test.ts',
  'test/platform/mcp.test.ts',
  'test/platform/session-row.test.ts',
  'test/platform/bus.test.ts',
  'test/cli/doctor-store.test.ts',
  'test/jobs/jobs.test.ts',
  'test/memory/memory.test.ts',
  'test/memory/tools.test.ts',
  'test/memory/knowledge-graph.test.ts',
  'test/engine/retrieval.test.ts',
  'test/kb/kb.test.ts',
  'test/kb/url.test.ts',
  'test/kb/cross-process.test.ts',
  'test/compress/tools.test.ts',
  'test/durability/kill9.test.ts',
  'test/cli/tool.test.ts',
  'test/cli/run.test.ts',
  'test/code/tools.test.ts',
  'test/embeddings/server.test.ts',
  'test/security/account-limits.test.ts',
  'test/security/bound-keys.test.ts',
  'test/documents/service.test.ts',
  'test/documents/tools.test.ts',
  'test/lookup/lookup.test.ts',
  'test/multimodal/tool.test.ts',
  'test/retrieval/index.test.ts',
  'test/security/delete-project.test.ts',
  'test/security/secrets-rule.test.ts',
  'test/security/path-oracle.test.ts',
  'test/security/decompression-bomb.test.ts',
  'test/security/outbound-address.test.ts',
  'test/platform/account.test.ts',
  'test/platform/examples.test.ts',
  'test/platform/surface.test.ts',
  'test/platform/errors.test.ts',
  'test/platform/operations.test.ts',
  'test/ace/playbook.test.ts',
  'test/ace/handoffs.test.ts',
  'test/ace/experiments.test.ts',
  'test/contexts/files.test.ts',
  'test/contexts/hierarchy.test.ts',
  'test/contexts/brain.test.ts',
  'test/contexts/tenancy.test.ts',
  'test/distill/rest.test.ts',
  'test/distill/llm.test.ts',
  'test/account/compat.test.ts',
  'test/account/roles.test.ts',
  'test/account/plans.test.ts',
  'test/account/audit.test.ts',
  'test/jobs/batch-queue.test.ts',
  'test/hooks/webhooks.test.ts',
  'test/hooks/github.test.ts',
  'test/account/analytics.test.ts',
  'test/account/daily.test.ts',
  'test/dashboard/serve.test.ts',
  'test/dashboard/e2e.test.ts',
  'test/spaces/spaces.test.ts',
  'test/spaces/sources.test.ts',
  'test/gateway/upstreams.test.ts',
  'test/gateway/results.test.ts',
  // Several replicas over one PostgreSQL database (and Redis): PostgreSQL-only by nature.
  'test/replicas/*.test.ts',
];

/** Files that need PostgreSQL whatever the run: the sqlite project leaves them out. */
const POSTGRES_ONLY = ['test/replicas/**'];

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

// Files run side by side: most of a file's time is waiting on a server, a child process or
// PostgreSQL, so two workers keep 2 cores busy where vitest's default (cores − 1) would run one file
// at a time. A bigger machine gets one per core up to 4: each worker may hold a few servers' pools
// (10 PostgreSQL connections each, a replica file four of them) against PostgreSQL's default
// max_connections of 100. CTXGATE_TEST_WORKERS (a count or "50%") overrides. Both projects draw
// from this one pool; a worker only ever runs files of one project (vitest never shares it across).
const fromEnv = process.env.CTXGATE_TEST_WORKERS;
const workers = fromEnv ? (/^\d+$/.test(fromEnv) ? Number(fromEnv) : fromEnv) : Math.min(4, Math.max(2, os.availableParallelism()));

export default defineConfig({
  test: {
    ...shared,
    maxWorkers: workers,
    // A worker runs file after file of its project without a fresh process and module graph for each:
    // loading the app's modules (a second or two of CPU) happens once per worker instead of once per
    // file. Files share no data (each starts its own servers and data dirs and closes them); what they
    // do share are the per-process caches src keeps on purpose (embedder loads, the word pack).
    isolate: false,
    // Compiles the sources once for the tests that start the CLI as a child (test/helpers/cli.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    // Quiet by default; CTXGATE_LOG_LEVEL is not read by the harness (it passes 'silent').
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...POSTGRES_ONLY] } },
      { extends: true, test: { name: 'postgres', include: POSTGRES_TESTS, env: { CTXGATE_TEST_DATABASE: 'postgres' } } },
    ],
  },
});
