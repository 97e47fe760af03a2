// Writes bench/corpus/retention/<corpus>.json (the first set; method in corpora.ts) and
// <corpus>.hard.json (the harder set over the same documents and halves; method in hard.ts) from the
// installed documents. Run once: `npx tsx bench/corpus/generate.ts [--hard] [corpus ...]` (`--hard`
// writes only the harder set, from the committed first set); the files are committed and
// bench/retention.ts reads them. Deterministic: the same installed documents give the same questions.
import fs from 'node:fs';
import path from 'node:path';
import { CORPORA, corpusInfo, DOCS_PER_CORPUS, generateCorpus, MAX_TOKENS, MIN_TOKENS, PER_DOC, questionsFile, SEED, type CorpusInfo, type CorpusName } from './corpora.js';
import { generateHard, HARD_PER_DOC, hardQuestionsFile } from './hard.js';
import { projectRoot } from '../../src/paths.js';

const hardOnly = process.argv.includes('--hard');
const args = process.argv.slice(2).filter((a) => a !== '--hard');
const wanted = (args.length ? args : CORPORA) as CorpusName[];

const halves = (qs: Array<{ half: string }>) => ({ questions: qs.length, tuning: qs.filter((q) => q.half === 'tuning').length, heldback: qs.filter((q) => q.half === 'heldback').length });
const write = (file: string, body: object) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(body, null, 1) + '\n');
};

function writeFirst(name: CorpusName, info: CorpusInfo & { root: string }): object {
  const questions = generateCorpus(info);
  const documents = new Set(questions.map((q) => q.doc)).size;
  write(questionsFile(name), {
    corpus: name,
    kind: info.kind,
    package: info.package,
    root: info.root.startsWith(projectRoot) ? path.relative(projectRoot, info.root) : info.root,
    generated_by: 'bench/corpus/generate.ts (method: bench/corpus/corpora.ts)',
    seed: SEED,
    limits: { min_tokens: MIN_TOKENS, max_tokens: MAX_TOKENS, docs: DOCS_PER_CORPUS, per_doc: PER_DOC },
    documents,
    questions,
  });
  return { documents, ...halves(questions) };
}

const summary: Record<string, unknown> = {};
for (const name of wanted) {
  const info = corpusInfo(name);
  if (!info.root) {
    summary[name] = { skipped: info.missing };
    continue;
  }
  const first = hardOnly ? undefined : writeFirst(name, info as CorpusInfo & { root: string });
  const hard = generateHard(name);
  write(hardQuestionsFile(name), { corpus: name, generated_by: 'bench/corpus/generate.ts (method: bench/corpus/hard.ts)', seed: SEED, limits: { per_doc: HARD_PER_DOC }, documents: new Set(hard.map((q) => q.doc)).size, questions: hard });
  summary[name] = { first, hard: halves(hard) };
}
console.log(JSON.stringify(summary));
