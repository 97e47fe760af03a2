// jobs toolset: poll, list and cancel background jobs (batch_ingest_documents submits them).
import { z } from 'zod';
import { defineTool, type AnyTool } from '../src/registry/define.js';
import { JOB_STATUSES, JobsService } from '../src/services/jobs.js';

const JobId = z.string().min(1).max(64).describe('Job id returned when the job was submitted (job_...).');

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
  }),
  annotations: { readOnlyHint: true },
  rest: [{ method: 'GET', path: '/v1/batch-queue' }],
  examples: [{ description: 'Jobs still running', args: { status: 'processing' } }],
  handler: async (ctx, a) => {
    const { jobs, total } = await ctx.app.service(JobsService).list(ctx.scope(), { limit: a.limit, offset: a.offset, status: a.status });
    return { jobs, total, limit: a.limit, offset: a.offset, has_more: a.offset + jobs.length < total };
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

export const tools: AnyTool[] = [getBatchJob, listBatchJobs, cancelBatchJob];
