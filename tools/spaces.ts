// spaces toolset (seed 000): spaces and nested collections, sources (conversations, chat exports,
// documents, uploaded files), the artifacts processing extracts from them, and snapshots. REST at
// /v1/spaces, /v1/spaces/:space_id/collections, /v1/sources, /v1/artifacts, /v1/snapshots, /v1/uploads.
// Logic: src/services/spaces*.ts; extraction: src/engine/artifacts.ts, src/engine/snapshot.ts.
import { z } from 'zod';
import { ARTIFACT_KINDS } from '../src/engine/artifacts.js';
import { EXPORT_FORMATS } from '../src/engine/exports.js';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { SPACE_LIMITS, SpacesService } from '../src/services/spaces.js';
import { ArtifactsService } from '../src/services/spaces-artifacts.js';
import { SNAPSHOT_LIMITS, SnapshotsService } from '../src/services/spaces-snapshots.js';
import { SOURCE_KINDS, SourcesService } from '../src/services/spaces-sources.js';
import { UPLOAD_DEFAULT_TTL_S, UPLOAD_MAX_TTL_S, UploadsService } from '../src/services/spaces-uploads.js';
import { Message } from './distill.js';
import { plural } from '../src/engine/plural.js';

const spaces = (ctx: ToolContext) => ctx.app.service(SpacesService);
const sources = (ctx: ToolContext) => ctx.app.service(SourcesService);
const artifacts = (ctx: ToolContext) => ctx.app.service(ArtifactsService);
const snapshots = (ctx: ToolContext) => ctx.app.service(SnapshotsService);

const Id = (what: string) => z.string().min(1).max(64).describe(`${what} id, from list_${what.toLowerCase()}s.`);
const Limit = z.number().int().min(1).max(100).default(50).describe('Page size (1–100).');
const Offset = z.number().int().min(0).default(0).describe('Items to skip.');

const Space = z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), created_at: z.string(), updated_at: z.string() });
const Collection = z.object({ id: z.string(), space_id: z.string(), parent_id: z.string().nullable(), name: z.string(), created_at: z.string() });
type Node = z.infer<typeof Collection> & { children: Node[] };
const CollectionNode: z.ZodType<Node> = Collection.extend({ children: z.lazy(() => z.array(CollectionNode)) });
const Source = z.object({
  id: z.string(),
  space_id: z.string(),
  collection_id: z.string().nullable(),
  kind: z.enum(SOURCE_KINDS),
  title: z.string().nullable(),
  format: z.string().describe('messages, chatgpt / claude / export, or the document format.'),
  message_count: z.number().int(),
  tokens: z.number().int(),
  status: z.string().describe('pending, processing, ready or failed.'),
  job_id: z.string().nullable().describe('The processing job (get_job).'),
  error: z.string().nullable(),
  artifacts_count: z.number().int(),
  created_at: z.string(),
});
const Artifact = z.object({
  id: z.string(),
  space_id: z.string(),
  collection_id: z.string().nullable(),
  source_id: z.string(),
  kind: z.enum(ARTIFACT_KINDS),
  subtype: z.string().nullable().describe('Schema type (json_schema, sql_ddl, openapi, typescript, protobuf) or diagram type (mermaid, plantuml, graphviz).'),
  language: z.string().nullable(),
  name: z.string().nullable().describe('File name, or schema / type / diagram name.'),
  version: z.number().int(),
  previous_id: z.string().nullable().describe('The older version this one replaces.'),
  content: z.string(),
  reason: z.string().nullable().describe('Decisions: the reason given beside them.'),
  message_index: z.number().int().nullable(),
  role: z.string().nullable(),
  created_at: z.string(),
});
const Filters = {
  space_id: z.string().max(64).optional().describe('Only this space.'),
  collection_id: z.string().max(64).optional().describe('Only this collection.'),
  source_id: z.string().max(64).optional().describe('Only this source.'),
  kind: z.enum(ARTIFACT_KINDS).optional().describe('Only this kind.'),
  language: z.string().max(32).optional().describe('Only this language (e.g. typescript, python, sql).'),
};
const SnapshotState = z.object({
  title: z.string().nullable(),
  goal: z.string(),
  decisions: z.array(z.object({ text: z.string(), reason: z.string().nullable(), message_index: z.number().int() })),
  current_state: z.string(),
  open_questions: z.array(z.string()),
  next_steps: z.array(z.string()),
  artifacts: z.array(z.object({ id: z.string(), kind: z.string(), name: z.string().nullable(), language: z.string().nullable(), version: z.number().int(), content: z.string().optional() })),
  last_turns: z.array(z.object({ role: z.string(), content: z.string(), message_index: z.number().int() })),
});
const SnapshotSummary = z.object({
  id: z.string(),
  space_id: z.string().nullable(),
  source_id: z.string().nullable(),
  title: z.string().nullable(),
  budget_tokens: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  compression_ratio: z.number().describe('tokens_in / tokens_out.'),
  created_at: z.string(),
});
const Snapshot = SnapshotSummary.extend({ markdown: z.string().describe('Ready to paste into a new chat.'), state: SnapshotState });

// Spaces ----------------------------------------------------------------------------------------------
const createSpace = defineTool({
  name: 'create_space',
  toolset: 'spaces',
  secrets: 'redact',
  title: 'Create a space',
  description: 'Create a space: a project area holding collections, sources, artifacts and snapshots.',
  input: z.object({
    name: z.string().min(1).max(SPACE_LIMITS.nameChars).describe('Display name.'),
    description: z.string().max(SPACE_LIMITS.descriptionChars).optional().describe('What the space is for.'),
  }),
  output: Space.extend({ secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [{ method: 'POST', path: '/v1/spaces' }],
  examples: [{ description: 'A space for a project', args: { name: 'Billing service', description: 'Chats about the billing rewrite' } }],
  handler: async (ctx, a) => spaces(ctx).create(ctx.scope(), a),
});

const listSpaces = defineTool({
  name: 'list_spaces',
  toolset: 'spaces',
  title: 'List spaces',
  description: "The project's spaces, oldest first.",
  input: z.object({}),
  output: z.object({ spaces: z.array(Space) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/spaces' }],
  examples: [{ description: 'All spaces', args: {} }],
  handler: async (ctx) => ({ spaces: await spaces(ctx).list(ctx.scope()) }),
});

const getSpace = defineTool({
  name: 'get_space',
  toolset: 'spaces',
  title: 'Get a space',
  description: 'One space by id: its name, description and timestamps.',
  input: z.object({ id: Id('Space') }),
  output: Space,
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/spaces/:id' }],
  examples: [{ description: 'A space', args: { id: 'spc_0123456789abcdef' } }],
  handler: async (ctx, a) => spaces(ctx).get(ctx.scope(), a.id),
});

const updateSpace = defineTool({
  name: 'update_space',
  toolset: 'spaces',
  secrets: 'redact',
  title: 'Update a space',
  description: "Rename a space or change its description.",
  input: z.object({
    id: Id('Space'),
    name: z.string().min(1).max(SPACE_LIMITS.nameChars).optional().describe('New name.'),
    description: z.string().max(SPACE_LIMITS.descriptionChars).nullable().optional().describe('New description (null clears it).'),
  }),
  output: Space.extend({ secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [
    { method: 'PATCH', path: '/v1/spaces/:id' },
    { method: 'PUT', path: '/v1/spaces/:id' },
  ],
  examples: [{ description: 'Rename', args: { id: 'spc_0123456789abcdef', name: 'Billing v2' } }],
  handler: async (ctx, a) => spaces(ctx).update(ctx.scope(), a.id, a),
});

const deleteSpace = defineTool({
  name: 'delete_space',
  toolset: 'spaces',
  title: 'Delete a space',
  description: 'Delete a space with everything in it: collections, sources, artifacts and snapshots.',
  input: z.object({ id: Id('Space') }),
  output: z.object({ deleted: z.boolean(), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  rest: [{ method: 'DELETE', path: '/v1/spaces/:id' }],
  examples: [{ description: 'Delete', args: { id: 'spc_0123456789abcdef' } }],
  handler: async (ctx, a) => {
    await spaces(ctx).delete(ctx.scope(), a.id);
    return { deleted: true, id: a.id };
  },
});

// Collections -----------------------------------------------------------------------------------------
const createCollection = defineTool({
  name: 'create_collection',
  toolset: 'spaces',
  secrets: 'redact',
  title: 'Create a collection',
  description: 'Create a collection (a folder) in a space, at the top or inside another collection.',
  input: z.object({
    space_id: Id('Space'),
    name: z.string().min(1).max(SPACE_LIMITS.nameChars).describe('Folder name.'),
    parent_id: z.string().max(64).optional().describe('Parent collection (default: top level).'),
  }),
  output: Collection.extend({ secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [{ method: 'POST', path: '/v1/spaces/:space_id/collections' }],
  examples: [{ description: 'A folder', args: { space_id: 'spc_0123456789abcdef', name: 'Design chats' } }],
  handler: async (ctx, a) => spaces(ctx).createCollection(ctx.scope(), a.space_id, a),
});

const listCollections = defineTool({
  name: 'list_collections',
  toolset: 'spaces',
  title: 'List collections',
  description: "A space's collections as a tree (children nested under their parent).",
  input: z.object({ space_id: Id('Space') }),
  output: z.object({ collections: z.array(CollectionNode), total: z.number().int() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/spaces/:space_id/collections' }],
  examples: [{ description: 'The tree', args: { space_id: 'spc_0123456789abcdef' } }],
  handler: async (ctx, a) => spaces(ctx).tree(ctx.scope(), a.space_id),
});

const deleteCollection = defineTool({
  name: 'delete_collection',
  toolset: 'spaces',
  title: 'Delete a collection',
  description: 'Delete a collection. Refused (409) while it holds sources or sub-collections unless cascade is true.',
  input: z.object({
    space_id: Id('Space'),
    id: Id('Collection'),
    cascade: z.boolean().default(false).describe('Also delete its sub-collections and their sources with their artifacts.'),
  }),
  output: z.object({ deleted: z.boolean(), id: z.string(), collections_deleted: z.number().int(), sources_deleted: z.number().int() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  rest: [{ method: 'DELETE', path: '/v1/spaces/:space_id/collections/:id' }],
  examples: [{ description: 'Delete with contents', args: { space_id: 'spc_0123456789abcdef', id: 'col_0123456789abcdef', cascade: true } }],
  handler: async (ctx, a) => {
    const r = await spaces(ctx).deleteCollection(ctx.scope(), a.space_id, a.id, a.cascade);
    return { deleted: true, id: a.id, collections_deleted: r.collections, sources_deleted: r.sources };
  },
});

// Sources ---------------------------------------------------------------------------------------------
const createSource = defineTool({
  name: 'create_source',
  toolset: 'spaces',
  secrets: 'redact',
  title: 'Add a source',
  description: 'Add a conversation, a ChatGPT/Claude export (one source per conversation), a document or an uploaded file to a space; a job extracts its artifacts.',
  details:
    'Give exactly one of: messages (OpenAI or Anthropic form: content parts, tool calls and results); export_json (the text of a ChatGPT or Claude conversations.json; export_format is detected when omitted); text (+ format text|markdown); content_base64 (+ filename; text, Markdown, HTML, PDF, DOCX, CSV or JSON); upload_id (a file PUT to a URL from POST /v1/uploads, by this same key; an export file becomes conversations). At most the plan\'s maxTextBytes per call. Processing runs as a job (job_id; get_job shows progress); the source\'s status becomes ready with artifacts_count.',
  input: z.object({
    space_id: Id('Space'),
    collection_id: z.string().max(64).optional().describe('Collection to file it in.'),
    title: z.string().max(SPACE_LIMITS.nameChars).optional().describe('Title (default: the export\'s or document\'s own).'),
    messages: z.array(Message).optional().describe('A conversation in OpenAI or Anthropic form.'),
    export_json: z.string().optional().describe("The text of a ChatGPT or Claude conversations.json export."),
    export_format: z.enum(EXPORT_FORMATS).optional().describe('chatgpt or claude (default: detected).'),
    text: z.string().optional().describe('A document as text or Markdown.'),
    format: z.enum(['text', 'markdown']).optional().describe('Format of text (default markdown).'),
    content_base64: z.string().optional().describe('A document file, base64.'),
    filename: z.string().max(255).optional().describe('File name of content_base64 / the upload (helps detect the format).'),
    upload_id: z.string().max(64).optional().describe('An upload from POST /v1/uploads that received its file.'),
  }),
  output: z.object({ sources: z.array(Source), job_id: z.string(), secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [{ method: 'POST', path: '/v1/sources' }],
  examples: [
    {
      description: 'A conversation',
      args: {
        space_id: 'spc_0123456789abcdef',
        messages: [
          { role: 'user', content: 'Write a users table for Postgres.' },
          { role: 'assistant', content: 'We decided to use UUID keys because ids are public.\n\n```sql\nCREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);\n```' },
        ],
      },
    },
  ],
  handler: async (ctx, a) => sources(ctx).create(ctx.caller!, ctx.scope(), a),
});

const listSources = defineTool({
  name: 'list_sources',
  toolset: 'spaces',
  title: 'List sources',
  description: 'Sources of the project, of a space or of a collection, oldest first, with their processing status.',
  input: z.object({
    space_id: z.string().max(64).optional().describe('Only this space.'),
    collection_id: z.string().max(64).optional().describe('Only this collection.'),
    kind: z.enum(SOURCE_KINDS).optional().describe('Only this kind.'),
    limit: Limit,
    offset: Offset,
  }),
  output: z.object({ sources: z.array(Source), total: z.number().int() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/sources' }],
  examples: [{ description: 'A space\'s sources', args: { space_id: 'spc_0123456789abcdef' } }],
  handler: async (ctx, a) => {
    const { rows, total } = await sources(ctx).list(ctx.scope(), a);
    return { sources: rows, total };
  },
});

const getSource = defineTool({
  name: 'get_source',
  toolset: 'spaces',
  title: 'Get a source',
  description: 'One source: its kind, size, processing status and artifact count; with include_content, its messages.',
  input: z.object({ id: Id('Source'), include_content: z.boolean().default(false).describe('Also return the messages (a document is one message of role document).') }),
  output: Source.extend({ messages: z.array(z.object({ role: z.string(), text: z.string() })).optional() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/sources/:id' }],
  examples: [{ description: 'A source', args: { id: 'src_0123456789abcdef' } }],
  handler: async (ctx, a) => {
    if (!a.include_content) return sources(ctx).get(ctx.scope(), a.id);
    const { source, messages } = await sources(ctx).messages(ctx.scope(), a.id, 'id');
    return { ...source, messages };
  },
});

const deleteSource = defineTool({
  name: 'delete_source',
  toolset: 'spaces',
  title: 'Delete a source',
  description: 'Delete a source with the artifacts extracted from it and the snapshots made from it.',
  input: z.object({ id: Id('Source') }),
  output: z.object({ deleted: z.boolean(), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  rest: [{ method: 'DELETE', path: '/v1/sources/:id' }],
  examples: [{ description: 'Delete', args: { id: 'src_0123456789abcdef' } }],
  handler: async (ctx, a) => {
    await sources(ctx).delete(ctx.scope(), a.id);
    return { deleted: true, id: a.id };
  },
});

// Artifacts -------------------------------------------------------------------------------------------
const listArtifacts = defineTool({
  name: 'list_artifacts',
  toolset: 'spaces',
  title: 'List artifacts',
  description: 'Artifacts extracted from sources (code, schemas, diagrams, commands, decisions, questions, TODOs), filtered by space, collection, source, kind, language.',
  input: z.object({ ...Filters, limit: Limit, offset: Offset }),
  output: z.object({ artifacts: z.array(Artifact), total: z.number().int() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/artifacts' }],
  examples: [{ description: 'Schemas of a space', args: { space_id: 'spc_0123456789abcdef', kind: 'schema' } }],
  handler: async (ctx, a) => artifacts(ctx).list(ctx.scope(), a),
});

const getArtifact = defineTool({
  name: 'get_artifact',
  toolset: 'spaces',
  title: 'Get an artifact',
  description: 'One artifact with all versions of it (oldest first) and the message it came from.',
  input: z.object({ id: Id('Artifact') }),
  output: z.object({
    artifact: Artifact,
    versions: z.array(z.object({ id: z.string(), version: z.number().int(), source_id: z.string(), message_index: z.number().int().nullable(), created_at: z.string() })),
    message: z.object({ role: z.string(), content: z.string(), index: z.number().int() }).nullable(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/artifacts/:id' }],
  examples: [{ description: 'An artifact', args: { id: 'art_0123456789abcdef' } }],
  handler: async (ctx, a) => artifacts(ctx).get(ctx.scope(), a.id),
});

const searchArtifacts = defineTool({
  name: 'search_artifacts',
  toolset: 'spaces',
  title: 'Search artifacts',
  description: 'Find artifacts by meaning and keywords (hybrid by default), with the same filters as list_artifacts.',
  input: z.object({
    query: z.string().min(1).max(2000).describe('What to find, e.g. "users table schema".'),
    mode: z.enum(['hybrid', 'semantic', 'keyword']).default('hybrid'),
    ...Filters,
    limit: z.number().int().min(1).max(50).default(10).describe('Results (1–50).'),
  }),
  output: z.object({ results: z.array(Artifact.extend({ score: z.number() })), mode: z.string() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'POST', path: '/v1/artifacts/search' }],
  examples: [{ description: 'Find a schema', args: { query: 'users table', kind: 'schema' } }],
  render: (o) => [`[search_artifacts: ${o.results.length} results, ${o.mode}]`, ...o.results.map((r) => `- ${r.id} ${r.kind}${r.name ? ` ${r.name}` : ''} v${r.version} (${r.score}): ${r.content.slice(0, 200)}`)].join('\n'),
  handler: async (ctx, a) => artifacts(ctx).search(ctx.scope(), a),
});

// Snapshots -------------------------------------------------------------------------------------------
const createSnapshot = defineTool({
  name: 'create_snapshot',
  toolset: 'spaces',
  secrets: 'redact',
  title: 'Snapshot a conversation',
  description: 'Turn a conversation (a source, or messages) into a compact resumable state: goal, decisions and reasons, state, open questions, next steps, artifacts, last turns; Markdown and JSON.',
  details: `Default size: the conversation's tokens / 3.5 (3–4× smaller), plus the artifact reference lines (at most 3/4 of the conversation); budget_tokens sets it (${SNAPSHOT_LIMITS.minBudget}–${SNAPSHOT_LIMITS.maxBudget}). Decisions are kept first and verbatim, then the newest versions of the source's code, schemas and diagrams by reference, the last turns whole (never cut), next steps and open questions (a question answered later is not open); inline_artifacts puts artifact content in where it fits. Rules only; no LLM.`,
  input: z.object({
    source_id: z.string().max(64).optional().describe('A conversation source, from list_sources.'),
    messages: z.array(Message).optional().describe('Or the conversation itself (OpenAI or Anthropic form).'),
    space_id: z.string().max(64).optional().describe('Space to file a snapshot of messages under.'),
    title: z.string().max(SPACE_LIMITS.nameChars).optional(),
    budget_tokens: z.number().int().min(SNAPSHOT_LIMITS.minBudget).max(SNAPSHOT_LIMITS.maxBudget).optional().describe('Token budget of the Markdown (default: conversation / 3.5).'),
    last_turns: z.number().int().min(0).max(SNAPSHOT_LIMITS.lastTurnsMax).default(2).describe('Last turns kept verbatim when they fit.'),
    inline_artifacts: z.boolean().default(false).describe('Put the newest version of each artifact inline.'),
  }),
  output: Snapshot.extend({ secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [{ method: 'POST', path: '/v1/snapshots' }],
  examples: [{ description: 'Snapshot a source', args: { source_id: 'src_0123456789abcdef', inline_artifacts: true } }],
  render: (o) => `[create_snapshot: ${o.id}; ${o.tokens_in} → ${o.tokens_out} tokens, ${sizeChange(o.tokens_in, o.tokens_out)}]\n${o.markdown}`,
  handler: async (ctx, a) => snapshots(ctx).create(ctx.scope(), a),
});

const getSnapshot = defineTool({
  name: 'get_snapshot',
  toolset: 'spaces',
  title: 'Get a snapshot',
  description: 'A stored snapshot: Markdown ready to paste and its JSON state.',
  input: z.object({ id: Id('Snapshot') }),
  output: Snapshot,
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/snapshots/:id' }],
  examples: [{ description: 'A snapshot', args: { id: 'snp_0123456789abcdef' } }],
  render: (o) => `[get_snapshot: ${o.id}; ${plural(o.tokens_out, 'token')}]\n${o.markdown}`,
  handler: async (ctx, a) => snapshots(ctx).get(ctx.scope(), a.id),
});

const listSnapshots = defineTool({
  name: 'list_snapshots',
  toolset: 'spaces',
  title: 'List snapshots',
  description: 'Snapshots of the project, a space or a source, newest first (figures only; get_snapshot for the text).',
  input: z.object({ space_id: z.string().max(64).optional(), source_id: z.string().max(64).optional(), limit: Limit, offset: Offset }),
  output: z.object({ snapshots: z.array(SnapshotSummary), total: z.number().int() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/snapshots' }],
  examples: [{ description: 'A source\'s snapshots', args: { source_id: 'src_0123456789abcdef' } }],
  handler: async (ctx, a) => snapshots(ctx).list(ctx.scope(), a),
});

// Uploads ---------------------------------------------------------------------------------------------
const createUpload = defineTool({
  name: 'create_upload',
  toolset: 'spaces',
  title: 'Get an upload URL',
  description: 'A signed URL to PUT one file to (expires in 15 minutes by default; at most the plan\'s size); then create_source with its upload_id.',
  input: z.object({
    filename: z.string().max(255).optional().describe('File name (helps detect the format).'),
    mime_type: z.string().max(128).optional(),
    expires_in: z.number().int().min(1).max(UPLOAD_MAX_TTL_S).default(UPLOAD_DEFAULT_TTL_S).describe('Seconds the URL stays valid.'),
  }),
  output: z.object({ upload_id: z.string(), upload_url: z.string().describe('Relative unless CTXGATE_PUBLIC_URL is set.'), method: z.literal('PUT'), expires_at: z.string(), max_bytes: z.number().int() }),
  annotations: { readOnlyHint: false },
  restStatus: 201,
  rest: [{ method: 'POST', path: '/v1/uploads' }],
  examples: [{ description: 'Upload an export', args: { filename: 'conversations.json' } }],
  handler: async (ctx, a) => ctx.app.service(UploadsService).create(ctx.caller!, ctx.scope(), a),
});

export const tools: AnyTool[] = [
  createSpace, listSpaces, getSpace, updateSpace, deleteSpace,
  createCollection, listCollections, deleteCollection,
  createSource, listSources, getSource, deleteSource,
  listArtifacts, getArtifact, searchArtifacts,
  createSnapshot, getSnapshot, listSnapshots,
  createUpload,
];

/** "3.05× smaller", or "1.66× larger" when a budget above the conversation's size made the snapshot grow. */
function sizeChange(tokensIn: number, tokensOut: number): string {
  const r = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return tokensOut <= tokensIn || !tokensIn ? `${r(tokensIn, tokensOut)}× smaller` : `${r(tokensOut, tokensIn)}× larger`;
}
