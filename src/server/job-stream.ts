// GET /v1/batch-queue/stream: live job status of the caller's project as Server-Sent Events. A
// `snapshot` event first (jobs queued or running now), then a `job` event for every change, and a
// comment line every 15 s so proxies keep the connection open.
import type { Request, Response } from 'express';
import type { App } from '../app.js';
import type { Caller } from '../domain/scope.js';
import { JobsService, type JobView } from '../services/jobs.js';

export const BATCH_STREAM_PATH = '/v1/batch-queue/stream';
const HEARTBEAT_MS = 15_000;

export function streamJobs(app: App, caller: Caller, req: Request, res: Response, open: Set<Response>): void {
  const jobs = app.deps.service(JobsService);
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  let seq = 0;
  const send = (event: string, data: unknown) => {
    if (!res.writableEnded) res.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  res.write('retry: 3000\n\n');
  const unwatch = jobs.watch((job: JobView, scope) => {
    if (scope.ownerId === caller.userId && scope.projectId === caller.projectId) send('job', job);
  });
  const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  beat.unref();
  open.add(res);
  const done = () => {
    clearInterval(beat);
    unwatch();
    open.delete(res);
  };
  req.on('close', done);
  res.on('close', done);
  const scope = { ownerId: caller.userId, projectId: caller.projectId };
  void Promise.all([jobs.list(scope, { limit: 100, offset: 0, status: 'processing' }), jobs.list(scope, { limit: 100, offset: 0, status: 'queued' })])
    .then(([running, queued]) => send('snapshot', { jobs: [...running.jobs, ...queued.jobs] }))
    .catch((err) => app.deps.log.error({ err }, 'batch-queue stream snapshot failed'));
}
