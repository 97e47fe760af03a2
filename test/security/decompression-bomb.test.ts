// Finding 2 (issue 11): a 70 KB DOCX expanding to 20 MB of XML took seconds and over a gigabyte
// before any size check. Archives are now measured (entries, real expanded size) before a parser
// runs, and PDF extraction runs on a worker with a heap cap and a deadline.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/engine/extract/pdf.js';
import { LIMITS } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';
import { docx } from '../helpers/zip.js';

describe('decompression bombs are refused before parsing', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s.close());

  const ingest = (bytes: Buffer) =>
    rest(s, 'POST', '/v1/tools/gc_kb_ingest', { key: s.ownerKey, body: { item_id: 'bomb', mode: 'file', filename: 'report.docx', content: bytes.toString('base64') } });

  it('the same cap guards ingest_multimodal', async () => {
    const r = await rest(s, 'POST', '/v1/tools/ingest_multimodal', { key: s.ownerKey, body: { filename: 'bomb.docx', content: docx(20).toString('base64') } });
    expect(r.status).toBe(413);
    expect(r.body.limit_expanded_bytes).toBe(LIMITS.extraction.expandedBytes);
  });

  it('a small DOCX expanding to ~20 MB gets 413 naming the cap', async () => {
    const bomb = docx(20);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const r = await ingest(bomb);
    expect(r.status).toBe(413);
    expect(r.body.limit_expanded_bytes).toBe(LIMITS.extraction.expandedBytes);
    expect(r.body.detail).toContain(String(LIMITS.extraction.expandedBytes));
    expect(r.body.detail).toMatch(/decompressed/);
  });

  it('a DOCX whose directory lies about its sizes is measured by inflating, and refused', async () => {
    const r = await ingest(docx(20, { lie: true }));
    expect(r.status).toBe(413);
    expect(r.body.limit_expanded_bytes).toBe(LIMITS.extraction.expandedBytes);
  });

  it('too many entries is refused with the entry cap', async () => {
    const r = await ingest(docx(0.01, { extra: LIMITS.extraction.entries + 1 }));
    expect(r.status).toBe(413);
    expect(r.body.limit_entries).toBe(LIMITS.extraction.entries);
  });

  it('a modest DOCX built the same way still ingests', async () => {
    const r = await ingest(docx(0.05));
    expect(r.status).toBeLessThan(300);
  });

  it('a gzip-encoded request body is capped after inflation too', async () => {
    const big = Buffer.from(JSON.stringify({ text: 'a'.repeat(s.deps.config.maxBodyBytes + 1024) }));
    const res = await fetch(`${s.baseUrl}/v1/tools/estimate_tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: `Bearer ${s.ownerKey}` },
      body: zlib.gzipSync(big),
    });
    expect(res.status).toBe(413);
  });
});

describe('PDF extraction is bounded in time and memory', () => {
  const pdf = fs.readFileSync(path.join(import.meta.dirname, '../fixtures/docs/handbook.pdf'));
  it('refuses with 413 past the time cap', async () => {
    const err = await extractPdf(pdf, { heapMb: 256, timeoutMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(413);
    expect((err as AppError).extra.limit_ms).toBe(1);
  });
  it('refuses with 413 past the memory cap', async () => {
    const err = await extractPdf(pdf, { heapMb: 4, timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(413);
    expect((err as AppError).extra.limit_mb).toBe(4);
  });
  it('extracts normally within the caps (and again after a worker was lost)', async () => {
    const ok = await extractPdf(pdf);
    expect(ok.format).toBe('pdf');
    expect(ok.text.length).toBeGreaterThan(100);
  });
});
