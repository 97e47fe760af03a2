// Decompression-bomb guard for zip-based inputs (DOCX today; any zip container later). Runs BEFORE a
// parser sees the bytes: mammoth (JSZip) inflates whole entries into memory, so a 70 KB DOCX that
// expands to 20 MB of XML cost seconds and over a gigabyte before any size check could fire.
//
// We read the central directory ourselves, refuse too many entries and declared sizes over the cap,
// then inflate every entry with a hard output cap (zlib's maxOutputLength), because declared sizes
// can lie. Memory stays bounded by the cap; the first entry past it ends the work. Nested archives
// (a .docx embedded in a .docx) are never opened — depth is 1 — and their bytes count toward the cap.
import zlib from 'node:zlib';
import { BadRequest, PayloadTooLarge } from '../../errors.js';

export interface ArchiveLimits {
  /** Most bytes all entries together may expand to. */
  maxExpandedBytes: number;
  /** Most entries (files and folders) in the archive. */
  maxEntries: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function corrupt(label: string, why: string): BadRequest {
  return new BadRequest(`file: not a readable ${label} (${why})`, `corrupt_${label.toLowerCase()}`);
}

/** Throws 413 (naming the cap) or 400 before any parser runs; returns the total expanded size. */
export function assertArchiveWithinLimits(bytes: Uint8Array, limits: ArchiveLimits, label = 'archive'): { entries: number; expandedBytes: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt(label, 'no zip central directory');
  const entries = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  // ZIP64 markers: a document within our upload caps never needs them.
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw corrupt(label, 'ZIP64 archives are not accepted');
  if (entries > limits.maxEntries) {
    throw new PayloadTooLarge(`file: the ${label} holds ${entries} entries; at most ${limits.maxEntries} are accepted`, { limit_entries: limits.maxEntries });
  }
  if (cdOffset + cdSize > eocd) throw corrupt(label, 'central directory out of bounds');
  const tooBig = () =>
    new PayloadTooLarge(`file: the ${label} expands to more than ${limits.maxExpandedBytes} bytes when decompressed; the cap is ${limits.maxExpandedBytes} bytes`, {
      limit_expanded_bytes: limits.maxExpandedBytes,
    });

  // Pass 1: the directory's own claims (cheap, refuses honest bombs without inflating anything).
  const list: Array<{ method: number; compressed: number; local: number }> = [];
  let declared = 0;
  for (let i = 0, p = cdOffset; i < entries; i++) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== CENTRAL) throw corrupt(label, 'broken central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    declared += buf.readUInt32LE(p + 24);
    list.push({ method, compressed, local: buf.readUInt32LE(p + 42) });
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  if (declared > limits.maxExpandedBytes) throw tooBig();

  // Pass 2: what the entries really expand to, each inflated with a hard cap on its output.
  let total = 0;
  for (const e of list) {
    if (e.local + 30 > buf.length || buf.readUInt32LE(e.local) !== LOCAL) throw corrupt(label, 'broken local header');
    const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
    if (start + e.compressed > buf.length) throw corrupt(label, 'entry out of bounds');
    const data = buf.subarray(start, start + e.compressed);
    const room = limits.maxExpandedBytes - total;
    if (e.method === 0) {
      total += data.length;
    } else if (e.method === 8) {
      try {
        total += zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, room + 1) }).length;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooBig();
        throw corrupt(label, 'an entry does not inflate');
      }
    } else {
      throw corrupt(label, `compression method ${e.method} is not supported`);
    }
    if (total > limits.maxExpandedBytes) throw tooBig();
  }
  return { entries, expandedBytes: total };
}
