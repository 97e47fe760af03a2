// Worker thread entry: extracts one PDF per message under the heap limit the parent
// set, and replies with the Extracted result or the error as plain data.
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import { extractPdfInProcess } from './pdf.js';

parentPort?.on('message', async ({ id, bytes }: { id: number; bytes: Uint8Array }) => {
  try {
    parentPort!.postMessage({ id, result: await extractPdfInProcess(bytes) });
  } catch (err) {
    const e = err instanceof AppError ? err : new AppError(400, 'corrupt_pdf', `file: not a readable PDF (${(err as Error).message})`);
    parentPort!.postMessage({ id, error: { status: e.status, code: e.code, message: e.message, extra: e.extra ?? {} } });
  }
});
