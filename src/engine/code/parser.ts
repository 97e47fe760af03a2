// tree-sitter, loaded once per process from the local .wasm grammars of the tree-sitter-wasms
// package (no network). Parsers are reused per language; callers free each Tree with `delete()`.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Parser, Language, type Tree } from 'web-tree-sitter';
import type { LanguageId } from './languages.js';

const require = createRequire(import.meta.url);

const GRAMMAR_FILE: Record<LanguageId, string> = {
  python: 'tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  java: 'tree-sitter-java.wasm',
  go: 'tree-sitter-go.wasm',
  rust: 'tree-sitter-rust.wasm',
  c: 'tree-sitter-c.wasm',
  cpp: 'tree-sitter-cpp.wasm',
};

function grammarDir(): string {
  return path.join(path.dirname(require.resolve('tree-sitter-wasms/package.json')), 'out');
}

let initOnce: Promise<void> | null = null;
const languages = new Map<LanguageId, Promise<Language>>();
const parsers = new Map<LanguageId, Parser>();

function init(): Promise<void> {
  initOnce ??= Parser.init().catch((err: unknown) => {
    initOnce = null; // let a later call retry instead of caching the failure forever
    throw err;
  });
  return initOnce;
}

async function loadLanguage(lang: LanguageId): Promise<Language> {
  await init();
  let p = languages.get(lang);
  if (!p) {
    p = Language.load(path.join(grammarDir(), GRAMMAR_FILE[lang]));
    p.catch(() => languages.delete(lang));
    languages.set(lang, p);
  }
  return p;
}

/** A ready parser for the language (one per language, reused: parsing is synchronous). */
export async function getParser(lang: LanguageId): Promise<Parser> {
  const language = await loadLanguage(lang);
  let parser = parsers.get(lang);
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(language);
    parsers.set(lang, parser);
  }
  return parser;
}

/** Parse source text; the caller must `tree.delete()` when done (the tree lives in wasm memory). */
export async function parseSource(lang: LanguageId, source: string): Promise<Tree> {
  const parser = await getParser(lang);
  const tree = parser.parse(source);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${lang}`);
  return tree;
}
