// Off-thread parsing for large files: one lazily started worker; requests queue on it. When the
// worker cannot start or dies, callers fall back to parsing in-process (slower for other clients,
// never wrong).
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { analyzeSource, type FileAnalysis } from './analyze.js';
import type { LanguageId } from './languages.js';

type Pending = { resolve: (a: FileAnalysis) => void; reject: (e: Error) => void };

/** An idle worker is stopped after this long and started again on demand. */
const IDLE_MS = 30_000;

export class ParsePool {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | null = null;

  /** True while a worker thread is running (for tests and diagnostics). */
  get running(): boolean {
    return this.worker !== null;
  }

  private scheduleIdleStop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size || !this.worker) return;
      const w = this.worker;
      this.worker = null;
      void w.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private start(): Worker | null {
    if (this.worker || this.broken) return this.worker;
    try {
      const w = new Worker(workerEntry(import.meta.url, 'parse-worker'));
      w.unref(); // an idle parser must not keep the process alive
      w.on('message', (m: { id: number; analysis?: FileAnalysis; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (!this.pending.size) this.scheduleIdleStop();
        if (m.analysis) p.resolve(m.analysis);
        else p.reject(new Error(m.error ?? 'parse worker failed'));
      });
      const fail = (err: Error) => {
        this.broken = true;
        this.worker = null;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (this.worker === w) fail(new Error(`parse worker exited with code ${code}`));
      });
      this.worker = w;
    } catch {
      this.broken = true;
    }
    return this.worker;
  }

  /** Parse off-thread; in-process if the worker is unavailable. */
  async analyze(lang: LanguageId, source: string): Promise<FileAnalysis> {
    const w = this.start();
    if (!w) return analyzeSource(lang, source);
    const id = this.nextId++;
    try {
      return await new Promise<FileAnalysis>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        w.postMessage({ id, lang, source });
      });
    } catch {
      return analyzeSource(lang, source);
    }
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = null;
    this.broken = true;
    if (w) await w.terminate();
  }
}
