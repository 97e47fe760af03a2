// Finding 8 (issue 11): code tools accepted an AWS key and echoed it back while compress_text
// refused it. One rule now, declared per tool and applied by the invoke pipeline: tools that return
// derived text refuse (400 sensitive_content, value never echoed); tools that store text or filter
// CLI output redact the value, keep the rest, and say so.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { detectSecret, redactSecrets } from '../../src/engine/secrets.js';
import { callTool, connectMcp, rest, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { queryOne } from '../helpers/database.js';

// Built at run time so this file itself carries no credential-shaped literal.
const AWS = ['AKIA', 'IOSFODNN7', 'EXAMPLQ'].join('');
// The secret access key of AWS's documentation, spelled in parts for the same reason.
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');
const PY = `import boto3\n\nAWS_KEY = "${AWS}"\n\ndef client():\n    """Make a client."""\n    return boto3.client("s3", aws_access_key_id=AWS_KEY)\n`;

describe('one secrets rule for every text tool', () => {
  let s: TestServer;
  let client: Client;
  let root: string;
  beforeAll(async () => {
    root = tempDir('ctxgate-secret-root-');
    fs.mkdirSync(path.join(root, 'app'));
    fs.writeFileSync(path.join(root, 'app', 'aws.py'), PY);
    s = await startTestServer({ config: { allowedRoots: [root] } });
    client = await connectMcp(s, { key: s.ownerKey });
  });
  afterAll(async () => {
    await client.close();
    await s.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const files = [{ path: 'app/aws.py', content: PY }];
  const ROOT = '<the allowed root>'; // the table is built before beforeAll makes the directory
  const refusing: Array<[string, Record<string, unknown>]> = [
    ['compress_text', { text: `Config notes.\n\nThe key is ${AWS} for the bucket.` }],
    ['compress_code', { code: PY, language: 'python' }],
    ['compress_codebase', { files }],
    ['compress_codebase', { root: ROOT }],
    ['search_code', { files, query: 'client' }],
    ['search_code', { root: ROOT, query: 'client' }],
    ['repo_map', { files }],
    ['repo_map', { root: ROOT }],
    ['gc_blast_radius', { files, focus_symbol: 'client' }],
    ['detect_issues', { original_text: `key ${AWS}`, compressed_text: 'key' }],
  ];

  it.each(refusing)('%s refuses with 400 sensitive_content and never echoes the value (MCP)', async (tool, args) => {
    const r = await callTool(client, tool, args.root === ROOT ? { ...args, root } : args);
    expect(r.isError).toBe(true);
    expect(r.structured.status).toBe(400);
    expect(r.structured.error_code).toBe('sensitive_content');
    expect(r.structured.marker_class).toBe('aws_access_key');
    expect(r.text).not.toContain(AWS);
  });

  it('compress_code refuses over REST too', async () => {
    const r = await rest(s, 'POST', '/v1/compress-code', { key: s.ownerKey, body: { code: PY, language: 'python' } });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('sensitive_content');
    expect(JSON.stringify(r.body)).not.toContain(AWS);
  });

  it('filter_cli_output redacts the value, keeps the rest and says so', async () => {
    const out = `$ env\nHOME=/home/ci\nAWS_ACCESS_KEY_ID=${AWS}\nPATH=/usr/bin\nnpm ERR! code E404\n`;
    const r = await callTool(client, 'filter_cli_output', { output: out });
    expect(r.isError).toBe(false);
    expect(r.text).not.toContain(AWS);
    expect(JSON.stringify(r.structured)).not.toContain(AWS);
    expect(r.structured.secrets_redacted).toEqual([{ field: 'output', marker_class: 'aws_access_key' }]);
  });

  it('stored documents, KB items and memories keep the text with the value redacted', async () => {
    const text = `# Deploy\n\nUse the key ${AWS} for the artifacts bucket.\n\nRotate it monthly.`;
    const doc = await callTool(client, 'ingest_context', { content: text, file_id: 'deploy' });
    expect(doc.isError).toBe(false);
    expect(doc.structured.secrets_redacted).toEqual([{ field: 'content', marker_class: 'aws_access_key' }]);
    const got = await callTool(client, 'get_document', { file_id: 'deploy', include_content: true });
    expect(JSON.stringify(got.structured)).not.toContain(AWS);
    expect(JSON.stringify(got.structured)).toContain('Rotate it monthly');

    const kb = await callTool(client, 'gc_kb_ingest', { item_id: 'deploy', mode: 'text', content: text });
    expect(kb.isError).toBe(false);
    expect(kb.structured.secrets_redacted?.[0]?.marker_class).toBe('aws_access_key');
    const kbFile = await callTool(client, 'gc_kb_ingest', { item_id: 'deploy-file', mode: 'file', filename: 'deploy.md', content: Buffer.from(text).toString('base64') });
    expect(kbFile.isError).toBe(false);
    expect(kbFile.structured.warnings.join(' ')).toMatch(/redacted/);

    const mem = await callTool(client, 'add_memory', { text: `Deploy key is ${AWS}` });
    expect(mem.isError).toBe(false);
    expect(mem.structured.secrets_redacted?.[0]?.marker_class).toBe('aws_access_key');

    // Nothing stored anywhere holds the value.
    for (const [table, col] of [['documents', 'content'], ['document_chunks', 'text'], ['kb_versions', 'content'], ['kb_chunks', 'text'], ['memories', 'text']] as const) {
      const n = (await queryOne<{ n: number }>(s.deps, `SELECT COUNT(*) AS n FROM ${table} WHERE ${col} LIKE ?`, `%${AWS}%`))!;
      expect(n.n, table).toBe(0);
    }
  });

  it('add_memory redacts an AWS secret access key named by the word "secret", keeping the label', async () => {
    const texts = [
      `The staging bucket secret: ${AWS_SECRET}`,
      `[default]\naws_access_key_id = AKIA...\naws_secret_access_key = ${AWS_SECRET}\n`,
      `{"AccessKeyId": "ASIA...", "SecretAccessKey": "${AWS_SECRET}"}`,
      `export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
    ];
    for (const text of texts) {
      const mem = await callTool(client, 'add_memory', { text });
      expect(mem.isError, text).toBe(false);
      expect(mem.structured.secrets_redacted, text).toEqual([{ field: 'text', marker_class: 'aws_access_key' }]);
      const got = await callTool(client, 'get_memory', { id: mem.structured.id });
      expect(JSON.stringify(got.structured)).not.toContain(AWS_SECRET);
      expect(got.structured.text).toMatch(/secret\w*["']?\s*[:=]?\s*["']?\[REDACTED:aws_access_key\]/i);
    }
    const n = (await queryOne<{ n: number }>(s.deps, 'SELECT COUNT(*) AS n FROM memories WHERE text LIKE ?', `%${AWS_SECRET}%`))!;
    expect(n.n).toBe(0);
  });

  it('every tool that redacts declares secrets_redacted in its output schema', () => {
    for (const t of s.app.registry.tools.values()) {
      if (t.secrets !== 'redact') continue;
      const schema = s.app.registry.entry(t).outputSchema as { properties?: Record<string, unknown> };
      expect(Object.keys(schema.properties ?? {}), t.name).toContain('secrets_redacted');
    }
  });
});

describe('redactSecrets', () => {
  it('leaves nothing detectable and keeps the surrounding text', () => {
    const pem = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA', '-----END RSA PRIVATE KEY-----'].join('\n');
    const openai = ['sk', 'proj', 'abcdefghijklmnopqrstuvwxyz012345'].join('-');
    const dotenv = ['DB_HOST=localhost', 'DB_PASSWORD=hunter2hunter2', 'API_TOKEN=${TOKEN}'].join('\n');
    for (const text of [`before ${AWS} after`, `a\n${pem}\nb`, `x ${openai} y`, dotenv, 'see ~/.ssh/id_rsa']) {
      const r = redactSecrets(text);
      expect(r.classes.length).toBeGreaterThan(0);
      expect(detectSecret(r.text)).toBeNull();
    }
    expect(redactSecrets(dotenv).text).toBe(['DB_HOST=localhost', 'DB_PASSWORD=[REDACTED:dotenv_secret]', 'API_TOKEN=${TOKEN}'].join('\n'));
    expect(redactSecrets(`before ${AWS} after`).text).toBe('before [REDACTED:aws_access_key] after');
  });
});
