// Queue: the batch queue's jobs (GET /v1/batch-queue) kept live by the Server-Sent Events stream
// (GET /v1/batch-queue/stream): each `job` event updates its row in place, with progress.
import { h, put, fmtInt, fmtDate } from '../dom';
import { tool, stream } from '../api';
import { act, section, type Page } from '../context';

interface Job {
  job_id: string;
  kind: string;
  status: 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';
  documents_count: number;
  completed_count: number;
  failed_count: number;
  progress_pct: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: string | null;
}

const TERMINAL = new Set<Job['status']>(['completed', 'failed', 'cancelled']);

export const queue: Page = {
  id: 'queue',
  title: 'Queue',
  needs: ['list_batch_jobs'],
  async render(ctx, main, signal) {
    // Jobs belong to one project (the key's): the page says which. An unbound key acts in the
    // account's default project, so that is the queue it sees; another project's jobs are seen with
    // a key bound to it (the jobs API takes no other project, so there is nothing to pick here).
    const [first, projects] = await Promise.all([
      tool<{ jobs: Job[]; total: number; summary: { active: number; queued: number; failed: number; completed: number; avg_duration_s: number | null } }>('list_batch_jobs', { limit: 50 }),
      ctx.can('list_projects') ? tool<{ projects: Array<{ id: string; name: string }> }>('list_projects').catch(() => ({ projects: [] })) : Promise.resolve({ projects: [] }),
    ]);
    if (signal.aborted) return;
    const projectName = projects.projects.find((p) => p.id === ctx.me.projectId)?.name;
    const scopeLine = h(
      'p',
      { id: 'queue-project' },
      'Jobs of project ',
      h('strong', null, projectName ?? ctx.me.projectId),
      projectName ? [' ', h('code', null, ctx.me.projectId)] : null,
      ctx.me.projectBound
        ? ', the project this key is bound to.'
        : ": this key is not bound to a project, so it works in the account's default project. Another project's jobs show to a key bound to that project.",
    );
    const jobs = new Map(first.jobs.map((j) => [j.job_id, j]));
    const out = h('div', { 'aria-live': 'polite' });
    const live = h('span', { class: 'live', role: 'status', id: 'stream-state' }, 'connecting…');
    const tbody = h('tbody');
    const summary = h('div', { class: 'stats' });
    const renderSummary = () => {
      const all = [...jobs.values()];
      const n = (s: Job['status']) => all.filter((j) => j.status === s).length;
      put(
        summary,
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Running'), h('strong', null, String(n('processing')))),
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Queued'), h('strong', null, String(n('queued')))),
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Failed'), h('strong', null, String(Math.max(first.summary.failed, n('failed'))))),
        h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Average run'), h('strong', null, first.summary.avg_duration_s === null ? '—' : `${first.summary.avg_duration_s.toFixed(1)} s`)),
      );
    };
    const row = (j: Job) => {
      const actions = h('div', { class: 'row' });
      // Retry (batch-queue jobs only) resubmits what failed or was skipped: a failed or cancelled job, or one with failed items.
      const retryable = j.status === 'failed' || j.status === 'cancelled' || (j.status === 'completed' && j.failed_count > 0);
      if (retryable && j.kind === 'compress_documents' && ctx.can('retry_batch_job')) {
        actions.append(h('button', { type: 'button', 'aria-label': `Retry job ${j.job_id}`, onclick: (e: Event) => act(e.target as HTMLButtonElement, out, async () => {
          const r = await tool('retry_batch_job', { job_id: j.job_id });
          ctx.announce(`Job ${j.job_id} retried as ${r.job_id}.`);
          upsert({ ...j, job_id: r.job_id, status: r.status, completed_count: 0, failed_count: 0, progress_pct: 0, created_at: r.created_at, started_at: null, completed_at: null, error: null });
        }) }, 'Retry'));
      }
      if ((j.status === 'queued' || j.status === 'processing') && ctx.can('cancel_batch_job')) {
        actions.append(h('button', { type: 'button', class: 'danger', 'aria-label': `Cancel job ${j.job_id}`, onclick: (e: Event) => act(e.target as HTMLButtonElement, out, async () => upsert(await tool('cancel_batch_job', { job_id: j.job_id }))) }, 'Cancel'));
      }
      return h(
        'tr',
        { 'data-job-id': j.job_id, 'data-status': j.status },
        h('td', null, h('code', null, j.job_id)),
        h('td', null, j.kind),
        h('td', null, h('span', { class: `status status-${j.status}` }, j.status), j.error ? h('div', { class: 'muted small' }, j.error) : null),
        h('td', null, h('progress', { max: 100, value: j.progress_pct, 'aria-label': `Progress of job ${j.job_id}` }), ` ${j.progress_pct.toFixed(0)}%`),
        h('td', null, `${fmtInt(j.completed_count)} done, ${fmtInt(j.failed_count)} failed of ${fmtInt(j.documents_count)}`),
        h('td', null, fmtDate(j.created_at)),
        h('td', null, actions),
      );
    };
    const draw = () => {
      const sorted = [...jobs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
      put(tbody, ...(sorted.length ? sorted.map(row) : [h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No jobs yet. Submit one with POST /v1/batch-queue.'))]));
      renderSummary();
    };
    // Events and answers can cross (a job may finish before the answer that queued it arrives): a
    // finished job never goes back to queued or running, since a job id is never run again.
    const merge = (j: Job) => {
      const old = jobs.get(j.job_id);
      if (old && TERMINAL.has(old.status) && !TERMINAL.has(j.status)) return;
      jobs.set(j.job_id, { ...old, ...j });
    };
    const upsert = (j: Job) => {
      merge(j);
      draw();
    };
    draw();
    put(
      main,
      h('h1', null, 'Queue'),
      scopeLine,
      h('p', null, 'Live status: ', live),
      summary,
      out,
      section(
        'Jobs',
        h('div', { class: 'table-wrap' }, h('table', { id: 'jobs-table' }, h('thead', null, h('tr', null, ...['Job', 'Kind', 'Status', 'Progress', 'Items', 'Created', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))), tbody)),
      ),
    );
    // The stream wakes the page up; the store holds the truth. Events can be lost (the server's bus
    // delivers at most once, a reconnect misses what happened meanwhile), so while a job shown here
    // is queued or running, the list is read again every 10 s.
    const reconcile = setInterval(() => {
      if (![...jobs.values()].some((j) => !TERMINAL.has(j.status))) return;
      tool<{ jobs: Job[] }>('list_batch_jobs', { limit: 50 }).then((r) => {
        if (signal.aborted) return;
        for (const j of r.jobs) merge(j);
        draw();
      }, () => {});
    }, 10_000);
    signal.addEventListener('abort', () => clearInterval(reconcile));
    void stream(
      '/v1/batch-queue/stream',
      (event, data) => {
        if (event === 'snapshot') for (const j of data.jobs as Job[]) merge(j);
        if (event === 'job') merge(data as Job);
        draw();
      },
      signal,
      (s) => {
        live.textContent = s === 'live' ? 'live' : 'reconnecting…';
        live.dataset.state = s;
      },
    ).catch((e) => {
      live.textContent = `stopped (${e instanceof Error ? e.message : String(e)})`;
    });
  },
};
