// Worker thread entry: parses one file per message so a large file does not block the server's
// event loop. Replies with the plain-data FileAnalysis (structured-cloned) or an error message.
import { parentPort } from 'node:worker_threads';
import { analyzeSource } from './analyze.js';
import type { LanguageId } from './languages.js';

parentPort?.on('message', async (msg: { id: number; lang: LanguageId; source: string }) => {
  try {
    const analysis = await analyzeSource(msg.lang, msg.source);
    parentPort!.postMessage({ id: msg.id, analysis });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
