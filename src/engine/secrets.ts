// Secret-marker pre-flight: refuse to process text that unambiguously carries a credential. Pure.
//
// CONTRACT: detectSecret(text) → { marker_class } | null, and assertNoSecrets(text, field?) which
// throws BadRequest 400 { error_code: "sensitive_content", marker_class } . The matched value is never
// returned, thrown or logged — only its class. Classes: pem_private_key, aws_access_key (the key id,
// or the secret access key where the word "secret" names it), openai_api_key, ssh_key_path, dotenv_secret.
import { z } from 'zod';
import { BadRequest } from '../errors.js';

export const MARKER_CLASSES = ['pem_private_key', 'aws_access_key', 'openai_api_key', 'ssh_key_path', 'dotenv_secret'] as const;
export type MarkerClass = (typeof MARKER_CLASSES)[number];

const PEM = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED |ED25519 )?PRIVATE KEY(?: BLOCK)?-----/;
// Long-term (AKIA) and temporary (ASIA) access key ids: prefix + 16 upper-case base32 characters.
const AWS = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Z0-9])/;
// The secret half of an AWS key pair: 40 base64 characters with no prefix of their own, so it is known
// only by the word "secret" naming it (`secret: …`, `aws_secret_access_key = …`, `"SecretAccessKey":
// "…"`, `AWS_SECRET_ACCESS_KEY=…`). Group 1 is that label, kept when the value is redacted. Reported
// as aws_access_key: it is the same credential (the key pair), and the class list stays the seed's.
const AWS_SECRET = /(?<![A-Za-z])(secret(?:[_ -]?access)?(?:[_ -]?key)?["']?(?:[ \t]*(?:=>|[:=])[ \t]*|[ \t]+(?:is[ \t]+)?)["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;
// A random 40-character key mixes cases and has a digit, / or +; a hex digest (git SHA-1), a word run
// or one-case identifier does not, so those are not flagged.
const looksRandom = (v: string) => /[a-z]/.test(v) && /[A-Z]/.test(v) && /[0-9/+]/.test(v);
function hasAwsSecret(text: string): boolean {
  for (const m of text.matchAll(AWS_SECRET)) if (looksRandom(m[2]!)) return true;
  return false;
}
// sk-... and sk-proj-... with at least 20 characters of key material (not "sk-learn").
const OPENAI = /(?<![\w-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/;
const SSH_PATH = /\.ssh[\\/]+id_(?:rsa|ed25519|ecdsa|dsa)\b/;

// dotenv: KEY=value lines. Sensitive when the name says so and the value looks real.
const DOTENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]{1,63})[ \t]*=[ \t]*(.*)$/gm;
const SENSITIVE_NAME = /(?:^|_)(?:SECRET|SECRETS|PASSWORD|PASSWD|PWD|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CLIENT_SECRET|AUTH|CREDENTIALS?|DSN)(?:_|$)|^(?:DATABASE_URL|REDIS_URL|MONGO(?:DB)?_URI|POSTGRES_URL|AMQP_URL)$/;
const PLACEHOLDER = /^(?:|""|''|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\.{3,}|x{3,}|\*{3,}|changeme|change_me|your[-_a-z]*|example[-_a-z]*|placeholder|null|none|true|false|todo|redacted|\[REDACTED(?::[a-z_]+)?\])$/i;

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
  if (/secret/i.test(text) && hasAwsSecret(text)) return { marker_class: 'aws_access_key' };
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

// ---- one rule for every tool ------------------------------------------------------------------
//
// Every tool that returns or stores text derived from its input declares what happens to a secret in
// that input (`secrets` in its definition; the invoke pipeline applies it before the handler runs):
// - 'refuse': tools that hand derived text back (compression, code digests, search hits, maps): 400
//   sensitive_content naming the field and the marker class, never the value.
// - 'redact': tools whose input is stored or is CLI output (documents, KB, memories, filter_cli_output):
//   the value is replaced by [REDACTED:<class>], the rest is kept, and the result says so
//   (`secrets_redacted`: which fields, which classes). Text a tool extracts later (files, URLs) goes
//   through redactSecrets where it is extracted, reported in the tool's warnings.
export type SecretsPolicy = 'refuse' | 'redact';

export interface Redaction {
  field: string;
  marker_class: MarkerClass;
}

const g = (re: RegExp) => new RegExp(re.source, 'g');
const PEM_BLOCK = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED |ED25519 )?PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g;

/** The text with every secret value replaced by [REDACTED:<class>], and the classes replaced. */
export function redactSecrets(text: string): { text: string; classes: MarkerClass[] } {
  if (!detectSecret(text)) return { text, classes: [] };
  const classes = new Set<MarkerClass>();
  const mark = (cls: MarkerClass) => () => {
    classes.add(cls);
    return `[REDACTED:${cls}]`;
  };
  let out = text.replace(PEM_BLOCK, mark('pem_private_key'));
  out = out.replace(g(AWS), mark('aws_access_key'));
  out = out.replace(AWS_SECRET, (all, label: string, value: string) => (looksRandom(value) ? label + mark('aws_access_key')() : all));
  out = out.replace(g(OPENAI), mark('openai_api_key'));
  out = out.replace(g(SSH_PATH), mark('ssh_key_path'));
  if (out.includes('=') && dotenvSecret(out)) {
    out = out.replace(DOTENV_LINE, (line, name: string, raw: string) => {
      let value = raw.trim().replace(/\s+#.*$/, '');
      if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
      if (!SENSITIVE_NAME.test(name) || value.length < 8 || PLACEHOLDER.test(value)) return line;
      classes.add('dotenv_secret');
      return line.slice(0, line.length - raw.length) + '[REDACTED:dotenv_secret]';
    });
  }
  return { text: out, classes: [...classes] };
}

/** The warning a tool returns when it stored extracted text with secret values redacted. */
export function secretsWarning(classes: readonly string[]): string {
  return `secret values redacted before storing (${[...new Set(classes)].join(', ')}); the rest of the text is kept`;
}

/**
 * Apply a tool's policy to all string values of its (validated) arguments, at any depth. 'refuse'
 * throws on the first secret; 'redact' returns the arguments with values redacted and what was done.
 */
export function applySecretsPolicy<T>(args: T, policy: SecretsPolicy): { args: T; redacted: Redaction[] } {
  const redacted: Redaction[] = [];
  const walk = (v: unknown, field: string): unknown => {
    if (typeof v === 'string') {
      if (policy === 'refuse') {
        assertNoSecrets(v, field || 'input');
        return v;
      }
      const r = redactSecrets(v);
      for (const c of r.classes) redacted.push({ field: field || 'input', marker_class: c });
      return r.text;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${field}[${i}]`));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, field ? `${field}.${k}` : k);
      return out;
    }
    return v;
  };
  return { args: walk(args, '') as T, redacted };
}

/** The output field a 'redact' tool declares; the invoke pipeline fills it when anything was redacted. */
export const SecretsRedactedField = z
  .array(z.object({ field: z.string(), marker_class: z.enum(MARKER_CLASSES) }))
  .optional()
  .describe('Present when secret values in the input were replaced by [REDACTED:<class>] before storing or returning: which fields, which classes.');
