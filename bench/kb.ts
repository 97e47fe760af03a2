// Knowledge base: query latency at 1,000 items, PDF ingest throughput, and retrieval quality
// (recall@5 of the passage holding the answer) for hybrid vs semantic vs keyword-only search.
//
// Items are the CMake reference pages Debian ships (/usr/share/cmake-*/Help: command/, variable/,
// then prop_tgt/ ... until 1,000), ingested with KbService.ingest (mode text) into a temp data dir
// with the app's default embedder. The quality set is 30 hand-written questions, worded as a user
// would ask them (not copied from the pages), each naming the page and a phrase that the answering
// passage must contain. PDFs are the ones Debian ships (paths in the output) plus the test fixture.
// Prints one JSON object. Env: BENCH_KB_ITEMS (default 1000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { extractDocument } from '../src/engine/extract/index.js';
import { createLogger } from '../src/log.js';
import { AccountsService } from '../src/services/accounts.js';
import { KbService, type KbSearchMode } from '../src/services/kb.js';
import { LookupService } from '../src/services/lookup.js';

const ITEMS = Number(process.env.BENCH_KB_ITEMS ?? 1000);
const TOP_K = 5;

/** [question, page (relative to Help/, without .rst), phrase the answering passage contains]. */
const QA: Array<[string, string, string]> = [
  ['How do I make configuration fail when the installed CMake is too old?', 'command/cmake_minimum_required', 'report an error'],
  ['copy a template file and substitute @NAME@ placeholders with variable values', 'command/configure_file', '@VAR@'],
  ['run an external program while configuring and capture what it prints into a variable', 'command/execute_process', 'OUTPUT_VARIABLE'],
  ['what are the usual build types such as Debug or Release?', 'variable/CMAKE_BUILD_TYPE', 'RelWithDebInfo'],
  ['produce a JSON database of the exact compiler invocations for clang tools', 'variable/CMAKE_EXPORT_COMPILE_COMMANDS', 'compile_commands.json'],
  ['show the full compiler command lines when building with make', 'variable/CMAKE_VERBOSE_MAKEFILE', 'verbose'],
  ['default C++ standard for newly created targets', 'variable/CMAKE_CXX_STANDARD', 'CXX_STANDARD'],
  ['directory where built executables end up', 'variable/CMAKE_RUNTIME_OUTPUT_DIRECTORY', 'RUNTIME'],
  ['what is the default install location on Unix?', 'variable/CMAKE_INSTALL_PREFIX', '/usr/local'],
  ['which file describes compilers and tool locations when cross-compiling?', 'variable/CMAKE_TOOLCHAIN_FILE', 'cross-compiling'],
  ['build all targets as position independent code by default', 'variable/CMAKE_POSITION_INDEPENDENT_CODE', 'POSITION_INDEPENDENT_CODE'],
  ['full path of the top level of the source tree', 'variable/CMAKE_SOURCE_DIR', 'top level of the source tree'],
  ['name of the operating system the build targets', 'variable/CMAKE_SYSTEM_NAME', 'operating system'],
  ['detect that the target platform is Windows', 'variable/WIN32', 'Windows'],
  ['identify the compiler vendor, e.g. GNU or Clang', 'variable/CMAKE_LANG_COMPILER_ID', 'Compiler identification'],
  ['offer the user an ON/OFF switch in the cache with a default value', 'command/option', 'boolean'],
  ['stop processing with an error message from a CMakeLists file', 'command/message', 'FATAL_ERROR'],
  ['replace text in a string using a regular expression', 'command/string', 'REGEX REPLACE'],
  ['read the contents of a file into a variable', 'command/file', 'READ'],
  ['get the directory part of a full file path', 'command/get_filename_component', 'DIRECTORY'],
  ['store a value in the persistent cache', 'command/set', 'CACHE'],
  ['load and run CMake code from another file or module', 'command/include', 'Load and run CMake code'],
  ['make one target build only after another top-level target', 'command/add_dependencies', 'depend on other top-level targets'],
  ['search the system for an executable program', 'command/find_program', 'program'],
  ['find the directory that contains a given header file', 'command/find_path', 'directory containing the named file'],
  ['build a library that is loaded dynamically at runtime', 'command/add_library', 'SHARED'],
  ['register a test that ctest will run', 'command/add_test', 'add_test'],
  ['include a subdirectory with its own CMakeLists.txt in the build', 'command/add_subdirectory', 'CMakeLists.txt'],
  ['add preprocessor definitions when compiling every target', 'command/add_compile_definitions', 'preprocessor'],
  ['iterate over each item of a list', 'command/foreach', 'foreach'],
];

/** Questions on the shared-mime-info specification PDF: [question, page, phrase]. */
const PDF_QA: Array<[string, number, string]> = [
  ['what weight does a glob pattern get when none is given, and how high can it go?', 4, 'default weight value is'],
  ['which command has to be run after an application installs or removes its package XML file?', 3, 'MUST run the update-mime-database'],
  ['which file in a packages directory wins over every other file there?', 3, 'Override.xml'],
  ['what other name is audio/midi known by?', 5, 'audio/x-midi'],
  ['what namespace must the mime-info document element use?', 4, 'http://www.freedesktop.org/standards/shared-mime-info'],
  ['which version of the shared MIME database spec is this, and when was it last updated?', 1, 'version 0.21'],
  ['does the MIME database keep the application a user prefers for a file type?', 1, 'does NOT store user preferences'],
  ['show an example package source file describing patch and diff files', 6, 'diff.xml'],
];

function helpDir(): string {
  const dir = fs.readdirSync('/usr/share').filter((d) => /^cmake-[\d.]+$/.test(d)).sort().pop();
  if (!dir) throw new Error('bench/kb.ts needs the CMake docs (Debian package cmake-data): /usr/share/cmake-*/Help not found');
  return path.join('/usr/share', dir, 'Help');
}

function pick(help: string, n: number): string[] {
  const order = ['command', 'variable', 'prop_tgt', 'prop_dir', 'prop_sf', 'prop_test', 'module', 'policy', 'envvar'];
  const out: string[] = [];
  for (const sub of order) {
    const d = path.join(help, sub);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d).filter((x) => x.endsWith('.rst')).sort()) {
      if (out.length >= n) return out;
      out.push(`${sub}/${f.slice(0, -4)}`);
    }
  }
  return out;
}

const itemIdOf = (rel: string) => rel.replace(/\//g, ':').replace(/[^A-Za-z0-9._:@-]/g, '_');
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  const help = helpDir();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-kb-'));
  const app = await createApp(loadConfig({ dataDir, logLevel: 'silent' }), createLogger('silent'));
  try {
    const kb = app.deps.service(KbService);
    const { user, project } = await app.deps.service(AccountsService).createUser('bench');
    const scope = { ownerId: user.id, projectId: project.id };
    const embedder = await app.deps.embedder();

    // ---- ingest 1,000 items
    const rels = pick(help, ITEMS);
    for (const [, page] of QA) if (!rels.includes(page)) throw new Error(`quality page ${page} is not in the corpus`);
    let tokens = 0;
    let chunks = 0;
    const t0 = performance.now();
    for (const rel of rels) {
      const r = await kb.ingest(scope, { itemId: itemIdOf(rel), mode: 'text', content: fs.readFileSync(path.join(help, `${rel}.rst`), 'utf8'), title: path.basename(rel) });
      tokens += r.tokens;
      chunks += r.chunks;
    }
    const ingestS = (performance.now() - t0) / 1000;

    // ---- quality and latency per mode
    const modes: KbSearchMode[] = ['hybrid', 'semantic', 'keyword'];
    const quality: Record<string, unknown> = {};
    const latency: Record<string, unknown> = {};
    for (const mode of modes) {
      await kb.query(scope, { query: 'warm up', topK: TOP_K, mode }); // first call loads caches
      const times: number[] = [];
      let hits = 0;
      let itemHits = 0;
      let rr = 0;
      const misses: string[] = [];
      for (let rep = 0; rep < 3; rep++) {
        for (const [q, page, phrase] of QA) {
          const s = performance.now();
          const res = await kb.query(scope, { query: q, topK: TOP_K, mode });
          times.push(performance.now() - s);
          if (rep > 0) continue;
          const id = itemIdOf(page);
          const rank = res.results.findIndex((h) => h.item_id === id && h.passage.toLowerCase().includes(phrase.toLowerCase()));
          if (rank >= 0) {
            hits++;
            rr += 1 / (rank + 1);
          } else misses.push(q);
          if (res.results.some((h) => h.item_id === id)) itemHits++;
        }
      }
      quality[mode] = { recall_at_5: round(hits / QA.length, 3), item_recall_at_5: round(itemHits / QA.length, 3), mrr_at_5: round(rr / QA.length, 3), misses };
      latency[mode] = { queries: times.length, median_ms: round(quantile(times, 0.5)), p95_ms: round(quantile(times, 0.95)), max_ms: round(Math.max(...times)) };
    }

    // ---- PDF ingest throughput
    const pdfs = ['/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf', '/usr/share/doc/libtasn1-doc/libtasn1.pdf', path.join(import.meta.dirname, '../test/fixtures/docs/handbook.pdf')].filter((p) => fs.existsSync(p));
    // Load PDF.js once before timing (its first use costs about a second).
    await extractDocument({ bytes: fs.readFileSync(pdfs[pdfs.length - 1]!), accept: ['pdf'] });
    const perPdf: unknown[] = [];
    let pages = 0;
    let bytes = 0;
    let pdfMs = 0;
    let extractMs = 0;
    for (const [i, file] of pdfs.entries()) {
      const buf = fs.readFileSync(file);
      const e0 = performance.now();
      await extractDocument({ bytes: buf, filename: path.basename(file), accept: ['pdf'] });
      const e1 = performance.now();
      const r = await kb.ingest(scope, { itemId: `pdf-${i}`, mode: 'file', filename: path.basename(file), content: buf.toString('base64') });
      const ms = performance.now() - e1;
      pages += r.pages ?? 0;
      bytes += buf.length;
      pdfMs += ms;
      extractMs += e1 - e0;
      perPdf.push({ file, bytes: buf.length, pages: r.pages, tokens: r.tokens, chunks: r.chunks, ingest_ms: round(ms), extract_only_ms: round(e1 - e0) });
    }

    // ---- retrieval on the real PDF (now one item among the 1,000 pages): right page and phrase in the top 5
    const pdfQuality: Record<string, unknown> = {};
    const specId = pdfs[0]?.endsWith('shared-mime-info-spec.pdf') ? 'pdf-0' : null;
    if (specId) {
      for (const mode of modes) {
        let hits = 0;
        const misses: string[] = [];
        for (const [q, page, phrase] of PDF_QA) {
          const res = await kb.query(scope, { query: q, topK: TOP_K, mode });
          const ok = res.results.some((h) => h.item_id === specId && h.page === page && h.passage.includes(phrase));
          if (ok) hits++;
          else misses.push(q);
        }
        pdfQuality[mode] = { recall_at_5: round(hits / PDF_QA.length, 3), misses };
      }
    }

    // ---- gc_lookup: building the built-in index (background work at start), a warm restart, look-ups
    const lk = app.deps.service(LookupService);
    const b0 = performance.now();
    await lk.warm();
    const buildMs = performance.now() - b0;
    const r0 = performance.now();
    await new LookupService(app.deps).warm();
    const rewarmMs = performance.now() - r0;
    const lookupTimes: number[] = [];
    for (const q of ['parse an object schema', 'extract text from a PDF page', 'counter metric with labels', 'prepared statement with named parameters', 'create a child logger', 'structured patch between two strings', 'add a rule for an element', 'read the .gitignore rules']) {
      const s0 = performance.now();
      await lk.lookup(null, { query: q, topK: 5 });
      lookupTimes.push(performance.now() - s0);
    }
    const sources = (await lk.list(null)).sources;

    const out = {
      embedder: embedder.id,
      corpus: { path: help, items: rels.length, tokens, chunks },
      ingest_text: { seconds: round(ingestS), items_per_s: round(rels.length / ingestS, 1), tokens_per_s: Math.round(tokens / ingestS) },
      query_latency_at_items: rels.length,
      query_latency: latency,
      retrieval_quality: { questions: QA.length, top_k: TOP_K, criterion: 'a top-5 passage from the right page containing the answer phrase', ...quality },
      pdf_ingest: {
        files: perPdf,
        pages,
        bytes,
        pages_per_s: round(pages / (pdfMs / 1000), 1),
        mb_per_s: round(bytes / 1024 / 1024 / (pdfMs / 1000), 2),
        // Text extraction alone (PDF.js), timed separately: most of the ingest cost.
        extract_only_pages_per_s: round(pages / (extractMs / 1000), 1),
      },
      lookup: {
        builtin_sources: sources.length,
        chunks: sources.reduce((n, x) => n + x.chunks, 0),
        fresh_build_ms: Math.round(buildMs),
        restart_check_ms: Math.round(rewarmMs),
        lookup_median_ms: round(quantile(lookupTimes, 0.5)),
        lookup_max_ms: round(Math.max(...lookupTimes)),
      },
      pdf_retrieval_quality: specId ? { file: pdfs[0], questions: PDF_QA.length, criterion: 'a top-5 passage from the right page containing the answer phrase', ...pdfQuality } : 'skipped: shared-mime-info-spec.pdf not installed',
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
