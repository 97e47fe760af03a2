// An unsupported file is a 415 that names the field holding it (content) and the rule it broke, like
// every other error body; a declared MIME type is shown cut short. It had neither field nor rule.
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, useServerAndClient } from '../helpers/server.js';

let client: Client;
useServerAndClient((_s, c) => {
  client = c;
});

const ZIP_BYTES = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]).toString('base64');

describe('unsupported files', () => {
  it('ingest_multimodal and gc_kb_ingest name the content field, create_source its content_base64', async () => {
    const declared = `application/x-${'very-long-type-'.repeat(7)}`;
    const a = await callTool(client, 'ingest_multimodal', { filename: 'notes.bin', content: Buffer.from([0, 1, 2, 3, 255, 254]).toString('base64'), mime_type: declared });
    expect(a.structured).toMatchObject({ status: 415, error_code: 'unsupported_media_type', field: 'content', rule: 'media_type' });
    expect(a.structured.detail.length).toBeLessThan(declared.length + 120);
    expect(JSON.stringify(a.structured)).not.toContain(declared);

    const b = await callTool(client, 'ingest_multimodal', { filename: 'archive.bin', content: ZIP_BYTES });
    expect(b.structured).toMatchObject({ status: 415, field: 'content', rule: 'media_type' });

    const c = await callTool(client, 'gc_kb_ingest', { item_id: 'raw', mode: 'file', filename: 'blob.bin', content: Buffer.from([0, 159, 146, 150, 0, 1]).toString('base64') });
    expect(c.structured).toMatchObject({ status: 415, field: 'content', rule: 'media_type' });

    // create_source names its own argument.
    const space = await callTool(client, 'create_space', { name: 'files' });
    const d = await callTool(client, 'create_source', { space_id: space.structured.id, content_base64: ZIP_BYTES, filename: 'archive.bin' });
    expect(d.structured).toMatchObject({ status: 415, field: 'content_base64', rule: 'media_type' });
  });
});
