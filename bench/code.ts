// compress_code benchmark: savings and definition-name retention per language and fidelity, on
// real open-source files installed on this machine (paths are recorded in the output).
//   npx tsx bench/code.ts            (CODE_BENCH_FILES=N to change the per-language sample, default 12)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeSource } from '../src/engine/code/analyze.js';
import { CODE_FIDELITIES, type CodeFidelity } from '../src/engine/code/fidelity.js';
import { detectLanguage, type LanguageId } from '../src/engine/code/languages.js';
import { renderSkeleton, topLevelDefs } from '../src/engine/code/skeleton.js';
import { SPECS } from '../src/engine/code/spec.js';
import { countTokens } from '../src/engine/tokens.js';
import { projectRoot } from '../src/paths.js';

const PER_LANGUAGE = Number(process.env.CODE_BENCH_FILES ?? 12);
const MIN_BYTES = 3_000;
const MAX_BYTES = 150_000;

interface Sample { path: string; content: string }
interface Corpus { name: string; language: LanguageId; source: string; load(): Sample[] }

function walk(dir: string, accept: (p: string) => boolean, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!/^(test|tests|testdata|__tests__|__pycache__|node_modules)$/.test(e.name)) walk(p, accept, out);
    } else if (e.isFile() && accept(p)) out.push(p);
  }
  return out;
}

/** An even spread of the candidates (deterministic), limited to real source sizes. */
function spread(paths: string[], n = PER_LANGUAGE): Sample[] {
  const sized = paths.filter((p) => {
    const s = fs.statSync(p).size;
    return s >= MIN_BYTES && s <= MAX_BYTES;
  });
  const step = Math.max(1, Math.floor(sized.length / n));
  return sized.filter((_, i) => i % step === 0).slice(0, n).map((p) => ({ path: p, content: fs.readFileSync(p, 'utf8') }));
}

const fromDirs = (dirs: string[], re: RegExp, skip = /(_test\.go|\.d\.ts|\.min\.js|\.test\.[jt]s|\.spec\.[jt]s)$/) => () =>
  spread(dirs.flatMap((d) => walk(d, (p) => re.test(p) && !skip.test(p))));

function javaFromZip(zip: string): () => Sample[] {
  return () => {
    if (!fs.existsSync(zip)) return [];
    const names = execFileSync('unzip', ['-Z1', zip], { maxBuffer: 64 << 20 }).toString().split('\n').filter((n) => /^java\.base\/java\/util\/[A-Za-z]+\.java$/.test(n)).sort();
    const step = Math.max(1, Math.floor(names.length / (PER_LANGUAGE * 2)));
    const out: Sample[] = [];
    for (let i = 0; i < names.length && out.length < PER_LANGUAGE; i += step) {
      const content = execFileSync('unzip', ['-p', zip, names[i]!], { maxBuffer: 16 << 20 }).toString();
      if (content.length >= MIN_BYTES && content.length <= MAX_BYTES) out.push({ path: `${zip}!${names[i]}`, content });
    }
    return out;
  };
}

const rustDir = () => {
  const base = '/usr/src';
  const d = fs.existsSync(base) ? fs.readdirSync(base).find((x) => /^rustc-/.test(x)) : undefined;
  return d ? path.join(base, d, 'library') : '/usr/src/rustc/library';
};

const nm = path.join(projectRoot, 'node_modules');
const CORPORA: Corpus[] = [
  { name: 'python', language: 'python', source: '/usr/lib/python3.11/{asyncio,email,json,http,logging}', load: fromDirs(['asyncio', 'email', 'json', 'http', 'logging'].map((d) => `/usr/lib/python3.11/${d}`), /\.py$/) },
  { name: 'javascript', language: 'javascript', source: 'node_modules/{express,pino,ajv/lib,send,body-parser}', load: fromDirs(['express/lib', 'pino/lib', 'send', 'body-parser/lib', 'router/lib', 'ajv/lib'].map((d) => path.join(nm, d)), /\.(js|cjs|mjs)$/) },
  { name: 'typescript', language: 'typescript', source: 'node_modules/zod/src/v4 + node_modules/web-tree-sitter/src', load: fromDirs([path.join(nm, 'zod/src/v4'), path.join(nm, 'web-tree-sitter/src')], /\.ts$/) },
  { name: 'java', language: 'java', source: '/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip (java.base/java/util)', load: javaFromZip('/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip') },
  { name: 'go', language: 'go', source: '/usr/share/go-1.19/src/{net/http,strings,sort,bufio,encoding/json}', load: fromDirs(['net/http', 'strings', 'sort', 'bufio', 'encoding/json'].map((d) => `/usr/share/go-1.19/src/${d}`), /\.go$/) },
  { name: 'rust', language: 'rust', source: `${rustDir()}/{core,alloc}/src (Debian rust-src)`, load: fromDirs([path.join(rustDir(), 'alloc/src'), path.join(rustDir(), 'core/src/str'), path.join(rustDir(), 'core/src/iter')], /\.rs$/) },
  { name: 'c (sources)', language: 'c', source: '/usr/include/X11/Xtrans/*.c + pyenv site-packages C extensions + zlib examples', load: () => spread([...walk('/usr/include/X11/Xtrans', (p) => p.endsWith('.c')), ...walk('/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages', (p) => /(markupsafe|wrapt|lazy_object_proxy)\/[^/]+\.c$/.test(p)), ...walk('/usr/share/doc/zlib1g-dev', (p) => p.endsWith('.c'))]) },
  { name: 'c (headers)', language: 'c', source: '/usr/include/*.h', load: () => spread(walk('/usr/include', (p) => /^\/usr\/include\/[^/]+\.h$/.test(p))) },
  { name: 'cpp', language: 'cpp', source: 'node_modules/better-sqlite3/src + /usr/include/c++/12/bits', load: () => spread([...walk(path.join(nm, 'better-sqlite3/src'), (p) => /\.(cpp|hpp|lzz)$/.test(p)), ...walk('/usr/include/c++/12/bits', (p) => /(stl_|basic_string|shared_ptr|unique_ptr|hashtable)[a-z_]*\.h$/.test(p))]) },
];

type FidStats = { tokens: number; retained: number };

async function main() {
  const started = performance.now();
  const results: Record<string, unknown> = {};
  const overall: Record<string, { orig: number; comp: number; names: number; kept: number }> = {};
  for (const c of CORPORA) {
    const samples = c.load();
    if (!samples.length) {
      results[c.name] = { source: c.source, files: 0, note: 'corpus not installed on this machine' };
      continue;
    }
    let original = 0;
    let names = 0;
    let parseErrors = 0;
    let parseMs = 0;
    let misdetected = 0;
    const fid: Record<CodeFidelity, FidStats> = Object.fromEntries(CODE_FIDELITIES.map((f) => [f, { tokens: 0, retained: 0 }])) as Record<CodeFidelity, FidStats>;
    for (const s of samples) {
      const detected = detectLanguage(s.content, s.path.replace(/^.*!/, ''));
      if (detected !== c.language) misdetected++;
      const t0 = performance.now();
      const a = await analyzeSource(c.language, s.content);
      parseMs += performance.now() - t0;
      if (a.hasErrors) parseErrors++;
      original += countTokens(s.content);
      const top = [...new Set(topLevelDefs(a).map((i) => a.defs[i]!.name))];
      names += top.length;
      for (const f of CODE_FIDELITIES) {
        const text = renderSkeleton(a, f, SPECS[c.language].lineComment).text;
        fid[f].tokens += countTokens(text);
        const words = new Set(text.match(/[\p{L}\p{N}_$~]+/gu) ?? []);
        fid[f].retained += top.filter((n) => words.has(n) || text.includes(n)).length;
      }
    }
    const per: Record<string, { savings_pct: number; name_retention_pct: number }> = {};
    for (const f of CODE_FIDELITIES) {
      per[f] = {
        savings_pct: Math.round((1 - fid[f].tokens / original) * 1000) / 10,
        name_retention_pct: names ? Math.round((fid[f].retained / names) * 1000) / 10 : 100,
      };
      const o = (overall[f] ??= { orig: 0, comp: 0, names: 0, kept: 0 });
      o.orig += original;
      o.comp += fid[f].tokens;
      o.names += names;
      o.kept += fid[f].retained;
    }
    results[c.name] = {
      language: c.language,
      source: c.source,
      files: samples.length,
      paths: samples.map((s) => s.path.replace(nm, 'node_modules')),
      original_tokens: original,
      top_level_definitions: names,
      files_with_parse_errors: parseErrors,
      files_misdetected_by_path_and_content: misdetected,
      parse_ms_per_file: Math.round((parseMs / samples.length) * 10) / 10,
      fidelity: per,
    };
  }
  const summary = Object.fromEntries(
    Object.entries(overall).map(([f, o]) => [f, { savings_pct: Math.round((1 - o.comp / o.orig) * 1000) / 10, name_retention_pct: Math.round((o.kept / o.names) * 1000) / 10 }]),
  );
  console.log(JSON.stringify({ benchmark: 'compress_code', node: process.version, files_per_language: PER_LANGUAGE, overall: summary, languages: results, elapsed_s: Math.round((performance.now() - started) / 100) / 10 }, null, 2));
}

await main();
