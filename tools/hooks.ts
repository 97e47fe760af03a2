// hooks toolset: outbound webhooks of a project (signed deliveries, retries, delivery log), and the
// project's GitHub integration. The inbound GitHub webhook itself is an HTTP route
// (POST /v1/integrations/github/webhook in src/server/http.ts), authenticated by its signature, not a tool.
import { z } from 'zod';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { WEBHOOK_EVENTS, WebhooksService } from '../src/services/webhooks.js';
import { GITHUB_WEBHOOK_PATH, GithubService } from '../src/services/github.js';

const WebhookId = z.string().min(1).max(64).describe('Webhook id (whk_...), from list_webhooks.');
const Webhook = z.object({
  webhook_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  created_at: z.string(),
});
const Attempt = z.object({
  n: z.number().int(),
  at: z.string(),
  status_code: z.number().int().nullable().describe('HTTP status the receiver answered (null: no answer).'),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
});
const Delivery = z.object({
  delivery_id: z.string(),
  webhook_id: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.array(Attempt),
  next_attempt_at: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
const GithubIntegration = z.object({
  repository: z.string().describe('owner/name (lower case).'),
  webhook_path: z.string().describe('Where GitHub posts (content type application/json, secret as configured).'),
  content_source: z.enum(['raw', 'checkout']),
  raw_base_url: z.string(),
  api_base_url: z.string(),
  checkout_path: z.string().nullable(),
  track: z.array(z.string()),
  pr_comments: z.boolean(),
  secret_set: z.literal(true),
  token_set: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
const actor = (ctx: ToolContext) => ctx.caller?.actorId ?? ctx.scope().ownerId;
const service = (ctx: ToolContext) => ctx.app.service(WebhooksService);

export const tools: AnyTool[] = [
  defineTool({
    name: 'create_webhook',
    toolset: 'hooks',
    title: 'Create webhook',
    description: "Create a webhook: this project's events (finished or failed jobs, finished batch compressions, KB changes) sent as signed JSON POSTs to the webhook's URL; returns its signing secret once.",
    details:
      'Header X-GotContext-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>; reject old t to stop replays. 3 retries with back-off (CTXGATE_WEBHOOK_RETRY_SCHEDULE); every attempt is listed by list_webhook_deliveries. Private and loopback addresses are refused unless CTXGATE_URL_ALLOWLIST allows them. Needs the admin role.',
    input: z.object({
      url: z.string().min(1).max(2000).describe('http(s) URL that receives the POSTs.'),
      events: z.array(z.enum([...WEBHOOK_EVENTS, '*'])).min(1).default(['job.completed', 'job.failed', 'compression.completed']).describe('Events to send ("*" for all).'),
      description: z.string().max(200).nullable().optional().describe('A note for your own reference.'),
    }),
    output: Webhook.extend({ secret: z.string().describe('Signing secret: shown once, store it now.') }),
    rest: [{ method: 'POST', path: '/v1/webhooks' }],
    restStatus: 201,
    requires: 'admin',
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: true },
    examples: [{ description: 'Tell CI when batch compressions finish', args: { url: 'https://ci.example.com/hooks/ctxgate', events: ['compression.completed', 'job.failed'] } }],
    handler: (ctx, a) => service(ctx).create(ctx.scope(), actor(ctx), { url: a.url, events: a.events, description: a.description }),
  }),
  defineTool({
    name: 'list_webhooks',
    toolset: 'hooks',
    title: 'List webhooks',
    description: "This project's webhooks and the events each receives.",
    input: z.object({}),
    output: z.object({ webhooks: z.array(Webhook) }),
    rest: [{ method: 'GET', path: '/v1/webhooks' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'List', args: {} }],
    handler: async (ctx) => ({ webhooks: await service(ctx).list(ctx.scope()) }),
  }),
  defineTool({
    name: 'delete_webhook',
    toolset: 'hooks',
    title: 'Delete webhook',
    description: 'Delete a webhook with its delivery log; pending deliveries are dropped.',
    input: z.object({ webhook_id: WebhookId }),
    output: z.object({ deleted: z.literal(true), webhook_id: z.string() }),
    rest: [{ method: 'DELETE', path: '/v1/webhooks/:webhook_id' }],
    requires: 'admin',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'Delete', args: { webhook_id: 'whk_abc' } }],
    handler: async (ctx, a) => {
      await service(ctx).delete(ctx.scope(), a.webhook_id);
      return { deleted: true as const, webhook_id: a.webhook_id };
    },
  }),
  defineTool({
    name: 'test_webhook',
    toolset: 'hooks',
    title: 'Test webhook',
    description: 'Queue a signed webhook.test delivery to a webhook; follow it with list_webhook_deliveries.',
    input: z.object({ webhook_id: WebhookId }),
    output: Delivery,
    rest: [{ method: 'POST', path: '/v1/webhooks/:webhook_id/test' }],
    restStatus: 202,
    requires: 'admin',
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: true },
    examples: [{ description: 'Send a test event', args: { webhook_id: 'whk_abc' } }],
    handler: (ctx, a) => service(ctx).test(ctx.scope(), a.webhook_id),
  }),
  defineTool({
    name: 'list_webhook_deliveries',
    toolset: 'hooks',
    title: 'Webhook deliveries',
    description: 'Recent deliveries (of one webhook, or all of this project) with every attempt: status code, error, duration, next retry.',
    input: z.object({
      webhook_id: WebhookId.optional().describe('Only this webhook.'),
      limit: z.number().int().min(1).max(200).default(50).describe('Newest first (1-200).'),
    }),
    output: z.object({ deliveries: z.array(Delivery) }),
    rest: [{ method: 'GET', path: '/v1/webhooks/:webhook_id/deliveries' }, { method: 'GET', path: '/v1/webhook-deliveries' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Last deliveries', args: { limit: 10 } }],
    handler: async (ctx, a) => ({ deliveries: await service(ctx).deliveries(ctx.scope(), { webhookId: a.webhook_id, limit: a.limit }) }),
  }),
  defineTool({
    name: 'configure_github_integration',
    toolset: 'hooks',
    title: 'Connect a GitHub repository',
    description: `Connect (or update) this project's GitHub repository: the webhook secret GitHub signs with, an optional token for private files and PR comments, and the paths to keep ingested. Point GitHub at ${GITHUB_WEBHOOK_PATH}.`,
    details:
      'The secret and token are stored encrypted and never shown again; send a new secret to rotate it (then change it in GitHub), token null to remove the token. A push to the default branch re-ingests changed files that match `track` (default: Markdown, reST, AsciiDoc, text) or that the project already holds as a document with that path as file_id; removed ones are deleted. A pull_request (opened, synchronize, reopened) gets a compressed diff, its changed symbols and blast radius, delivered to webhooks as github.pull_request and, with a token, posted as a PR comment. content_source raw reads {raw_base_url}/{owner}/{repo}/{sha}/{path}; checkout runs git show in a local clone under CTXGATE_ALLOWED_ROOTS. Needs the admin role.',
    input: z.object({
      repository: z.string().min(3).max(140).describe('owner/name, as on GitHub.'),
      secret: z.string().max(256).nullable().optional().describe('The webhook secret (16+ characters). Required the first time; send a new one to rotate.'),
      token: z.string().max(512).nullable().optional().describe('GitHub token for private raw files and PR comments; null removes it.'),
      track: z.array(z.string().max(200)).max(50).optional().describe('Path patterns to keep ingested (** any folders, * within one), e.g. ["docs/**", "**/*.md"].'),
      content_source: z.enum(['raw', 'checkout']).optional().describe('Where changed files are read: raw (default) or a local clone.'),
      raw_base_url: z.string().max(500).nullable().optional().describe('Raw-content base (default CTXGATE_GITHUB_RAW_URL).'),
      api_base_url: z.string().max(500).nullable().optional().describe('REST API base (default CTXGATE_GITHUB_API_URL).'),
      checkout_path: z.string().max(4096).nullable().optional().describe('Local clone (under CTXGATE_ALLOWED_ROOTS) for content_source checkout and a wider blast radius.'),
      pr_comments: z.boolean().optional().describe('Post the PR summary as a comment when a token is set (default true).'),
    }),
    output: GithubIntegration,
    rest: [{ method: 'POST', path: '/v1/integrations/github' }],
    requires: 'admin',
    annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: true },
    examples: [{ description: 'Keep the docs folder ingested', args: { repository: 'acme/handbook', secret: 'a-long-random-webhook-secret', track: ['docs/**', 'README.md'] } }],
    handler: (ctx, a) => ctx.app.service(GithubService).configure(ctx.scope(), actor(ctx), a),
  }),
  defineTool({
    name: 'get_github_integration',
    toolset: 'hooks',
    title: 'GitHub integration',
    description: "This project's connected GitHub repository and settings (the secret and token are never shown).",
    input: z.object({}),
    output: GithubIntegration,
    rest: [{ method: 'GET', path: '/v1/integrations/github' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Show', args: {} }],
    handler: (ctx) => ctx.app.service(GithubService).get(ctx.scope()),
  }),
  defineTool({
    name: 'disconnect_github_integration',
    toolset: 'hooks',
    title: 'Disconnect GitHub',
    description: "Disconnect this project's GitHub repository: its secret and token are deleted and further deliveries are refused (401). Ingested documents stay.",
    input: z.object({}),
    output: z.object({ disconnected: z.literal(true) }),
    rest: [{ method: 'DELETE', path: '/v1/integrations/github' }],
    requires: 'admin',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    examples: [{ description: 'Disconnect', args: {} }],
    handler: async (ctx) => {
      await ctx.app.service(GithubService).disconnect(ctx.scope());
      return { disconnected: true as const };
    },
  }),
  defineTool({
    name: 'list_github_events',
    toolset: 'hooks',
    title: 'GitHub deliveries',
    description: 'Deliveries GitHub sent this project (newest first) and what came of each: files re-ingested, the pull-request summary, or why it was ignored.',
    input: z.object({ limit: z.number().int().min(1).max(200).default(50).describe('Newest first (1-200).') }),
    output: z.object({
      events: z.array(
        z.object({
          event_id: z.string(),
          delivery_id: z.string().describe('X-GitHub-Delivery.'),
          event: z.string().describe('X-GitHub-Event: ping, push, pull_request ...'),
          action: z.string().nullable(),
          status: z.enum(['queued', 'done', 'failed', 'ignored']),
          job_id: z.string().nullable(),
          summary: z.unknown().describe('What came of it (files and their ingest status; the PR summary and comment; the reason it was ignored).'),
          received_at: z.string(),
          finished_at: z.string().nullable(),
        }),
      ),
    }),
    rest: [{ method: 'GET', path: '/v1/integrations/github/events' }],
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    examples: [{ description: 'Last deliveries', args: { limit: 10 } }],
    handler: async (ctx, a) => ({ events: await ctx.app.service(GithubService).events(ctx.scope(), a.limit) }),
  }),
];
