// ingest_multimodal through the real server: stored via the documents service, so the result is
// searchable with search_semantic; page numbers survive; media without text is a clear 422.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { callTool, type TestServer, useServerAndClient } from '../helpers/server.js';
import { queryOne } from '../helpers/database.js';

const FIX = path.join(import.meta.dirname, '../fixtures/docs');
const b64 = (f: string) => fs.readFileSync(path.join(FIX, f)).toString('base64');

let server: TestServer;
let client: Client;

useServerAndClient((s, c) => {
  server = s;
  client = c;
});

describe('ingest_multimodal', () => {
  it('stores a PDF page by page and search_semantic finds the page', async () => {
    const r = await callTool(client, 'ingest_multimodal', { filename: 'handbook.pdf', content: b64('handbook.pdf') });
    expect(r.isError).toBe(false);
    expect(r.structured).toMatchObject({ file_id: 'handbook.pdf', format: 'pdf', status: 'created', pages: 4, pages_with_text: 4, text_source: 'extracted', title: 'Harbor Station Operations Handbook' });
    expect(r.structured.page_spans.map((p: { page: number }) => p.page)).toEqual([1, 2, 3, 4]);
    const s = await callTool(client, 'search_semantic', { query: 'who leads the monthly fire drills?', top_k: 3, mode: 'hybrid' });
    expect(s.isError).toBe(false);
    const top = s.structured.results[0];
    expect(top.file_id).toBe('handbook.pdf');
    expect(top.text).toContain('Ines Okafor');
    expect(top.heading_path).toContain('Page 4');
  });

  it("tool_help's CSV example runs as printed (complete base64, not an abbreviation)", async () => {
    const help = await callTool(client, 'tool_help', { tool_name: 'ingest_multimodal' });
    const csv = help.structured.examples.find((x: { args: { filename?: string } }) => x.args.filename === 'orders.csv');
    const r = await callTool(client, 'ingest_multimodal', csv.args);
    expect(r.isError).toBe(false);
    expect(r.structured).toMatchObject({ file_id: 'orders.csv', format: 'csv', details: { rows: 2, columns: 3 } });
  });

  it('stores DOCX, HTML and CSV summaries as searchable documents', async () => {
    const d = await callTool(client, 'ingest_multimodal', { filename: 'policy.docx', content: b64('policy.docx') });
    expect(d.structured).toMatchObject({ format: 'docx', title: 'Remote Work Policy' });
    const csv = 'sensor,location,reading_c\nT1,boiler room,71.5\nT2,server rack,38.2\nT3,cold store,-18.0\n';
    const c = await callTool(client, 'ingest_multimodal', { file_id: 'sensors', filename: 'sensors.csv', content: Buffer.from(csv).toString('base64') });
    expect(c.structured).toMatchObject({ format: 'csv', details: { rows: 3, columns: 3 } });
    const s = await callTool(client, 'search_semantic', { query: 'home office allowance euros', top_k: 1, mode: 'keyword' });
    expect(s.structured.results[0].file_id).toBe('policy.docx');
    const s2 = await callTool(client, 'search_semantic', { query: 'reading_c column', file_id: 'sensors', top_k: 1, mode: 'keyword' });
    expect(s2.structured.results[0].text).toContain('reading_c');
  });

  it('needs a caption for images and a transcript for audio (422), then stores them', async () => {
    const img = await callTool(client, 'ingest_multimodal', { filename: 'pattern.png', content: b64('scan.png') });
    expect(img.structured).toMatchObject({ status: 422, error_code: 'caption_required', field: 'caption' });
    expect(img.structured.detail).toContain('caption');
    const ok = await callTool(client, 'ingest_multimodal', { filename: 'pattern.png', content: b64('scan.png'), caption: 'Calibration checkerboard used by the dock camera.' });
    expect(ok.structured).toMatchObject({ format: 'image', text_source: 'caption', details: { width: 64, height: 32 } });
    const s = await callTool(client, 'search_semantic', { query: 'dock camera calibration', top_k: 1, mode: 'keyword' });
    expect(s.structured.results[0].file_id).toBe('pattern.png');

    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)]).toString('base64');
    const a = await callTool(client, 'ingest_multimodal', { filename: 'standup.wav', content: wav });
    expect(a.structured).toMatchObject({ status: 422, error_code: 'transcript_required' });
    const a2 = await callTool(client, 'ingest_multimodal', { filename: 'standup.wav', content: wav, transcript: 'Maya: the release moves to Thursday.' });
    expect(a2.structured).toMatchObject({ format: 'audio', text_source: 'transcript' });
  });

  it('says so when a PDF has no text layer, and accepts a supplied transcript for it', async () => {
    const r = await callTool(client, 'ingest_multimodal', { filename: 'scanned.pdf', content: b64('scanned.pdf') });
    expect(r.structured).toMatchObject({ status: 422, error_code: 'no_text_layer', pages: 1 });
    expect(r.structured.detail).toContain('no text layer');
    const list = await callTool(client, 'list_documents', {});
    expect(JSON.stringify(list.structured)).not.toContain('scanned.pdf');
    const ok = await callTool(client, 'ingest_multimodal', { filename: 'scanned.pdf', content: b64('scanned.pdf'), transcript: 'Invoice 4471 from Baltic Rope Works, due 30 June.' });
    expect(ok.structured).toMatchObject({ format: 'pdf', text_source: 'transcript', pages: 1, pages_with_text: 0 });

    // Partly scanned: the text pages are stored and the caller is told which pages were not.
    const mixed = await callTool(client, 'ingest_multimodal', { filename: 'mixed.pdf', content: b64('mixed.pdf') });
    expect(mixed.structured).toMatchObject({ format: 'pdf', pages: 2, pages_with_text: 1, warnings: ['pages without a text layer (scanned images?), not searchable: 2'] });
    const s = await callTool(client, 'search_semantic', { query: 'fender piles pier 7', file_id: 'mixed.pdf', top_k: 1, mode: 'keyword' });
    expect(s.structured.results[0].heading_path).toContain('Page 1');
  });

  it('refuses corrupt files (400) and unsupported types (415) without storing anything', async () => {
    const before = await queryOne(server.deps, 'SELECT COUNT(*) AS n FROM documents');
    const c = await callTool(client, 'ingest_multimodal', { filename: 'broken.pdf', content: Buffer.from('%PDF-1.4\n%garbage').toString('base64') });
    expect(c.structured).toMatchObject({ status: 400, error_code: 'corrupt_pdf' });
    const z = await callTool(client, 'ingest_multimodal', { filename: 'archive.zip', content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]).toString('base64') });
    expect(z.structured).toMatchObject({ status: 415 });
    expect(z.structured.detail).toContain('PDF, DOCX, HTML, Markdown, TXT, CSV, JSON, images, audio');
    const n = await callTool(client, 'ingest_multimodal', { content: b64('scan.png'), caption: 'x' });
    expect(n.structured).toMatchObject({ status: 422, field: 'file_id' });
    expect(await queryOne(server.deps, 'SELECT COUNT(*) AS n FROM documents')).toEqual(before);
  });
});
