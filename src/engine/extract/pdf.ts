// PDF text per page via unpdf (PDF.js). Page numbers are kept as spans over the joined text, so a
// passage found later can say which page it came from. Pages without a text layer are reported.
import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import { Worker } from 'node:worker_threads';
import { LIMITS } from '../../config.js';
import { AppError, BadRequest, PayloadTooLarge } from '../../errors.js';
import { redactSecrets, secretsWarning } from '../secrets.js';
import { workerEntry } from '../worker-entry.js';
import { normalizeText } from './normalize.js';
import type { Extracted, PageSpan } from './types.js';

/** Separator between pages in the joined text: a blank line is enough for chunkers to split on. */
const PAGE_SEPARATOR = '\n\n';

type WorkerReply = { id: number; result?: Extracted; error?: { status: number; code: string; message: string; extra: Record<string, unknown> } };

/**
 * One PDF worker thread at a time, reused between documents (starting one costs about a second from
 * source), with a heap cap; documents queue for it. A document that runs out of heap or time takes
 * the worker down with it; the next one starts a fresh worker. Idle workers stop after 30 s.
 */
class PdfWorker {
  private worker: Worker | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private idle: NodeJS.Timeout | null = null;

  run(bytes: Uint8Array, limits: { heapMb: number; timeoutMs: number }): Promise<Extracted> {
    const job = this.queue.then(() => this.once(bytes, limits));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private start(heapMb: number): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerEntry(import.meta.url, 'pdf-worker'), {
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.max(8, Math.floor(heapMb / 8)) },
    });
    w.unref(); // an idle extractor must not keep the process alive
    w.once('exit', () => {
      if (this.worker === w) this.worker = null;
    });
    this.worker = w;
    return w;
  }

  private stop(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }

  private once(bytes: Uint8Array, limits: { heapMb: number; timeoutMs: number }): Promise<Extracted> {
    if (this.idle) clearTimeout(this.idle);
    const w = this.start(limits.heapMb);
    const id = this.nextId++;
    const copy = new Uint8Array(bytes); // transferred to the worker: the caller keeps its buffer
    return new Promise<Extracted>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        this.idle = setTimeout(() => this.stop(), 30_000);
        this.idle.unref();
      };
      const onMessage = (m: WorkerReply) => {
        if (m.id !== id) return;
        finish();
        if (m.result) resolve(m.result);
        else reject(new AppError(m.error!.status, m.error!.code, m.error!.message, m.error!.extra));
      };
      const onError = (err: NodeJS.ErrnoException) => {
        finish();
        this.stop();
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          reject(new PayloadTooLarge(`file: extracting the PDF needed more than ${limits.heapMb} MB of memory, the cap per document`, { limit_mb: limits.heapMb }));
        } else reject(new AppError(503, 'extraction_unavailable', 'file: the PDF extractor failed to run; retry later'));
      };
      const onExit = (code: number) => {
        finish();
        reject(new AppError(503, 'extraction_unavailable', `file: the PDF extractor stopped (exit ${code}); retry later`));
      };
      const timer = setTimeout(() => {
        finish();
        this.stop();
        reject(new PayloadTooLarge(`file: extracting the PDF took longer than ${limits.timeoutMs} ms, the cap per document`, { limit_ms: limits.timeoutMs }));
      }, limits.timeoutMs);
      w.on('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.postMessage({ id, bytes: copy }, [copy.buffer]);
    });
  }
}

const pdfWorker = new PdfWorker();

/**
 * Extract a PDF on a worker thread with a heap cap and a deadline (LIMITS.extraction): a PDF with huge
 * or deeply nested object streams can take unbounded memory and time inside PDF.js, and here that
 * costs one worker, not the server. Over either limit: 413 naming it.
 */
export function extractPdf(bytes: Uint8Array, limits: { heapMb: number; timeoutMs: number } = { heapMb: LIMITS.extraction.pdfHeapMb, timeoutMs: LIMITS.extraction.pdfTimeoutMs }): Promise<Extracted> {
  return pdfWorker.run(bytes, limits);
}

/** The extraction itself, in the calling thread: what the worker runs. */
export async function extractPdfInProcess(bytes: Uint8Array): Promise<Extracted> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // PDF.js may detach the buffer it is given: hand it a copy. verbosity 0 silences its console warnings.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (name === 'PasswordException') {
      throw new BadRequest('file: the PDF is encrypted with a password; send an unencrypted copy', 'encrypted_pdf');
    }
    throw new BadRequest(`file: not a readable PDF (${(err as Error).message || name || 'parse error'})`, 'corrupt_pdf');
  }
  try {
    let pageTexts: string[];
    try {
      pageTexts = (await extractText(pdf, { mergePages: false })).text;
    } catch (err) {
      throw new BadRequest(`file: the PDF could not be read past its header (${(err as Error).message})`, 'corrupt_pdf');
    }
    let title: string | null = null;
    try {
      const meta = await getMeta(pdf);
      const t = meta.info?.Title;
      if (typeof t === 'string' && t.trim()) title = t.trim();
    } catch {
      // Metadata is optional; a PDF whose info dictionary is broken still has text.
    }
    const pages: PageSpan[] = [];
    let text = '';
    const redacted: string[] = [];
    pageTexts.forEach((raw, i) => {
      // Stored text: secret values are redacted page by page, so the page spans stay true.
      const r = redactSecrets(normalizeText(raw));
      redacted.push(...r.classes);
      const pageText = r.text;
      if (text.length > 0 && pageText.length > 0) text += PAGE_SEPARATOR;
      const start = text.length;
      text += pageText;
      pages.push({ page: i + 1, start, end: text.length, hasText: pageText.length > 0 });
    });
    const empty = pages.filter((p) => !p.hasText).map((p) => p.page);
    const warnings: string[] = redacted.length ? [secretsWarning(redacted)] : [];
    if (empty.length > 0 && empty.length < pages.length) {
      warnings.push(`pages without a text layer (scanned images?), not searchable: ${compactRanges(empty)}`);
    }
    return {
      format: 'pdf',
      title,
      text,
      pages,
      meta: { pages: pages.length, pages_with_text: pages.length - empty.length, has_text_layer: empty.length < pages.length },
      warnings,
    };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

/** [1,2,3,5] → "1-3, 5". */
export function compactRanges(nums: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    out.push(j > i ? `${nums[i]}-${nums[j]}` : `${nums[i]}`);
    i = j + 1;
  }
  return out.join(', ');
}
