// Local paths a tool may read (code roots, lookup folders): only directories inside the admin's
// CTXGATE_ALLOWED_ROOTS. Everything outside gets ONE answer — the same status, code and words whether
// the path exists or not, is a file or a folder — so the check cannot be used to probe the host's
// file system. The outside test is made on the lexical path first (no file-system access at all),
// then again on the real path (a symlink inside a root may point outside it).
import fs from 'node:fs';
import path from 'node:path';
import { BadRequest, Forbidden, InvalidInput, NotFound } from '../errors.js';

function outside(field: string): Forbidden {
  return new Forbidden(`Field '${field}' is not inside the folders this server may read; an admin can allow more with CTXGATE_ALLOWED_ROOTS`, { field });
}

function within(p: string, roots: string[]): boolean {
  return roots.some((r) => p === r || p.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The real path of an allowed directory, or the one refusal (403) for anything outside the roots. */
export function resolveAllowedDir(input: string, roots: readonly string[], field: string): string {
  if (input.includes('\u0000')) throw new BadRequest(`Field '${field}' contains a NUL byte`, 'bad_path', { field });
  if (!roots.length) throw new Forbidden(`Reading local folders is disabled on this server (set CTXGATE_ALLOWED_ROOTS)`, { field });
  const lexicalRoots = roots.map((r) => path.resolve(r));
  const realRoots = lexicalRoots.map((r) => {
    try {
      return fs.realpathSync(r);
    } catch {
      return r;
    }
  });
  const lexical = path.resolve(input);
  if (!within(lexical, [...lexicalRoots, ...realRoots])) throw outside(field);
  let real: string;
  try {
    real = fs.realpathSync(lexical);
  } catch {
    // Missing inside a root may be said — unless the way there leaves the roots (a dangling or
    // outward symlink): then it is outside, whatever lies behind it.
    let probe = lexical;
    while (!exists(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
    let realProbe: string | null = null;
    try {
      realProbe = fs.realpathSync(probe);
    } catch {
      /* a dangling symlink */
    }
    if (!realProbe || !within(realProbe, realRoots)) throw outside(field);
    throw new NotFound(`Field '${field}': no such folder inside the allowed roots`, { field });
  }
  if (!within(real, realRoots)) throw outside(field);
  if (!fs.statSync(real).isDirectory()) throw new InvalidInput(`Field '${field}' is not a folder`, { field });
  return real;
}
