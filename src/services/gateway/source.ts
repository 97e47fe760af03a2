// The upstreams as a tool source (src/registry/sources.ts): their tools under `server__tool`, with
// compressed descriptions and schemas whose validation is unchanged, callable through the front door.
import type { AppDeps } from '../../app-deps.js';
import type { JsonSchema } from '../../registry/schema.js';
import type { SourceResult, ToolSource } from '../../registry/sources.js';
import { compressTool, type ManifestTool } from './manifest.js';
import { NAMESPACE_SEP, UpstreamsService } from './upstreams.js';

export function upstreamToolSource(deps: AppDeps): ToolSource {
  const upstreams = () => deps.service(UpstreamsService);
  return {
    gate: 'proxy_mcp_server',
    owns: (name) => name.indexOf(NAMESPACE_SEP) > 0,
    async tools(scope) {
      const all = await upstreams().allTools(scope);
      return all.flatMap((u) =>
        u.tools.map((t) => {
          const c = compressTool(t as ManifestTool);
          return { name: `${u.server.name}${NAMESPACE_SEP}${t.name}`, ...(t.title && { title: t.title }), description: c.description ?? '', inputSchema: (c.inputSchema ?? { type: 'object' }) as JsonSchema, origin: u.server.name };
        }),
      );
    },
    async call(scope, name, args, signal) {
      const i = name.indexOf(NAMESPACE_SEP);
      const { result } = await upstreams().call(scope, name.slice(0, i), name.slice(i + NAMESPACE_SEP.length), args, signal);
      return result as SourceResult;
    },
  };
}
