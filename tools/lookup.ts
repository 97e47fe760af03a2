// lookup toolset: offline documentation look-up (src/services/lookup.ts). gc_lookup needs no key and
// is never metered; keyless callers search the built-in sources, key holders also their own.
import { z } from 'zod';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import type { Scope } from '../src/domain/scope.js';
import { LookupService } from '../src/services/lookup.js';

const lookup = (ctx: ToolContext) => ctx.app.service(LookupService);
const optionalScope = (ctx: ToolContext): Scope | null => (ctx.caller ? ctx.scope() : null);

const Slug = z.string().min(1).max(128).describe('A source slug from list_lookup_sources (e.g. "express", "zod", "modelcontextprotocol-sdk"); an npm package name works too.');

const SourceOut = z.object({
  slug: z.string(),
  name: z.string().describe('Package name or folder name.'),
  kind: z.enum(['npm', 'folder']),
  version: z.string().nullable(),
  builtin: z.boolean().describe('True for the packages installed with this server; false for sources added with add_lookup_source.'),
  files: z.number().int(),
  chunks: z.number().int(),
  indexed_at: z.string(),
});

const gcLookup = defineTool({
  name: 'gc_lookup',
  toolset: 'lookup',
  title: 'Look up library documentation',
  description: "Search indexed documentation offline: the installed npm packages' READMEs, docs and type declarations, plus sources added with add_lookup_source.",
  details: "Optional slug narrows to one source (see list_lookup_sources). Free on all plans; not metered.",
  input: z.object({
    query_text: z.string().min(1).max(2000).describe('Natural-language question or search phrase.'),
    slug: Slug.optional().describe('Optional. Scope to one source. Omit to search all.'),
    top_k: z.number().int().min(1).max(20).default(5).describe('How many passages to return.'),
  }),
  output: z.object({
    query_text: z.string(),
    slug: z.string().nullable(),
    results: z.array(
      z.object({
        slug: z.string(),
        source: z.string(),
        version: z.string().nullable(),
        file: z.string().describe('File inside the source, e.g. README.md or types/index.d.ts.'),
        heading_path: z.array(z.string()),
        passage: z.string(),
        score: z.number().describe('Fused rank score (semantic + keyword): comparable within one call only.'),
      }),
    ),
    sources_searched: z.number().int(),
    embedder: z.string(),
  }),
  public: true,
  annotations: { readOnlyHint: true },
  rest: [{ method: 'POST', path: '/v1/lookup' }],
  examples: [
    { description: 'Across all sources', args: { query_text: 'how do I define a route with a path parameter' } },
    { description: 'One package', args: { query_text: 'parse an object schema and get typed errors', slug: 'zod' } },
  ],
  render: (o) =>
    o.results.length === 0
      ? `No documentation passages for "${o.query_text}".`
      : o.results.map((r, i) => `[${i + 1}] ${r.source}${r.version ? `@${r.version}` : ''} — ${r.file}${r.heading_path.length ? ` — ${r.heading_path.join(' > ')}` : ''}\n${r.passage}`).join('\n\n---\n\n'),
  handler: async (ctx, a) => {
    const r = await lookup(ctx).lookup(optionalScope(ctx), { query: a.query_text, slug: a.slug, topK: a.top_k }, (done, total) =>
      void ctx.progress(done, total, `indexing the built-in documentation (first look-up since start): ${done} of ${total} packages`),
    );
    return { query_text: a.query_text, slug: a.slug ?? null, ...r };
  },
});

const listSources = defineTool({
  name: 'list_lookup_sources',
  toolset: 'lookup',
  title: 'List documentation sources',
  description: 'The documentation sources gc_lookup searches: built-in packages and the ones added in this project. `indexing` is true while the built-in index is still being built.',
  input: z.object({}),
  output: z.object({ sources: z.array(SourceOut), indexing: z.boolean() }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/lookup/sources' }],
  examples: [{ description: 'All sources', args: {} }],
  handler: (ctx) => lookup(ctx).list(ctx.scope()),
});

const addSource = defineTool({
  name: 'add_lookup_source',
  toolset: 'lookup',
  title: 'Add a documentation source',
  description:
    'Index documentation for gc_lookup in this project: an npm package installed on this server (README, docs/*.md, its .d.ts), ' +
    'or a local folder of .md/.mdx/.txt/.rst/.html files inside the directories the admin allowed (CTXGATE_ALLOWED_ROOTS).',
  input: z.object({
    kind: z.enum(['npm', 'folder']).describe('npm: an installed package (give `name`). folder: a local docs folder (give `path`).'),
    name: z.string().min(1).max(214).optional().describe('npm package name, e.g. "express" or "@scope/pkg".'),
    path: z.string().min(1).max(4096).optional().describe('Absolute path of a docs folder on the server.'),
    slug: z.string().min(1).max(128).optional().describe('Slug to look it up by; default: from the package or folder name.'),
    replace: z.boolean().default(false).describe('Re-index if this project already has a source with that slug.'),
  }),
  output: SourceOut,
  annotations: { readOnlyHint: false, idempotentHint: true },
  rest: [{ method: 'POST', path: '/v1/lookup/sources' }],
  examples: [
    { description: 'An installed package (not one of the built-in sources)', args: { kind: 'npm', name: 'body-parser' } },
    { description: 'A docs folder', args: { kind: 'folder', path: '/srv/docs/handbook', slug: 'handbook' } },
  ],
  handler: (ctx, a) => lookup(ctx).add(ctx.scope(), { kind: a.kind, name: a.name, path: a.path, slug: a.slug, replace: a.replace }),
});

const removeSource = defineTool({
  name: 'remove_lookup_source',
  toolset: 'lookup',
  title: 'Remove a documentation source',
  description: 'Remove a source added in this project (built-in sources cannot be removed).',
  input: z.object({ slug: Slug }),
  output: z.object({ slug: z.string(), removed: z.literal(true), chunks_removed: z.number().int() }),
  annotations: { readOnlyHint: false, destructiveHint: true },
  rest: [{ method: 'DELETE', path: '/v1/lookup/sources/:slug' }],
  examples: [{ description: 'Remove a folder source', args: { slug: 'handbook' } }],
  handler: (ctx, a) => lookup(ctx).remove(ctx.scope(), a.slug),
});

export const tools: AnyTool[] = [gcLookup, listSources, addSource, removeSource];
