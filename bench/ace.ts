// The ace toolset at size, in process on a temp data dir with the offline embedder:
//  1. curation of a 2,000-bullet playbook with planted near-duplicates: 1,800 distinct sentences of
//     the CMake documentation plus 200 paraphrases of some of them, made by fixed rewrite rules
//     (articles, contractions, synonyms, a leading "Note that", dropped adverbs; each changes the
//     normalised text, so none is caught by text equality alone). Precision and recall of the merges
//     ace_curate plans (dry run), against the planted pairs, at the default threshold and others;
//  2. ace_get_playbook latency at that size (by usefulness, by query, under a token budget);
//  3. one experiment's run time on 50 documents (READMEs of npm packages and CMake reference pages,
//     with the retention corpus's exact-span questions), three settings.
// Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { AccountsService } from '../src/services/accounts.js';
import { AceExperimentsService } from '../src/services/ace-experiments.js';
import { AcePlaybookService } from '../src/services/ace-playbook.js';
import { JobsService } from '../src/services/jobs.js';
import { normalizeBullet } from '../src/engine/playbook.js';
import { cmakeSentences, latencyStats, rng, round3, shuffle } from './corpus/sentences.js';
import { readDoc, type CorpusName, type Question } from './corpus/corpora.js';

const BULLETS = 2000;
const PLANTED = 200;
const SECTIONS = ['configure', 'build', 'install', 'test', 'package'];

/** Rewrite rules a person restating a lesson might apply; each returns null where it does not apply. */
const RULES: Array<[string, (s: string) => string | null]> = [
  ['article', (s) => (/\bthe\b/.test(s) ? s.replace(/\bthe\b/, 'a') : /\ba\b/.test(s) ? s.replace(/\ba\b/, 'the') : null)],
  ['contraction', (s) => (/\b(do|does|is|are|can)not\b|\b(do|does|is|are) not\b|\bcannot\b/.test(s) ? s.replace(/\bcannot\b/, "can't").replace(/\b(do|does|is|are) not\b/, "$1n't") : null)],
  ['synonym', (s) => {
    const pairs: Array<[RegExp, string]> = [[/\buse\b/, 'employ'], [/\bspecifies\b/, 'sets'], [/\bcreate\b/, 'make'], [/\bmust\b/, 'has to'], [/\bmay\b/, 'can'], [/\bfile\b/, 'document'], [/\bvalue\b/, 'setting'], [/\bdirectory\b/, 'folder']];
    for (const [re, to] of pairs) if (re.test(s)) return s.replace(re, to);
    return null;
  }],
  ['note-that', (s) => `Note that ${s[0]!.toLowerCase()}${s.slice(1)}`],
  ['drop-adverb', (s) => (/\b(also|only|always|then|usually|typically) /.test(s) ? s.replace(/\b(also|only|always|then|usually|typically) /, '') : null)],
];

function paraphrase(s: string, r: () => number): { text: string; rules: string[] } | null {
  const order = shuffle([...RULES], r);
  let text = s;
  const used: string[] = [];
  for (const [name, rule] of order) {
    const t = rule(text);
    if (t !== null && t !== text) {
      text = t;
      used.push(name);
      if (used.length >= 1 + Math.floor(r() * 2)) break;
    }
  }
  return used.length && normalizeBullet(text) !== normalizeBullet(s) ? { text, rules: used } : null;
}

async function main() {
  const r = rng(7);
  const pool = shuffle(cmakeSentences(), r);
  // One sentence per normalised text: the corpus itself must not hold unplanted duplicates by text.
  const seen = new Set<string>();
  const distinct = pool.filter((s) => (seen.has(normalizeBullet(s)) ? false : (seen.add(normalizeBullet(s)), true)));
  const base = distinct.slice(0, BULLETS - PLANTED);
  const planted: Array<{ of: number; text: string; rules: string[] }> = [];
  for (let i = 0; planted.length < PLANTED && i < base.length; i++) {
    const idx = Math.floor(r() * base.length);
    if (planted.some((p) => p.of === idx)) continue;
    const p = paraphrase(base[idx]!, r);
    if (p && !seen.has(normalizeBullet(p.text))) planted.push({ of: idx, ...p });
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-bench-ace-'));
  const app = await createApp(loadConfig({ dataDir, logLevel: 'silent', embedder: 'offline' }), createLogger('silent'));
  try {
    const { user, project } = await app.deps.service(AccountsService).createUser('bench');
    const scope = { ownerId: user.id, projectId: project.id };
    const svc = app.deps.service(AcePlaybookService);
    const embedder = await app.deps.embedder();
    app.deps.store.sqlite?.pragma('synchronous = OFF');

    // Load: similarity 1 stores paraphrases as separate bullets (only equal normalised text merges).
    const texts = [...base, ...planted.map((p) => p.text)];
    const ids: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < texts.length; i += 200) {
      const res = await svc.add(scope, 'bench', texts.slice(i, i + 200).map((text, j) => ({ section: SECTIONS[(i + j) % SECTIONS.length]!, text, source: `bench-${i + j}` })), { similarity: 1 });
      ids.push(...res.results.map((x) => x.id));
    }
    const loadMs = performance.now() - t0;
    app.deps.store.sqlite?.pragma('synchronous = FULL');
    const idOf = (i: number) => ids[i]!;
    const truth = new Set(planted.map((p, k) => [idOf(p.of), idOf(base.length + k)].sort().join('|')));

    const curation: Record<string, unknown> = {};
    const defaultThreshold = await svc.defaultThreshold();
    for (const threshold of [...new Set([defaultThreshold, 0.9, 0.85, 0.8])]) {
      const c0 = performance.now();
      const cpu0 = process.cpuUsage();
      const plan = await svc.curate(scope, 'bench', { similarity: threshold, pruneMargin: 1, dryRun: true });
      const ms = performance.now() - c0;
      const cpu = process.cpuUsage(cpu0);
      const predicted = plan.merges.flatMap((m) => m.merged.map((x) => [m.keep, x.id].sort().join('|')));
      const tp = predicted.filter((p) => truth.has(p)).length;
      curation[String(threshold)] = {
        merged_pairs: predicted.length,
        true_positives: tp,
        precision: predicted.length ? round3(tp / predicted.length) : null,
        recall: round3(tp / truth.size),
        dry_run_ms: Math.round(ms),
        dry_run_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      };
    }

    // ace_get_playbook latency (the service call the tool makes), after one warm-up each. Wall time
    // depends on what else the machine runs; this process's CPU time per call is reported beside it.
    const queries = shuffle([...base], r).slice(0, 50).map((s) => s.split(' ').slice(0, 6).join(' '));
    const time = async (f: (i: number) => Promise<unknown>, n: number) => {
      await f(0);
      const ms: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = process.cpuUsage();
        const s = performance.now();
        await f(i);
        ms.push(performance.now() - s);
        const used = process.cpuUsage(c);
        cpu.push((used.user + used.system) / 1000);
      }
      return { ...latencyStats(ms), cpu_median_ms: latencyStats(cpu).median_ms };
    };
    const getLatency = {
      by_usefulness_top100: await time(() => svc.get(scope, 'bench', { limit: 100 }), 50),
      by_usefulness_all_2000: await time(() => svc.get(scope, 'bench', { limit: 5000 }), 20),
      by_usefulness_budget_2000_tokens: await time(() => svc.get(scope, 'bench', { limit: 5000, tokenBudget: 2000 }), 20),
      by_query_top20: await time((i) => svc.get(scope, 'bench', { query: queries[i % queries.length]!, limit: 20 }), 50),
    };

    // An experiment on 50 documents: 25 npm READMEs and 25 CMake pages with their questions.
    const docs: Array<{ text: string; name: string; questions: Question[] }> = [];
    for (const corpus of ['npm', 'cmake'] as CorpusName[]) {
      const file = path.join(projectRoot, 'bench/corpus/retention', `${corpus}.json`);
      const qs = (JSON.parse(fs.readFileSync(file, 'utf8')) as { questions: Question[] }).questions;
      const byDoc = new Map<string, Question[]>();
      for (const q of qs) byDoc.set(q.doc, [...(byDoc.get(q.doc) ?? []), q]);
      for (const [doc, list] of byDoc) {
        if (docs.filter((d) => d.name.startsWith(corpus)).length >= 25) break;
        let text: string;
        try {
          text = readDoc(corpus, doc);
        } catch {
          continue;
        }
        const ok = list.filter((q) => text.includes(q.answer));
        docs.push({ text, name: `${corpus}:${doc}`, questions: ok });
      }
    }
    const exp = app.deps.service(AceExperimentsService);
    const caller = { userId: user.id, projectId: project.id, keyId: null, plan: 'enterprise' as const, keyName: 'bench' };
    const e0 = performance.now();
    const ecpu = process.cpuUsage();
    const made = await exp.create(caller, scope, {
      name: 'bench',
      documents: docs.map((d) => ({ text: d.text, name: d.name })),
      settings: [{ fidelity: 'balanced' }, { fidelity: 'detailed' }, { fidelity: 'balanced', query: true }],
      questions: docs.flatMap((d, i) => d.questions.map((q) => ({ document: i, question: q.question, answer: q.answer }))),
    });
    await app.deps.service(JobsService).waitFor(scope, made.job_id);
    const runMs = performance.now() - e0;
    const runCpu = process.cpuUsage(ecpu);
    const result = await exp.get(scope, made.experiment_id, { perDocument: false });

    console.log(
      JSON.stringify(
        {
          embedder: embedder.id,
          corpus: { sentences: 'CMake reference (Debian cmake-data), prose sentences', bullets: texts.length, planted_near_duplicates: planted.length, rules: RULES.map(([n]) => n) },
          load: { ms: Math.round(loadMs), bullets_per_s: Math.round((1000 * texts.length) / loadMs) },
          curation: { default_threshold: defaultThreshold, by_threshold: curation },
          get_playbook: getLatency,
          experiment: {
            documents: docs.length,
            questions: result.questions,
            status: result.status,
            run_s: round3(runMs / 1000),
            run_cpu_s: round3((runCpu.user + runCpu.system) / 1e6),
            compressions: result.table.reduce((n, t) => n + t.compressions, 0),
            table: result.table.map((t) => ({ setting: t.setting, savings_pct: t.savings_pct, ms_per_compression: t.ms_per_compression, answer_retention: t.answer_retention, numbers_retention: t.structure.numbers.retention, headings_retention: t.structure.headings.retention })),
          },
          machine: { cpus: os.cpus().length, loadavg_1m: round3(os.loadavg()[0]!), node: process.version },
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
