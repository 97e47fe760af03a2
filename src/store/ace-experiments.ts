// Experiments (the ace toolset): what was asked (documents, settings, questions) and the job that
// runs it. Results live in the job's items (one per document); the service aggregates them.
import type { Scope } from '../domain/scope.js';
import { readJson } from './dialect.js';
import type { RepoContext } from './store.js';

export interface ExperimentRow<D = unknown, S = unknown, Q = unknown> {
  id: string;
  name: string | null;
  documents: D[];
  settings: S[];
  questions: Q[];
  job_id: string;
  created_at: string;
}

export class AceExperimentsRepo {
  constructor(
    private readonly ctx: RepoContext,
    private readonly scope: Scope,
  ) {}

  async insert(row: ExperimentRow): Promise<void> {
    const j = (v: unknown) => this.ctx.dialect.json(v);
    await this.ctx.db
      .insertInto('ace_experiments')
      .values({ ...row, owner_id: this.scope.ownerId, project_id: this.scope.projectId, documents: j(row.documents), settings: j(row.settings), questions: j(row.questions) })
      .execute();
  }

  async get<D, S, Q>(id: string): Promise<ExperimentRow<D, S, Q> | undefined> {
    const r = await this.ctx.db
      .selectFrom('ace_experiments')
      .select(['id', 'name', 'documents', 'settings', 'questions', 'job_id', 'created_at'])
      .where('owner_id', '=', this.scope.ownerId)
      .where('project_id', '=', this.scope.projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!r) return undefined;
    return { ...r, documents: readJson<D[]>(r.documents), settings: readJson<S[]>(r.settings), questions: readJson<Q[]>(r.questions) };
  }
}
