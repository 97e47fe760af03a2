// A small file in the wink-embeddings JSON layout, so conversion and locking are tested without
// paying for the real 307 MB source.
import fs from 'node:fs';
import path from 'node:path';

export interface SyntheticWord {
  word: string;
  vector: number[];
}

export function winkJson(words: SyntheticWord[], dim: number): string {
  const vectors = words
    .map((w, i) => {
      const norm = Math.sqrt(w.vector.reduce((s, x) => s + x * x, 0));
      return `${JSON.stringify(w.word)}:[${[...w.vector, norm, i].join(',')}]`;
    })
    .join(',');
  const unk = new Array(dim).fill(0).concat([-1]);
  return `{"precision":8,"l2NormIndex":${dim},"wordIndex":${dim + 1},"size":${words.length},"dimensions":${dim},` +
    `"words":${JSON.stringify(words.map((w) => w.word))},"vectors":{${vectors}},"unkVector":[${unk.join(',')}]}`;
}

export function writeWinkSource(dir: string, words: SyntheticWord[], dim: number) {
  const file = path.join(dir, 'wink.json');
  fs.writeFileSync(file, winkJson(words, dim));
  return { file, version: 'test', bytes: fs.statSync(file).size };
}

/** Deterministic pseudo-random words and vectors (a small LCG, so failures reproduce). */
export function randomWords(n: number, dim: number, seed = 1): SyntheticWord[] {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const out: SyntheticWord[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ word: `w${i.toString(36)}`, vector: Array.from({ length: dim }, () => Math.round(rnd() * 1e5) / 1e5) });
  }
  return out;
}
