// The extractors on real files: LibreOffice-made PDF/DOCX fixtures (test/fixtures/docs, see
// make-fixtures.sh), HTML with boilerplate, CSV/JSON summaries, media sniffing.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, extractDocument } from '../../src/engine/extract/index.js';
import { imageDimensions } from '../../src/engine/extract/media.js';
import { compactRanges } from '../../src/engine/extract/pdf.js';
import { parseCsv, sniffDelimiter } from '../../src/engine/extract/tabular.js';
import { AppError } from '../../src/errors.js';

const FIX = path.join(import.meta.dirname, '../fixtures/docs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f));
const ALL = ['pdf', 'docx', 'html', 'markdown', 'text', 'csv', 'json', 'image', 'audio'] as const;

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('detectFormat', () => {
  it('trusts magic bytes over names, then MIME type, then extension', () => {
    expect(detectFormat({ bytes: read('handbook.pdf'), filename: 'notes.txt' }).format).toBe('pdf');
    expect(detectFormat({ bytes: read('scan.png'), filename: 'x.pdf' })).toMatchObject({ format: 'image', mimeType: 'image/png' });
    expect(detectFormat({ bytes: read('policy.docx'), filename: 'policy.docx' }).format).toBe('docx');
    expect(detectFormat({ bytes: read('policy.docx'), filename: 'archive.zip' }).format).toBeNull();
    expect(detectFormat({ bytes: Buffer.from('a,b\n1,2'), mimeType: 'text/csv; charset=utf-8' }).format).toBe('csv');
    expect(detectFormat({ bytes: Buffer.from('# x'), filename: 'README.md' }).format).toBe('markdown');
    expect(detectFormat({ bytes: Buffer.from('<!DOCTYPE html><p>x') }).format).toBe('html');
    expect(detectFormat({ bytes: Buffer.from([0, 1, 2, 3, 200, 201]) }).format).toBeNull();
  });
});

describe('PDF', () => {
  it('keeps text per page with page spans', async () => {
    const ex = await extractDocument({ bytes: read('handbook.pdf'), accept: ALL });
    expect(ex).toMatchObject({ format: 'pdf', title: 'Harbor Station Operations Handbook', meta: { pages: 4, pages_with_text: 4, has_text_layer: true } });
    const pages = ex.pages!.map((p) => ex.text.slice(p.start, p.end));
    expect(pages[0]).toContain('tidal turbines');
    expect(pages[1]).toContain('reverse osmosis');
    expect(pages[2]).toContain('VHF radio on channel 16');
    expect(pages[3]).toContain('Petrel');
    expect(pages[0]).not.toContain('Petrel');
  });

  it('reports a scan without a text layer, and refuses corrupt or truncated files with 400', async () => {
    expect(read('scanned.pdf').includes('/Image')).toBe(true); // the fixture really is an image-only page
    const scan = await extractDocument({ bytes: read('scanned.pdf'), accept: ALL });
    expect(scan.meta).toMatchObject({ pages: 1, pages_with_text: 0, has_text_layer: false });
    expect(scan.text).toBe('');
    const pdf = read('handbook.pdf');
    for (const bad of [Buffer.from('%PDF-1.7\nnot really a pdf'), pdf.subarray(0, Math.floor(pdf.length / 3))]) {
      const e = await failure(extractDocument({ bytes: bad, accept: ALL }));
      expect(e.status).toBe(400);
      expect(e.code).toBe('corrupt_pdf');
    }
  });

  it('warns about the pages of a partly scanned PDF that carry no text', async () => {
    const ex = await extractDocument({ bytes: read('mixed.pdf'), accept: ALL });
    expect(ex.meta).toMatchObject({ pages: 2, pages_with_text: 1, has_text_layer: true });
    expect(ex.pages!.map((p) => p.hasText)).toEqual([true, false]);
    expect(ex.warnings).toEqual(['pages without a text layer (scanned images?), not searchable: 2']);
    expect(ex.text).toContain('fender piles');
  });

  it('compacts page lists', () => {
    expect(compactRanges([1, 2, 3, 5, 7, 8])).toBe('1-3, 5, 7-8');
  });
});

describe('DOCX and HTML', () => {
  it('keeps DOCX headings, lists and tables', async () => {
    const ex = await extractDocument({ bytes: read('policy.docx'), filename: 'policy.docx', accept: ALL });
    expect(ex.format).toBe('docx');
    expect(ex.text).toMatch(/^# Remote Work Policy$/m);
    expect(ex.text).toMatch(/^## Security$/m);
    expect(ex.text).toContain('450 euros');
    expect(ex.text).toContain('| Americas | 10:00 to 15:00 EST |');
  });

  it('refuses a corrupt DOCX with 400', async () => {
    const docx = read('policy.docx');
    const e = await failure(extractDocument({ bytes: docx.subarray(0, 200), filename: 'policy.docx', accept: ALL }));
    expect(e).toMatchObject({ status: 400, code: 'corrupt_docx' });
  });

  it('keeps the main text of HTML with its headings and drops navigation, scripts and footers', async () => {
    const html = `<!DOCTYPE html><html><head><title>Kettle descaling</title><script>var tracking = 1;</script></head><body>
      <nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li></ul></nav>
      <main><article><h1>Kettle descaling</h1>
      <p>Limescale builds up fastest in hard-water areas, where calcium carbonate precipitates each time water is boiled.
      A thin layer slows heating and wastes energy, so descale every four to six weeks.</p>
      <h2>Using citric acid</h2>
      <p>Dissolve two tablespoons of citric acid in half a litre of water, boil it, and leave it for twenty minutes before rinsing twice.</p>
      <h2>Using vinegar</h2>
      <p>White vinegar diluted one to one with water works too, but the smell lingers; boil fresh water once afterwards and discard it.</p>
      </article></main><footer>© 2025 Appliance Co. All rights reserved.</footer></body></html>`;
    const ex = await extractDocument({ bytes: Buffer.from(html), filename: 'page.html', accept: ALL });
    expect(ex.title).toBe('Kettle descaling');
    expect(ex.text).toMatch(/^# Kettle descaling$/m);
    expect(ex.text).toMatch(/^## Using citric acid$/m);
    expect(ex.text).toContain('twenty minutes');
    expect(ex.text).not.toContain('tracking');
    expect(ex.text).not.toContain('All rights reserved');
    expect(ex.text).not.toContain('Shop');
  });
});

describe('CSV and JSON', () => {
  it('summarises a CSV as schema and sample rows, not raw data', async () => {
    const rows = ['order_id,customer,country,total,paid,ordered_at'];
    for (let i = 1; i <= 120; i++) rows.push(`${i},"Customer ${i}, Ltd",${['DE', 'FR', 'NL'][i % 3]},${(i * 3.5).toFixed(2)},${i % 4 === 0 ? 'false' : 'true'},2025-03-${String((i % 28) + 1).padStart(2, '0')}`);
    const ex = await extractDocument({ bytes: Buffer.from(rows.join('\n')), filename: 'orders.csv', accept: ALL });
    expect(ex.format).toBe('csv');
    expect(ex.meta).toMatchObject({ rows: 120, columns: 6 });
    expect(ex.text).toContain('120 rows × 6 columns');
    expect(ex.text).toContain('| order_id | integer | 120 | 120 | 1 … 120 |');
    expect(ex.text).toContain('| total | number |');
    expect(ex.text).toContain('| paid | boolean |');
    expect(ex.text).toContain('| ordered_at | date |');
    expect(ex.text).toMatch(/\| country \| string \| 120 \| 3 \| .*DE \(40\)/);
    expect(ex.text).toContain('Customer 1, Ltd');
    expect(ex.text).not.toContain('Customer 6, Ltd');
  });

  it('parses quoted CSV and sniffs delimiters', () => {
    expect(parseCsv('a,b\n"x, y","he said ""hi"""\n"multi\nline",2\n', ',')).toEqual([['a', 'b'], ['x, y', 'he said "hi"'], ['multi\nline', '2']]);
    expect(sniffDelimiter('a;b;c\n1;2;3')).toBe(';');
    expect(sniffDelimiter('a\tb\n1\t2')).toBe('\t');
  });

  it('summarises JSON records with an inferred schema; invalid JSON is a 400', async () => {
    const doc = { generated: '2025-01-01', items: Array.from({ length: 30 }, (_, i) => ({ id: i, name: `Widget ${i}`, price: i + 0.5, tags: ['a'], ...(i % 2 ? { discontinued: true } : {}) })) };
    const ex = await extractDocument({ bytes: Buffer.from(JSON.stringify(doc)), filename: 'catalog.json', accept: ALL });
    expect(ex.meta).toMatchObject({ records: 30, records_path: '$.items', fields: 5 });
    expect(ex.text).toContain('items: {');
    expect(ex.text).toContain('discontinued?: boolean');
    expect(ex.text).toContain('tags: string[]');
    expect(ex.text).toContain('Widget 4');
    expect(ex.text).not.toContain('Widget 9');
    const e = await failure(extractDocument({ bytes: Buffer.from('{"a": 1,'), filename: 'x.json', accept: ALL }));
    expect(e).toMatchObject({ status: 400, code: 'invalid_json' });
  });
});

describe('images and audio', () => {
  it('need a caption or transcript (422 saying which), and keep the supplied text', async () => {
    const png = read('scan.png');
    expect(imageDimensions(png)).toEqual({ width: 64, height: 32 });
    const e = await failure(extractDocument({ bytes: png, filename: 'diagram.png', accept: ALL }));
    expect(e).toMatchObject({ status: 422, code: 'caption_required' });
    expect(e.message).toContain('caption');
    const ok = await extractDocument({ bytes: png, filename: 'diagram.png', accept: ALL, caption: 'A checkerboard test pattern.' });
    expect(ok.text).toContain('A checkerboard test pattern.');
    expect(ok.meta).toMatchObject({ width: 64, height: 32, mime_type: 'image/png' });

    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)]);
    const ea = await failure(extractDocument({ bytes: wav, filename: 'standup.wav', accept: ALL }));
    expect(ea).toMatchObject({ status: 422, code: 'transcript_required' });
    expect(ea.message).toContain('transcript');
  });

  it('refuses formats the caller does not accept with 415 naming the accepted ones', async () => {
    const e = await failure(extractDocument({ bytes: read('scan.png'), accept: ['pdf', 'text'] }));
    expect(e.status).toBe(415);
    expect(e.message).toContain('supported types: PDF, TXT');
  });
});
