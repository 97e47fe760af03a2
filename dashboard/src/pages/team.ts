// Members and the audit log, shown only to keys whose role may call list_members / get_audit_log.
import { h, put, table, field, select, dialog, fmtDate } from '../dom';
import { tool, request } from '../api';
import { act, confirmButton, section, type Page } from '../context';

const ROLES: Array<[string, string]> = [['viewer', 'viewer (read only)'], ['operator', 'operator (jobs, own keys)'], ['admin', 'admin (members, integrations)'], ['owner', 'owner (everything)']];

export const members: Page = {
  id: 'members',
  title: 'Members',
  needs: ['list_members'],
  async render(ctx, main) {
    const { members: list } = await tool('list_members');
    const out = h('div', { 'aria-live': 'polite' });
    const name = h('input', { type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
    const role = select(ROLES, 'viewer');
    const issue = h('input', { type: 'checkbox', checked: true });
    const add = ctx.can('add_member')
      ? h('form', {
          class: 'inline-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void act((e.target as HTMLFormElement).querySelector('button'), out, async () => {
              const r = await tool('add_member', { name: name.value.trim(), role: role.value, issue_key: issue.checked });
              if (r.key) {
                const input = h('input', { type: 'text', readonly: true, value: r.key.key, class: 'mono' });
                await dialog(`Key for ${r.member.name}`, [h('p', { class: 'warn' }, 'This is the only time the full key is shown. Hand it to the member now.'), field('API key', input)], [{ label: 'Done', value: 'ok', kind: 'primary' }], { initialFocus: input });
              }
              ctx.announce(`Member ${r.member.name} added as ${r.member.role}.`);
              ctx.refresh();
            });
          },
        }, field('Name', name), field('Role', role), h('div', { class: 'field check' }, issue, h('label', { for: (issue.id = 'issue-key') }, 'Issue a key for the member')), h('button', { type: 'submit', class: 'primary' }, 'Add member'))
      : null;
    const rows = list.map((m: any) => {
      const r = select(ROLES, m.role, { 'aria-label': `Role of ${m.name}` });
      return [
        h('span', null, m.name, m.account_holder ? h('span', { class: 'badge' }, 'account holder') : null),
        h('code', null, m.user_id),
        ctx.can('set_member_role')
          ? h('div', { class: 'row' }, r, h('button', { type: 'button', 'aria-label': `Save role of ${m.name}`, onclick: (e: Event) => act(e.target as HTMLButtonElement, out, async () => {
              await request('PUT', `/v1/members/${encodeURIComponent(m.user_id)}`, { role: r.value });
              ctx.announce(`${m.name} is now ${r.value}.`);
              ctx.refresh();
            }) }, 'Save'))
          : m.role,
        fmtDate(m.created_at),
        ctx.can('remove_member') && !m.account_holder
          ? confirmButton(ctx, out, {
              label: 'Remove',
              name: `Remove member ${m.name}`,
              title: `Remove ${m.name}?`,
              message: 'The member loses access to this project and their keys stop working.',
              confirm: 'Remove',
              danger: true,
              run: async () => (await request('DELETE', `/v1/members/${encodeURIComponent(m.user_id)}`), `${m.name} removed.`),
            })
          : '',
      ];
    });
    put(main, h('h1', null, 'Members'), add && section('Add a member', add), out, section('Members of this project', table(['Name', 'User id', 'Role', 'Added', ''], rows, undefined, { id: 'members-table' })));
  },
};

export const audit: Page = {
  id: 'audit',
  title: 'Audit log',
  needs: ['get_audit_log'],
  async render(_ctx, main) {
    const outcome = select([['', 'any'], ['ok', 'ok'], ['refused', 'refused'], ['error', 'error']], '');
    const toolName = h('input', { type: 'text', maxlength: 64, autocomplete: 'off' });
    const actor = h('input', { type: 'text', maxlength: 100, autocomplete: 'off' });
    const out = h('div', { 'aria-live': 'polite' });
    const tbody = h('tbody');
    const more = h('button', { type: 'button', hidden: true }, 'Older entries');
    let before: number | null = null;
    const filters = () => ({ ...(outcome.value ? { outcome: outcome.value } : {}), ...(toolName.value.trim() ? { tool: toolName.value.trim() } : {}), ...(actor.value.trim() ? { actor: actor.value.trim() } : {}) });
    const load = async (reset: boolean) => {
      if (reset) {
        before = null;
        tbody.replaceChildren();
      }
      const page = await tool('get_audit_log', { ...filters(), limit: 50, ...(before ? { before } : {}) });
      for (const e of page.entries) {
        const targets = Object.entries(e.targets as Record<string, string | string[]>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ');
        tbody.append(h('tr', null, ...[fmtDate(e.at), e.actor_user_id, e.key_id ?? '—', e.role ?? '—', e.transport, h('code', null, e.tool), h('span', { class: `status status-${e.outcome}` }, `${e.outcome} ${e.status}`), targets || '—'].map((c) => h('td', null, c))));
      }
      if (!tbody.children.length) tbody.append(h('tr', null, h('td', { colspan: 8, class: 'empty' }, 'No entries match.')));
      before = page.next_before;
      more.hidden = !before;
    };
    more.addEventListener('click', () => void act(more, out, () => load(false)));
    const download = h('button', { type: 'button', onclick: (e: Event) => act(e.target as HTMLButtonElement, out, async () => {
      const q = new URLSearchParams({ ...filters(), format: 'jsonl', limit: '1000' });
      const text = await request<string>('GET', `/v1/audit-log?${q}`);
      const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' })), download: 'audit-log.jsonl' });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }) }, 'Download JSON Lines');
    put(
      main,
      h('h1', null, 'Audit log'),
      section(
        'Filter',
        h('form', { class: 'inline-form', onsubmit: (e: Event) => (e.preventDefault(), void act((e.target as HTMLFormElement).querySelector('button'), out, () => load(true))) }, field('Outcome', outcome), field('Tool', toolName), field('Actor (usr_… or key_…)', actor), h('button', { type: 'submit', class: 'primary' }, 'Apply'), download),
      ),
      out,
      section('Entries, newest first', h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table' }, h('thead', null, h('tr', null, ...['When', 'Actor', 'Key', 'Role', 'Via', 'Tool', 'Outcome', 'Targets'].map((c) => h('th', { scope: 'col' }, c)))), tbody)), more),
    );
    await load(true);
  },
};
