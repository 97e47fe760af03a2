// Library: what is stored in the key's project — documents, knowledge-base items (with version
// history and a diff view), memories, contexts and the assembled brain — each searched with the
// tools' own search. All stored text is untrusted and is only ever inserted as text.
import { h, put, table, field, select, fmtInt, fmtDate, type Child } from '../dom';
import { tool } from '../api';
import { act, errorBox, section, type Ctx, type Page } from '../context';

const TABS: Array<{ id: string; label: string; needs: string }> = [
  { id: 'documents', label: 'Documents', needs: 'list_documents' },
  { id: 'kb', label: 'Knowledge base', needs: 'gc_kb_list' },
  { id: 'memories', label: 'Memories', needs: 'list_memories' },
  { id: 'contexts', label: 'Contexts', needs: 'list_contexts' },
  { id: 'brain', label: 'Brain', needs: 'get_brain' },
];
export const LIBRARY_TABS = TABS;

/** A search form: one labelled query field and a submit button; results go to `out`. */
function searchForm(label: string, out: HTMLElement, run: (q: string) => Promise<Child>, id: string): HTMLFormElement {
  const q = h('input', { type: 'search', required: true, maxlength: 2000, autocomplete: 'off', name: 'q' });
  return h('form', {
    class: 'inline-form',
    role: 'search',
    id,
    onsubmit: (e: Event) => {
      e.preventDefault();
      void act((e.target as HTMLFormElement).querySelector('button'), out, () => run(q.value.trim()));
    },
  }, field(label, q), h('button', { type: 'submit', class: 'primary' }, 'Search'));
}

const textBlock = (text: string, label: string) => h('pre', { class: 'text', tabindex: 0, 'aria-label': label }, text);

async function documents(ctx: Ctx, root: HTMLElement) {
  const list = await tool('list_documents', { limit: 100 });
  const results = h('div', { 'aria-live': 'polite' });
  const viewer = h('div', { 'aria-live': 'polite' });
  const open = (docId: string, e: Event) =>
    act(e.target as HTMLButtonElement, viewer, async () => {
      const d = await tool('get_document', { doc_id: docId, include_content: true });
      return section(`Document: ${d.title ?? d.file_id}`, h('p', { class: 'muted' }, `${d.file_id} · version ${d.version} · ${fmtInt(d.tokens)} tokens · ${d.chunks} chunks`), textBlock(d.content ?? '', `Content of ${d.file_id}`));
    });
  put(
    root,
    ctx.can('search_semantic') &&
      searchForm('Search documents', results, async (query) => {
        const r = await tool('search_semantic', { query, top_k: 10, mode: 'hybrid' });
        return section(`${r.results.length} passages for “${query}”`, ...r.results.map((p: any) => h('article', { class: 'hit' }, h('h3', null, `${p.title ?? p.file_id}`, p.heading_path.length ? ` › ${p.heading_path.join(' › ')}` : ''), h('p', { class: 'muted' }, `score ${p.score.toFixed(3)}`), textBlock(p.text, `Passage from ${p.file_id}`))));
      }, 'search-documents'),
    results,
    section(
      `Documents (${list.total})`,
      table(['Title', 'File id', 'Type', 'Tokens', 'Version', 'Updated', ''], list.documents.map((d: any) => [d.title ?? '—', h('code', null, d.file_id), d.source_type, fmtInt(d.tokens), String(d.version), fmtDate(d.updated_at), h('button', { type: 'button', 'aria-label': `Open document ${d.file_id}`, onclick: (e: Event) => open(d.doc_id, e) }, 'Open')])),
    ),
    viewer,
  );
}

/** A KB item: its content, version history, and the diff between two chosen versions. */
async function kbItem(itemId: string, out: HTMLElement) {
  const [item, hist] = await Promise.all([tool('gc_kb_get', { item_id: itemId }), tool('gc_kb_history', { item_id: itemId })]);
  const versions: Array<[string, string]> = hist.versions.map((v: any) => [String(v.version), `v${v.version} (${v.change}, ${fmtDate(v.created_at)})`]);
  const cur = hist.current_version;
  const from = select(versions, String(Math.max(1, cur - 1)));
  const to = select(versions, String(cur));
  const diffOut = h('div', { 'aria-live': 'polite', id: 'kb-diff' });
  const showDiff = async () => {
    const d = await tool('gc_kb_diff', { item_id: itemId, from_version: Number(from.value), to_version: Number(to.value) });
    if (d.identical) return h('p', null, `Versions ${d.from_version} and ${d.to_version} are identical.`);
    return h(
      'div',
      null,
      h('p', null, `v${d.from_version} → v${d.to_version}: `, h('span', { class: 'plus' }, `+${d.stats.added}`), ' ', h('span', { class: 'minus' }, `−${d.stats.removed}`), ` in ${d.stats.hunks} hunk(s)`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'diff' },
          h('caption', null, `Changes from version ${d.from_version} to version ${d.to_version}`),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Old'), h('th', { scope: 'col' }, 'New'), h('th', { scope: 'col' }, 'Line'))),
          ...d.hunks.map((hk: any) =>
            h(
              'tbody',
              null,
              h('tr', { class: 'hunk' }, h('td', { colspan: 3 }, `@@ −${hk.old_start},${hk.old_lines} +${hk.new_start},${hk.new_lines} @@`)),
              ...hk.lines.map((l: any) => h('tr', { class: l.op }, h('td', { class: 'ln' }, l.old_line ?? ''), h('td', { class: 'ln' }, l.new_line ?? ''), h('td', null, h('span', { class: 'sr-only' }, l.op === 'add' ? 'added: ' : l.op === 'remove' ? 'removed: ' : ''), h('code', null, `${l.op === 'add' ? '+' : l.op === 'remove' ? '−' : ' '} ${l.text}`)))),
            ),
          ),
        ),
      ),
    );
  };
  const diffForm = h('form', {
    class: 'inline-form',
    id: 'kb-diff-form',
    onsubmit: (e: Event) => {
      e.preventDefault();
      void act((e.target as HTMLFormElement).querySelector('button'), diffOut, showDiff);
    },
  }, field('From version', from), field('To version', to), h('button', { type: 'submit', class: 'primary' }, 'Show diff'));
  put(
    out,
    section(
      `Item: ${item.title ?? item.item_id}`,
      h('p', { class: 'muted' }, `${item.item_id} · ${item.format} · version ${item.version} of ${item.versions} · ${fmtInt(item.tokens)} tokens`),
      h('h3', null, 'Version history'),
      table(['Version', 'Change', 'Title', 'Tokens', 'When'], hist.versions.map((v: any) => [`v${v.version}${v.current ? ' (current)' : ''}`, v.change + (v.restored_from ? ` from v${v.restored_from}` : ''), v.title ?? '—', fmtInt(v.tokens), fmtDate(v.created_at)]), undefined, { id: 'kb-history' }),
      hist.versions.length > 1 ? [h('h3', null, 'Compare versions'), diffForm, diffOut] : h('p', { class: 'muted' }, 'Only one version: nothing to compare yet.'),
      h('h3', null, 'Current content'),
      textBlock(item.content, `Content of ${item.item_id}`),
    ),
  );
  if (hist.versions.length > 1) put(diffOut, await showDiff());
}

async function kb(ctx: Ctx, root: HTMLElement, itemId?: string) {
  const list = await tool('gc_kb_list', { limit: 100 });
  const results = h('div', { 'aria-live': 'polite' });
  const detail = h('div', { id: 'kb-item' });
  const open = (id: string) => {
    location.hash = `#/library/kb/${encodeURIComponent(id)}`;
  };
  put(
    root,
    ctx.can('gc_kb_query') &&
      searchForm('Search the knowledge base', results, async (query) => {
        const r = await tool('gc_kb_query', { query, top_k: 10 });
        return section(`${r.results.length} passages for “${query}”`, ...r.results.map((p: any) => h('article', { class: 'hit' }, h('h3', null, `${p.title ?? p.item_id} (v${p.version})`), h('p', { class: 'muted' }, `score ${p.score.toFixed(3)}`), textBlock(p.passage, `Passage from ${p.item_id}`))));
      }, 'search-kb'),
    results,
    section(
      `Knowledge base (${list.total})`,
      table(['Item', 'Title', 'Format', 'Version', 'Tokens', 'Updated', ''], list.items.map((i: any) => [h('code', null, i.item_id), i.title ?? '—', i.format, `v${i.version} of ${i.versions}`, fmtInt(i.tokens), fmtDate(i.updated_at), h('button', { type: 'button', 'aria-label': `Open item ${i.item_id}`, onclick: () => open(i.item_id) }, 'Open')]), undefined, { id: 'kb-table' }),
    ),
    detail,
  );
  if (itemId) {
    // An item that is not in this project (or not there any more) is an error beside the list.
    try {
      await kbItem(itemId, detail);
    } catch (e) {
      put(detail, errorBox(e));
    }
    detail.querySelector('h2')?.setAttribute('tabindex', '-1');
    (detail.querySelector('h2') as HTMLElement | null)?.focus();
  }
}

async function memories(ctx: Ctx, root: HTMLElement) {
  const list = await tool('list_memories', { limit: 50 });
  const results = h('div', { 'aria-live': 'polite' });
  const mem = (m: any, extra?: string) => h('article', { class: 'hit' }, textBlock(m.text, `Memory ${m.id}`), h('p', { class: 'muted' }, [m.tags.length ? `tags: ${m.tags.join(', ')} · ` : '', m.source ? `source: ${m.source} · ` : '', fmtDate(m.updated_at), extra ? ` · ${extra}` : '']));
  put(
    root,
    ctx.can('search_memory') &&
      searchForm('Search memories', results, async (query) => {
        const r = await tool('search_memory', { query, top_k: 10 });
        return section(`${r.results.length} memories for “${query}”`, ...r.results.map((m: any) => mem(m, `score ${m.score.toFixed(3)}`)));
      }, 'search-memories'),
    results,
    section(`Memories (${list.total})`, ...(list.memories.length ? list.memories.map((m: any) => mem(m)) : [h('p', { class: 'empty' }, 'Nothing here yet.')])),
  );
}

async function contexts(_ctx: Ctx, root: HTMLElement) {
  const list = await tool('list_contexts', { limit: 100, sort: 'updated_at', order: 'desc' });
  const viewer = h('div', { 'aria-live': 'polite' });
  const open = (id: string, e: Event) =>
    act(e.target as HTMLButtonElement, viewer, async () => {
      const c = await tool('get_context', { id });
      const content = typeof c.content === 'string' ? c.content : JSON.stringify(c.content, null, 2);
      return section(`Context: ${c.name}`, h('p', { class: 'muted' }, `${c.schema_key ?? c.slug} · tier ${c.tier} · ${c.state} · ${c.version}`), textBlock(content, `Content of ${c.name}`));
    });
  put(
    root,
    section(
      `Contexts (${list.total})`,
      table(['Name', 'Key', 'Tier', 'Type', 'State', 'Tokens', 'Updated', ''], list.contexts.map((c: any) => [c.name, h('code', null, c.schema_key ?? c.slug), String(c.tier), c.context_type, c.state, fmtInt(c.tokens), fmtDate(c.updated_at), h('button', { type: 'button', 'aria-label': `Open context ${c.name}`, onclick: (e: Event) => open(c.id, e) }, 'Open')])),
    ),
    viewer,
  );
}

async function brain(_ctx: Ctx, root: HTMLElement) {
  const out = h('div', { 'aria-live': 'polite' });
  const q = h('input', { type: 'search', maxlength: 2000, autocomplete: 'off' });
  const budget = h('input', { type: 'number', min: 100, max: 200000, step: 100, value: 8000 });
  const load = async () => {
    const b = await tool('get_brain', { ...(q.value.trim() ? { query: q.value.trim() } : {}), budget_tokens: Number(budget.value) || 8000 });
    return h(
      'div',
      null,
      h('p', null, `${fmtInt(b.tokens)} of ${fmtInt(b.budget_tokens)} tokens · ${b.counts.whole} whole, ${b.counts.compressed} compressed, ${b.counts.omitted} omitted`),
      table(['Context', 'Key', 'Tier', 'Included', 'Tokens'], b.contexts.map((c: any) => [c.name, c.schema_key ?? '—', String(c.tier), c.inclusion + (c.reason ? ` (${c.reason})` : ''), `${fmtInt(c.tokens)} / ${fmtInt(c.original_tokens)}`])),
      h('h3', null, 'Assembled document'),
      textBlock(b.document, 'The assembled brain'),
    );
  };
  put(
    root,
    section(
      'Assembled brain',
      h('form', { class: 'inline-form', role: 'search', onsubmit: (e: Event) => (e.preventDefault(), void act((e.target as HTMLFormElement).querySelector('button'), out, load)) }, field('Focus query (optional)', q), field('Token budget', budget), h('button', { type: 'submit', class: 'primary' }, 'Assemble')),
      out,
    ),
  );
  put(out, await load());
}

export const library: Page = {
  id: 'library',
  title: 'Library',
  needs: ['list_documents'],
  async render(ctx, main, _signal, sub) {
    const [tabId = 'documents', ...rest] = sub.split('/');
    const tabs = TABS.filter((t) => ctx.can(t.needs));
    const active = tabs.find((t) => t.id === tabId) ?? tabs[0]!;
    const body = h('div', { id: `library-${active.id}` });
    put(main, h('h1', null, 'Library'), h('nav', { class: 'tabs', 'aria-label': 'Library sections' }, ...tabs.map((t) => h('a', { href: `#/library/${t.id}`, 'aria-current': t.id === active.id ? 'page' : null }, t.label))), body);
    const run = { documents, kb: (c: Ctx, r: HTMLElement) => kb(c, r, rest.length ? decodeURIComponent(rest.join('/')) : undefined), memories, contexts, brain }[active.id as 'documents'];
    await run(ctx, body);
  },
};
