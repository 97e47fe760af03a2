// Cross-file structure of a bundle: where each name is defined, which files reference which, and
// import edges resolved to files of the bundle. Shared by blast radius, repo map and codebase digest.
import path from 'node:path';
import type { FileAnalysis } from './analyze.js';
import type { LanguageId } from './languages.js';
import type { Edge } from './pagerank.js';

export interface AnalyzedFile {
  path: string;
  language: LanguageId | null;
  analysis: FileAnalysis;
}

export interface DefRef { file: number; def: number }

export interface RepoGraph {
  files: AnalyzedFile[];
  /** name → every definition of it in the bundle. */
  defsByName: Map<string, DefRef[]>;
  /** name → distinct files defining it. */
  definingFiles: Map<string, number[]>;
  /** Resolved imports: [from file, to file]. */
  imports: Array<[number, number]>;
}

const stripExt = (p: string) => p.replace(/\.[^./]+$/, '');

/** Index files by their extension-less basename (and directory, for Go packages). */
function fileIndex(files: AnalyzedFile[]) {
  const byStem = new Map<string, number[]>();
  const byDir = new Map<string, number[]>();
  const byPath = new Map<string, number>();
  files.forEach((f, i) => {
    byPath.set(f.path, i);
    const stem = path.posix.basename(stripExt(f.path));
    (byStem.get(stem) ?? byStem.set(stem, []).get(stem)!).push(i);
    const dir = path.posix.dirname(f.path);
    (byDir.get(dir) ?? byDir.set(dir, []).get(dir)!).push(i);
  });
  return { byStem, byDir, byPath };
}

const JS_EXTS = ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.mts', '.cts'];

/** Files of the bundle an import specifier refers to (empty for third-party modules). */
export function resolveImport(spec: string, from: AnalyzedFile, files: AnalyzedFile[], idx = fileIndex(files)): number[] {
  const dir = path.posix.dirname(from.path);
  const lang = from.language;
  if ((lang === 'javascript' || lang === 'typescript' || lang === 'tsx') && spec.startsWith('.')) {
    const base = path.posix.normalize(path.posix.join(dir, spec));
    const candidates = [base, stripExt(base), ...JS_EXTS.map((e) => stripExt(base) + e), ...JS_EXTS.map((e) => `${base}/index${e}`)];
    for (const c of candidates) {
      const hit = idx.byPath.get(c);
      if (hit !== undefined) return [hit];
    }
    return [];
  }
  let segments: string[];
  let anchor: string | null = null; // directory a relative import is resolved against
  if (lang === 'python') {
    const dots = /^\.*/.exec(spec)![0].length;
    if (dots > 0) {
      anchor = dir;
      for (let i = 1; i < dots; i++) anchor = path.posix.dirname(anchor);
    }
    segments = spec.slice(dots).split('.').filter(Boolean);
  } else if (lang === 'rust') {
    segments = spec.split('::').filter((s) => s && !/^(crate|self|super|\{.*)$/.test(s));
  } else if (lang === 'c' || lang === 'cpp') {
    segments = stripExt(spec).split('/').filter((s) => s && s !== '.' && s !== '..');
  } else {
    segments = spec.split(/[./]/).filter(Boolean);
  }
  if (!segments.length) return [];
  if (lang === 'go') {
    // A Go import names a package directory: every file in the bundle directory with that suffix.
    const suffix = segments.join('/');
    for (const [d, list] of idx.byDir) if (d === suffix || d.endsWith(`/${suffix}`)) return list;
    return [];
  }
  // Longest suffix of the module path that names a file (java.util.List → java/util/List.java;
  // asyncio.events → asyncio/events.py; crate::graph::node → graph/node.rs or graph.rs).
  for (let take = segments.length; take >= 1; take--) {
    const segs = segments.slice(0, take);
    const stem = segs[segs.length - 1]!;
    const want = segs.join('/');
    const hits = (idx.byStem.get(stem) ?? []).filter((i) => {
      const p = stripExt(files[i]!.path);
      if (anchor !== null) return p === path.posix.join(anchor, want) || p === path.posix.join(anchor, want, '__init__');
      return p === want || p.endsWith(`/${want}`);
    });
    if (hits.length) return hits;
    if (anchor !== null || lang === 'python') {
      // Python packages: a/b → a/b/__init__.py
      const init = (idx.byStem.get('__init__') ?? []).filter((i) => {
        const p = path.posix.dirname(files[i]!.path);
        return anchor !== null ? p === path.posix.join(anchor, want) : p === want || p.endsWith(`/${want}`);
      });
      if (init.length) return init;
    }
    if (lang !== 'rust' && lang !== 'python') break; // only module paths shrink to their file prefix
  }
  return [];
}

export function buildRepoGraph(files: AnalyzedFile[]): RepoGraph {
  const defsByName = new Map<string, DefRef[]>();
  const definingFiles = new Map<string, number[]>();
  files.forEach((f, fi) => {
    f.analysis.defs.forEach((d, di) => {
      const list = defsByName.get(d.name);
      if (list) list.push({ file: fi, def: di });
      else defsByName.set(d.name, [{ file: fi, def: di }]);
      const fl = definingFiles.get(d.name);
      if (!fl) definingFiles.set(d.name, [fi]);
      else if (fl[fl.length - 1] !== fi) fl.push(fi);
    });
  });
  const idx = fileIndex(files);
  const imports: Array<[number, number]> = [];
  files.forEach((f, fi) => {
    const seen = new Set<number>();
    for (const imp of f.analysis.imports) {
      for (const spec of imp.specifiers) {
        for (const to of resolveImport(spec, f, files, idx)) {
          if (to !== fi && !seen.has(to)) {
            seen.add(to);
            imports.push([fi, to]);
          }
        }
      }
    }
  });
  return { files, defsByName, definingFiles, imports };
}

/** How much a reference to `name` says about a link (Aider's heuristics: long, specific names count more). */
export function identWeight(name: string, definers: number, mentioned: Set<string> | null): number {
  let mul = 1;
  const structured = /_/.test(name) || /[a-z][A-Z]/.test(name);
  if (structured && name.length >= 8) mul *= 10;
  if (name.startsWith('_')) mul *= 0.1;
  if (definers > 5) mul *= 0.1;
  if (name.length <= 2) mul *= 0.1;
  if (mentioned?.has(name)) mul *= 10;
  return mul;
}

export interface FileEdges {
  edges: Edge[];
  /** For each edge, the identifier that made it (null for imports). */
  idents: Array<string | null>;
}

/** File → file edges: a file points at the files defining the names it references. */
export function fileReferenceEdges(g: RepoGraph, mentioned: Set<string> | null = null): FileEdges {
  const edges: Edge[] = [];
  const idents: Array<string | null> = [];
  g.files.forEach((f, fi) => {
    for (const [name, count] of f.analysis.refCount) {
      const definers = g.definingFiles.get(name);
      if (!definers) continue;
      const w = identWeight(name, definers.length, mentioned) * Math.sqrt(count);
      for (const to of definers) {
        if (to === fi) continue;
        edges.push({ from: fi, to, weight: w });
        idents.push(name);
      }
    }
  });
  for (const [from, to] of g.imports) {
    edges.push({ from, to, weight: 1 });
    idents.push(null);
  }
  return { edges, idents };
}
