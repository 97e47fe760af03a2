// Writes bench/corpus/retention/<corpus>.json from the installed documents (see corpora.ts for the
// method). Run once: `npx tsx bench/corpus/generate.ts [corpus ...]`; the files are committed and
// bench/retention.ts reads them. Deterministic: the same installed documents give the same questions.
import fs from 'node:fs';
import path from 'node:path';
import { CORPORA, corpusInfo, DOCS_PER_CORPUS, generateCorpus, MAX_TOKENS, MIN_TOKENS, PER_DOC, questionsFile, SEED, type CorpusName } from './corpora.js';
import { projectRoot } from '../../src/paths.js';

const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : CORPORA) as CorpusName[];
const summary: Record<string, unknown> = {};
for (const name of wanted) {
  const info = corpusInfo(name);
  if (!info.root) {
    summary[name] = { skipped: info.missing };
    continue;
  }
  const questions = generateCorpus(info);
  const file = questionsFile(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const docs = new Set(questions.map((q) => q.doc));
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        corpus: name,
        kind: info.kind,
        package: info.package,
        root: info.root.startsWith(projectRoot) ? path.relative(projectRoot, info.root) : info.root,
        generated_by: 'bench/corpus/generate.ts (method: bench/corpus/corpora.ts)',
        seed: SEED,
        limits: { min_tokens: MIN_TOKENS, max_tokens: MAX_TOKENS, docs: DOCS_PER_CORPUS, per_doc: PER_DOC },
        documents: docs.size,
        questions,
      },
      null,
      1,
    ) + '\n',
  );
  summary[name] = { documents: docs.size, questions: questions.length, tuning: questions.filter((q) => q.half === 'tuning').length, heldback: questions.filter((q) => q.half === 'heldback').length };
}
console.log(JSON.stringify(summary));
