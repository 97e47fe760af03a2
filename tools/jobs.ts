// jobs toolset: poll, list and cancel background jobs (batch_ingest_documents submits them).
import { z } from 'zod';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { Forbidden } from '../src/errors.js';
import { JOB_STATUSES, JobsService } from '../src/services/jobs.js';
import { BATCH_QUEUE_MAX, BatchQueueService } from '../src/services/batch-queue.js';
import { FIDELITIES } from '../src/engine/compress.js';
import { WebhooksService } from '../src/services/webhooks.js';
import { checkOutboundUrl } from '../src/services/url-fetch.js';

const JobId = z.string().min(1).max(64).describe('Job id (job_...) returned when the job was submitted, or from list_batch_jobs.');

export const JobStatusOut = z.object({
  job_id: z.string(),
  kind: z.string().describe('What the job does, e.g. ingest_documents.'),
  status: z.enum(JOB_STATUSES),
  documents_count: z.number().int(),
  completed_count: z.number().int().describe('Items finished successfully.'),
  failed_count: z.number().int().describe('Items that failed (see results[].error).'),
  progress_pct: z.number().describe('0.0–100.0'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  error: z.string().nullable(),
});

export const JobItemOut = z.object({
  index: z.number().int().describe('Position of the item in the submitted list.'),
  status: z.enum(['pending', 'done', 'failed', 'skipped']),
  result: z.record(z.string(), z.unknown()).nullable().describe('What the item produced (for ingest: doc_id, tokens_before, tokens_after ...).'),
  error: z.string().nullable(),
});

const QueueSummaryOut = z.object({
  active: z.number().int().describe('Jobs running now.'),
  queued: z.number().int(),
  failed: z.number().int(),
  completed: z.number().int(),
  avg_duration_s: z.number().nullable().describe('Mean run time of the last 100 completed jobs.'),
});

const Submitted = z.object({
  job_id: z.string(),
  status: z.enum(JOB_STATUSES),
  documents_count: z.number().int(),
  created_at: z.string(),
});

const submitBatchJob = defineTool({
  name: 'submit_batch_job',
  toolset: 'jobs',
  plan: 'team',
  secrets: 'refuse',
  title: 'Submit batch compression',
  description: 'Queue 1–500 documents for compression as one background job (202 with the job id); poll get_batch_job, read get_batch_results when it has finished, or watch GET /v1/batch-queue/stream.',
  details: 'Each document: text (plan size cap), optional fidelity and query. The job survives a restart. Each compression counts against the monthly quota as it completes. 400 for an empty list or more than 500 documents.',
  input: z.object({
    documents: z
      .array(
        z.object({
          text: z.string().describe('The document.'),
          fidelity: z.enum(FIDELITIES).optional().describe('Default balanced.'),
          query: z.string().max(4000).nullable().optional().describe('Query-guided compression.'),
        }),
      )
      .describe(`1 to ${BATCH_QUEUE_MAX} documents.`),
    project_id: z.string().max(100).nullable().optional().describe("The calling key's project (accepted for compatibility; a job always belongs to the caller's project)."),
    webhook_url: z.string().max(2000).nullable().optional().describe('POST a signed compression.completed (or job.failed) event here when the job finishes.'),
  }),
  output: Submitted.extend({ webhook_secret: z.string().optional().describe('With webhook_url: the secret its X-GotContext-Signature is keyed with (shown once).') }),
  metered: true,
  restStatus: 202,
  annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
  rest: [{ method: 'POST', path: '/v1/batch-queue' }],
  examples: [{ description: 'Two documents', args: { documents: [{ text: 'First document...' }, { text: 'Second document...', fidelity: 'outline' }] } }],
  handler: async (ctx, a) => {
    const scope = ctx.scope();
    if (a.project_id && a.project_id !== scope.projectId) {
      throw new Forbidden(`project_id ${a.project_id} is not this key's project (${scope.projectId}); use a key bound to it`, { field: 'project_id' });
    }
    const hooks = ctx.app.service(WebhooksService);
    if (a.webhook_url) await checkOutboundUrl(a.webhook_url, ctx.app.config.urlAllowlist);
    const job = await ctx.app.service(BatchQueueService).submit(ctx.caller!, scope, a.documents);
    const out = { job_id: job.job_id, status: job.status, documents_count: job.documents_count, created_at: job.created_at };
    if (!a.webhook_url) return out;
    // A one-shot webhook that hears only this job.
    const hook = await hooks.create(scope, ctx.caller!.actorId ?? scope.ownerId, { url: a.webhook_url, events: ['compression.completed', 'job.failed'], jobId: job.job_id });
    return { ...out, webhook_secret: hook.secret };
  },
});

const getBatchResults = defineTool({
  name: 'get_batch_results',
  toolset: 'jobs',
  plan: 'team',
  title: 'Batch results',
  description: "A finished batch compression's results per document (compressed text, tokens, savings or error) and a summary; 409 while the job is queued or running.",
  input: z.object({ job_id: JobId }),
  output: z.object({
    job_id: z.string(),
    status: z.enum(JOB_STATUSES),
    results: z.array(z.object({ compressed: z.string(), original_tokens: z.number().int(), compressed_tokens: z.number().int(), savings_pct: z.number(), error: z.string().nullable() })),
    summary: z.object({ total_documents: z.number().int(), successful: z.number().int(), failed: z.number().int(), total_tokens_saved: z.number().int(), avg_savings_pct: z.number() }),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  rest: [{ method: 'GET', path: '/v1/batch-queue/:job_id/results' }],
  render: (o) => `[get_batch_results: ${o.job_id} ${o.status}; ${o.summary.successful}/${o.summary.total_documents} ok, ${o.summary.total_tokens_saved} tokens saved, ${o.summary.avg_savings_pct}% average]\n` + o.results.map((r, i) => `## ${i}${r.error ? ` (error: ${r.error})` : ` (${r.original_tokens} → ${r.compressed_tokens})`}\n${r.compressed}`).join('\n\n'),
  examples: [{ description: 'Read results', args: { job_id: 'job_3fZk8vQm1bXc2dEe' } }],
  handler: (ctx, a) => ctx.app.service(BatchQueueService).results(ctx.scope(), a.job_id),
});

const retryBatchJob = defineTool({
  name: 'retry_batch_job',
  toolset: 'jobs',
  plan: 'team',
  title: 'Retry batch job',
  description: 'Resubmit the documents of a finished batch compression that failed or were skipped, as a new job (202); 409 while it runs or when nothing failed.',
  input: z.object({ job_id: JobId }),
  output: Submitted.extend({ retry_of: z.string() }),
  metered: true,
  restStatus: 202,
  annotations: { readOnlyHint: false, idempotentHint: false },
  rest: [{ method: 'POST', path: '/v1/batch-queue/:job_id/retry' }],
  examples: [{ description: 'Retry the failures', args: { job_id: 'job_3fZk8vQm1bXc2dEe' } }],
  handler: async (ctx, a) => {
    const job = await ctx.app.service(BatchQueueService).retry(ctx.caller!, ctx.scope(), a.job_id);
    return { job_id: job.job_id, status: job.status, documents_count: job.documents_count, created_at: job.created_at, retry_of: a.job_id };
  },
});

const getBatchJob = defineTool({
  name: 'get_batch_job',
  toolset: 'jobs',
  title: 'Get batch job',
  description: 'Status and progress of a background job (e.g. from batch_ingest_documents); with include_results, each item\'s outcome.',
  input: z.object({
    job_id: JobId,
    include_results: z.boolean().default(false).describe('Also return each item\'s result or error.'),
  }),
  output: JobStatusOut.extend({ results: z.array(JobItemOut).optional() }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/batch-queue/:job_id' }],
  examples: [{ description: 'Poll a batch ingest', args: { job_id: 'job_3fZk8vQm1bXc2dEe', include_results: true } }],
  handler: async (ctx, a) => {
    const jobs = ctx.app.service(JobsService);
    const scope = ctx.scope();
    const job = await jobs.get(scope, a.job_id);
    return a.include_results ? { ...job, results: (await jobs.items(scope, a.job_id)) as z.input<typeof JobItemOut>[] } : job;
  },
});

const listBatchJobs = defineTool({
  name: 'list_batch_jobs',
  toolset: 'jobs',
  title: 'List batch jobs',
  description: 'Background jobs of this project, newest first.',
  input: z.object({
    status: z.enum(JOB_STATUSES).optional().describe('Only jobs in this status.'),
    limit: z.number().int().min(1).max(100).default(20).describe('Page size (1–100).'),
    offset: z.number().int().min(0).default(0).describe('Jobs to skip (for paging).'),
  }),
  output: z.object({
    jobs: z.array(JobStatusOut),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    has_more: z.boolean(),
    summary: QueueSummaryOut,
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/batch-queue' }],
  examples: [{ description: 'Jobs still running', args: { status: 'processing' } }],
  handler: async (ctx, a) => {
    const { jobs, total } = await ctx.app.service(JobsService).list(ctx.scope(), { limit: a.limit, offset: a.offset, status: a.status });
    const summary = await ctx.app.service(BatchQueueService).summary(ctx.scope());
    return { jobs, total, limit: a.limit, offset: a.offset, has_more: a.offset + jobs.length < total, summary };
  },
});

const cancelBatchJob = defineTool({
  name: 'cancel_batch_job',
  toolset: 'jobs',
  title: 'Cancel batch job',
  description: 'Stop a queued or running job. Items already done stay done; the rest are skipped. 409 if the job already finished.',
  input: z.object({ job_id: JobId }),
  output: JobStatusOut,
  annotations: { destructiveHint: true, idempotentHint: false },
  rest: [{ method: 'POST', path: '/v1/batch-queue/:job_id/cancel' }],
  examples: [{ description: 'Cancel a job', args: { job_id: 'job_3fZk8vQm1bXc2dEe' } }],
  handler: (ctx, a) => ctx.app.service(JobsService).cancel(ctx.scope(), a.job_id),
});

export const tools: AnyTool[] = [submitBatchJob, getBatchJob, getBatchResults, listBatchJobs, cancelBatchJob, retryBatchJob];
