// Builds bench/corpus/conversations/tc39-plenary.json from a checkout of the public TC39 meeting notes
// (https://github.com/tc39/notes, git directory given as the first argument). Each agenda item ("## …")
// of the plenary notes of 2019–2026 is one conversation: its speaker turns ("ABC: …", with the code
// fences and paragraphs that follow a turn) are messages; turns of the item's presenter(s) are role
// user, everyone else's role assistant; consecutive turns of one speaker are one message. The notes
// after the discussion ("### Speaker's Summary…", "### Conclusion") are not part of the conversation:
// the conclusion bullets are what the decision marks are made from (DECISION_RULE below), mechanically,
// on both halves alike. Which items are taken and which half each is in depends only on the item id
// (sha1), never on its text beyond the selection thresholds.
//
//   npx tsx bench/corpus/conversations/build-tc39.ts /path/to/tc39-notes.git
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { countTokens } from '../../../src/engine/tokens.js';

export const DECISION_RULE =
  'For each bullet of the item\'s "### Conclusion" (or "Conclusions", "Resolution", "Summary/Conclusion") section, the one sentence of the conversation that shares the most content words with the bullet is marked, if it shares at least 2 and at least 30% of the bullet\'s content words; ties go to the later sentence. Content words: lower-cased runs of letters/digits (dots inside kept, e.g. 2.7) of 3+ characters or containing a digit, minus a fixed stop-word list. Sentences: prose of each message outside code fences, split at line breaks and after . ! ? before an upper-case letter, quote or bracket. Written before the held-back half was built; applied by this script to both halves; only tuning-half marks were read.';

const STOP = new Set(
  'the and for that this with was are not but have has had from they them their there then than what when where which who will would could should can may might just also into about over more some such only other very like been being were its it’s our out any all your you yes okay thank thanks think going want get got one two does did doing done make made lot well see say said really need needs way because there’s that’s we’re i’m don’t didn’t let’s here how why too much many these those both each own same now still even back after before while again further once'.split(' '),
);

function contentWords(s: string): Set<string> {
  const out = new Set<string>();
  for (const m of s.toLowerCase().matchAll(/[\p{L}\p{N}](?:[\p{L}\p{N}.]*[\p{L}\p{N}])?/gu)) {
    const w = m[0];
    if ((w.length >= 3 || /\d/.test(w)) && !STOP.has(w)) out.add(w);
  }
  return out;
}

/** Prose sentences of a message (fences skipped), as substrings of it. */
function sentences(text: string): string[] {
  const out: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence || !line.trim()) continue;
    for (const s of line.split(/(?<=[.!?])\s+(?=[A-Z`"'“(\[])/)) if (s.trim().length > 0) out.push(s.trim());
  }
  return out;
}

function mark(messages: Array<{ content: string }>, bullets: string[]): string[] {
  const sents = messages.flatMap((m) => sentences(m.content));
  const marks: string[] = [];
  for (const b of bullets) {
    const bw = contentWords(b);
    if (bw.size === 0) continue;
    let best = -1;
    let bestScore = 0;
    sents.forEach((s, i) => {
      const sw = contentWords(s);
      let shared = 0;
      for (const w of bw) if (sw.has(w)) shared++;
      if (shared >= bestScore && shared > 0) {
        bestScore = shared;
        best = i;
      }
    });
    if (best >= 0 && bestScore >= 2 && bestScore / bw.size >= 0.3 && !marks.includes(sents[best]!)) marks.push(sents[best]!);
  }
  return marks;
}

interface Item {
  id: string;
  source_url: string;
  title: string;
  meeting: string;
  half: 'tune' | 'held_back' | 'fresh';
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
  conclusion: string[];
  decisions: string[];
  tokens: number;
  code_blocks: number;
}

function parseFile(text: string, file: string, commit: string): Item[] {
  const lines = text.split('\n');
  const items: Item[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!/^## /.test(lines[i]!)) {
      i++;
      continue;
    }
    const title = lines[i]!.slice(3).trim();
    let j = i + 1;
    while (j < lines.length && !/^## /.test(lines[j]!)) j++;
    const body = lines.slice(i + 1, j);
    i = j;
    const presenters = new Set<string>();
    for (const l of body) {
      const m = /^Presenters?:\s*(.*)$/.exec(l);
      if (m) for (const a of m[1]!.matchAll(/\(([A-Z]{2,4})\)/g)) presenters.add(a[1]!);
    }
    // Conversation: until the first "### " heading that is a summary or a conclusion.
    const turns: Array<{ who: string; text: string[] }> = [];
    let k = 0;
    let inFence = false;
    for (; k < body.length; k++) {
      const l = body[k]!;
      if (!inFence && /^###\s/.test(l) && /summary|conclusion|resolution/i.test(l)) break;
      if (/^\s*(```|~~~)/.test(l)) inFence = !inFence;
      const m = inFence ? null : /^([A-Z]{2,4}):\s+(.*)$/.exec(l);
      if (m) turns.push({ who: m[1]!, text: [`${m[1]}: ${m[2]}`] });
      else if (turns.length) turns[turns.length - 1]!.text.push(l);
    }
    // Conclusion bullets.
    const conclusion: string[] = [];
    let inConclusion = false;
    for (; k < body.length; k++) {
      const l = body[k]!;
      if (/^###\s/.test(l)) {
        inConclusion = /conclusion|resolution/i.test(l);
        continue;
      }
      if (inConclusion && l.trim()) {
        const t = l
          .replace(/^\s*[-*+]\s+/, '')
          .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
          .replace(/`/g, '')
          .trim();
        if (t) conclusion.push(t);
      }
    }
    if (!presenters.size || turns.length === 0) continue;
    const messages: Item['messages'] = [];
    let prevWho = '';
    for (const t of turns) {
      const content = t.text.join('\n').replace(/\n{3,}/g, '\n\n').trim();
      if (t.who === prevWho) messages[messages.length - 1]!.content += `\n\n${content}`;
      else messages.push({ role: presenters.has(t.who) ? 'user' : 'assistant', content });
      prevWho = t.who;
    }
    const meeting = file.replace(/^meetings\//, '').replace(/\.md$/, '');
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    const id = `tc39_${meeting.replace(/\//g, '_')}_${slug}`;
    const anchor = title.toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
    const all = messages.map((m) => m.content).join('\n\n');
    items.push({
      id,
      source_url: `https://github.com/tc39/notes/blob/${commit}/${file}#${anchor}`,
      title,
      meeting,
      half: 'tune',
      messages,
      conclusion,
      decisions: [],
      tokens: countTokens(all),
      code_blocks: (all.match(/^\s*(```|~~~)/gm) ?? []).length / 2,
    });
  }
  return items;
}

const gitDir = process.argv[2];
if (!gitDir) throw new Error('usage: build-tc39.ts <tc39/notes git directory>');
const git = (...args: string[]) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const commit = git('rev-parse', 'HEAD').trim();
const files = git('ls-tree', '-r', '--name-only', 'HEAD', 'meetings')
  .split('\n')
  .filter((f) => /^meetings\/20(19|2[0-6])-\d\d\/.*\.md$/.test(f));
const all: Item[] = [];
for (const f of files) all.push(...parseFile(git('show', `HEAD:${f}`), f, commit));

// Selection: items with a real discussion (8+ messages, 2+ speakers on each side of the roles), 1,500–
// 15,000 tokens, and a conclusion section. Order by sha1(id); 30 with code fences and 30 without.
const sha = (s: string) => createHash('sha1').update(s).digest('hex');
const eligible = all
  .filter((x) => x.messages.length >= 8 && x.messages.some((m) => m.role === 'user') && x.messages.filter((m) => m.role === 'assistant').length >= 3)
  .filter((x) => x.tokens >= 1500 && x.tokens <= 15000 && x.conclusion.length > 0)
  .sort((a, b) => (sha(a.id) < sha(b.id) ? -1 : 1));
const picked = [...eligible.filter((x) => x.code_blocks > 0).slice(0, 30), ...eligible.filter((x) => x.code_blocks === 0).slice(0, 30)];
for (const x of picked) {
  // The half depends on the id alone.
  x.half = parseInt(sha(`half:${x.id}`).slice(0, 8), 16) % 2 === 0 ? 'tune' : 'held_back';
  x.decisions = mark(x.messages, x.conclusion);
}
// A second held-back set, added after the first held-back figures were seen: the next 30 eligible items
// by sha1(id) (none of them has a code fence: all 16 that do are above). Marked by the same rule,
// never read; what changed after the first held-back run is measured on it.
const fresh = eligible.filter((x) => !picked.includes(x) && x.code_blocks === 0).slice(0, 30);
for (const x of fresh) {
  x.half = 'fresh' as Item['half'];
  x.decisions = mark(x.messages, x.conclusion);
}
picked.push(...fresh);
picked.sort((a, b) => a.id.localeCompare(b.id));

const out = {
  description:
    'Agenda items of the TC39 plenary meetings 2019–2026 (public meeting notes, tc39/notes), each a multi-speaker technical discussion with code, as conversations. Presenter turns are role user, other delegates role assistant, each message prefixed with the speaker\'s abbreviation as in the notes. The notes\' own "Speaker\'s Summary" and "Conclusion" sections are not in the messages; the conclusion bullets are kept as `conclusion`, and `decisions` are the sentences marked from them by decision_rule. half: tune (used while tuning the strategies), held_back (never tuned on; split by sha1 of the id; its figures were first seen at commit 52f2fca) or fresh (a second held-back set added afterwards, never read, for what changed after that).',
  source: { repository: 'https://github.com/tc39/notes', commit, licence: 'no licence file in the repository at this commit; public Ecma TC39 meeting notes, quoted for evaluation with their source URLs' },
  builder: 'bench/corpus/conversations/build-tc39.ts',
  role_mapping: 'presenter=user, other delegates=assistant',
  decision_rule: DECISION_RULE,
  selection: `${eligible.length} eligible items (8+ messages, 3+ non-presenter messages, 1,500–15,000 tokens, a conclusion), first 30 with code fences and first 30 without by sha1(id), split tune / held_back by sha1; then the next 30 without code as half "fresh", a second held-back set built after the first held-back figures were seen`,
  conversations: picked.map(({ tokens: _t, code_blocks: _c, ...x }) => x),
};
fs.writeFileSync(path.join(import.meta.dirname, 'tc39-plenary.json'), `${JSON.stringify(out, null, 1)}\n`);
const count = (h: string) => picked.filter((x) => x.half === h);
console.log(
  JSON.stringify({
    items: all.length,
    eligible: eligible.length,
    picked: picked.length,
    tune: count('tune').length,
    held_back: count('held_back').length,
    tokens: picked.reduce((s, x) => s + x.tokens, 0),
    with_code: picked.filter((x) => x.code_blocks > 0).length,
    tune_marks: count('tune').reduce((s, x) => s + x.decisions.length, 0),
    held_back_marks: count('held_back').reduce((s, x) => s + x.decisions.length, 0),
    fresh: count('fresh').length,
    fresh_marks: count('fresh').reduce((s, x) => s + x.decisions.length, 0),
  }),
);
