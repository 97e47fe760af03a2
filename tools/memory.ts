// memory toolset: agent memory (add/search/list/get/update/delete/forget) and a knowledge graph that is a
// drop-in for the reference MCP memory server (same tool names, argument and result shapes).
import { z } from 'zod';
import { SecretsRedactedField } from '../src/engine/secrets.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { MemoryService, MEMORY_LIMITS } from '../src/services/memory.js';
import { KnowledgeGraphService, KG_LIMITS } from '../src/services/knowledge-graph.js';

// ---- shared schemas ----------------------------------------------------------------------------

const isoTime = (what: string) =>
  z
    .string()
    .max(64)
    .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z' })
    .describe(what);

const tagList = (what: string) =>
  z.array(z.string().trim().min(1).max(MEMORY_LIMITS.tagChars)).max(MEMORY_LIMITS.tags).describe(what);
const flag = (what: string) => z.boolean().describe(what);

const filterFields = {
  tags: tagList('Only memories carrying any of these tags (all of them with match_all_tags). Tags compare case-insensitively.').optional(),
  match_all_tags: flag('Require every tag in `tags` instead of any one.').default(false),
  since: isoTime('Only memories created at or after this time (ISO 8601).').optional(),
  until: isoTime('Only memories created at or before this time (ISO 8601).').optional(),
  source: z.string().max(MEMORY_LIMITS.sourceChars).describe('Only memories with exactly this source.').optional(),
};

const Memory = z.object({
  id: z.string().describe('Memory id (mem_...).'),
  text: z.string(),
  tags: z.array(z.string()),
  source: z.string().nullable().describe('Where the fact came from (free text), or null.'),
  merge_count: z.number().int().describe('How many later near-duplicate writes were merged into this memory.'),
  created_at: z.string(),
  updated_at: z.string(),
});

const memoryId = z.string().min(1).max(64).describe('Memory id (mem_...), as returned by add_memory or list_memories.');

// ---- memory tools ------------------------------------------------------------------------------

const addMemory = defineTool({
  name: 'add_memory',
  toolset: 'memory',
  secrets: 'redact',
  title: 'Add memory',
  description:
    'Save a fact, note or preference for later sessions of this project. A near-duplicate of an existing memory (embedding similarity at or above ' +
    'dedupe_threshold) is merged into it — its text becomes the new wording, tags are united — instead of being stored twice.',
  input: z.object({
    text: z.string().trim().min(1).max(MEMORY_LIMITS.textChars).describe('The fact to remember, in one or a few sentences.'),
    tags: tagList(`Labels for filtering later (at most ${MEMORY_LIMITS.tags}; stored lower-case).`).default([]),
    source: z.string().trim().min(1).max(MEMORY_LIMITS.sourceChars).describe('Where the fact came from, e.g. "user", "README.md", a URL.').optional(),
    dedupe: flag('Merge into an existing near-duplicate (default true); false always stores a new memory.').default(true),
    dedupe_threshold: z.number().min(0.5).max(1).describe('Cosine similarity at which two memories count as the same fact. Default depends on the embedder (0.95 offline, 0.90 MiniLM).').optional(),
  }),
  output: z.object({
    secrets_redacted: SecretsRedactedField,
    id: z.string().describe('Id of the stored memory (the existing one when merged).'),
    merged: z.boolean().describe('True when the text was merged into an existing near-duplicate.'),
    similarity: z.number().nullable().describe('Similarity to the closest existing memory (null when the project had none).'),
    previous_text: z.string().nullable().describe('The merged memory\'s text before this write.'),
    memory: Memory,
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/memories' }],
  examples: [
    { description: 'Remember a project convention', args: { text: 'The API server listens on port 8787 and reads CTXGATE_PORT.', tags: ['ops', 'config'], source: 'README.md' } },
  ],
  handler: (ctx, a) =>
    ctx.app.service(MemoryService).add(ctx.scope(), {
      text: a.text,
      tags: a.tags,
      source: a.source,
      dedupe: a.dedupe,
      dedupeThreshold: a.dedupe_threshold,
    }),
});

const searchMemory = defineTool({
  name: 'search_memory',
  toolset: 'memory',
  title: 'Search memory',
  description:
    'Find the memories most relevant to a query: semantic (embeddings) and keyword (BM25) rankings fused by Reciprocal Rank ' +
    'Fusion, or either alone with `mode`. Filter by tags, source and creation time.',
  input: z.object({
    query: z.string().trim().min(1).max(MEMORY_LIMITS.queryChars).describe('What to look for, in natural language or keywords.'),
    top_k: z.number().int().min(1).max(MEMORY_LIMITS.topK).default(5).describe('How many memories to return.'),
    mode: z.enum(['hybrid', 'semantic', 'keyword']).default('hybrid').describe('hybrid (default) fuses semantic and keyword rankings.'),
    min_similarity: z.number().min(-1).max(1).describe('Drop results whose cosine similarity to the query is below this.').optional(),
    ...filterFields,
  }),
  output: z.object({
    results: z.array(
      Memory.extend({
        score: z.number().describe('Fused rank score (higher is better; comparable only within one result list).'),
        similarity: z.number().describe('Cosine similarity between query and memory.'),
        semantic_rank: z.number().int().nullable().describe('1-based rank in the semantic list, or null.'),
        keyword_rank: z.number().int().nullable().describe('1-based rank in the keyword list, or null when no query word occurs.'),
      }),
    ),
    mode: z.enum(['hybrid', 'semantic', 'keyword']),
    embedder: z.string().describe('Embedding provider used for the semantic side.'),
    candidates: z.number().int().describe('Memories that passed the filters.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/memories/search' }],
  examples: [{ description: 'What port does the server use?', args: { query: 'which port does the server listen on', top_k: 3 } }],
  handler: (ctx, a) =>
    ctx.app.service(MemoryService).search(ctx.scope(), {
      query: a.query,
      topK: a.top_k,
      mode: a.mode,
      minSimilarity: a.min_similarity,
      tags: a.tags,
      matchAllTags: a.match_all_tags,
      since: a.since,
      until: a.until,
      source: a.source,
    }),
});

const listMemories = defineTool({
  name: 'list_memories',
  toolset: 'memory',
  title: 'List memories',
  description: 'Page through the project\'s memories, newest first by default, optionally filtered by tags, source and time.',
  input: z.object({
    limit: z.number().int().min(1).max(MEMORY_LIMITS.pageSize).default(20).describe('Page size.'),
    offset: z.number().int().min(0).default(0).describe('How many to skip (use next_offset from the previous page).'),
    order: z.enum(['newest', 'oldest']).default('newest').describe('Sort by creation time.'),
    ...filterFields,
  }),
  output: z.object({
    memories: z.array(Memory),
    total: z.number().int().describe('Memories matching the filters.'),
    limit: z.number().int(),
    offset: z.number().int(),
    next_offset: z.number().int().nullable().describe('Offset of the next page, or null on the last page.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'GET', path: '/v1/memories' }],
  examples: [{ description: 'The ten newest memories tagged "ops"', args: { limit: 10, tags: ['ops'] } }],
  handler: (ctx, a) =>
    ctx.app.service(MemoryService).list(ctx.scope(), {
      limit: a.limit,
      offset: a.offset,
      order: a.order,
      tags: a.tags,
      matchAllTags: a.match_all_tags,
      since: a.since,
      until: a.until,
      source: a.source,
    }),
});

const getMemory = defineTool({
  name: 'get_memory',
  toolset: 'memory',
  title: 'Get memory',
  description: 'One stored memory by id, with its text, tags, source and timestamps.',
  input: z.object({ id: memoryId }),
  output: Memory,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'GET', path: '/v1/memories/:id' }],
  examples: [{ description: 'Read a memory', args: { id: 'mem_4pKq0bX9s2LmA1cD' } }],
  handler: (ctx, a) => ctx.app.service(MemoryService).get(ctx.scope(), a.id),
});

const updateMemory = defineTool({
  name: 'update_memory',
  toolset: 'memory',
  secrets: 'redact',
  title: 'Update memory',
  description: 'Change a memory\'s text (re-embedded), tags (replaced) or source (null clears it). Give at least one.',
  input: z.object({
    id: memoryId,
    text: z.string().trim().min(1).max(MEMORY_LIMITS.textChars).describe('New text.').optional(),
    tags: tagList('New tag list (replaces the old one).').optional(),
    source: z.string().trim().min(1).max(MEMORY_LIMITS.sourceChars).nullable().describe('New source, or null to clear it.').optional(),
  }),
  output: Memory.extend({ secrets_redacted: SecretsRedactedField }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'PATCH', path: '/v1/memories/:id' }],
  examples: [{ description: 'Correct a fact', args: { id: 'mem_4pKq0bX9s2LmA1cD', text: 'The API server listens on port 9000.' } }],
  handler: (ctx, a) => ctx.app.service(MemoryService).update(ctx.scope(), a.id, { text: a.text, tags: a.tags, source: a.source }),
});

const deleteMemory = defineTool({
  name: 'delete_memory',
  toolset: 'memory',
  title: 'Delete memory',
  description: 'Delete one memory by id.',
  input: z.object({ id: memoryId }),
  output: z.object({ id: z.string(), deleted: z.literal(true) }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'DELETE', path: '/v1/memories/:id' }],
  examples: [{ description: 'Delete a memory', args: { id: 'mem_4pKq0bX9s2LmA1cD' } }],
  handler: (ctx, a) => ctx.app.service(MemoryService).delete(ctx.scope(), a.id),
});

const forgetMemories = defineTool({
  name: 'forget_memories',
  toolset: 'memory',
  title: 'Forget memories',
  description: "Delete the memories matching a query and/or filters (tags, source, time range, ids); run with dry_run=true first to see what would go.",
  details: "A query matches a memory whose similarity reaches min_similarity or that contains every query word. With dry_run=true nothing is deleted.",
  input: z.object({
    query: z.string().trim().min(1).max(MEMORY_LIMITS.queryChars).describe('Forget memories about this.').optional(),
    ids: z.array(memoryId).max(MEMORY_LIMITS.forgetMax).describe('Restrict to these memory ids (e.g. from a dry run).').optional(),
    min_similarity: z.number().min(-1).max(1).describe('Similarity floor for query matches. Default 0.50 with either built-in embedder.').optional(),
    limit: z.number().int().min(1).max(MEMORY_LIMITS.forgetMax).default(100).describe('Most memories deleted by one call; `truncated` says when more matched.'),
    dry_run: z.boolean().default(false).describe('List what would be deleted without deleting anything.'),
    ...filterFields,
  }),
  output: z.object({
    dry_run: z.boolean(),
    matched: z.number().int().describe('Memories matching the criteria.'),
    deleted: z.number().int().describe('Memories deleted (0 on a dry run).'),
    truncated: z.boolean().describe('More matched than `limit`; call again to continue.'),
    memories: z.array(Memory.extend({ similarity: z.number().nullable() })).describe('The memories deleted (or that would be, on a dry run).'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/memories/forget' }],
  examples: [
    { description: 'See what forgetting the staging database would remove', args: { query: 'staging database credentials', dry_run: true } },
    { description: 'Forget everything tagged "scratch" from before 2026', args: { tags: ['scratch'], until: '2025-12-31T23:59:59Z' } },
  ],
  handler: (ctx, a) =>
    ctx.app.service(MemoryService).forget(ctx.scope(), {
      query: a.query,
      ids: a.ids,
      minSimilarity: a.min_similarity,
      limit: a.limit,
      dryRun: a.dry_run,
      tags: a.tags,
      matchAllTags: a.match_all_tags,
      since: a.since,
      until: a.until,
      source: a.source,
    }),
});

// ---- knowledge graph (reference MCP memory server shapes) ---------------------------------------

const name = (what: string) => z.string().min(1).max(KG_LIMITS.nameChars).describe(what);
const observation = z.string().min(1).max(KG_LIMITS.observationChars);

const EntitySchema = z.object({
  name: name('The name of the entity'),
  entityType: z.string().min(1).max(KG_LIMITS.typeChars).describe('The type of the entity'),
  observations: z.array(observation).max(KG_LIMITS.batch).describe('An array of observation contents associated with the entity'),
});
const RelationSchema = z.object({
  from: name('The name of the entity where the relation starts'),
  to: name('The name of the entity where the relation ends'),
  relationType: z.string().min(1).max(KG_LIMITS.typeChars).describe('The type of the relation'),
});
const GraphSchema = z.object({ entities: z.array(EntitySchema), relations: z.array(RelationSchema) });
const DeleteResult = z.object({ success: z.boolean(), message: z.string() });
const kgWrite = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const kgDelete = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };
const kgRead = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const json = (v: unknown) => JSON.stringify(v, null, 2);
const kg = (ctx: ToolContext) => ctx.app.service(KnowledgeGraphService);

const createEntities = defineTool({
  name: 'create_entities',
  toolset: 'memory',
  secrets: 'redact',
  title: 'Create Entities',
  description: 'Create multiple new entities in the knowledge graph',
  input: z.object({ entities: z.array(EntitySchema).max(KG_LIMITS.batch).describe('Entities to create; names that already exist are ignored') }),
  output: z.object({ entities: z.array(EntitySchema).describe('The entities actually created'), secrets_redacted: SecretsRedactedField }),
  annotations: kgWrite,
  render: (out) => json(out.entities),
  examples: [{ description: 'Two entities', args: { entities: [{ name: 'Alice', entityType: 'person', observations: ['Maintains the billing service'] }, { name: 'billing-service', entityType: 'service', observations: [] }] } }],
  handler: async (ctx, a) => ({ entities: await kg(ctx).createEntities(ctx.scope(), a.entities) }),
});

const createRelations = defineTool({
  name: 'create_relations',
  toolset: 'memory',
  title: 'Create Relations',
  description: 'Create multiple new relations between entities in the knowledge graph. Relations should be in active voice',
  input: z.object({ relations: z.array(RelationSchema).max(KG_LIMITS.batch).describe('Relations to create; existing ones are ignored') }),
  output: z.object({ relations: z.array(RelationSchema).describe('The relations actually created') }),
  annotations: kgWrite,
  render: (out) => json(out.relations),
  examples: [{ description: 'Alice maintains billing-service', args: { relations: [{ from: 'Alice', to: 'billing-service', relationType: 'maintains' }] } }],
  handler: async (ctx, a) => ({ relations: await kg(ctx).createRelations(ctx.scope(), a.relations) }),
});

const addObservations = defineTool({
  name: 'add_observations',
  toolset: 'memory',
  secrets: 'redact',
  title: 'Add Observations',
  description: 'Add new observations to existing entities in the knowledge graph',
  input: z.object({
    observations: z
      .array(
        z.object({
          entityName: name('The name of the entity to add the observations to'),
          contents: z.array(observation).max(KG_LIMITS.batch).describe('An array of observation contents to add'),
        }),
      )
      .max(KG_LIMITS.batch),
  }),
  output: z.object({ results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })), secrets_redacted: SecretsRedactedField }),
  annotations: kgWrite,
  render: (out) => json(out.results),
  examples: [{ description: 'Note something about Alice', args: { observations: [{ entityName: 'Alice', contents: ['Prefers code review in the morning'] }] } }],
  handler: async (ctx, a) => ({ results: await kg(ctx).addObservations(ctx.scope(), a.observations) }),
});

const deleteEntities = defineTool({
  name: 'delete_entities',
  toolset: 'memory',
  title: 'Delete Entities',
  description: 'Delete multiple entities and their associated relations from the knowledge graph',
  input: z.object({ entityNames: z.array(name('Entity name')).max(KG_LIMITS.batch).describe('An array of entity names to delete') }),
  output: DeleteResult,
  annotations: kgDelete,
  render: (out) => out.message,
  examples: [{ description: 'Delete Alice and her relations', args: { entityNames: ['Alice'] } }],
  handler: async (ctx, a) => {
    await kg(ctx).deleteEntities(ctx.scope(), a.entityNames);
    return { success: true, message: 'Entities deleted successfully' };
  },
});

const deleteObservations = defineTool({
  name: 'delete_observations',
  toolset: 'memory',
  title: 'Delete Observations',
  description: 'Delete specific observations from entities in the knowledge graph',
  input: z.object({
    deletions: z
      .array(
        z.object({
          entityName: name('The name of the entity containing the observations'),
          observations: z.array(observation).max(KG_LIMITS.batch).describe('An array of observations to delete'),
        }),
      )
      .max(KG_LIMITS.batch),
  }),
  output: DeleteResult,
  annotations: kgDelete,
  render: (out) => out.message,
  examples: [{ description: 'Remove an outdated observation', args: { deletions: [{ entityName: 'Alice', observations: ['Prefers code review in the morning'] }] } }],
  handler: async (ctx, a) => {
    await kg(ctx).deleteObservations(ctx.scope(), a.deletions);
    return { success: true, message: 'Observations deleted successfully' };
  },
});

const deleteRelations = defineTool({
  name: 'delete_relations',
  toolset: 'memory',
  title: 'Delete Relations',
  description: 'Delete multiple relations from the knowledge graph',
  input: z.object({ relations: z.array(RelationSchema).max(KG_LIMITS.batch).describe('An array of relations to delete') }),
  output: DeleteResult,
  annotations: kgDelete,
  render: (out) => out.message,
  examples: [{ description: 'Remove a relation', args: { relations: [{ from: 'Alice', to: 'billing-service', relationType: 'maintains' }] } }],
  handler: async (ctx, a) => {
    await kg(ctx).deleteRelations(ctx.scope(), a.relations);
    return { success: true, message: 'Relations deleted successfully' };
  },
});

const readGraph = defineTool({
  name: 'read_graph',
  toolset: 'memory',
  title: 'Read Graph',
  description: 'Read the entire knowledge graph',
  input: z.object({}),
  output: GraphSchema,
  annotations: kgRead,
  render: json,
  examples: [{ description: 'Everything in this project\'s graph', args: {} }],
  handler: (ctx) => kg(ctx).readGraph(ctx.scope()),
});

const searchNodes = defineTool({
  name: 'search_nodes',
  toolset: 'memory',
  title: 'Search Nodes',
  description: 'Search for nodes in the knowledge graph based on a query',
  input: z.object({
    query: z.string().max(KG_LIMITS.queryChars).describe('The search query to match against entity names, types, and observation content'),
  }),
  output: GraphSchema,
  annotations: kgRead,
  render: json,
  examples: [{ description: 'Entities mentioning billing', args: { query: 'billing' } }],
  handler: (ctx, a) => kg(ctx).searchNodes(ctx.scope(), a.query),
});

const openNodes = defineTool({
  name: 'open_nodes',
  toolset: 'memory',
  title: 'Open Nodes',
  description: 'Open specific nodes in the knowledge graph by their names',
  input: z.object({ names: z.array(name('Entity name')).max(KG_LIMITS.batch).describe('An array of entity names to retrieve') }),
  output: GraphSchema,
  annotations: kgRead,
  render: json,
  examples: [{ description: 'Alice and her relations', args: { names: ['Alice'] } }],
  handler: (ctx, a) => kg(ctx).openNodes(ctx.scope(), a.names),
});

export const tools: AnyTool[] = [
  addMemory,
  searchMemory,
  listMemories,
  getMemory,
  updateMemory,
  deleteMemory,
  forgetMemories,
  createEntities,
  createRelations,
  addObservations,
  deleteEntities,
  deleteObservations,
  deleteRelations,
  readGraph,
  searchNodes,
  openNodes,
];
