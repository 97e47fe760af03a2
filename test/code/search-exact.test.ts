// search_code finds an identifier the query spells out the way grep would: the chunk that holds it
// verbatim comes first even when it is one line of a long function, and that line is among the
// matches. BM25 over parts used to rank short chunks that only share "Error" above it.
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, useServerAndClient } from '../helpers/server.js';

let client: Client;
useServerAndClient((_s, c) => {
  client = c;
});

const errors = [
  'export class AppError extends Error {\n  constructor(readonly status: number, message: string) {\n    super(message);\n  }\n}',
  'export class NotFoundError extends AppError {\n  constructor(what: string) {\n    super(404, `${what} not found`);\n  }\n}',
  'export class ConflictError extends AppError {\n  constructor(what: string) {\n    super(409, `${what} conflicts`);\n  }\n}',
  'export function toAppError(err: unknown): AppError {\n  return err instanceof AppError ? err : new AppError(500, "Internal error");\n}',
  'export function errorBody(err: AppError) {\n  return { detail: err.message, error: err.status };\n}',
].join('\n\n');

/** One long function: routes, then an error handler whose one line names URIError. */
function server(): string {
  const routes = Array.from({ length: 120 }, (_, i) => `  app.get('/v1/items/${i}', (req, res) => res.json({ id: ${i}, name: req.params.name ?? 'item ${i}' }));`);
  return [
    "import { AppError, toAppError, errorBody } from './errors';",
    '',
    'export function startServer(app: any) {',
    ...routes,
    '  app.use((err: unknown, req: any, res: any, next: any) => {',
    '    if (err instanceof URIError) return res.status(400).json({ detail: "bad path" });',
    '    const e = toAppError(err);',
    '    res.status(e.status).json(errorBody(e));',
    '  });',
    '}',
  ].join('\n');
}

const files = () => [
  { path: 'src/errors.ts', content: errors },
  { path: 'src/server.ts', content: server() },
];

type Hit = { path: string; symbol: string | null; matches: Array<{ line: number; text: string }> };

describe('search_code and exact identifiers', () => {
  it('puts the chunk that uses URIError first, with that line among its matches', async () => {
    for (const query of ['URIError', 'where is URIError handled']) {
      const r = await callTool(client, 'search_code', { query, files: files(), top_k: 3 });
      expect(r.isError, r.text).toBeFalsy();
      const hits = r.structured.results as Hit[];
      expect(hits[0]!.path, query).toBe('src/server.ts');
      expect(hits[0]!.matches.map((m) => m.text.trim())).toContain('if (err instanceof URIError) return res.status(400).json({ detail: "bad path" });');
    }
  });

  it('a sentence with plain words and an acronym still ranks by BM25 and symbol names', async () => {
    const r = await callTool(client, 'search_code', { query: 'convert an unknown error to AppError', files: files(), top_k: 3 });
    const hits = r.structured.results as Hit[];
    expect(hits[0]!.symbol).toBe('toAppError');
  });
});
