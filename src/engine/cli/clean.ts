// Shared helpers for every detector: terminal clean-up, binary sniffing, and an output builder that
// turns runs of dropped lines into one short marker, so the reader knows something was elided.

// CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) and two-byte escapes.
const ANSI_RE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// Other C0 controls except tab; \r and \n are handled before this runs.
const CONTROL_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
const CONTROL_TEST_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Filters yield every YIELD_EVERY + 1 lines so a caller can give the event loop a turn on big inputs
 * (a mask: (i & YIELD_EVERY) === YIELD_EVERY).
 */
export const YIELD_EVERY = 4095;

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/**
 * Normalises raw terminal output into lines: CRLF → LF, carriage-return redraws (progress bars,
 * spinners) resolved to the last thing drawn on the line, ANSI escapes and stray controls removed,
 * trailing whitespace trimmed.
 */
export function cleanLines(raw: string): string[] {
  return runSync(cleanLinesSteps(raw));
}

/** Slice size for cleaning: whole-slice regex passes are cheap, and each slice is one yield apart. */
const CLEAN_SLICE = 1 << 20;

/** cleanLines as a generator: one yield between slices of about 1 MB (cut at line ends). */
export function* cleanLinesSteps(raw: string): Generator<undefined, string[], unknown> {
  const slices: string[][] = [];
  for (let start = 0; start < raw.length; ) {
    let end = start + CLEAN_SLICE >= raw.length ? raw.length : raw.indexOf('\n', start + CLEAN_SLICE);
    if (end === -1) end = raw.length;
    slices.push(cleanSlice(raw.slice(start, end)));
    start = end + 1;
    if (start < raw.length) yield;
  }
  const out = slices.length === 1 ? slices[0]! : ([] as string[]).concat(...slices);
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * One slice's lines, cleaned in the array split() made: the per-line work is what decides the cost
 * of an input of many short lines, so no second array is grown line by line.
 */
function cleanSlice(slice: string): string[] {
  let text = slice.includes('\r\n') ? slice.replace(/\r\n/g, '\n') : slice;
  if (text.includes('\x1b')) text = text.replace(ANSI_RE, '');
  const hasCr = text.includes('\r');
  const hasControl = CONTROL_TEST_RE.test(text);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (hasCr && line.includes('\r')) {
      // A redraw: what stays on screen is the last non-empty segment.
      const segs = line.split('\r').filter((seg) => seg.trim() !== '');
      line = segs.length ? segs[segs.length - 1]! : '';
    }
    if (hasControl) line = line.replace(CONTROL_RE, '');
    // trimEnd only where the last character may be white space (any code unit ≤ 32, NBSP, or from
    // U+1680 up, where the others live): most lines end in a letter.
    const last = line.charCodeAt(line.length - 1);
    lines[i] = last <= 32 || last === 160 || last >= 0x1680 ? line.trimEnd() : line;
  }
  return lines;
}

/** Runs a step generator to completion without pausing. */
export function runSync<T>(steps: Generator<undefined, T, unknown>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * True for content that is not text: a NUL byte, or many control/replacement characters
 * (what a decoded binary file looks like). ANSI escapes are not counted against the text.
 */
export function looksBinary(raw: string): boolean {
  if (raw.includes('\u0000')) return true;
  const sample = stripAnsi(raw.length > 65536 ? raw.slice(0, 65536) : raw);
  if (sample.length === 0) return false;
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) bad++;
  }
  return bad / sample.length > 0.05;
}

/**
 * Builds filtered output. `drop()` calls between two `keep()` calls collapse into one marker line
 * `… N lines: <what>` (the reason of the first dropped line in the run, "+ others" if mixed).
 */
export class Out {
  private readonly lines: string[] = [];
  private dropped = 0;
  private reasons = new Map<string, number>();
  // The reason of the latest drop() and its count not yet in `reasons`: a run of drops for one reason
  // (the usual case, often one call per line) costs a comparison and an add, not a Map update.
  private lastReason: string | null = null;
  private lastCount = 0;

  keep(line: string): void {
    this.flush();
    this.lines.push(line);
  }

  drop(reason: string, n = 1): void {
    if (n <= 0) return;
    this.dropped += n;
    if (reason === this.lastReason) {
      this.lastCount += n;
      return;
    }
    this.settle();
    this.lastReason = reason;
    this.lastCount = n;
  }

  private settle(): void {
    if (this.lastReason !== null) this.reasons.set(this.lastReason, (this.reasons.get(this.lastReason) ?? 0) + this.lastCount);
    this.lastReason = null;
    this.lastCount = 0;
  }

  /** Drops a line silently: for lines whose absence the surrounding output already implies. */
  skip(): void {}

  /** Adds a line of our own (a summary of folded content), not counted as kept input. */
  note(line: string): void {
    this.flush();
    this.lines.push(line);
  }

  private flush(): void {
    if (this.dropped === 0) return;
    this.settle();
    // Blank lines carry nothing: they are neither counted nor named.
    const blank = this.reasons.get('blank') ?? 0;
    this.reasons.delete('blank');
    const n = this.dropped - blank;
    if (n > 0) {
      const parts = [...this.reasons.entries()].sort((a, b) => b[1] - a[1]).map(([r]) => r);
      this.lines.push(parts.length === 1 ? `[… ${n} ${parts[0]}]` : `[… ${n} omitted: ${parts.slice(0, 2).join(', ')}${parts.length > 2 ? ', …' : ''}]`);
    }
    this.dropped = 0;
    this.reasons = new Map();
  }

  done(): string[] {
    this.flush();
    // Blank lines kept around markers or at the edges add nothing.
    const res: string[] = [];
    for (const l of this.lines) {
      if (l === '' && (res.length === 0 || res[res.length - 1] === '')) continue;
      res.push(l);
    }
    while (res.length && res[res.length - 1] === '') res.pop();
    return res;
  }
}

/** Noise every Node/npm-driven tool prints before its own output. */
export function isToolchainNoise(line: string): boolean {
  return (
    /^npm warn Unknown (user|project|env) config /.test(line) ||
    /^\(node:\d+\) \w*Warning: /.test(line) ||
    /^\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)$/.test(line)
  );
}

/** A stack frame or source path that belongs to a dependency or the runtime, not the user's code. */
export function isLibraryPath(s: string): boolean {
  return /node_modules[\\/]|node:internal|\(node:|internal\/(process|modules|timers)|site-packages[\\/]|dist-packages[\\/]|[\\/]lib[\\/]python\d|<frozen |\/rustc\/[0-9a-f]+|\.cargo[\\/]registry|\/usr\/(local\/)?lib\/go|\/usr\/local\/go\/|[\\/]go[\\/]src[\\/](runtime|testing)[\\/]|^\s*at (?:async )?(?:process\.processTicksAndRejections|new Promise|Promise\.)/.test(
    s,
  );
}

/**
 * A frame of the language runtime itself (Node's internals, the promise machinery, Go's runtime and
 * testing packages): never where a bug is, so filters elide these silently, while dependency frames
 * (node_modules, site-packages, the cargo registry) are counted in a marker.
 */
export function isRuntimeFrame(s: string): boolean {
  return /\(node:|node:internal|^\s*at (?:async )?(?:process\.processTicksAndRejections|process\.processImmediate|new Promise|Promise\.)|\/usr\/(local\/)?lib\/go[-\d.]*\/src\/|\/usr\/local\/go\/src\/|[\\/]go[\\/]src[\\/](runtime|testing)[\\/]/.test(s);
}

/** Counts lines matching `re`, stopping early once `enough` is reached (detectors only need a signal). */
export function countMatches(lines: readonly string[], re: RegExp, enough = 1000): number {
  let n = 0;
  for (const l of lines) {
    if (re.test(l)) {
      n++;
      if (n >= enough) break;
    }
  }
  return n;
}

/** Confidence from a number of strong signals: one is suggestive, three or more is near certain. */
export function scoreFrom(strong: number, weak = 0): number {
  const s = strong * 0.35 + weak * 0.1;
  return Math.min(1, s);
}
