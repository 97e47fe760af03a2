// OpenAPI 3.1 document derived from the registry: every tool at POST /v1/tools/{name} plus its aliases.
import type { App } from '../app.js';
import { VERSION } from '../app.js';
import { camelSchema, toCamel } from '../registry/casing.js';
import type { AnyTool, RestAlias } from '../registry/define.js';
import type { JsonSchema } from '../registry/schema.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['detail', 'error_code'],
  properties: { detail: { type: 'string' }, error_code: { type: 'string' } },
  additionalProperties: true,
};

function operation(app: App, tool: AnyTool, method: string, pathParams: string[], alias?: RestAlias) {
  const e = app.registry.entry(tool);
  // A camelCase route reads and writes camelCase names; an unwrapping route answers one field of the result.
  const view = (schema: JsonSchema) => (alias?.casing === 'camel' ? (camelSchema(schema) as JsonSchema) : schema);
  const out = view(e.outputSchema);
  const unwrapped = alias?.unwrap ? ((out.properties as Record<string, JsonSchema> | undefined)?.[alias.casing === 'camel' ? toCamel(alias.unwrap) : alias.unwrap] ?? out) : out;
  const status = alias?.status ?? tool.restStatus ?? 200;
  const op: Record<string, unknown> = {
    operationId: method === 'post' && pathParams.length === 0 ? tool.name : `${tool.name}_${method}_${pathParams.join('_') || 'alias'}`,
    summary: tool.title,
    description: tool.description,
    tags: [tool.toolset],
    'x-min-plan': app.registry.minPlan(tool),
    security: tool.public ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }],
    parameters: pathParams.map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string' } })),
    responses: {
      [String(status)]: status === 204 ? { description: 'Success (no content)' } : { description: 'Success', content: { 'application/json': { schema: unwrapped } } },
      '400': { description: 'Invalid value', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '401': { description: 'Missing or invalid API key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '403': { description: 'Plan does not include this tool', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '413': { description: 'Payload too large', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '422': { description: 'Validation failed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '429': { description: 'Rate limit or quota exceeded', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
  if (method !== 'get' && method !== 'delete') {
    op.requestBody = { required: true, content: { 'application/json': { schema: view(e.inputSchema) } } };
  }
  return op;
}

export function buildOpenApi(app: App, baseUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (p: string, method: string, op: unknown) => {
    (paths[p] ??= {})[method] = op;
  };
  for (const tool of app.registry.tools.values()) {
    add(`/v1/tools/${tool.name}`, 'post', operation(app, tool, 'post', []));
    for (const alias of tool.rest ?? []) {
      const params = [...alias.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
      const oaPath = alias.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      add(oaPath, alias.method.toLowerCase(), operation(app, tool, alias.method.toLowerCase(), params, alias));
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ctxgate',
      version: VERSION,
      description: 'Self-hosted context gateway. Every MCP tool is also a REST call; errors are JSON {detail, error_code}.',
    },
    servers: [{ url: baseUrl }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'gc_ API key' } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
