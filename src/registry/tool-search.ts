// search_tools' ranking: BM25F (Robertson, Zaragoza, Taylor 2004). Each field's term counts are
// normalised by that field's own average length and weighted, then saturated once per term. One BM25
// over name + title + description + details let the length of `details` decide: a tool with a long
// help text lost to any short one sharing a single word ("hand off a task to another agent" put
// ace_record_outcome, whose title says "task", above create_handoff). Per field, a long help text
// costs only its own words' weight, and what a tool is called counts most.
import { BM25_K1, bm25Idf, tokenize, wordForms } from '../engine/bm25.js';

export interface SearchDoc {
  /** The tool's name (snake_case: split into words). */
  name: string;
  /** Title and one-line description: what the tool is. */
  summary: string;
  /** tool_help's details: options, limits, caveats. */
  details: string;
  /** The toolset's name and description: what the tool's whole group is about. */
  toolset: string;
}

/**
 * Per field: its weight (a query word in the name says more than one in the summary, and that more
 * than one in the details or the toolset's description) and its length normalisation b (names are
 * all short, and a toolset's text is the same for each of its tools: none).
 */
const FIELDS = [
  { field: 'name', weight: 3, b: 0 },
  { field: 'summary', weight: 2, b: 0.75 },
  { field: 'details', weight: 1, b: 0.75 },
  // The toolset's words are every member's: they place a tool in its group ("knowledge base" finds
  // the gc_kb_* tools) but say nothing about which member is meant. In the summary they let the kb
  // toolset's "... and restore" rank gc_kb_list above gc_kb_restore for "roll back a kb item".
  { field: 'toolset', weight: 0.5, b: 0 },
] as const;

/**
 * Words of a request that say nothing about which tool is meant: question words, pronouns,
 * auxiliaries and conjunctions ("how much did I spend", "which files break if I change a function",
 * "make this prompt smaller"). Each used to count as a rare term and rank whichever tool happened to
 * contain it ("did" → get_audit_log's "who did what", "if" → cancel_batch_job).
 */
const QUERY_STOPWORDS = new Set(
  ('a an the is are was were be been am this that these those it its i me my mine we us our you your they them their ' +
    'how what which who whom whose when where why many much do does did done can could should would will shall may might must ' +
    'has have had to of for in on at as into with by from and or but if then than so not no just also some any ' +
    'please want wanted need needs like make made let get there here new').split(' '),
);

/**
 * Crude suffix stripping for tool search (compression → compress, files → file, searching →
 * search), the same on both sides. "-ies" is "-y" (memories → memory, entities → entity), and a
 * final "ss", "us" or "is" is no plural: compress stays compress, as compression and compressed
 * become (it used to lose its last "s", and "compress" then never met "compression").
 */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.length > 4 && word.endsWith('ies')) return word.slice(0, -3) + 'y';
  if (/(?:ss|us|is)$/.test(word)) return word;
  return word.length > 5 ? word.replace(/(?:ations?|ions?|ing|ers?|ed|es|s)$/, '') : word.replace(/s$/, '');
}

const terms = (text: string) => tokenize(text).map(stem);

/**
 * The query's terms: its words stemmed, without question words, plus each pair of adjacent words
 * written as one ("hand off" → handoff, "web hook" → webhook, "code base" → codebase), because tool
 * names and descriptions use the closed compound and a reader often types it open.
 */
export function queryTerms(query: string): string[] {
  const words = tokenize(query);
  const out = words.filter((w) => !QUERY_STOPWORDS.has(w)).map(stem);
  for (let i = 0; i + 1 < words.length; i++) {
    if (!QUERY_STOPWORDS.has(words[i]!) && !QUERY_STOPWORDS.has(words[i + 1]!)) out.push(stem(words[i]! + words[i + 1]!));
  }
  return out;
}

/**
 * The words a reader types for what the tools call otherwise, query side only (the index holds the
 * tools' own words). Small and reviewed by hand: each entry is a word people use and the word our
 * names and descriptions use for the same thing. Open compounds are found closed ("roll back" →
 * rollback), so the closed form is the key. Expansions weigh SYNONYM_WEIGHT of a typed word, so a
 * tool that has the reader's own word still ranks first.
 */
const SYNONYMS: Record<string, string[]> = {
  invite: ['add', 'member'],
  teammate: ['member'],
  colleague: ['member'],
  coworker: ['member'],
  collaborator: ['member'],
  undo: ['restore'],
  rollback: ['restore'],
  revert: ['restore'],
  undelete: ['restore'],
  recover: ['restore'],
  erase: ['delete'],
  remove: ['delete'],
  delete: ['revoke', 'remove'],
  wipe: ['delete', 'clear'],
  summarize: ['distill'],
  summarise: ['distill'],
  chat: ['conversation'],
  shorten: ['compress'],
  minify: ['compress'],
  smaller: ['compress', 'shorten'],
  spend: ['usage'],
  spent: ['usage'],
  bill: ['usage', 'cost'],
  billing: ['usage', 'cost'],
  background: ['job'],
  setup: ['create', 'configure'],
  find: ['search'],
};
const SYNONYM_WEIGHT = 0.8;
const STEMMED_SYNONYMS = new Map(Object.entries(SYNONYMS).map(([k, v]) => [stem(k), v.map(stem)]));

/** Query terms with their weights: the typed terms (1) and their synonyms (SYNONYM_WEIGHT) where not typed. */
export function weightedQueryTerms(query: string): Map<string, number> {
  const typed = queryTerms(query);
  const out = new Map(typed.map((t) => [t, 1]));
  // An open compound that is a synonym key ("roll back") is one word: its halves are not the query.
  const words = tokenize(query);
  for (let i = 0; i + 1 < words.length; i++) {
    if (STEMMED_SYNONYMS.has(stem(words[i]! + words[i + 1]!))) for (const w of [words[i]!, words[i + 1]!]) out.delete(stem(w));
  }
  for (const t of typed) for (const s of STEMMED_SYNONYMS.get(t) ?? []) if (!out.has(s)) out.set(s, SYNONYM_WEIGHT);
  return out;
}

export class ToolSearchIndex {
  /** Per document, per field: term → count, and the field's length. */
  private readonly docs: Array<Array<{ tf: Map<string, number>; length: number }>> = [];
  private readonly df = new Map<string, number>();
  private readonly totalLength = FIELDS.map(() => 0);

  /**
   * `toolNames`: every tool's name. A description that names another tool ("follow it with
   * list_webhook_deliveries", "restore_context brings it back") is indexed under that name whole,
   * not under its words: they are the other tool's. Counted here, delete_context (which names
   * restore_context) matched "undo" and gc_kb_edit (which names gc_kb_restore) "roll back".
   */
  constructor(private readonly toolNames: ReadonlySet<string> = new Set()) {}

  private fieldTerms(text: string): string[] {
    return wordForms(text)
      .flatMap((forms) => (this.toolNames.has(forms[0]!) ? [forms[0]!] : forms))
      .map(stem);
  }

  add(doc: SearchDoc): number {
    const fields = FIELDS.map(({ field }, i) => {
      const words = field === 'name' ? terms(doc.name.replace(/_/g, ' ')) : this.fieldTerms(doc[field]);
      const tf = new Map<string, number>();
      for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
      this.totalLength[i]! += words.length;
      return { tf, length: words.length };
    });
    for (const t of new Set(fields.flatMap((f) => [...f.tf.keys()]))) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    this.docs.push(fields);
    return this.docs.length - 1;
  }

  /** Indices of the best `k` documents with a positive score, best first. */
  top(query: string, k: number): Array<{ index: number; score: number }> {
    const n = this.docs.length;
    const avg = this.totalLength.map((t) => t / Math.max(1, n) || 1);
    const hits: Array<{ index: number; score: number }> = [];
    const q = [...weightedQueryTerms(query)].filter(([t]) => this.df.has(t));
    this.docs.forEach((fields, index) => {
      let score = 0;
      for (const [t, w] of q) {
        let tf = 0;
        FIELDS.forEach(({ weight, b }, i) => {
          const f = fields[i]!.tf.get(t);
          if (f) tf += (weight * f) / (1 - b + (b * fields[i]!.length) / avg[i]!);
        });
        if (!tf) continue;
        // BM25F: the fields' weighted, length-normalised counts are saturated once, with BM25's k1.
        score += (w * bm25Idf(n, this.df.get(t)!) * tf) / (BM25_K1 + tf);
      }
      if (score > 0) hits.push({ index, score });
    });
    return hits.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
  }
}
