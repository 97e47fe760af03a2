// "Did you mean ...?" for misspelt tool and argument names.

/** Candidates close to a misspelt name (edit distance, or one containing the other), closest first. */
export function closestNames(name: string, candidates: string[], max: number): string[] {
  const n = name.toLowerCase();
  return candidates
    .map((k) => ({ k, d: editDistance(n, k.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(n.length / 4)) || x.k.includes(n) || (n.length > 3 && n.includes(x.k)))
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map((x) => x.k);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
