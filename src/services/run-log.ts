// The raw-output log of `ctxgate run`: every run's output (stdout and stderr interleaved as the
// command wrote them) kept byte for byte under DATA_DIR/runs, so whatever a filter dropped can be read
// back with `ctxgate show ID`. A plain file store: `<id>.out` holds the bytes, `<id>.json` what ran.
// Bounded three ways (per run, in total, by age). Local to the machine: the server never reads it.
// Deliberately light (node:fs only): `ctxgate run` loads it on every command, so no database driver.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, ensurePrivateDir } from '../paths.js';

export interface RunLogLimits {
  /** Bytes kept per run: past it, the first and last halves are kept. */
  maxBytes: number;
  /** Bytes kept across all runs: the oldest runs go first. */
  totalBytes: number;
  /** Runs older than this are deleted. */
  maxAgeDays: number;
}

export interface RunMeta {
  id: string;
  argv: string[];
  cwd: string;
  started_at: string;
  duration_ms: number;
  /** The command's exit code, or null when a signal ended it. */
  exit_code: number | null;
  signal: string | null;
  /** Bytes the command wrote; `kept_bytes` of them are in the log (less only when `truncated`). */
  bytes: number;
  kept_bytes: number;
  truncated: boolean;
  /** When truncated: the log holds the first `head_bytes`, then the last `kept_bytes - head_bytes`. */
  head_bytes: number;
  lines: number;
  /** How the output was shown: untouched, or filtered by a detector. */
  shown: 'passthrough' | 'filtered';
  detector: string | null;
  shown_lines: number;
}

const ID_RE = /^run_[0-9a-z]{6,}$/;
/** Pruning reads the whole directory, so it runs at most this often (a marker file's mtime). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Run ids are short enough to type after "ctxgate show" and sort by time: base-36 milliseconds plus
 * random bits. (Not `newId`: that lives beside the database driver, which `run` must not load.)
 */
export function newRunId(now = Date.now()): string {
  return `run_${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function isRunId(id: string): boolean {
  return ID_RE.test(id);
}

/**
 * Collects a run's output within `maxBytes`: everything while it fits, then the first half plus a
 * rolling last half. Memory stays within maxBytes whatever the command prints.
 */
export class BoundedCapture {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  total = 0;
  lines = 0;
  private lastByte = -1;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    if (chunk.length) this.lastByte = chunk[chunk.length - 1]!;
    if (this.tailLen === 0 && this.headLen + chunk.length <= this.maxBytes) {
      this.head.push(chunk);
      this.headLen += chunk.length;
      return;
    }
    if (this.tailLen === 0) {
      // First overflow: shrink the head to half, move its excess to the tail.
      const all = Buffer.concat([...this.head, chunk]);
      const half = Math.floor(this.maxBytes / 2);
      this.head = [all.subarray(0, half)];
      this.headLen = half;
      this.tail = [all.subarray(half)];
      this.tailLen = all.length - half;
    } else {
      this.tail.push(chunk);
      this.tailLen += chunk.length;
    }
    const tailCap = this.maxBytes - this.headLen;
    while (this.tailLen > tailCap) {
      const first = this.tail[0]!;
      const over = this.tailLen - tailCap;
      if (first.length <= over) {
        this.tail.shift();
        this.tailLen -= first.length;
      } else {
        this.tail[0] = first.subarray(over);
        this.tailLen -= over;
      }
    }
  }

  /** Lines as a reader counts them: a last line without a newline still counts. */
  lineCount(): number {
    return this.lines + (this.total > 0 && this.lastByte !== 10 ? 1 : 0);
  }

  get truncated(): boolean {
    return this.total > this.headLen + this.tailLen;
  }

  get headBytes(): number {
    return this.headLen;
  }

  bytes(): Buffer {
    return Buffer.concat([...this.head, ...this.tail]);
  }
}

export class RunLog {
  readonly dir: string;

  constructor(dataDir: string, private readonly limits: RunLogLimits) {
    this.dir = path.join(dataDir, 'runs');
  }

  private ensureDir(): void {
    ensurePrivateDir(path.dirname(this.dir));
    fs.mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  }

  save(meta: RunMeta, raw: Buffer): void {
    this.ensureDir();
    fs.writeFileSync(path.join(this.dir, `${meta.id}.out`), raw, { mode: PRIVATE_FILE_MODE });
    fs.writeFileSync(path.join(this.dir, `${meta.id}.json`), JSON.stringify(meta) + '\n', { mode: PRIVATE_FILE_MODE });
    this.maybePrune();
  }

  meta(id: string): RunMeta | undefined {
    if (!isRunId(id)) return undefined;
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, `${id}.json`), 'utf8')) as RunMeta;
    } catch {
      return undefined;
    }
  }

  rawPath(id: string): string | undefined {
    if (!isRunId(id)) return undefined;
    const p = path.join(this.dir, `${id}.out`);
    return fs.existsSync(p) ? p : undefined;
  }

  /** Newest first. */
  list(limit = 20): RunMeta[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const ids = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .filter(isRunId)
      .sort()
      .reverse();
    return ids
      .slice(0, limit)
      .map((id) => this.meta(id))
      .filter((m): m is RunMeta => m !== undefined);
  }

  private maybePrune(): void {
    const marker = path.join(this.dir, '.pruned');
    try {
      if (Date.now() - fs.statSync(marker).mtimeMs < PRUNE_EVERY_MS) return;
    } catch {
      /* never pruned */
    }
    fs.writeFileSync(marker, '', { mode: PRIVATE_FILE_MODE });
    this.prune();
  }

  /** Deletes runs past the age limit, then the oldest until the total fits. Returns the ids deleted. */
  prune(now = Date.now()): string[] {
    const entries: Array<{ id: string; at: number; size: number }> = [];
    for (const n of fs.readdirSync(this.dir)) {
      if (!n.endsWith('.out')) continue;
      const id = n.slice(0, -4);
      if (!isRunId(id)) continue;
      const st = fs.statSync(path.join(this.dir, n));
      entries.push({ id, at: st.mtimeMs, size: st.size });
    }
    entries.sort((a, b) => a.at - b.at);
    const cutoff = now - this.limits.maxAgeDays * 86_400_000;
    let total = entries.reduce((s, e) => s + e.size, 0);
    const gone: string[] = [];
    for (const e of entries) {
      if (e.at >= cutoff && total <= this.limits.totalBytes) break;
      for (const ext of ['.out', '.json']) fs.rmSync(path.join(this.dir, e.id + ext), { force: true });
      total -= e.size;
      gone.push(e.id);
    }
    return gone;
  }
}
