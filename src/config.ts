// Every size, limit and default lives here, once, overridable by environment variables
// (documented in the README's configuration table, which test/readme.test.ts keeps honest).
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './paths.js';

export const PLANS = ['free', 'pro', 'team', 'enterprise'] as const;
export const EMBEDDER_CHOICES = ['auto', 'minilm', 'offline'] as const;
export type Plan = (typeof PLANS)[number];

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return Math.floor(n);
}

function envStr(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function envList(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A comma-separated list of non-negative seconds (decimals allowed), as milliseconds. */
function envSeconds(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  const list = raw === undefined || raw === '' ? fallback : raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isFinite(n) || n < 0)) throw new Error(`${name} must be comma-separated non-negative seconds, got "${raw}"`);
  return list.map((n) => Math.round(n * 1000));
}

function envBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return /^(1|true|yes|on)$/i.test(raw);
}

/** Bounds on MCP sessions, so initialize floods cannot exhaust memory. Defaults in LIMITS.sessions. */
export interface SessionLimits {
  /** Open sessions in total. */
  total: number;
  /** Open sessions per API key, or per client address for callers without a key. */
  perCaller: number;
  /** New sessions per minute per key or address. */
  createPerMinute: number;
  /** Idle lifetime of a session that never sent a request after initialize. */
  unusedIdleMs: number;
}

export interface PlanLimits {
  requestsPerMinute: number;
  monthlyCompressions: number;
  /** Largest text a compress call accepts, in bytes. */
  maxTextBytes: number;
}

/** One documented configuration record, so the README table is generated from the same place. */
export interface EnvVar { name: string; default: string; description: string }

export const ENV_VARS: EnvVar[] = [
  { name: 'CTXGATE_HOST', default: '127.0.0.1', description: 'Interface the HTTP server binds to.' },
  { name: 'CTXGATE_PORT', default: '8787', description: 'HTTP port (0 picks a free one).' },
  { name: 'CTXGATE_DATA_DIR', default: '(ctxgate folder)/data', description: 'Where the SQLite store, server secret and caches live (mode 0700). A relative path is taken from the current directory.' },
  { name: 'CTXGATE_DATABASE_URL', default: '(none: SQLite file DATA_DIR/ctxgate.db)', description: 'postgres://user:pass@host:port/db to keep the store in PostgreSQL (shared by replicas) instead of the embedded SQLite file.' },
  { name: 'CTXGATE_REDIS_URL', default: '(none)', description: 'redis://host:port/db shared by replicas: rate limits and server-to-client messages go through it (otherwise through PostgreSQL, or in process on SQLite).' },
  { name: 'CTXGATE_REDIS_PREFIX', default: 'ctxgate:', description: 'Prefix of every Redis key and channel this deployment uses (several deployments can share one Redis).' },
  { name: 'CTXGATE_REPLICA_ID', default: '(host name + process id)', description: 'Name of this replica in logs, /ready and job leases.' },
  { name: 'CTXGATE_JOB_LEASE_MS', default: '30000', description: 'How long a replica holds a background job without renewing; a dead replica\'s job is taken over after this.' },
  { name: 'CTXGATE_SECRET', default: '(generated into DATA_DIR/secret, mode 0600)', description: 'Server secret used to HMAC API keys.' },
  { name: 'CTXGATE_PUBLIC_URL', default: 'http://HOST:PORT', description: 'Base URL advertised in the agent card and OpenAPI document, and prefixed to signed upload URLs (relative without it).' },
  { name: 'CTXGATE_ALLOWED_HOSTS', default: 'localhost,127.0.0.1,[::1] + CTXGATE_HOST', description: 'Host header allow-list (DNS-rebinding protection), comma separated.' },
  { name: 'CTXGATE_ALLOWED_ORIGINS', default: '(none: only requests without Origin or from an allowed host)', description: 'Extra Origin values accepted on /mcp, comma separated.' },
  { name: 'CTXGATE_LOG_LEVEL', default: 'info', description: 'pino log level (fatal, error, warn, info, debug, trace, silent).' },
  { name: 'CTXGATE_MAX_BODY_BYTES', default: '12582912', description: 'Largest HTTP request body accepted; larger gets 413.' },
  { name: 'CTXGATE_RPM_FREE', default: '10', description: 'Requests per minute for free keys.' },
  { name: 'CTXGATE_RPM_PRO', default: '100', description: 'Requests per minute for pro keys.' },
  { name: 'CTXGATE_RPM_TEAM', default: '100', description: 'Requests per minute for team keys.' },
  { name: 'CTXGATE_RPM_ENTERPRISE', default: '1000', description: 'Requests per minute for enterprise keys.' },
  { name: 'CTXGATE_QUOTA_FREE', default: '1000', description: 'Monthly compressions for free keys.' },
  { name: 'CTXGATE_QUOTA_PRO', default: '50000', description: 'Monthly compressions for pro keys.' },
  { name: 'CTXGATE_QUOTA_TEAM', default: '100000', description: 'Monthly compressions for team keys.' },
  { name: 'CTXGATE_QUOTA_ENTERPRISE', default: '500000', description: 'Monthly compressions for enterprise keys.' },
  { name: 'CTXGATE_OWNER_PLAN', default: 'enterprise', description: 'Plan of the owner key created on first start.' },
  { name: 'CTXGATE_SHUTDOWN_GRACE_MS', default: '10000', description: 'How long graceful shutdown waits for in-flight calls.' },
  { name: 'CTXGATE_DRAIN_DELAY_MS', default: '0', description: 'On SIGTERM, keep serving this long with /ready answering 503 before closing the listener, so the load balancer\'s health check takes the replica out first.' },
  { name: 'CTXGATE_SESSION_IDLE_MS', default: '1800000', description: 'MCP sessions idle this long are closed.' },
  { name: 'CTXGATE_SESSION_UNUSED_IDLE_MS', default: '60000', description: 'MCP sessions that never sent a request after initialize are closed after this long.' },
  { name: 'CTXGATE_SESSIONS_MAX', default: '1000', description: 'Open MCP sessions in total; past it, initialize gets 429.' },
  { name: 'CTXGATE_SESSIONS_PER_CALLER', default: '100', description: 'Open MCP sessions per API key (or per client address without a key); past it, initialize gets 429.' },
  { name: 'CTXGATE_SESSIONS_PER_MINUTE', default: '60', description: 'New MCP sessions per minute per API key (or client address without a key); past it, initialize gets 429.' },
  { name: 'CTXGATE_METRICS_TOKEN', default: '(none)', description: 'Bearer token /metrics requires. Without it (and without CTXGATE_METRICS_PORT) /metrics is off.' },
  { name: 'CTXGATE_METRICS_PORT', default: '(none)', description: 'Serve /metrics on this separate admin port instead (bound to CTXGATE_METRICS_HOST; still checks CTXGATE_METRICS_TOKEN when set).' },
  { name: 'CTXGATE_METRICS_HOST', default: '127.0.0.1', description: 'Interface the admin /metrics port binds to.' },
  { name: 'CTXGATE_EMBEDDER', default: 'auto', description: 'Embedding provider: auto, minilm or offline.' },
  { name: 'CTXGATE_MODEL_DIR', default: '(none)', description: 'Local directory holding the all-MiniLM-L6-v2 ONNX model files.' },
  { name: 'CTXGATE_ALLOW_DOWNLOAD', default: 'false', description: 'Allow downloading model weights from the model hub when not present locally.' },
  { name: 'CTXGATE_ALLOWED_ROOTS', default: '(none)', description: 'Local directories compress_codebase may read, comma separated.' },
  { name: 'CTXGATE_VECTOR_CACHE_FLOATS', default: '32000000', description: 'Floats (4 bytes each) the search index keeps in memory across all projects\' vectors (and, on PostgreSQL, keyword indexes, counted in the same 4-byte units); least recently used projects are dropped first.' },
  { name: 'CTXGATE_HANDOFF_TTL_HOURS', default: '168', description: 'How long a handoff (create_handoff) is kept before it expires and is deleted, unless the call gives ttl_seconds.' },
  { name: 'CTXGATE_LLM_URL', default: '(none: distill runs without an LLM)', description: 'OpenAI-compatible chat endpoint for prompt-based distill strategies and postprocess_prompt, e.g. http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1. Operator-trusted: a loopback or private address is allowed.' },
  { name: 'CTXGATE_LLM_MODEL', default: '(none)', description: 'Model name sent to CTXGATE_LLM_URL (required with it); also the provider name in distill metadata.' },
  { name: 'CTXGATE_LLM_KEY', default: '(none)', description: 'Bearer key for CTXGATE_LLM_URL, if it needs one.' },
  { name: 'CTXGATE_LLM_TIMEOUT_MS', default: '60000', description: 'How long one LLM call may take before distill answers 504.' },
  { name: 'CTXGATE_RUN_PASSTHROUGH_LINES', default: '40', description: '`ctxgate run`: output of at most this many lines is shown untouched; longer output is filtered.' },
  { name: 'CTXGATE_RUN_LOG_MAX_BYTES', default: '8388608', description: '`ctxgate run`: raw output kept per run (DATA_DIR/runs); past it, the first and last halves are kept and the middle dropped (said by `ctxgate show`).' },
  { name: 'CTXGATE_RUN_LOG_TOTAL_BYTES', default: '268435456', description: '`ctxgate run`: raw output kept in all; the oldest runs are deleted past it.' },
  { name: 'CTXGATE_RUN_LOG_MAX_AGE_DAYS', default: '7', description: '`ctxgate run`: raw output older than this is deleted.' },
  { name: 'CTXGATE_URL_ALLOWLIST', default: '(none)', description: 'Hosts or CIDRs that URL fetches and webhook deliveries may reach even if private or loopback.' },
  { name: 'CTXGATE_DASHBOARD', default: 'on', description: 'The web dashboard at `/` (and its assets under `/dashboard/`); `off` answers them 404. It signs in with an API key and calls the same REST routes as any script.' },
  { name: 'CTXGATE_AUDIT_RETENTION_DAYS', default: '90', description: 'Audit-log rows older than this many days are deleted.' },
  { name: 'CTXGATE_WEBHOOK_RETRY_SCHEDULE', default: '30,120,480', description: 'Seconds to wait before each retry of a failed webhook delivery (comma separated; one retry per entry, decimals allowed).' },
  { name: 'CTXGATE_WEBHOOK_TIMEOUT_MS', default: '10000', description: 'How long one webhook delivery attempt may take.' },
  { name: 'CTXGATE_GITHUB_RAW_URL', default: 'https://raw.githubusercontent.com', description: 'Where GitHub integrations read changed files (`{base}/{owner}/{repo}/{sha}/{path}`) unless one sets its own raw_base_url (GitHub Enterprise Server, a mirror).' },
  { name: 'CTXGATE_GITHUB_API_URL', default: 'https://api.github.com', description: 'GitHub REST API base for pull-request diffs and comments, unless an integration sets its own api_base_url.' },
  { name: 'CTXGATE_UPSTREAM_COMMANDS', default: '(none: no stdio upstreams)', description: 'Exact command lines register_upstream_server may start as stdio MCP upstreams, one per line or separated by ";". Words split on spaces, no shell; a registration must match a line exactly.' },
  { name: 'CTXGATE_UPSTREAM_IDLE_MS', default: '300000', description: 'An upstream connection unused this long is closed (stdio processes exit).' },
];

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** postgres://… — the store lives in PostgreSQL; unset = the embedded SQLite file in dataDir. */
  databaseUrl: string | undefined;
  /** redis://… shared by replicas (limits, server-to-client messages); unset = PostgreSQL or in-process. */
  redisUrl: string | undefined;
  redisPrefix: string;
  /** This process among the replicas (logs, job leases). */
  replicaId: string;
  jobLeaseMs: number;
  secret: string | undefined;
  publicUrl: string | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
  logLevel: string;
  maxBodyBytes: number;
  plans: Record<Plan, PlanLimits>;
  ownerPlan: Plan;
  shutdownGraceMs: number;
  drainDelayMs: number;
  sessionIdleMs: number;
  sessions: SessionLimits;
  /** /metrics: a bearer token it requires, and/or a separate admin listener (port 0 picks one). */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  embedder: string;
  modelDir: string | undefined;
  allowDownload: boolean;
  allowedRoots: string[];
  urlAllowlist: string[];
  /** Gateway: stdio command lines an upstream may be (exact match), and the idle close of pooled connections. */
  upstreams: { commands: string[]; idleMs: number };
  /** The optional OpenAI-compatible chat provider (distill's prompt strategies); url undefined = none. */
  llm: { url: string | undefined; model: string | undefined; key: string | undefined; timeoutMs: number };
  /** Bound of the retrieval index's in-memory vector tables, in floats (all collections and scopes). */
  vectorCacheFloats: number;
  /** `ctxgate run`: pass-through threshold and the bounds of the raw-output log (DATA_DIR/runs). */
  run: { passthroughLines: number; logMaxBytes: number; logTotalBytes: number; logMaxAgeDays: number };
  /** How long a handoff stays available before it is deleted (create_handoff may ask for less or more). */
  handoffTtlHours: number;
  /** Audit-log retention in days. */
  auditRetentionDays: number;
  /** Serve the web dashboard at `/` (CTXGATE_DASHBOARD, default on). */
  dashboard: boolean;
  /** Where the built dashboard is (default dist/dashboard; a test points it at its own build). */
  dashboardDir?: string;
  /** Webhook deliveries: wait before each retry (ms; one retry per entry) and the per-attempt deadline. */
  webhooks: { retryScheduleMs: number[]; timeoutMs: number };
  github: { rawBaseUrl: string; apiBaseUrl: string };
}

const KB = 1024;
const MB = 1024 * KB;

function databaseUrl(): string | undefined {
  const raw = process.env.CTXGATE_DATABASE_URL;
  if (!raw) return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new Error('CTXGATE_DATABASE_URL must start with postgres:// or postgresql://');
  return raw;
}

function redisUrl(): string | undefined {
  const raw = process.env.CTXGATE_REDIS_URL;
  if (!raw) return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new Error('CTXGATE_REDIS_URL must start with redis:// or rediss://');
  return raw;
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const host = envStr('CTXGATE_HOST', '127.0.0.1');
  const ownerPlan = envStr('CTXGATE_OWNER_PLAN', 'enterprise');
  if (!(PLANS as readonly string[]).includes(ownerPlan)) {
    throw new Error(`CTXGATE_OWNER_PLAN must be one of ${PLANS.join(', ')}, got "${ownerPlan}"`);
  }
  const embedder = envStr('CTXGATE_EMBEDDER', 'auto');
  if (!(EMBEDDER_CHOICES as readonly string[]).includes(embedder)) {
    throw new Error(`CTXGATE_EMBEDDER must be one of ${EMBEDDER_CHOICES.join(', ')}, got "${embedder}"`);
  }
  const base: Config = {
    host,
    port: envInt('CTXGATE_PORT', 8787),
    dataDir: path.resolve(envStr('CTXGATE_DATA_DIR', path.join(projectRoot, 'data'))),
    databaseUrl: databaseUrl(),
    redisUrl: redisUrl(),
    redisPrefix: envStr('CTXGATE_REDIS_PREFIX', 'ctxgate:'),
    replicaId: envStr('CTXGATE_REPLICA_ID', `${os.hostname()}-${process.pid}`),
    jobLeaseMs: envInt('CTXGATE_JOB_LEASE_MS', 30_000),
    secret: process.env.CTXGATE_SECRET || undefined,
    publicUrl: process.env.CTXGATE_PUBLIC_URL || undefined,
    allowedHosts: envList('CTXGATE_ALLOWED_HOSTS', []),
    allowedOrigins: envList('CTXGATE_ALLOWED_ORIGINS', []),
    logLevel: envStr('CTXGATE_LOG_LEVEL', 'info'),
    maxBodyBytes: envInt('CTXGATE_MAX_BODY_BYTES', 12 * MB),
    plans: {
      free: { requestsPerMinute: envInt('CTXGATE_RPM_FREE', 10), monthlyCompressions: envInt('CTXGATE_QUOTA_FREE', 1000), maxTextBytes: 100 * KB },
      pro: { requestsPerMinute: envInt('CTXGATE_RPM_PRO', 100), monthlyCompressions: envInt('CTXGATE_QUOTA_PRO', 50_000), maxTextBytes: 1 * MB },
      team: { requestsPerMinute: envInt('CTXGATE_RPM_TEAM', 100), monthlyCompressions: envInt('CTXGATE_QUOTA_TEAM', 100_000), maxTextBytes: 5 * MB },
      enterprise: { requestsPerMinute: envInt('CTXGATE_RPM_ENTERPRISE', 1000), monthlyCompressions: envInt('CTXGATE_QUOTA_ENTERPRISE', 500_000), maxTextBytes: 10 * MB },
    },
    ownerPlan: ownerPlan as Plan,
    shutdownGraceMs: envInt('CTXGATE_SHUTDOWN_GRACE_MS', 10_000),
    drainDelayMs: envInt('CTXGATE_DRAIN_DELAY_MS', 0),
    sessionIdleMs: envInt('CTXGATE_SESSION_IDLE_MS', 30 * 60_000),
    sessions: {
      total: envInt('CTXGATE_SESSIONS_MAX', LIMITS.sessions.total),
      perCaller: envInt('CTXGATE_SESSIONS_PER_CALLER', LIMITS.sessions.perCaller),
      createPerMinute: envInt('CTXGATE_SESSIONS_PER_MINUTE', LIMITS.sessions.createPerMinute),
      unusedIdleMs: envInt('CTXGATE_SESSION_UNUSED_IDLE_MS', LIMITS.sessions.unusedIdleMs),
    },
    metrics: {
      token: process.env.CTXGATE_METRICS_TOKEN || undefined,
      port: process.env.CTXGATE_METRICS_PORT ? envInt('CTXGATE_METRICS_PORT', 0) : undefined,
      host: envStr('CTXGATE_METRICS_HOST', '127.0.0.1'),
    },
    embedder,
    modelDir: process.env.CTXGATE_MODEL_DIR || undefined,
    allowDownload: envBool('CTXGATE_ALLOW_DOWNLOAD', false),
    allowedRoots: envList('CTXGATE_ALLOWED_ROOTS', []).map((p) => path.resolve(p)),
    urlAllowlist: envList('CTXGATE_URL_ALLOWLIST', []),
    upstreams: {
      commands: (process.env.CTXGATE_UPSTREAM_COMMANDS ?? '').split(/[\n;]/).map((l) => l.trim().split(/\s+/).join(' ')).filter(Boolean),
      idleMs: envInt('CTXGATE_UPSTREAM_IDLE_MS', 300_000),
    },
    vectorCacheFloats: envInt('CTXGATE_VECTOR_CACHE_FLOATS', 32_000_000),
    run: {
      passthroughLines: envInt('CTXGATE_RUN_PASSTHROUGH_LINES', 40),
      logMaxBytes: envInt('CTXGATE_RUN_LOG_MAX_BYTES', 8 * MB),
      logTotalBytes: envInt('CTXGATE_RUN_LOG_TOTAL_BYTES', 256 * MB),
      logMaxAgeDays: envInt('CTXGATE_RUN_LOG_MAX_AGE_DAYS', 7),
    },
    handoffTtlHours: envInt('CTXGATE_HANDOFF_TTL_HOURS', 168),
    llm: {
      url: process.env.CTXGATE_LLM_URL || undefined,
      model: process.env.CTXGATE_LLM_MODEL || undefined,
      key: process.env.CTXGATE_LLM_KEY || undefined,
      timeoutMs: envInt('CTXGATE_LLM_TIMEOUT_MS', 60_000),
    },
    auditRetentionDays: envInt('CTXGATE_AUDIT_RETENTION_DAYS', 90),
    dashboard: envBool('CTXGATE_DASHBOARD', true),
    webhooks: { retryScheduleMs: envSeconds('CTXGATE_WEBHOOK_RETRY_SCHEDULE', [30, 120, 480]), timeoutMs: envInt('CTXGATE_WEBHOOK_TIMEOUT_MS', 10_000) },
    github: { rawBaseUrl: envStr('CTXGATE_GITHUB_RAW_URL', 'https://raw.githubusercontent.com'), apiBaseUrl: envStr('CTXGATE_GITHUB_API_URL', 'https://api.github.com') },
  };
  return { ...base, ...overrides };
}

/** Fixed limits of individual tools (not plan-dependent). */
export const LIMITS = {
  batchDocuments: 50,
  /** The no-key POST /v1/demo/compress: largest text, in bytes. */
  demoTextBytes: 16 * KB,
  batchConcurrency: 4,
  jobDocuments: 500,
  kbFileBytes: 5 * MB,
  codeFiles: 1000,
  codeFileBytes: 512 * KB,
  codeBundleBytes: 5 * MB,
  rateWindowMs: 60_000,
  /** MCP session bounds (each open session holds an SDK server and transport, ~40 KB). */
  sessions: { total: 1000, perCaller: 100, createPerMinute: 60, unusedIdleMs: 60_000 },
  /** URL ingest (knowledge base): per-request timeout and redirects followed. */
  urlFetchTimeoutMs: 15_000,
  urlFetchMaxRedirects: 5,
  memory: {
    textChars: 20_000,
    tags: 20,
    tagChars: 64,
    sourceChars: 200,
    queryChars: 2_000,
    topK: 50,
    pageSize: 100,
    forgetMax: 1_000,
  },
  /**
   * Contexts: content per context (the context-file API's 500 KB), a journal entry, nodes per
   * populate call, days a soft-deleted context can be restored, and the brain's token budget range.
   */
  contexts: { contentBytes: 500 * KB, entryChars: 20_000, populateNodes: 2_000, restoreDays: 30, brainMinTokens: 200, brainMaxTokens: 200_000, brainDefaultTokens: 4_000 },
  lookup: { fileBytes: 256 * 1024, sourceBytes: 4 * 1024 * 1024, sourceFiles: 2000, docsFiles: 200 },
  /**
   * Decompression-bomb caps for uploaded documents, checked before any parser runs: a zip-based file
   * (DOCX) may expand to at most `expandedBytes` in at most `entries` entries; PDF text extraction
   * runs in a worker thread limited to `pdfHeapMb` of heap and `pdfTimeoutMs` of wall time.
   */
  extraction: { expandedBytes: 16 * MB, entries: 2000, pdfHeapMb: 256, pdfTimeoutMs: 20_000 },
  /**
   * Tool arguments: deepest nesting of any argument (no schema needs more than a handful; 10,000 levels
   * overflowed the stack while hashing metadata), and the JSON size of each free-form object argument
   * (metadata and the like, which the schema cannot bound field by field).
   */
  args: { maxDepth: 32, freeformBytes: 64 * KB },
} as const;
