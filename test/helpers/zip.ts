// Zip files written by hand for tests and benchmarks: DOCX packages of any expanded size (decompression
// bombs among them), with honest or lying size fields.
import zlib from 'node:zlib';

/** A zip written by hand: deflated entries; `lie` declares a tiny uncompressed size for every entry. */
export function zip(entries: Array<{ name: string; data: Buffer }>, opts: { lie?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const deflated = zlib.deflateRawSync(e.data, { level: 9 });
    const name = Buffer.from(e.name);
    const crc = zlib.crc32(e.data);
    const size = opts.lie ? 100 : e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, deflated);
    centrals.push(central, name);
    offset += 30 + name.length + deflated.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

/** A DOCX whose document.xml expands to about `mb` megabytes of paragraphs. */
export function docx(mb: number, opts: { lie?: boolean; extra?: number } = {}): Buffer {
  const para = '<w:p><w:r><w:t>All work and no play makes a dull document.</w:t></w:r></w:p>';
  const body = para.repeat(Math.ceil((mb * 1024 * 1024) / para.length));
  const xml = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
  const extra = Array.from({ length: opts.extra ?? 0 }, (_, i) => ({ name: `customXml/item${i}.xml`, data: Buffer.from('<a/>') }));
  return zip([{ name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) }, { name: '_rels/.rels', data: Buffer.from(RELS) }, { name: 'word/document.xml', data: Buffer.from(xml) }, ...extra], opts);
}

