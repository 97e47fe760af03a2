// The compression batch queue (issue 18, point 6; the seed's /v1/batch-queue): 1–500 documents
// compressed as one durable job on the job runner (src/services/jobs.ts), results once it has
// finished, a retry of what failed, and the queue's summary figures.
import type { AppDeps } from '../app-deps.js';
import { BadRequest, Conflict, PayloadTooLarge } from '../errors.js';
import type { Caller, Scope } from '../domain/scope.js';
import type { Fidelity } from '../engine/compress.js';
import { CompressionService, type CompressResult } from './compression.js';
import { JobsService, type JobKind, type JobView } from './jobs.js';

export const BATCH_COMPRESS_JOB_KIND = 'compress_documents';
export const BATCH_QUEUE_MAX = 500;

export interface BatchDocument {
  text: string;
  fidelity?: Fidelity;
  query?: string | null;
}

export interface BatchItemResult {
  compressed: string;
  original_tokens: number;
  compressed_tokens: number;
  savings_pct: number;
}

/** One document of a batch job (registered by the app's wiring under BATCH_COMPRESS_JOB_KIND). */
export const batchCompressJobKind: JobKind<BatchDocument, BatchItemResult> = {
  tool: 'submit_batch_job',
  run: async (deps, item) => {
    const r: CompressResult = await deps.service(CompressionService).compress(item.scope, item.caller.plan, { text: item.input.text, fidelity: item.input.fidelity, query: item.input.query ?? null }, item.signal);
    return {
      result: { compressed: r.compressed, original_tokens: r.stats.original_tokens, compressed_tokens: r.stats.compressed_tokens, savings_pct: r.stats.savings_pct },
      meter: { tokensIn: r.stats.original_tokens, tokensOut: r.stats.compressed_tokens, cache: r.cache.source, fidelity: r.fidelity },
    };
  },
};

export interface BatchResults {
  job_id: string;
  status: JobView['status'];
  results: Array<BatchItemResult & { error: string | null }>;
  summary: { total_documents: number; successful: number; failed: number; total_tokens_saved: number; avg_savings_pct: number };
}

export interface QueueSummary {
  active: number;
  queued: number;
  failed: number;
  completed: number;
  /** Mean wall time of the last 100 completed jobs (start to finish), seconds; null before any. */
  avg_duration_s: number | null;
}

export class BatchQueueService {
  constructor(private readonly deps: AppDeps) {}

  private get jobs(): JobsService {
    return this.deps.service(JobsService);
  }

  async submit(caller: Caller, scope: Scope, docs: BatchDocument[], options: Record<string, unknown> = {}): Promise<JobView> {
    if (docs.length === 0 || docs.length > BATCH_QUEUE_MAX) {
      throw new BadRequest(`documents must hold 1 to ${BATCH_QUEUE_MAX} items, got ${docs.length}`, 'invalid_batch_size', { field: 'documents', limit: BATCH_QUEUE_MAX });
    }
    const cap = this.deps.config.plans[caller.plan].maxTextBytes;
    docs.forEach((d, i) => {
      if (!d.text.trim()) throw new BadRequest(`documents[${i}].text is empty`, 'invalid_value', { field: `documents[${i}].text` });
      if (Buffer.byteLength(d.text) > cap) throw new PayloadTooLarge(`documents[${i}].text exceeds the ${caller.plan} plan's ${cap}-byte limit`, { field: `documents[${i}].text`, limit: cap, unit: 'bytes' });
    });
    return this.jobs.submit(caller, scope, { kind: BATCH_COMPRESS_JOB_KIND, items: docs, options });
  }

  /** Results of a finished compression job; 409 while it is queued or running. */
  async results(scope: Scope, jobId: string): Promise<BatchResults> {
    const job = await this.jobs.get(scope, jobId);
    if (job.kind !== BATCH_COMPRESS_JOB_KIND) {
      throw new BadRequest(`job ${jobId} is a ${job.kind} job, not a batch-queue compression; read it with get_batch_job(include_results)`, 'wrong_job_kind', { field: 'job_id' });
    }
    if (job.status === 'queued' || job.status === 'processing') {
      throw new Conflict(`job ${jobId} is ${job.status} (${job.progress_pct}%); results are available once it has finished`, { status: job.status, progress_pct: job.progress_pct });
    }
    const items = await this.jobs.items(scope, jobId);
    const results = items.map((it) => {
      const r = (it.result ?? null) as BatchItemResult | null;
      return r
        ? { ...r, error: null }
        : { compressed: '', original_tokens: 0, compressed_tokens: 0, savings_pct: 0, error: it.error ?? (it.status === 'skipped' ? 'skipped: the job was cancelled' : 'not processed') };
    });
    const ok = results.filter((r) => r.error === null);
    const saved = ok.reduce((s, r) => s + (r.original_tokens - r.compressed_tokens), 0);
    return {
      job_id: jobId,
      status: job.status,
      results,
      summary: {
        total_documents: results.length,
        successful: ok.length,
        failed: results.length - ok.length,
        total_tokens_saved: saved,
        avg_savings_pct: ok.length ? Math.round((10 * ok.reduce((s, r) => s + r.savings_pct, 0)) / ok.length) / 10 : 0,
      },
    };
  }

  /** A new job of the documents that failed (or were skipped) in a finished job. */
  async retry(caller: Caller, scope: Scope, jobId: string): Promise<JobView> {
    const job = await this.jobs.get(scope, jobId);
    if (job.status === 'queued' || job.status === 'processing') throw new Conflict(`job ${jobId} is still ${job.status}; retry it once it has finished`, { status: job.status });
    if (job.kind !== BATCH_COMPRESS_JOB_KIND) throw new BadRequest(`job ${jobId} is a ${job.kind} job; only batch-queue compressions are retried here`, 'wrong_job_kind', { field: 'job_id' });
    const inputs = (await this.jobs.unfinishedInputs(scope, jobId)) as BatchDocument[];
    if (inputs.length === 0) throw new Conflict(`job ${jobId} has no failed or skipped documents to retry`, { status: job.status });
    return this.jobs.submit(caller, scope, { kind: BATCH_COMPRESS_JOB_KIND, items: inputs, options: { retry_of: jobId } });
  }

  async summary(scope: Scope): Promise<QueueSummary> {
    const count = async (status: JobView['status']) => (await this.jobs.list(scope, { limit: 1, offset: 0, status })).total;
    const done = await this.jobs.list(scope, { limit: 100, offset: 0, status: 'completed' });
    const durations = done.jobs.filter((j) => j.started_at && j.completed_at).map((j) => (Date.parse(j.completed_at!) - Date.parse(j.started_at!)) / 1000);
    return {
      active: await count('processing'),
      queued: await count('queued'),
      failed: await count('failed'),
      completed: done.total,
      avg_duration_s: durations.length ? Math.round((1000 * durations.reduce((a, b) => a + b, 0)) / durations.length) / 1000 : null,
    };
  }
}
