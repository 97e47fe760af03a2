// Counts in prose: "1 token", "2 tokens". One helper, so no message says "1 tokens". Pure.

/** `n` and the noun, singular for exactly 1 ("1 token", "0 tokens", "3 files"); `many` for irregular plurals. */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}
