// The pure half of the retrieval index every searchable store uses (src/store/retrieval.ts is the
// half that talks to the database): the query tokeniser, top-k, rank fusion, and the float-bounded
// per-scope vector tables with their change stamps.
export { queryTerms, termsFor, fts5Match, MAX_QUERY_TERMS, type QueryTerms, type TermMode } from './terms.js';
export { TopK, topK, ranksBefore, type Scored } from './topk.js';
export { fuseRankings, fusionDepth, type FusedHit } from './fusion.js';
export { VectorTable } from './vector-table.js';
export { VectorCache, type Sized } from './vector-cache.js';
