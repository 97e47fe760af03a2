// A development set: the same two question methods (corpora.ts, hard.ts) over documents that are in
// NEITHER committed half, so the outline can be tuned on more than the tuning half without touching
// the held-back half. Every question is marked half "tuning" (nothing here is held back).
// Run once: `npx tsx bench/corpus/dev.ts`; writes bench/corpus/retention/<corpus>.dev.json and
// <corpus>.dev-hard.json; `RETENTION_SETS=dev,dev-hard RETENTION_HALF=tuning npx tsx bench/retention.ts`.
// Looser than the first set so CMake and Python (whose 27 eligible documents are all in the committed
// set) contribute: a document may give 1–4 questions (man pages: 4), CMake documents from 1,000 tokens.
import fs from 'node:fs';
import { CORPORA, corpusInfo, fnv1a, listDocs, MAX_TOKENS, MIN_TOKENS, PER_DOC, questionsFile, questionsFor, readDoc, type CorpusName } from './corpora.js';
import { hardQuestionsFor } from './hard.js';
import { rng } from './sentences.js';
import { countTokens } from '../../src/engine/tokens.js';

const MAX_DOCS = 80;
export const devQuestionsFile = (c: CorpusName) => questionsFile(c).replace(/\.json$/, '.dev.json');
export const devHardQuestionsFile = (c: CorpusName) => questionsFile(c).replace(/\.json$/, '.dev-hard.json');

if (import.meta.url === `file://${process.argv[1]}`) {
  const summary: Record<string, unknown> = {};
  for (const c of CORPORA) {
    const info = corpusInfo(c);
    if (!info.root || !fs.existsSync(questionsFile(c))) continue;
    const used = new Set((JSON.parse(fs.readFileSync(questionsFile(c), 'utf8')).questions as Array<{ doc: string }>).map((q) => q.doc));
    const rand = rng(777 + fnv1a(c));
    const hardRand = rng(999 + fnv1a(c));
    const docs = listDocs(info).filter((d) => !used.has(d)).sort((a, b) => fnv1a('dev:' + a) - fnv1a('dev:' + b));
    const first: unknown[] = [];
    const texts = new Map<string, string>();
    const seen = new Set<number>();
    for (const d of docs) {
      if (texts.size >= MAX_DOCS) break;
      let t: string;
      try {
        t = readDoc(c, d);
      } catch {
        continue;
      }
      const k = countTokens(t);
      if (k < (c === 'cmake' ? 1000 : MIN_TOKENS) || k > MAX_TOKENS) continue;
      const h = fnv1a(t);
      if (seen.has(h)) continue;
      seen.add(h);
      const qs = questionsFor(c, d, t, rand);
      if (qs.length < (c === 'man' ? PER_DOC : 1)) continue;
      texts.set(d, t);
      first.push(...qs.map((q) => ({ ...q, half: 'tuning' })));
    }
    const hard: unknown[] = [];
    for (const [d, t] of texts) for (const q of hardQuestionsFor(c, d, t, hardRand)) hard.push({ ...q, half: 'tuning' });
    const meta = { corpus: c, generated_by: 'bench/corpus/dev.ts (documents in neither committed half)', documents: texts.size };
    fs.writeFileSync(devQuestionsFile(c), JSON.stringify({ ...meta, questions: first }, null, 1) + '\n');
    fs.writeFileSync(devHardQuestionsFile(c), JSON.stringify({ ...meta, questions: hard }, null, 1) + '\n');
    summary[c] = { documents: texts.size, first: first.length, hard: hard.length };
  }
  console.log(JSON.stringify(summary));
}
