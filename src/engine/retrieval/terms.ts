// The one query tokeniser of every stored, searchable collection (documents, kb, memory, lookup and
// any store added later). It turns free text into word groups that the store's dialect adapter
// renders as an FTS5 MATCH expression or a PostgreSQL tsquery, so the same text asks the same
// question of every store and every backend. No operator of either query language can leak in:
// terms are plain lower-case words, quoted (FTS5) or bound as parameters (PostgreSQL).
import { wordForms } from '../bm25.js';

/** Terms kept per query: more than any real question, few enough to bound the MATCH expression. */
export const MAX_QUERY_TERMS = 64;

/** How query words combine: `any` ranks passages matching any term; `all` needs every word. */
export type TermMode = 'any' | 'all';

export interface QueryTerms {
  /** Each query word once, as written (lower-cased), in query order. `all` requires every one. */
  words: string[];
  /** Words plus their camelCase / snake_case parts, unique, at most MAX_QUERY_TERMS: what `any` matches. */
  any: string[];
}

/** The word groups of a query (bm25.ts's word splitter); both lists empty when it has no words. */
export function queryTerms(text: string): QueryTerms {
  const words: string[] = [];
  const any: string[] = [];
  const seenWords = new Set<string>();
  const seenAny = new Set<string>();
  for (const forms of wordForms(text)) {
    const [word] = forms;
    if (!word || seenWords.has(word)) continue;
    if (words.length >= MAX_QUERY_TERMS) break;
    seenWords.add(word);
    words.push(word);
    for (const f of forms) {
      if (any.length >= MAX_QUERY_TERMS || seenAny.has(f)) continue;
      seenAny.add(f);
      any.push(f);
    }
  }
  return { words, any };
}

/** The terms a mode matches; empty means the query can match nothing. */
export function termsFor(q: QueryTerms, mode: TermMode): string[] {
  return mode === 'all' ? q.words : q.any;
}

/**
 * An FTS5 MATCH expression: every term a quoted string (FTS5's own tokenizer then folds case and
 * diacritics and stems it like the indexed text), OR-ed for `any`, AND-ed for `all`. Null when
 * there is nothing to match. Pure string work, so it lives here beside the tokeniser it renders.
 */
export function fts5Match(q: QueryTerms, mode: TermMode): string | null {
  const terms = termsFor(q, mode);
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(mode === 'all' ? ' AND ' : ' OR ');
}
