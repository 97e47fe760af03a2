// Our BPE must give exactly js-tiktoken's tokens (it only changes the merge loop's complexity).
import fs from 'node:fs';
import path from 'node:path';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import { describe, expect, it } from 'vitest';
import { countTokens, decode, encode, findModel } from '../../src/engine/tokens.js';

const reference = { o200k_base: new Tiktoken(o200k_base), cl100k_base: new Tiktoken(cl100k_base) };

function samples(): string[] {
  const out = [
    'hello world',
    '',
    'ÄÖÜ ß 日本語のテキスト 🙂🙂🙂 emoji and accents: naïve café',
    '='.repeat(300),
    '-'.repeat(257) + ' ' + '*'.repeat(99),
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'QmFzZTY0IGVuY29kZWQgYmxvYnMgaGF2ZSBsb25nIHJ1bnMgd2l0aG91dCBzcGFjZXM=',
    'function f(x){return x.map(y=>y*2).filter(Boolean)}\n\tconst  spaced   =   1;\r\n',
    '<|endoftext|> special-token text counts as ordinary text',
  ];
  for (const f of ['README.md', 'src/engine/tokens.ts', 'package-lock.json']) out.push(fs.readFileSync(f, 'utf8').slice(0, 40_000));
  const help = '/usr/share/cmake-3.25/Help/command';
  if (fs.existsSync(help)) out.push(...fs.readdirSync(help).slice(0, 20).map((f) => fs.readFileSync(path.join(help, f), 'utf8')));
  return out;
}

describe('tokens', () => {
  it('encodes exactly like js-tiktoken for both encodings', () => {
    for (const enc of ['o200k_base', 'cl100k_base'] as const) {
      for (const s of samples()) {
        expect(encode(s, enc)).toEqual(reference[enc].encode(s, [], []));
      }
    }
  });

  it('round-trips through decode and decodes like js-tiktoken', () => {
    const s = 'Round trip: ünïcödé, code `x += 1`, and numbers 3.14159.';
    expect(decode(encode(s))).toBe(s);
    for (const x of samples()) {
      const ids = reference.o200k_base.encode(x, [], []);
      expect(decode(ids)).toBe(reference.o200k_base.decode(ids));
      // A prefix cut may split a multi-byte character: both decoders must agree on that too.
      expect(decode(ids.slice(0, 7))).toBe(reference.o200k_base.decode(ids.slice(0, 7)));
    }
    expect(countTokens(s)).toBe(encode(s).length);
    expect(countTokens('')).toBe(0);
  });

  it('completes a 20,000-character run of one character (minutes with a quadratic merge)', () => {
    const n = countTokens('='.repeat(20_000));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(20_000);
  });

  it('resolves dated model names to the table', () => {
    expect(findModel('claude-sonnet-4-6-20260101')?.id).toBe('claude-sonnet-4-6');
    expect(findModel('gpt-4o-mini-2024-07-18')?.id).toBe('gpt-4o-mini');
    expect(findModel('gpt-4o')?.encoding).toBe('o200k_base');
    expect(findModel('gpt-4')?.encoding).toBe('cl100k_base');
    expect(findModel('unknown-model')).toBeUndefined();
  });
});
