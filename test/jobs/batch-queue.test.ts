// The compression batch queue (issue 18, point 6): submit (202), results (409 until finished),
// retry, queue summary, and live status over Server-Sent Events while a job runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, until, type TestServer } from '../helpers/server.js';

const PARAGRAPH =
  'Harbour pilots board inbound vessels at the fairway buoy. The pilot takes the conn, reports to vessel traffic services and sets the approach speed. ' +
  'Tugs make fast at the breakwater; the mooring gang stands by on the berth. Tidal windows govern deep-draught arrivals, and the harbour master may close the port in a gale. ';
const doc = (i: number) => `# Notice ${i}\n\n` + Array.from({ length: 8 }, (_, k) => `## Part ${k}\n\n${PARAGRAPH.repeat(2)} Item ${i}.${k}.`).join('\n\n');

interface SseEvent { event: string; data: any; at: number }

/** A real SSE client over fetch: collects events until stopped. */
function subscribe(server: TestServer, key: string) {
  const events: SseEvent[] = [];
  const ac = new AbortController();
  const ready = (async () => {
    const res = await fetch(`${server.baseUrl}/v1/batch-queue/stream`, { headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' }, signal: ac.signal });
    return res;
  })();
  const reading = ready.then(async (res) => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data), at: performance.now() });
        }
      }
    } catch {
      /* aborted */
    }
  });
  return { events, ready, stop: () => ac.abort(), reading };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('batch queue', () => {
  it('streams live status over SSE while a job runs; results are 409 until it has finished', async () => {
    const sse = subscribe(server, server.ownerKey);
    const res = await sse.ready;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    await until(() => sse.events.find((e) => e.event === 'snapshot'));

    const sub = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: Array.from({ length: 6 }, (_, i) => ({ text: doc(i), fidelity: i % 2 ? 'outline' : undefined })) } });
    expect(sub.status).toBe(202);
    expect(sub.body).toMatchObject({ status: 'queued', documents_count: 6 });
    const id = sub.body.job_id as string;
    const early = await rest(server, 'GET', `/v1/batch-queue/${id}/results`, { key: server.ownerKey });
    expect(early.status).toBe(409);

    const done = await until(() => sse.events.find((e) => e.event === 'job' && e.data.job_id === id && e.data.status === 'completed'));
    const mine = sse.events.filter((e) => e.event === 'job' && e.data.job_id === id);
    expect(mine[0]!.data.status).toBe('queued');
    expect(mine.some((e) => e.data.status === 'processing' && e.data.completed_count > 0 && e.data.completed_count < 6)).toBe(true);
    expect(done.data.progress_pct).toBe(100);
    sse.stop();

    const results = await rest(server, 'GET', `/v1/batch-queue/${id}/results`, { key: server.ownerKey });
    expect(results.status).toBe(200);
    expect(results.body.results).toHaveLength(6);
    expect(results.body.summary).toMatchObject({ total_documents: 6, successful: 6, failed: 0 });
    expect(results.body.summary.total_tokens_saved).toBeGreaterThan(0);
    expect(results.body.results[0].compressed.length).toBeLessThan(doc(0).length);
  });

  it('another tenant\'s stream hears nothing of this project', async () => {
    const other = await server.createKey({ newUser: true, name: 'other' });
    const sse = subscribe(server, other.keyString);
    await sse.ready;
    const sub = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: [{ text: doc(1) }] } });
    const list = await rest(server, 'GET', `/v1/batch-queue/${sub.body.job_id}`, { key: server.ownerKey });
    expect(list.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(sse.events.filter((e) => e.event === 'job')).toHaveLength(0);
    sse.stop();
    const anon = await fetch(`${server.baseUrl}/v1/batch-queue/stream`);
    expect(anon.status).toBe(401);
  });

  it('refuses empty and oversized batches with 400 naming the field', async () => {
    const empty = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body.field).toBe('documents');
    const many = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: Array.from({ length: 501 }, () => ({ text: 'x' })) } });
    expect(many.status).toBe(400);
    expect(many.body.limit).toBe(500);
  });

  it('retries what a cancelled job skipped, and summarises the queue', async () => {
    const sub = await rest(server, 'POST', '/v1/batch-queue', { key: server.ownerKey, body: { documents: Array.from({ length: 12 }, (_, i) => ({ text: doc(100 + i) })) } });
    const cancel = await rest(server, 'POST', `/v1/batch-queue/${sub.body.job_id}/cancel`, { key: server.ownerKey });
    expect(cancel.status).toBe(200);
    const partial = await rest(server, 'GET', `/v1/batch-queue/${sub.body.job_id}/results`, { key: server.ownerKey });
    expect(partial.status).toBe(200);
    const skipped = partial.body.summary.failed as number;
    expect(skipped).toBeGreaterThan(0);
    const retry = await rest(server, 'POST', `/v1/batch-queue/${sub.body.job_id}/retry`, { key: server.ownerKey });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ retry_of: sub.body.job_id, documents_count: skipped, status: 'queued' });
    const running = await rest(server, 'POST', `/v1/batch-queue/${retry.body.job_id}/retry`, { key: server.ownerKey });
    expect(running.status).toBe(409);
    await until(async () => (await rest(server, 'GET', `/v1/batch-queue/${retry.body.job_id}`, { key: server.ownerKey })).body.status === 'completed');
    const list = await rest(server, 'GET', '/v1/batch-queue', { key: server.ownerKey });
    expect(list.body.summary).toMatchObject({ active: 0, queued: 0 });
    expect(list.body.summary.completed).toBeGreaterThanOrEqual(2);
    expect(list.body.summary.avg_duration_s).toBeGreaterThan(0);
    const nothing = await rest(server, 'POST', `/v1/batch-queue/${retry.body.job_id}/retry`, { key: server.ownerKey });
    expect(nothing.status).toBe(409);
  });
});
