// code toolset: AST-aware skeletons (tree-sitter), codebase digests, blast radius, code search and
// repo maps. All are pro-plan tools (not in the free profile).
import { z } from 'zod';
import { LIMITS } from '../src/config.js';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { CODE_FIDELITIES } from '../src/engine/code/fidelity.js';
import { LANGUAGES } from '../src/engine/code/languages.js';
import { CodeService, type Work } from '../src/services/code.js';
import { plural } from '../src/engine/plural.js';

const code = (ctx: ToolContext) => ctx.app.service(CodeService);
const work = (ctx: ToolContext): Work => ({ progress: (d, t, m) => ctx.progress(d, t, m), signal: ctx.signal });

const LanguageHint = z
  .string()
  .nullable()
  .optional()
  .describe(`Language hint: ${LANGUAGES.join(', ')} (aliases such as py, js, ts, c++ accepted). Detected from path and content when omitted.`);

const BundleFile = z.object({
  path: z.string().describe('Relative path inside the bundle, e.g. "src/app.py" (no "..", no absolute or drive roots).'),
  content: z.string().describe('The file text (UTF-8).'),
  language: LanguageHint,
});

const Files = z
  .array(BundleFile)
  .describe(`The file bundle: at most ${LIMITS.codeFiles} files, ${LIMITS.codeFileBytes / 1024} KB each, ${LIMITS.codeBundleBytes / 1024 / 1024} MB in total.`);

const Root = z
  .string()
  .nullable()
  .optional()
  .describe('Instead of files: a local directory to read (only under CTXGATE_ALLOWED_ROOTS; .gitignore honoured; supported source files only).');

const RankedSymbolSchema = z.object({ name: z.string(), qualified_name: z.string(), kind: z.string(), line: z.number().int(), score: z.number() });

// ---- compress_code ----------------------------------------------------------------------------

const compressCode = defineTool({
  name: 'compress_code',
  toolset: 'code',
  secrets: 'refuse',
  title: 'Compress code (AST skeleton)',
  description: "AST skeleton of a source file (Python, JS/TS, Java, Go, Rust, C/C++): imports, signatures, docstrings, with the most central bodies kept by fidelity.",
  details: "tree-sitter parse; bodies are replaced by \"...\". Symbols are ranked by PageRank on the file's reference graph and the fidelity decides how many of the top symbols keep their bodies (outline: none, balanced: top 10%, detailed: top 35%). Every top-level name survives at every fidelity except abstract (top-ranked signatures only); raw returns the code unchanged. The reply is the skeleton after a one-line header; structuredContent adds stats and ranked symbols.",
  input: z.object({
    code: z.string().min(1).describe('Source code to compress.'),
    language: LanguageHint,
    path: z.string().nullable().optional().describe('File name or path, used to detect the language (e.g. "src/util.rs").'),
    fidelity: z.enum(CODE_FIDELITIES).default('balanced').describe('abstract | outline | balanced (default) | detailed | raw.'),
  }),
  output: z.object({
    compressed: z.string().describe('The skeleton.'),
    stats: z.object({
      original_tokens: z.number().int(),
      compressed_tokens: z.number().int(),
      tokens_saved: z.number().int(),
      savings_pct: z.number(),
      language_detected: z.string(),
      fidelity: z.enum(CODE_FIDELITIES),
      definitions: z.number().int(),
      top_level_definitions: z.number().int(),
      bodies_kept: z.number().int(),
      bodies_elided: z.number().int(),
      parse_errors: z.boolean().describe('The parser recovered from syntax errors (the skeleton may be rougher there).'),
    }),
    symbols: z.array(RankedSymbolSchema).describe('Definitions by PageRank on the file reference graph, best first (top 25).'),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  rest: [{ method: 'POST', path: '/v1/compress-code' }],
  render: (out) =>
    `[compress_code: ${out.stats.language_detected}, ${out.stats.fidelity}; ${out.stats.original_tokens} → ${out.stats.compressed_tokens} tokens, ${out.stats.savings_pct}% saved]\n${out.compressed}`,
  examples: [
    {
      description: 'Skeleton of a Python module',
      args: { code: 'import os\n\ndef load(path):\n    """Read a file."""\n    with open(path) as f:\n        return f.read()\n', language: 'python', fidelity: 'outline' },
    },
  ],
  handler: async (ctx, args) => {
    const plan = ctx.caller?.plan ?? 'free';
    const r = await code(ctx).compressCode(args, plan);
    ctx.meter({ tokensIn: r.stats.original_tokens, tokensOut: r.stats.compressed_tokens });
    return r;
  },
});

// ---- compress_codebase ------------------------------------------------------------------------

const compressCodebase = defineTool({
  name: 'compress_codebase',
  toolset: 'code',
  secrets: 'refuse',
  title: 'Digest a codebase',
  description: "Digest of a whole file bundle (or an allowed local root) under a token budget, most central files first as AST skeletons.",
  details: "Files are ordered by PageRank on the cross-file reference graph, each as an AST skeleton (signatures and docstrings, bodies stripped); when one does not fit, its top signatures, then a one-line listing. Reports progress on large inputs.",
  input: z.object({
    files: Files.nullable().optional(),
    root: Root,
    token_budget: z.number().int().min(100).max(200_000).default(8000).describe('Most tokens the digest may use (default 8000).'),
    fidelity: z.enum(['outline', 'balanced', 'detailed']).default('outline').describe('Skeleton level for the files that fit: outline (default), balanced or detailed.'),
  }),
  output: z.object({
    digest: z.string(),
    files: z.array(
      z.object({
        path: z.string(),
        language: z.string(),
        rank: z.number(),
        tokens_original: z.number().int(),
        tokens_digest: z.number().int(),
        rendering: z.enum(['abstract', 'outline', 'balanced', 'detailed', 'raw', 'listed', 'omitted']),
        definitions: z.number().int(),
      }),
    ),
    stats: z.object({
      files_in: z.number().int(),
      files_parsed: z.number().int(),
      files_skipped: z.number().int(),
      truncated: z.boolean().describe('A local root held more than the file caps allow; the rest was not read.'),
      original_tokens: z.number().int(),
      digest_tokens: z.number().int(),
      savings_pct: z.number(),
      token_budget: z.number().int(),
      files_as_skeleton: z.number().int(),
      files_as_abstract: z.number().int(),
      files_listed: z.number().int(),
      files_omitted: z.number().int(),
      definitions: z.number().int(),
      languages: z.record(z.string(), z.number().int()),
    }),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  metered: true,
  render: (out) =>
    `[compress_codebase: ${out.stats.files_parsed} files, ${out.stats.original_tokens} → ${out.stats.digest_tokens} tokens (budget ${out.stats.token_budget}); ${out.stats.files_as_skeleton} as skeletons, ${out.stats.files_as_abstract} as signatures, ${out.stats.files_listed} listed, ${out.stats.files_omitted} omitted]\n${out.digest}`,
  examples: [
    {
      description: 'Digest of two files',
      args: {
        files: [
          { path: 'app/main.py', content: 'from app.db import connect\n\ndef main():\n    connect()\n' },
          { path: 'app/db.py', content: 'def connect():\n    """Open the database."""\n    return 1\n' },
        ],
        token_budget: 2000,
      },
    },
  ],
  handler: async (ctx, args) => {
    const r = await code(ctx).compressCodebase(args, work(ctx));
    ctx.meter({ tokensIn: r.stats.original_tokens, tokensOut: r.stats.digest_tokens });
    return r;
  },
});

// ---- gc_blast_radius --------------------------------------------------------------------------

const blastRadius = defineTool({
  name: 'gc_blast_radius',
  toolset: 'code',
  secrets: 'refuse',
  title: 'Blast radius of a symbol',
  description: "Which files could break if you change or rename a symbol (function, class, method), ranked: callers first, then callees, then transitively touched code.",
  details: "Two signals fused by Reciprocal Rank Fusion: BM25 over the files (query defaults to the symbol) and graph distance from the symbol's definition through the cross-file reference/import graph. Give the files, or a root under CTXGATE_ALLOWED_ROOTS (as compress_codebase, search_code and repo_map take). Refuses bad paths (400 bad_path), secrets (400 sensitive_content, never echoed) and oversized bundles (413) before any work. Best for PR review and bug triage.",
  input: z.object({
    files: Files.nullable().optional(),
    root: Root,
    focus_symbol: z.string().nullable().optional().describe('Symbol to centre on: a name ("handle_request") or qualified ("Server.handle_request").'),
    query: z.string().nullable().optional().describe('BM25 query (defaults to focus_symbol). With neither, files are ranked by centrality.'),
    top_k: z.number().int().min(1).max(500).default(50).describe('Length of ranked_context (1-500, default 50).'),
  }),
  output: z.object({
    ranked_context: z.array(
      z.object({
        path: z.string(),
        score: z.number(),
        rank: z.number().int(),
        contributing_signals: z.array(z.enum(['bm25', 'graph_distance', 'centrality'])),
        symbols: z
          .array(z.object({ name: z.string(), kind: z.string(), line: z.number().int(), defines: z.boolean() }))
          .describe('Definitions in this file that are or reference the focus symbol.'),
      }),
    ),
    stats: z.object({
      files_in: z.number().int(),
      files_ranked: z.number().int(),
      symbols_in: z.number().int(),
      focus_definitions: z.number().int().describe('Definitions of the focus symbol found (0: defined outside the bundle; its users are the radius).'),
      signals: z.array(z.string()),
      degraded: z.boolean(),
    }),
    message: z.string().nullable(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/compress-code/structural' }],
  // The seed documents 402 for a free key here ("Free-tier plan does not include structural context").
  upgradeStatus: 402,
  examples: [
    {
      description: 'Which files does changing handle_request touch?',
      args: {
        files: [
          { path: 'src/app.py', content: 'from src.utils import parse\n\ndef handle_request(req):\n    return parse(req)\n' },
          { path: 'src/utils.py', content: 'def parse(req):\n    return req.strip()\n' },
          { path: 'src/server.py', content: 'from src.app import handle_request\n\ndef serve(r):\n    return handle_request(r)\n' },
        ],
        focus_symbol: 'handle_request',
        top_k: 25,
      },
    },
  ],
  handler: (ctx, args) => code(ctx).blastRadius(args, work(ctx)),
});

// ---- search_code ------------------------------------------------------------------------------

const searchCode = defineTool({
  name: 'search_code',
  toolset: 'code',
  secrets: 'refuse',
  title: 'Search code',
  description: "Find where a function, class or name is defined or used: symbol-aware code search over a file bundle or an allowed local root; each hit names its enclosing symbol, line range and matching lines.",
  details: "Every definition is a chunk (module-level code in windows) with its name weighted in BM25; a second ranking matches the query against symbol names; both are fused by Reciprocal Rank Fusion. An identifier the query spells out (a one-word query, or a code-shaped word: URIError, SQLITE_BUSY, checkArguments) is found as grep finds it: chunks holding it verbatim come first, with its lines among the matches.",
  input: z.object({
    query: z.string().min(1).describe('Words, identifiers or a phrase, e.g. "retry backoff" or "parseConfig".'),
    files: Files.nullable().optional(),
    root: Root,
    top_k: z.number().int().min(1).max(200).default(10).describe('Number of hits (default 10).'),
  }),
  output: z.object({
    results: z.array(
      z.object({
        path: z.string(),
        start_line: z.number().int(),
        end_line: z.number().int(),
        symbol: z.string().nullable().describe('Enclosing symbol (qualified), null for module-level code.'),
        kind: z.string(),
        rank: z.number().int(),
        score: z.number(),
        contributing_signals: z.array(z.enum(['bm25', 'symbol'])),
        matches: z.array(z.object({ line: z.number().int(), text: z.string() })),
      }),
    ),
    stats: z.object({
      files_in: z.number().int(),
      files_searched: z.number().int(),
      files_skipped: z.number().int(),
      chunks: z.number().int(),
      truncated: z.boolean(),
    }),
  }),
  render: (o) =>
    `[search_code: ${o.results.length} hits in ${o.stats.files_searched} files]` +
    o.results.map((r) => `\n\n${r.path}:${r.start_line}-${r.end_line}${r.symbol ? ` ${r.symbol}` : ''} (${r.kind})\n${r.matches.map((m) => `${m.line}: ${m.text}`).join('\n')}`).join(''),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  examples: [
    {
      description: 'Find the retry logic',
      args: {
        query: 'retry backoff',
        files: [{ path: 'net/client.go', content: 'package net\n\nfunc retryWithBackoff(n int) error {\n\treturn nil\n}\n' }],
      },
    },
  ],
  handler: (ctx, args) => code(ctx).searchCode(args, work(ctx)),
});

// ---- repo_map ---------------------------------------------------------------------------------

const repoMap = defineTool({
  name: 'repo_map',
  toolset: 'code',
  secrets: 'refuse',
  title: 'Repository map',
  description:
    "Ranked map of a repository's definitions within a token budget: files ranked by PageRank on the cross-file reference graph (personalised towards focus_files), each file's rank flowing to the definitions other files use; the top signatures are listed grouped by file, as many as fit.",
  input: z.object({
    files: Files.nullable().optional(),
    root: Root,
    token_budget: z.number().int().min(50).max(100_000).default(1024).describe('Most tokens the map may use (default 1024).'),
    focus_files: z.array(z.string()).max(100).optional().describe('Paths of the bundle you are working on: the ranking centres on them.'),
    mentioned: z.array(z.string()).max(200).optional().describe('Identifiers you care about: references to them count ten times more.'),
  }),
  output: z.object({
    map: z.string(),
    definitions: z.array(z.object({ rank: z.number().int(), path: z.string(), name: z.string(), kind: z.string(), line: z.number().int(), score: z.number() })),
    stats: z.object({
      files_in: z.number().int(),
      files_parsed: z.number().int(),
      files_skipped: z.number().int(),
      truncated: z.boolean(),
      definitions_total: z.number().int(),
      definitions_shown: z.number().int(),
      map_tokens: z.number().int(),
      token_budget: z.number().int(),
    }),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  render: (out) => `[repo_map: ${out.stats.definitions_shown} of ${out.stats.definitions_total} definitions, ${plural(out.stats.map_tokens, 'token')}]\n${out.map}`,
  examples: [
    {
      description: 'Map of a small package',
      args: {
        files: [
          { path: 'pkg/a.ts', content: 'export function parse(s: string) { return s.trim(); }\n' },
          { path: 'pkg/b.ts', content: "import { parse } from './a';\nexport const run = (x: string) => parse(x);\n" },
        ],
        token_budget: 512,
      },
    },
  ],
  handler: (ctx, args) => code(ctx).repoMap(args, work(ctx)),
});

export const tools: AnyTool[] = [compressCode, compressCodebase, blastRadius, searchCode, repoMap];
