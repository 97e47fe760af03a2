// The toolsets of the catalog, with what each is for. A toolset appears in list_toolsets only
// once at least one of its tools is registered.
export const TOOLSETS: Record<string, string> = {
  compress: 'Text compression and context budgeting: compress, recommend fidelity, budgets, pre-flight, quality checks, prompt-cache planning.',
  documents: 'Ingest, read and search stored documents: skeletons at a fidelity, semantic / keyword / hybrid search.',
  code: 'Code understanding: AST-aware skeletons, codebase digests, blast-radius ranking, code search, repo maps.',
  cli: 'Tool output: compress git, test runner, compiler, linter, package-manager and log output.',
  memory: 'Agent memory and a knowledge graph (drop-in for the reference MCP memory server).',
  kb: 'Per-project knowledge base with versioned items, diffs and restore.',
  lookup: 'Framework documentation look-up, offline, from indexed docs.',
  account: 'Projects, API keys, usage, savings, team members and the audit log.',
  jobs: 'Batch queue: submit, poll, cancel and retry batch jobs.',
  cache: 'Semantic and exact compression cache: thresholds, stats, clearing.',
  hooks: 'Webhooks and integrations.',
  gateway: 'Other MCP servers behind this one: register, list, proxy, compress manifests.',
  contexts: 'Hierarchical context files and the assembled project brain.',
  spaces: 'Spaces, collections, sources, artifacts and snapshots.',
  distill: 'Conversation-distilling strategies.',
  ace: 'Agent context engineering: playbooks, handoffs and experiments.',
  system: 'Help, environment checks and toolset management.',
};
