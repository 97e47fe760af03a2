// Prints the base64 files that the tool examples carry (tools/example-files.ts), so what tool_help
// shows can be pasted and works: a one-page PDF with a text layer and a small PNG. Rerun and paste
// the output there if the text changes; test/platform/examples.test.ts runs every example.
//   node scripts/make-example-files.mjs
import zlib from 'node:zlib';

function pdf(lines) {
  const text = lines.map((l, i) => `${i ? '0 -16 Td ' : ''}(${l.replace(/[()\\]/g, '\\$&')}) Tj`).join(' ');
  const stream = `BT /F1 12 Tf 40 110 Td ${text} ET`;
  const objects = [
    '<</Type/Catalog/Pages 2 0 R>>',
    '<</Type/Pages/Kids[3 0 R]/Count 1>>',
    '<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 150]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>',
    '<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>',
    `<</Length ${stream.length}>>stream\n${stream}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj${body}endobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` + offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b) => (b.reduce((c, x) => CRC[(c ^ x) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;

/** A w×h greyscale PNG: three boxes joined by a line (a "flow diagram" small enough to print). */
function png(w, h) {
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const box = y >= 2 && y < h - 2 && x % 8 >= 1 && x % 8 < 6;
      const line = y === h >> 1;
      raw[y * (w + 1) + 1 + x] = box ? 60 : line ? 120 : 255;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (greyscale), no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const reportPdf = pdf(['Q3 report', 'Revenue grew 12 percent to 4.1 million.', 'Churn fell from 3.4 to 2.9 percent.']);
const handbookPdf = pdf(['Employee handbook', 'Leave requests go to your manager two weeks ahead.', 'Expenses are reimbursed within 30 days.']);
console.log(JSON.stringify({ report_pdf: reportPdf.toString('base64'), handbook_pdf: handbookPdf.toString('base64'), diagram_png: png(24, 8).toString('base64') }, null, 2));
