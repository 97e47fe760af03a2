// Experiments (the ace toolset): compare compression settings on the caller's own documents. An
// experiment is stored with its documents (references to stored documents, or texts given inline),
// settings and exact-span question/answer pairs, and runs as a job (kind ace_experiment, one item per
// document, progress per document); get_experiment tabulates the finished items. Compression goes
// through CompressionService (the cache lookup skipped, so timings are real compressions).
import { performance } from 'node:perf_hooks';
import type { AppDeps } from '../app-deps.js';
import type { Caller, Scope } from '../domain/scope.js';
import type { Fidelity } from '../engine/compress.js';
import { addInto, answerKept, emptyRun, structureKept, tabulate, type SettingOnDocument, type TableRow } from '../engine/experiment.js';
import { Cancelled, InvalidInput, NotFound } from '../errors.js';
import type { ExperimentRow } from '../store/ace-experiments.js';
import { newId, nowIso } from '../store/db.js';
import { CompressionService } from './compression.js';
import { DocumentsService } from './documents.js';
import { FidelityProfilesService } from './fidelity-profiles.js';
import { JobsService, type JobKind, type JobView } from './jobs.js';

export const EXPERIMENT_JOB_KIND = 'ace_experiment';

/** A document of an experiment: a stored one (by id) or a text given with the experiment. */
export type ExperimentDocument = { doc_id: string; name: string } | { text: string; name: string };

export interface ExperimentSetting {
  label: string;
  fidelity: Fidelity | null;
  profile: string | null;
  /** Compress once per question, with the question as the query (documents without questions: no query). */
  query: boolean;
}

export interface ExperimentQuestion {
  document: number;
  question: string;
  answer: string;
}

export interface CreateExperimentInput {
  name?: string;
  documents: Array<{ doc_id?: string; file_id?: string; text?: string; name?: string }>;
  settings: Array<{ label?: string; fidelity?: Fidelity; profile?: string; query?: boolean }>;
  questions: ExperimentQuestion[];
}

/**
 * One job item: everything a document's run needs (the job may start before the experiment row is
 * written, and an inline text is kept once, here, rather than in the experiment row as well).
 */
interface ItemInput {
  document: number;
  source: ExperimentDocument;
  settings: ExperimentSetting[];
  questions: Array<ExperimentQuestion & { index: number }>;
}

/** What the experiment row keeps of a document: its name and, for a stored one, its id. */
interface DocumentRef {
  name: string;
  doc_id: string | null;
}

type Row = ExperimentRow<DocumentRef, ExperimentSetting, ExperimentQuestion>;

export interface ExperimentView {
  experiment_id: string;
  name: string | null;
  job_id: string;
  status: JobView['status'];
  progress_pct: number;
  documents: number;
  documents_done: number;
  documents_failed: number;
  questions: number;
  settings: ExperimentSetting[];
  table: TableRow[];
  errors: Array<{ document: number; name: string; error: string }>;
  per_document?: Array<{ document: number; name: string; settings: Array<{ setting: string } & SettingOnDocument> }>;
  created_at: string;
}

function labelOf(s: { fidelity?: Fidelity; profile?: string; query?: boolean }): string {
  return [s.profile ? `profile:${s.profile}` : null, s.fidelity ?? (s.profile ? null : 'balanced'), s.query ? 'query' : null].filter(Boolean).join('+');
}

export class AceExperimentsService {
  constructor(private readonly deps: AppDeps) {}

  /** The text of an experiment's document (a stored document is read through the documents service). */
  private async textOf(scope: Scope, doc: ExperimentDocument, field: string): Promise<string> {
    if ('text' in doc) return doc.text;
    try {
      return (await this.deps.service(DocumentsService).get(scope, { docId: doc.doc_id }, true)).content ?? '';
    } catch (e) {
      if (e instanceof NotFound) throw new NotFound(`${field}: document ${doc.doc_id} not found in this project`, { field });
      throw e;
    }
  }

  async create(caller: Caller, scope: Scope, input: CreateExperimentInput): Promise<ExperimentView> {
    if (input.documents.length === 0) throw new InvalidInput('documents must list at least one document (doc_id, file_id or text)', { field: 'documents', rule: 'required' });
    if (input.settings.length === 0) throw new InvalidInput('settings must list at least one setting to compare', { field: 'settings', rule: 'required' });
    const compression = this.deps.service(CompressionService);
    const documents: ExperimentDocument[] = [];
    const texts: string[] = [];
    for (const [i, d] of input.documents.entries()) {
      const given = ['doc_id', 'file_id', 'text'].filter((k) => d[k as 'doc_id'] !== undefined);
      if (given.length !== 1) throw new InvalidInput(`documents[${i}] needs exactly one of doc_id, file_id or text`, { field: `documents[${i}]` });
      if (d.text !== undefined) {
        documents.push({ text: d.text, name: d.name ?? `text ${i + 1}` });
        texts.push(d.text);
        continue;
      }
      const field = d.doc_id !== undefined ? `documents[${i}].doc_id` : `documents[${i}].file_id`;
      let found;
      try {
        found = await this.deps.service(DocumentsService).get(scope, d.doc_id !== undefined ? { docId: d.doc_id } : { fileId: d.file_id }, true);
      } catch (e) {
        if (e instanceof NotFound) throw new NotFound(`${field}: no such document in this project`, { field });
        throw e;
      }
      documents.push({ doc_id: found.doc_id, name: d.name ?? found.title ?? found.file_id });
      texts.push(found.content ?? '');
    }
    for (const [i, t] of texts.entries()) compression.validate(caller.plan, { text: t }, documents[i] && 'text' in documents[i]! ? `documents[${i}].text` : `documents[${i}]`);

    const settings: ExperimentSetting[] = [];
    const labels = new Set<string>();
    for (const [i, s] of input.settings.entries()) {
      if (s.profile) await this.deps.service(FidelityProfilesService).get(scope, s.profile, `settings[${i}].profile`);
      const label = s.label ?? labelOf(s);
      if (labels.has(label)) throw new InvalidInput(`settings[${i}] repeats the setting "${label}"; give each setting a distinct label`, { field: `settings[${i}].label` });
      labels.add(label);
      settings.push({ label, fidelity: s.fidelity ?? null, profile: s.profile ?? null, query: s.query ?? false });
    }
    for (const [i, q] of input.questions.entries()) {
      if (q.document >= documents.length) throw new InvalidInput(`questions[${i}].document is ${q.document}; there are ${documents.length} documents (0-based)`, { field: `questions[${i}].document` });
      if (!texts[q.document]!.includes(q.answer)) {
        throw new InvalidInput(`questions[${i}].answer does not occur verbatim in documents[${q.document}]; answers must be exact spans of their document`, { field: `questions[${i}].answer` });
      }
    }
    const queryAt = settings.findIndex((s) => s.query);
    if (queryAt >= 0 && input.questions.length === 0) {
      throw new InvalidInput(`settings[${queryAt}].query compresses with each question as the query; give questions, or set query false`, { field: `settings[${queryAt}].query` });
    }

    const questions = input.questions.map((q, index) => ({ ...q, index }));
    const id = newId('exp');
    // The job and its experiment row in one transaction: the job carries everything its items need,
    // and without the row nobody could read the table, so neither is written without the other.
    await this.deps.service(JobsService).submitIf(
      caller,
      scope,
      { kind: EXPERIMENT_JOB_KIND, items: documents.map((source, i): ItemInput => ({ document: i, source, settings, questions: questions.filter((q) => q.document === i) })) },
      async (t, jobId) => {
        const row: Row = {
          id,
          name: input.name ?? null,
          documents: documents.map((d) => ({ name: d.name, doc_id: 'doc_id' in d ? d.doc_id : null })),
          settings,
          questions: input.questions,
          job_id: jobId,
          created_at: nowIso(),
        };
        await t.aceExperiments(scope).insert(row);
        return true;
      },
    );
    return this.get(scope, id, { perDocument: false });
  }

  async get(scope: Scope, id: string, opts: { perDocument: boolean }): Promise<ExperimentView> {
    const row = await this.deps.store.aceExperiments(scope).get<DocumentRef, ExperimentSetting, ExperimentQuestion>(id);
    if (!row) throw new NotFound(`experiment ${id.slice(0, 40)} not found in this project`, { field: 'experiment_id' });
    const jobs = this.deps.service(JobsService);
    const job = await jobs.get(scope, row.job_id);
    const items = await jobs.items(scope, row.job_id);
    const done = items.filter((it) => it.status === 'done').map((it) => ({ index: it.index, result: it.result as SettingOnDocument[] }));
    const view: ExperimentView = {
      experiment_id: row.id,
      name: row.name,
      job_id: row.job_id,
      status: job.status,
      progress_pct: job.progress_pct,
      documents: row.documents.length,
      documents_done: done.length,
      documents_failed: items.filter((it) => it.status === 'failed').length,
      questions: row.questions.length,
      settings: row.settings,
      table: tabulate(row.settings.map((s) => s.label), done.map((d) => d.result)),
      errors: items.filter((it) => it.status === 'failed').map((it) => ({ document: it.index, name: row.documents[it.index]?.name ?? '', error: it.error ?? '' })),
      created_at: row.created_at,
    };
    if (opts.perDocument) {
      view.per_document = done.map((d) => ({ document: d.index, name: row.documents[d.index]!.name, settings: d.result.map((r, s) => ({ setting: row.settings[s]!.label, ...r })) }));
    }
    return view;
  }

  /** Waits for the experiment's job to finish, reporting progress per document. */
  async wait(scope: Scope, id: string, onProgress: (done: number, total: number) => void, signal: AbortSignal): Promise<ExperimentView> {
    const row = await this.deps.store.aceExperiments(scope).get(id);
    if (!row) throw new NotFound(`experiment ${id.slice(0, 40)} not found in this project`, { field: 'experiment_id' });
    await this.deps.service(JobsService).waitFor(scope, row.job_id, (v) => onProgress(v.completed_count + v.failed_count, v.documents_count), signal);
    return this.get(scope, id, { perDocument: false });
  }

  /** One document under every setting (one job item). */
  async runDocument(caller: Caller, scope: Scope, input: ItemInput, signal: AbortSignal): Promise<SettingOnDocument[]> {
    const text = await this.textOf(scope, input.source, `documents[${input.document}]`);
    const questions = input.questions;
    const compression = this.deps.service(CompressionService);
    const out: SettingOnDocument[] = [];
    for (const s of input.settings) {
      const acc = emptyRun();
      // Query settings: one compression per question (its query); otherwise one for all questions.
      const runs = s.query && questions.length > 0 ? questions.map((q) => ({ query: q.question, asked: [q] })) : [{ query: null, asked: questions }];
      for (const r of runs) {
        if (signal.aborted) throw new Cancelled();
        const t0 = performance.now();
        const c = await compression.compress(scope, caller.plan, { text, fidelity: s.fidelity ?? undefined, profile: s.profile, query: r.query, use_cache: false }, signal);
        const ms = performance.now() - t0;
        const kept = r.asked.filter((q) => answerKept(c.compressed, q.answer));
        addInto(acc, {
          original_tokens: c.stats.original_tokens,
          compressed_tokens: c.stats.compressed_tokens,
          ms,
          answers_total: r.asked.length,
          answers_kept: kept.length,
          kept_questions: kept.map((q) => q.index),
          structure: structureKept(text, c.compressed),
        });
      }
      acc.ms = Math.round(acc.ms * 10) / 10;
      out.push(acc);
    }
    return out;
  }
}

/** The experiment job kind (registered by the app's wiring under EXPERIMENT_JOB_KIND). */
export const experimentJobKind: JobKind<ItemInput, SettingOnDocument[]> = {
  tool: 'create_experiment',
  run: async (deps, item) => {
    const result = await deps.service(AceExperimentsService).runDocument(item.caller, item.scope, item.input, item.signal);
    const tokensIn = result.reduce((s, r) => s + r.original_tokens, 0);
    const tokensOut = result.reduce((s, r) => s + r.compressed_tokens, 0);
    return { result, meter: { tokensIn, tokensOut } };
  },
};
