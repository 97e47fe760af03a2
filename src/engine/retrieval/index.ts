// The pure half of the retrieval index every searchable store uses (src/store/retrieval.ts is the
// half that talks to the database): the query tokeniser, top-k, rank fusion, the float-bounded
// per-scope vector tables with their change stamps, and the in-memory keyword index (BM25).
export { queryTerms, termsFor, fts5Match, MAX_QUERY_TERMS, type QueryTerms, type TermMode } from './terms.js';
export { TopK, topK, ranksBefore, type Scored } from './topk.js';
export { fuseRankings, fusionDepth, type FusedHit } from './fusion.js';
export { VectorTable } from './vector-table.js';
export { VectorCache, type Sized } from './vector-cache.js';
export { KeywordIndex, searchKeyword, parseTsvector, type KeywordSearch } from './keyword-index.js';
