// A2A agent card (A2A v1.0 JSON, as @a2a-js/sdk's AgentCard codec reads it): the tools of the full
// profile as skills. The v0.3 fields (url, protocolVersion, preferredTransport) are kept for older
// readers. ctxgate speaks MCP and REST, not A2A tasks, so the interfaces say so.
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import { REST_SURFACE } from '../registry/visibility.js';
import { VERSION } from '../version.js';

export function buildAgentCard(app: App, baseUrl: string) {
  const tools = app.registry.select(REST_SURFACE);
  return {
    name: 'ctxgate',
    description:
      'Self-hosted context gateway for coding agents: semantic compression of documents, code and CLI output, and the stores context lives in (documents, knowledge base, memory). MCP Streamable HTTP at /mcp, REST at /v1.',
    supportedInterfaces: [
      { url: `${baseUrl}/mcp`, protocolBinding: 'MCP', protocolVersion: LATEST_PROTOCOL_VERSION },
      { url: `${baseUrl}/v1`, protocolBinding: 'REST', protocolVersion: VERSION },
    ],
    provider: { organization: 'ctxgate', url: baseUrl },
    version: VERSION,
    documentationUrl: `${baseUrl}/openapi.json`,
    capabilities: { streaming: true, pushNotifications: false },
    securitySchemes: {
      bearer: { httpAuthSecurityScheme: { scheme: 'bearer', bearerFormat: 'gc_ API key', description: 'Authorization: Bearer gc_...' } },
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: tools.map((t) => ({
      id: t.name,
      name: t.title,
      description: t.description,
      tags: [t.toolset, app.registry.minPlan(t) === 'free' ? 'free' : 'pro', ...(t.tags ?? [])],
      examples: (t.examples ?? []).map((e) => `${t.name}(${JSON.stringify(e.args)})`).slice(0, 3),
      inputModes: ['application/json'],
      outputModes: ['application/json'],
    })),
    // A2A v0.3 fields for older readers.
    url: `${baseUrl}/mcp`,
    protocolVersion: '0.3.0',
    preferredTransport: 'MCP',
  };
}
