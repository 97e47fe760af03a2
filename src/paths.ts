// The project root, whether running from src/ (tsx, vitest) or dist/src/ (built).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'migrations'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ctxgate project root above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Owner-only modes for what holds tenants' data: the data dir and the database files. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` owner-only (0700), or tightens an existing one that other users could read or enter.
 * Returns the mode it had when it was tightened (for a log line), else null.
 */
export function ensurePrivateDir(dir: string): number | null {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = fs.statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  fs.chmodSync(dir, mode & ~0o077);
  return mode;
}

/**
 * Makes `file` owner-only (0600), creating it empty if missing: SQLite gives its -wal and -shm files
 * the database file's mode, so creating the database this way keeps all three private.
 */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) fs.chmodSync(file, mode & ~0o077);
}
