// The repositories a store (or an open transaction) hands out. Each is created bound to its scope,
// so none of its queries can forget it: `store.projects({ ownerId })`, `store.usage(scope)`.
// Add a repository: a class in src/store/<aggregate>.ts taking (ctx: RepoContext, scope), and one
// line here.
import type { OwnerScope, Scope } from '../domain/scope.js';
import { KeyDirectoryRepo, KeysRepo, ProjectsRepo, UsersRepo } from './accounts.js';
import { AceExperimentsRepo } from './ace-experiments.js';
import { AceHandoffsRepo } from './ace-handoffs.js';
import { AcePlaybookRepo } from './ace-playbook.js';
import { AuditRepo, AuditRetentionRepo } from './audit.js';
import { CompressCacheRepo } from './compress-cache.js';
import { ContextsRepo, PublicContextsRepo } from './contexts.js';
import { DistillRepo } from './distill.js';
import { FidelityProfilesRepo } from './fidelity-profiles.js';
import { JobQueueRepo, JobsRepo } from './jobs.js';
import { KnowledgeGraphRepo } from './knowledge-graph.js';
import { DocumentsRepo } from './documents.js';
import { KbRepo } from './kb.js';
import { MembersRepo } from './members.js';
import { AnalyticsRepo } from './analytics.js';
import { WebhooksRepo } from './webhooks.js';
import { GithubDirectoryRepo, GithubRepo } from './github.js';
import { LookupRepo } from './lookup.js';
import { MemoryRepo } from './memory.js';
import { RateWindowsRepo } from './rate-windows.js';
import { McpSessionsRepo } from './sessions.js';
import type { RepoContext } from './store.js';
import { SpacesRepo } from './spaces.js';
import { UpstreamsRepo } from './upstreams.js';
import { OwnerUsageRepo, UsageRepo } from './usage.js';

export interface Repos {
  users(): UsersRepo;
  projects(owner: OwnerScope): ProjectsRepo;
  keys(owner: OwnerScope): KeysRepo;
  keyDirectory(): KeyDirectoryRepo;
  usage(scope: Scope): UsageRepo;
  ownerUsage(owner: OwnerScope): OwnerUsageRepo;
  compressCache(scope: Scope): CompressCacheRepo;
  fidelityProfiles(scope: Scope): FidelityProfilesRepo;
  knowledgeGraph(scope: Scope): KnowledgeGraphRepo;
  memories(scope: Scope): MemoryRepo;
  kb(scope: Scope): KbRepo;
  documents(scope: Scope): DocumentsRepo;
  /** Built-in documentation sources are the scope ('', ''). */
  lookup(scope: Scope): LookupRepo;
  jobs(scope: Scope): JobsRepo;
  jobQueue(): JobQueueRepo;
  mcpSessions(): McpSessionsRepo;
  rateWindows(): RateWindowsRepo;
  acePlaybook(scope: Scope): AcePlaybookRepo;
  aceHandoffs(scope: Scope): AceHandoffsRepo;
  aceExperiments(scope: Scope): AceExperimentsRepo;
  contexts(scope: Scope): ContextsRepo;
  publicContexts(): PublicContextsRepo;
  distill(scope: Scope): DistillRepo;
  spaces(scope: Scope): SpacesRepo;
  members(scope: Scope): MembersRepo;
  audit(scope: Scope): AuditRepo;
  auditRetention(): AuditRetentionRepo;
  webhooks(scope: Scope): WebhooksRepo;
  analytics(owner: OwnerScope): AnalyticsRepo;
  upstreams(scope: Scope): UpstreamsRepo;
  github(scope: Scope): GithubRepo;
  githubDirectory(): GithubDirectoryRepo;
}

export function makeRepos(ctx: RepoContext): Repos {
  return {
    users: () => new UsersRepo(ctx),
    projects: (owner) => new ProjectsRepo(ctx, owner),
    keys: (owner) => new KeysRepo(ctx, owner),
    keyDirectory: () => new KeyDirectoryRepo(ctx),
    usage: (scope) => new UsageRepo(ctx, scope),
    ownerUsage: (owner) => new OwnerUsageRepo(ctx, owner),
    compressCache: (scope) => new CompressCacheRepo(ctx, scope),
    fidelityProfiles: (scope) => new FidelityProfilesRepo(ctx, scope),
    knowledgeGraph: (scope) => new KnowledgeGraphRepo(ctx, scope),
    memories: (scope) => new MemoryRepo(ctx, scope),
    kb: (scope) => new KbRepo(ctx, scope),
    documents: (scope) => new DocumentsRepo(ctx, scope),
    lookup: (scope) => new LookupRepo(ctx, scope),
    jobs: (scope) => new JobsRepo(ctx, scope),
    jobQueue: () => new JobQueueRepo(ctx),
    mcpSessions: () => new McpSessionsRepo(ctx),
    rateWindows: () => new RateWindowsRepo(ctx),
    acePlaybook: (scope) => new AcePlaybookRepo(ctx, scope),
    aceHandoffs: (scope) => new AceHandoffsRepo(ctx, scope),
    aceExperiments: (scope) => new AceExperimentsRepo(ctx, scope),
    contexts: (scope) => new ContextsRepo(ctx, scope),
    publicContexts: () => new PublicContextsRepo(ctx),
    distill: (scope) => new DistillRepo(ctx, scope),
    spaces: (scope) => new SpacesRepo(ctx, scope),
    members: (scope) => new MembersRepo(ctx, scope),
    audit: (scope) => new AuditRepo(ctx, scope),
    auditRetention: () => new AuditRetentionRepo(ctx),
    webhooks: (scope) => new WebhooksRepo(ctx, scope),
    analytics: (owner) => new AnalyticsRepo(ctx, owner),
    upstreams: (scope) => new UpstreamsRepo(ctx, scope),
    github: (scope) => new GithubRepo(ctx, scope),
    githubDirectory: () => new GithubDirectoryRepo(ctx),
  };
}
