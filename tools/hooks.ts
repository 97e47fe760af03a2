// hooks toolset: outbound webhooks of a project (signed deliveries, retries, delivery log).
// The inbound GitHub webhook is an HTTP route (src/server/http.ts), not a tool.
import { z } from 'zod';
import { defineTool, type AnyTool, type ToolContext } from '../src/registry/define.js';
import { WEBHOOK_EVENTS, WebhooksService } from '../src/services/webhooks.js';

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
const actor = (ctx: ToolContext) => ctx.caller?.actorId ?? ctx.scope().ownerId;
const service = (ctx: ToolContext) => ctx.app.service(WebhooksService);

export const tools: AnyTool[] = [
  defineTool({
    name: 'create_webhook',
    toolset: 'hooks',
    title: 'Create webhook',
    description: "Send this project's events (finished or failed jobs, finished batch compressions, KB changes) as signed JSON POSTs to a URL; returns the signing secret once.",
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
];
