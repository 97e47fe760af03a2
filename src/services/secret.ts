// The server secret that keys are HMAC'd under: from CTXGATE_SECRET, else generated once into the
// data dir with 0600 permissions.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The generated secret's file in the data dir. */
export const SECRET_FILE = 'secret';

export function loadOrCreateSecret(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv) {
    if (fromEnv.length < 16) throw new Error('CTXGATE_SECRET must be at least 16 characters');
    return fromEnv;
  }
  const file = path.join(dataDir, SECRET_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = crypto.randomBytes(32).toString('base64url');
  try {
    // 'wx': never overwrite a secret another process (the CLI beside the server) just wrote.
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw e;
  }
}
