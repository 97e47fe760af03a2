// Projects and Keys: the account toolset's routes (list/create/update/delete projects; create,
// revoke, rotate and re-bind keys). A new key is shown once, in a dialog, and never stored.
import { h, put, table, field, select, dialog, promptDialog, fmtInt, fmtPct, fmtDate } from '../dom';
import { tool, request } from '../api';
import { act, confirmButton, section, type Page } from '../context';

interface Project {
  id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  stats: { compressions: number; tokens_saved: number; avg_savings_pct: number; compressions_this_month: number };
}

/** The full key, once: a read-only field to select and a copy button. */
async function showKeyOnce(title: string, key: string): Promise<void> {
  const input = h('input', { type: 'text', readonly: true, value: key, class: 'mono', 'data-testid': 'new-key' });
  const copied = h('span', { role: 'status' });
  const copy = h('button', {
    type: 'button',
    onclick: async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(key);
        copied.textContent = 'Copied.';
      } catch {
        copied.textContent = 'Select the text and copy it.';
      }
    },
  }, 'Copy');
  await dialog(title, [h('p', { class: 'warn' }, 'This is the only time the full key is shown. Store it now.'), field('API key', input), h('div', { class: 'row' }, copy, copied)], [{ label: 'Done', value: 'ok', kind: 'primary' }], { initialFocus: input });
}

export const projects: Page = {
  id: 'projects',
  title: 'Projects',
  needs: ['list_projects'],
  async render(ctx, main) {
    const { projects: list } = await tool<{ projects: Project[] }>('list_projects');
    const out = h('div', { 'aria-live': 'polite' });
    const name = h('input', { type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
    const desc = h('input', { type: 'text', maxlength: 500, autocomplete: 'off' });
    const create = ctx.can('create_project') && !ctx.me.projectBound
      ? h('form', {
          class: 'inline-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const btn = (e.target as HTMLFormElement).querySelector('button');
            void act(btn, out, async () => {
              const p = await tool('create_project', { name: name.value.trim(), description: desc.value.trim() || null });
              ctx.announce(`Project ${p.name} created.`);
              ctx.refresh();
            });
          },
        }, field('Name', name), field('Description (optional)', desc), h('button', { type: 'submit', class: 'primary' }, 'Create project'))
      : null;
    const rows = list.map((p) => [
      h('span', null, p.name, p.is_default ? h('span', { class: 'badge' }, 'default') : null),
      p.description ?? '—',
      h('code', null, p.id),
      fmtInt(p.stats.compressions_this_month),
      fmtInt(p.stats.compressions),
      fmtInt(p.stats.tokens_saved),
      fmtPct(p.stats.avg_savings_pct),
      h(
        'div',
        { class: 'row' },
        ctx.can('update_project')
          ? h('button', {
              type: 'button',
              'aria-label': `Rename project ${p.name}`,
              onclick: async (e: Event) => {
                const next = await promptDialog(`Rename ${p.name}`, 'New name', p.name);
                if (!next || next === p.name) return;
                await act(e.target as HTMLButtonElement, out, async () => {
                  await request('PUT', `/v1/projects/${encodeURIComponent(p.id)}`, { name: next });
                  ctx.announce(`Project renamed to ${next}.`);
                  ctx.refresh();
                });
              },
            }, 'Rename')
          : null,
        ctx.can('delete_project') && !p.is_default && !ctx.me.projectBound
          ? confirmButton(ctx, out, {
              label: 'Delete',
              name: `Delete project ${p.name}`,
              title: `Delete ${p.name}?`,
              message: 'Everything stored in this project (documents, memories, knowledge base, contexts) is deleted and keys bound to it are revoked. Usage history is kept.',
              confirm: 'Delete project',
              typeToConfirm: p.name,
              danger: true,
              run: async () => (await request('DELETE', `/v1/projects/${encodeURIComponent(p.id)}`), `Project ${p.name} deleted.`),
            })
          : null,
      ),
    ]);
    put(main, h('h1', null, 'Projects'), create && section('New project', create), out, section('All projects', table(['Name', 'Description', 'Id', 'This month', 'Compressions', 'Tokens saved', 'Avg. saved', 'Actions'], rows, undefined, { id: 'projects-table' })));
  },
};

interface Key {
  key_id: string;
  name: string;
  plan: string;
  masked_key: string;
  status: 'active' | 'revoked';
  project_id: string | null;
  created_at: string;
  last_used: string | null;
}

export const keys: Page = {
  id: 'keys',
  title: 'Keys',
  needs: ['list_api_keys'],
  async render(ctx, main) {
    const [{ keys: list }, { projects: plist }] = await Promise.all([tool<{ keys: Key[] }>('list_api_keys'), tool<{ projects: Project[] }>('list_projects')]);
    const pname = new Map(plist.map((p) => [p.id, p.name]));
    const projectOptions = (withUnbound: boolean): Array<[string, string]> => [...(withUnbound ? [['', '(not bound: account default)'] as [string, string]] : []), ...plist.map((p) => [p.id, p.name] as [string, string])];
    const out = h('div', { 'aria-live': 'polite' });
    const name = h('input', { type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
    const plan = select(['free', 'pro', 'team', 'enterprise'].map((p) => [p, p] as [string, string]), ctx.me.plan);
    const proj = select(projectOptions(!ctx.me.projectBound), ctx.me.projectBound ? ctx.me.projectId : '');
    const create = ctx.can('create_api_key')
      ? h('form', {
          class: 'inline-form',
          id: 'create-key',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void act((e.target as HTMLFormElement).querySelector('button'), out, async () => {
              const k = await tool('create_api_key', { name: name.value.trim(), plan: plan.value, ...(proj.value ? { project_id: proj.value } : {}) });
              await showKeyOnce(`Key ${k.name} created`, k.key);
              ctx.announce(`Key ${k.name} created.`);
              ctx.refresh();
            });
          },
        }, field('Name', name), field('Plan', plan), field('Project', proj), h('button', { type: 'submit', class: 'primary' }, 'Create key'))
      : null;
    const canBind = ctx.can('bind_api_key') && !ctx.me.projectBound;
    const rows = list.map((k) => {
      const active = k.status === 'active';
      const bind = select(projectOptions(true), k.project_id ?? '', { 'aria-label': `Project for key ${k.name}`, 'data-key-id': k.key_id });
      const bindBtn = h('button', {
        type: 'button',
        'aria-label': `Bind key ${k.name} to the chosen project`,
        onclick: (e: Event) =>
          act(e.target as HTMLButtonElement, out, async () => {
            const r = await request('PATCH', `/v1/keys/${encodeURIComponent(k.key_id)}`, { project_id: bind.value || null });
            ctx.announce(`Key ${k.name} now bound to ${r.project_id ? pname.get(r.project_id) ?? r.project_id : 'the account default'}.`);
            ctx.refresh();
          }),
      }, 'Bind');
      const self = k.key_id === ctx.me.keyId;
      return [
        h('span', null, k.name, self ? h('span', { class: 'badge' }, 'this session') : null),
        h('code', null, k.masked_key),
        k.plan,
        active && canBind ? h('div', { class: 'row' }, bind, bindBtn) : k.project_id ? pname.get(k.project_id) ?? k.project_id : '(account default)',
        h('span', { class: active ? 'ok' : 'muted' }, k.status),
        fmtDate(k.last_used),
        active
          ? h(
              'div',
              { class: 'row' },
              // Only an owner rotates another member's key (the server refuses an admin: the new key
              // string would hand over that member's credential); everyone may rotate their own.
              ctx.can('rotate_api_key') && (self || ctx.me.role === 'owner')
                ? confirmButton(ctx, out, {
                    label: 'Rotate',
                    name: `Rotate key ${k.name}`,
                    title: `Rotate ${k.name}?`,
                    message: 'A new key replaces this one; the old key stops working at once.',
                    confirm: 'Rotate',
                    run: async () => {
                      const r = await tool('rotate_api_key', { key_id: k.key_id });
                      await showKeyOnce(`Key ${k.name} rotated`, r.key);
                      if (self) return void ctx.announce('This session used the rotated key: sign in again with the new one.');
                      return `Key ${k.name} rotated.`;
                    },
                  })
                : null,
              ctx.can('revoke_api_key')
                ? confirmButton(ctx, out, {
                    label: 'Revoke',
                    name: `Revoke key ${k.name}`,
                    title: `Revoke ${k.name}?`,
                    message: self ? 'This is the key this session signed in with: you will be signed out.' : 'The key is refused from its next request on.',
                    confirm: 'Revoke',
                    danger: true,
                    run: async () => (await request('DELETE', `/v1/keys/${encodeURIComponent(k.key_id)}`), `Key ${k.name} revoked.`),
                  })
                : null,
            )
          : fmtDate((k as any).revoked_at),
      ];
    });
    put(main, h('h1', null, 'API keys'), create && section('New key', create), out, section('Keys', table(['Name', 'Key', 'Plan', 'Project', 'Status', 'Last used', 'Actions'], rows, undefined, { id: 'keys-table' })));
  },
};

