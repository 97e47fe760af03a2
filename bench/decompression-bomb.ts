// A DOCX decompression bomb (a small file expanding to ~20 MB of XML) against the archive guard that
// runs before mammoth: how long the refusal takes and how much the process grows meanwhile.
// Run: npx tsx bench/decompression-bomb.ts
import { LIMITS } from '../src/config.js';
import { assertArchiveWithinLimits } from '../src/engine/extract/zip-guard.js';
import { extractDocument } from '../src/engine/extract/index.js';
import { docx } from '../test/helpers/zip.js';

const limits = { maxExpandedBytes: LIMITS.extraction.expandedBytes, maxEntries: LIMITS.extraction.entries };
const result: Record<string, unknown> = { cap_expanded_bytes: limits.maxExpandedBytes };
for (const [name, bytes] of [['honest_20mb', docx(20)], ['lying_sizes_20mb', docx(20, { lie: true })]] as const) {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let status = 0;
  try {
    await extractDocument({ bytes, filename: 'bomb.docx', accept: ['docx'] });
  } catch (e) {
    status = (e as { status?: number }).status ?? -1;
  }
  result[name] = { file_bytes: bytes.length, status, refuse_ms: Math.round(performance.now() - t0), rss_growth_mb: Math.round((process.memoryUsage().rss - rss0) / 1e6) };
}
const ok = docx(2);
const t0 = performance.now();
assertArchiveWithinLimits(ok, limits, 'DOCX');
result.guard_ms_on_2mb_docx = Math.round(performance.now() - t0);
console.log(JSON.stringify(result));
