// Secret-marker pre-flight: refuse to process text that unambiguously carries a credential. Pure.
//
// CONTRACT: detectSecret(text) → { marker_class } | null, and assertNoSecrets(text, field?) which
// throws BadRequest 400 { error_code: "sensitive_content", marker_class } . The matched value is never
// returned, thrown or logged — only its class. Classes: pem_private_key, aws_access_key,
// openai_api_key, ssh_key_path, dotenv_secret.
import { BadRequest } from '../errors.js';

export const MARKER_CLASSES = ['pem_private_key', 'aws_access_key', 'openai_api_key', 'ssh_key_path', 'dotenv_secret'] as const;
export type MarkerClass = (typeof MARKER_CLASSES)[number];

const PEM = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED |ED25519 )?PRIVATE KEY(?: BLOCK)?-----/;
// Long-term (AKIA) and temporary (ASIA) access key ids: prefix + 16 upper-case base32 characters.
const AWS = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Z0-9])/;
// sk-... and sk-proj-... with at least 20 characters of key material (not "sk-learn").
const OPENAI = /(?<![\w-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/;
const SSH_PATH = /\.ssh[\\/]+id_(?:rsa|ed25519|ecdsa|dsa)\b/;

// dotenv: KEY=value lines. Sensitive when the name says so and the value looks real.
const DOTENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]{1,63})[ \t]*=[ \t]*(.*)$/gm;
const SENSITIVE_NAME = /(?:^|_)(?:SECRET|SECRETS|PASSWORD|PASSWD|PWD|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CLIENT_SECRET|AUTH|CREDENTIALS?|DSN)(?:_|$)|^(?:DATABASE_URL|REDIS_URL|MONGO(?:DB)?_URI|POSTGRES_URL|AMQP_URL)$/;
const PLACEHOLDER = /^(?:|""|''|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\.{3,}|x{3,}|\*{3,}|changeme|change_me|your[-_a-z]*|example[-_a-z]*|placeholder|null|none|true|false|todo|redacted)$/i;

function dotenvSecret(text: string): boolean {
  let lines = 0;
  let sensitive = false;
  for (const m of text.matchAll(DOTENV_LINE)) {
    lines++;
    const name = m[1]!;
    let value = m[2]!.trim().replace(/\s+#.*$/, '');
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    if (SENSITIVE_NAME.test(name) && value.length >= 8 && !PLACEHOLDER.test(value)) sensitive = true;
    if (lines >= 2 && sensitive) return true;
  }
  return false;
}

/** The first marker class found, or null. Never returns the matched value. */
export function detectSecret(text: string): { marker_class: MarkerClass } | null {
  if (PEM.test(text)) return { marker_class: 'pem_private_key' };
  if (AWS.test(text)) return { marker_class: 'aws_access_key' };
  if (OPENAI.test(text)) return { marker_class: 'openai_api_key' };
  if (SSH_PATH.test(text)) return { marker_class: 'ssh_key_path' };
  if (text.includes('=') && dotenvSecret(text)) return { marker_class: 'dotenv_secret' };
  return null;
}

export class SensitiveContent extends BadRequest {
  constructor(markerClass: MarkerClass, field: string) {
    super(`Input appears to contain sensitive content (${markerClass}) in '${field}'; refusing to process. Remove the secret value and retry.`, 'sensitive_content', {
      marker_class: markerClass,
      field,
    });
  }
}

/** Throw 400 sensitive_content when `text` carries a secret marker. */
export function assertNoSecrets(text: string, field = 'text'): void {
  const hit = detectSecret(text);
  if (hit) throw new SensitiveContent(hit.marker_class, field);
}
