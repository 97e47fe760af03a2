// The typed shape of the store, one interface per table, shared by both backends. Column types are
// what a query reads back on BOTH backends: text timestamps (ISO 8601), 0/1 integers for flags,
// Buffers for vectors (BLOB / bytea), and JSON columns typed `Json` (TEXT on SQLite, jsonb on
// PostgreSQL; write with dialect.json(), read with readJson()). `rowid` is SQLite's implicit rowid
// on tables with a text key; the PostgreSQL DDL gives those tables an identity column of that name,
// so "ORDER BY created_at, rowid" (insertion order) is written once.
import type { ColumnType, Generated } from 'kysely';

/** A JSON column: TEXT on SQLite (a string comes back), jsonb on PostgreSQL (a value comes back). */
export type Json = ColumnType<unknown, string, string>;
/** An integer key the database assigns. */
export type Serial = Generated<number>;

export interface UsersTable { rowid: Serial; id: string; name: string; created_at: string }

export interface ProjectsTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  name: string;
  description: string | null;
  is_default: number;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string | null;
  name: string;
  plan: string;
  key_hash: string;
  masked_key: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** 'project_deleted' when the key went with its project; null for an explicit revoke (0009). */
  revoked_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The member the key acts for (0018); null = the account holder. */
  member_user_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface UsageEventsTable {
  id: Serial;
  owner_id: string;
  project_id: string;
  key_id: string | null;
  tool: string;
  month: string;
  at: string;
  tokens_in: number;
  tokens_out: number;
  tokens_saved: number;
  cache: 'exact' | 'semantic' | null;
  fidelity: string | null;
  counted: number;
}

export interface CompressCacheTable {
  id: Serial;
  owner_id: string;
  project_id: string;
  key_hash: string;
  params_hash: string;
  embedder_id: string | null;
  original_tokens: number;
  vector: Buffer | null;
  result: string;
  created_at: string;
  last_hit_at: string | null;
  hits: Generated<number>;
}

export interface CompressCacheStatsTable {
  owner_id: string;
  project_id: string;
  exact_hits: Generated<number>;
  semantic_hits: Generated<number>;
  misses: Generated<number>;
  tokens_saved_by_hits: Generated<number>;
}

export interface CompressSettingsTable { owner_id: string; project_id: string; semantic_threshold: number | null; updated_at: string }

export interface FidelityProfilesTable {
  id: string;
  owner_id: string;
  project_id: string;
  name: string;
  description: string | null;
  fidelity: string;
  chunk_tokens: number;
  skeleton_ratio: number | null;
  output_style: string | null;
  created_at: string;
}

export interface DocumentsTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  file_id: string;
  title: string | null;
  source_type: string;
  metadata: Json;
  content: string;
  content_hash: string;
  tokens: number;
  skeleton_tokens: number;
  chunk_count: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface DocumentChunksTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  doc_id: string;
  idx: number;
  text: string;
  tokens: number;
  kind: string;
  heading_path: Json;
  start_offset: number;
  end_offset: number;
  text_hash: string;
  embedding: Buffer;
  embedder_id: string;
}

export interface MemoriesTable {
  seq: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  text: string;
  tags: Json;
  source: string | null;
  embedding: Buffer;
  embedder_id: string;
  merge_count: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface MemoryTagsTable { owner_id: string; project_id: string; memory_seq: number; tag: string }
/** The retrieval index's change stamp per (collection, scope), moved by triggers on every write (0011). */
export interface RetrievalStampsTable { collection: string; owner_id: string; project_id: string; stamp: number }

export interface KgEntitiesTable { seq: Serial; owner_id: string; project_id: string; name: string; entity_type: string; created_at: string }
export interface KgObservationsTable { seq: Serial; owner_id: string; project_id: string; entity_seq: number; content: string; created_at: string }
export interface KgRelationsTable {
  seq: Serial;
  owner_id: string;
  project_id: string;
  from_name: string;
  to_name: string;
  relation_type: string;
  created_at: string;
}

export interface KbItemsTable {
  owner_id: string;
  project_id: string;
  item_id: string;
  title: string | null;
  current_version: number;
  created_at: string;
  updated_at: string;
}

export interface KbVersionsTable {
  owner_id: string;
  project_id: string;
  item_id: string;
  version: number;
  change: 'ingest' | 'edit' | 'restore';
  restored_from: number | null;
  source_mode: 'text' | 'url' | 'file';
  source: string | null;
  format: string;
  title: string | null;
  content: string;
  content_hash: string;
  bytes: number;
  tokens: number;
  metadata: Json;
  created_at: string;
}

export interface KbChunksTable {
  rowid: Serial;
  owner_id: string;
  project_id: string;
  item_id: string;
  version: number;
  idx: number;
  page: number | null;
  heading_path: Json;
  text: string;
  tokens: number;
  start_offset: number;
  end_offset: number;
  embedding: Buffer;
  embedder_id: string;
}

export interface LookupSourcesTable {
  id: string;
  owner_id: string;
  project_id: string;
  slug: string;
  kind: 'npm' | 'folder';
  name: string;
  version: string | null;
  path: string;
  builtin: number;
  fingerprint: string;
  files: number;
  chunks: number;
  indexed_at: string;
  created_at: string;
}

export interface LookupChunksTable {
  rowid: Serial;
  source_id: string;
  owner_id: string;
  project_id: string;
  file: string;
  heading_path: Json;
  text: string;
  tokens: number;
  embedding: Buffer;
  embedder_id: string;
}

export interface JobsTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  key_id: string | null;
  caller: Json;
  kind: string;
  status: 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';
  items_count: number;
  completed_count: Generated<number>;
  failed_count: Generated<number>;
  options: Json;
  error: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  /** The replica running the job and until when (epoch ms); null when no one holds it. */
  lease_owner: string | null;
  lease_until_ms: number | null;
  /** Not to be taken before this time (epoch ms): a retry scheduled, not slept (0020). */
  not_before_ms: number | null;
}

export interface JobItemsTable {
  job_id: string;
  idx: number;
  owner_id: string;
  project_id: string;
  status: 'pending' | 'done' | 'failed' | 'skipped';
  input: Json;
  result: Json | null;
  error: string | null;
  finished_at: string | null;
}

export interface ContextsTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  name: string;
  slug: string;
  description: string | null;
  /** JSON text of the content as sent: an object (context files) or a Markdown string (project contexts). */
  content: string;
  is_public: number;
  version: string;
  version_number: number;
  view_count: Generated<number>;
  copy_count: Generated<number>;
  schema_key: string | null;
  parent_id: string | null;
  tier: number;
  context_type: 'system' | 'reference' | 'memory';
  state: 'draft' | 'approved' | 'deprecated';
  source: string | null;
  copied_from: string | null;
  /** The searchable rendering (name, description, content): keyword rows and vectors come from it. */
  text: string;
  tokens: number;
  embedding: Buffer;
  embedder_id: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ContextVersionsTable {
  owner_id: string;
  project_id: string;
  context_id: string;
  version_number: number;
  version: string;
  change: 'create' | 'update' | 'compact' | 'copy' | 'populate';
  name: string;
  description: string | null;
  content: string;
  created_at: string;
}

export interface ContextEntriesTable {
  rowid: Serial;
  owner_id: string;
  project_id: string;
  context_id: string;
  text: string;
  tokens: number;
  compacted_in: number | null;
  created_at: string;
}

/** Spaces (0015): a space, its nested collections, sources, versioned artifacts, snapshots, upload slots. */
export interface SpacesTable { owner_id: string; project_id: string; id: string; name: string; description: string | null; created_at: string; updated_at: string }
export interface SpaceCollectionsTable { owner_id: string; project_id: string; id: string; space_id: string; parent_id: string | null; name: string; created_at: string }
export interface SpaceSourcesTable {
  owner_id: string;
  project_id: string;
  id: string;
  space_id: string;
  collection_id: string | null;
  kind: 'conversation' | 'document' | 'upload';
  title: string | null;
  format: string;
  content: Json;
  message_count: number;
  tokens: number;
  /** pending | processing | ready | failed */
  status: string;
  job_id: string | null;
  error: string | null;
  artifacts_count: Generated<number>;
  created_at: string;
}
export interface ArtifactsTable {
  rowid: Generated<number>;
  id: string;
  owner_id: string;
  project_id: string;
  space_id: string;
  collection_id: string | null;
  source_id: string;
  kind: string;
  subtype: string | null;
  language: string | null;
  name: string | null;
  lineage: string;
  version: number;
  previous_id: string | null;
  content: string;
  content_hash: string;
  message_index: number | null;
  role: string | null;
  text: string;
  embedding: Buffer;
  embedder_id: string;
  created_at: string;
}
export interface SpaceSnapshotsTable {
  owner_id: string;
  project_id: string;
  id: string;
  space_id: string | null;
  source_id: string | null;
  title: string | null;
  budget_tokens: number;
  tokens_in: number;
  tokens_out: number;
  markdown: string;
  state: Json;
  created_at: string;
}
export interface SpaceUploadsTable {
  owner_id: string;
  project_id: string;
  id: string;
  key_id: string;
  filename: string | null;
  mime_type: string | null;
  max_bytes: number;
  expires_at: string;
  status: 'pending' | 'received' | 'used';
  size: number | null;
  bytes: Buffer | null;
  created_at: string;
}

/** A playbook bullet (0019): counters grow by deltas; the vector is the retrieval index's ('ace'). */
export interface AceBulletsTable {
  seq: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  playbook: string;
  section: string;
  text: string;
  norm: string;
  tags: Json;
  helpful: Generated<number>;
  harmful: Generated<number>;
  merge_count: Generated<number>;
  sources: Json;
  embedding: Buffer;
  embedder_id: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

export interface AceHandoffsTable {
  seq: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  title: string;
  from_agent: string | null;
  to_agent: string | null;
  content: Json;
  token_budget: number;
  tokens: number;
  trimmed: Json;
  status: 'open' | 'picked_up';
  picked_up_at: string | null;
  picked_up_by: string | null;
  expires_at: string;
  created_at: string;
}

export interface AceExperimentsTable {
  seq: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  name: string | null;
  documents: Json;
  settings: Json;
  questions: Json;
  job_id: string;
  created_at: string;
}

export interface SchemaMigrationsTable { version: number; name: string; applied_at: string }

/** A custom distill strategy (0016): the declarative config as JSON. */
export interface DistillStrategiesTable { owner_id: string; project_id: string; id: string; version: string; config: Json; created_at: string }

/** One distill call (0016): figures and the inject it carried, never the conversation. */
export interface DistillCallsTable {
  owner_id: string;
  project_id: string;
  id: string;
  strategy_id: string;
  strategy_version: string;
  provider: string;
  /** ok | failed */
  status: string;
  error_code: string | null;
  tokens_in: number;
  tokens_out: number | null;
  inject_used: number;
  inject_text: string | null;
  postprocess_used: number;
  created_at: string;
}

export interface DistillFeedbackTable {
  owner_id: string;
  project_id: string;
  id: string;
  call_id: string;
  rating: string;
  reason_category: string;
  reason_text: string | null;
  strategy_id: string;
  strategy_version: string;
  inject_used: number;
  inject_text: string | null;
  messages_in: Json | null;
  messages_out: Json | null;
  created_at: string;
}

/** An MCP server behind the gateway (0017): `credentials` is sealed (services/gateway/seal.ts), never returned. */
export interface UpstreamServersTable {
  owner_id: string;
  project_id: string;
  id: string;
  name: string;
  /** stdio | http */
  transport: string;
  /** The command line (stdio) or URL (http). */
  target: string;
  credentials: string | null;
  created_at: string;
}

export interface McpSessionsTable {
  id: string;
  key_id: string | null;
  owner_id: string | null;
  who: string;
  profile: string;
  toolsets: Json | null;
  enabled_toolsets: Json;
  enabled_tools: Json;
  json_response: number;
  protocol_version: string | null;
  client: Json;
  used: number;
  created_ms: number;
  last_seen_ms: number;
}

export interface RateWindowsTable { key: string; window_start_ms: number; count: number }

/** Every table of the store. The SQLite FTS5 tables are not here: full text goes through dialect.fts. */
// Teams and operations (0018).
export interface ProjectMembersTable {
  rowid: Serial;
  owner_id: string;
  project_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'operator' | 'viewer';
  added_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditLogTable {
  id: Serial;
  owner_id: string;
  project_id: string;
  at: string;
  actor_user_id: string;
  key_id: string | null;
  role: string | null;
  transport: string;
  client_address: string | null;
  tool: string;
  outcome: 'ok' | 'refused' | 'error';
  status: number;
  error_code: string | null;
  targets: Json;
  request_id: string | null;
}

export interface WebhooksTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  url: string;
  events: Json;
  description: string | null;
  job_id: string | null;
  created_by: string | null;
  created_at: string;
}

export interface WebhookDeliveriesTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  webhook_id: string;
  event: string;
  payload: Json;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
  /** What the delivery is of (e.g. job.completed:job_…): unique per webhook, so an event is delivered once. */
  event_key: string | null;
}

export interface GithubIntegrationsTable {
  owner_id: string;
  project_id: string;
  /** owner/name, lower case. */
  repository: string;
  secret_sealed: string;
  token_sealed: string | null;
  track: Json;
  content_source: 'raw' | 'checkout';
  raw_base_url: string;
  api_base_url: string;
  checkout_path: string | null;
  pr_comments: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface GithubEventsTable {
  rowid: Serial;
  id: string;
  owner_id: string;
  project_id: string;
  delivery_id: string;
  event: string;
  action: string | null;
  status: 'queued' | 'done' | 'failed' | 'ignored';
  job_id: string | null;
  summary: Json | null;
  received_at: string;
  finished_at: string | null;
}

export interface WebhookAttemptsTable {
  rowid: Serial;
  delivery_id: string;
  n: number;
  owner_id: string;
  project_id: string;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface Database {
  users: UsersTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  usage_events: UsageEventsTable;
  compress_cache: CompressCacheTable;
  compress_cache_stats: CompressCacheStatsTable;
  compress_settings: CompressSettingsTable;
  fidelity_profiles: FidelityProfilesTable;
  documents: DocumentsTable;
  document_chunks: DocumentChunksTable;
  memories: MemoriesTable;
  memory_tags: MemoryTagsTable;
  retrieval_stamps: RetrievalStampsTable;
  kg_entities: KgEntitiesTable;
  kg_observations: KgObservationsTable;
  kg_relations: KgRelationsTable;
  kb_items: KbItemsTable;
  kb_versions: KbVersionsTable;
  kb_chunks: KbChunksTable;
  lookup_sources: LookupSourcesTable;
  lookup_chunks: LookupChunksTable;
  jobs: JobsTable;
  job_items: JobItemsTable;
  mcp_sessions: McpSessionsTable;
  rate_windows: RateWindowsTable;
  contexts: ContextsTable;
  context_versions: ContextVersionsTable;
  context_entries: ContextEntriesTable;
  distill_strategies: DistillStrategiesTable;
  distill_calls: DistillCallsTable;
  distill_feedback: DistillFeedbackTable;
  spaces: SpacesTable;
  space_collections: SpaceCollectionsTable;
  space_sources: SpaceSourcesTable;
  artifacts: ArtifactsTable;
  space_snapshots: SpaceSnapshotsTable;
  space_uploads: SpaceUploadsTable;
  upstream_servers: UpstreamServersTable;
  schema_migrations: SchemaMigrationsTable;
  project_members: ProjectMembersTable;
  audit_log: AuditLogTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  github_integrations: GithubIntegrationsTable;
  github_events: GithubEventsTable;
  ace_bullets: AceBulletsTable;
  ace_handoffs: AceHandoffsTable;
  ace_experiments: AceExperimentsTable;
}
