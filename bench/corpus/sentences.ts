// Prose sentences of documentation nobody here wrote (the CMake reference Debian ships, reST), and
// the small sampling helpers the benchmarks that use them share.
import fs from 'node:fs';
import path from 'node:path';

export function cmakeHelpDir(): string {
  const dir = fs.existsSync('/usr/share') ? fs.readdirSync('/usr/share').filter((d) => /^cmake-[\d.]+$/.test(d)).sort().pop() : undefined;
  if (!dir) throw new Error('this benchmark needs the CMake docs (Debian package cmake-data): /usr/share/cmake-*/Help not found');
  return path.join('/usr/share', dir, 'Help');
}

/** Every reST file under `dir`, sorted (a stable order for seeded sampling). */
export function rstFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? rstFiles(p) : e.name.endsWith('.rst') ? [p] : [];
    })
    .sort();
}

/** Prose sentences of the CMake reST files (directives, literal blocks and markup stripped), distinct. */
export function cmakeSentences(dir = cmakeHelpDir()): string[] {
  const out = new Set<string>();
  for (const f of rstFiles(dir)) {
    const prose = fs
      .readFileSync(f, 'utf8')
      .split(/\n\s*\n/)
      .filter((p) => !/^\s/.test(p) && !/^\.\. /.test(p) && !/^[=\-^~*#]{3,}/m.test(p))
      .map((p) => p.replace(/:[a-z:]+:`([^`<]*)(<[^>]*>)?`/g, '$1').replace(/[`*]/g, '').replace(/\s+/g, ' ').trim());
    for (const p of prose) {
      for (const s of p.split(/(?<=[.!?])\s+(?=[A-Z])/)) {
        if (s.length >= 40 && s.length <= 300 && s.split(' ').length >= 7) out.add(s);
      }
    }
  }
  return [...out];
}

/** Deterministic PRNG (mulberry32) so every run uses the same sample and queries. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Median, p95, p99 and max of latencies in ms. */
export function latencyStats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median_ms: round3(q(0.5)), p95_ms: round3(q(0.95)), p99_ms: round3(q(0.99)), max_ms: round3(s[s.length - 1]!) };
}
