// ctxgate dashboard: sign-in, the shell (navigation, theme, live region), hash routing, the command
// palette (Ctrl/Cmd+K) and "g then letter" shortcuts. Pages live in ./pages.
import { h, put, field, select, uid } from './dom';
import { ApiError, getKey, setKey, tool, request, whenUnauthorized } from './api';
import { errorBox, type Ctx, type Me, type Page } from './context';
import { overview } from './pages/overview';
import { projects, keys } from './pages/account';
import { queue } from './pages/queue';
import { library, LIBRARY_TABS } from './pages/library';
import { members, audit } from './pages/team';

const PAGES: Page[] = [overview, projects, keys, queue, library, members, audit];
const SHORTCUTS: Record<string, string> = { o: 'overview', p: 'projects', k: 'keys', q: 'queue', l: 'library', m: 'members', a: 'audit' };

// --- Theme: light, dark or the system's; a preference, not a secret, so localStorage.
type Theme = 'light' | 'dark' | 'system';
const THEME_KEY = 'ctxgate.theme';
function applyTheme(t: Theme) {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  localStorage.setItem(THEME_KEY, t);
}
const savedTheme = (): Theme => (['light', 'dark', 'system'].includes(localStorage.getItem(THEME_KEY) ?? '') ? (localStorage.getItem(THEME_KEY) as Theme) : 'system');
applyTheme(savedTheme());

const app = document.getElementById('app')!;

async function whoAmI(): Promise<{ me: Me; callable: Set<string> }> {
  const env = await tool('check_environment');
  if (!env.authenticated || !env.key) throw new ApiError(401, 'This key was not accepted');
  const list = await request<{ tools: Array<{ name: string; callable: boolean }> }>('GET', '/v1/tools');
  return {
    me: { plan: env.plan, role: env.key.role, keyId: env.key.key_id, keyName: env.key.name, projectId: env.project_id, projectBound: env.key.project_bound, version: env.version },
    callable: new Set(list.tools.filter((t) => t.callable).map((t) => t.name)),
  };
}

function signIn(message?: string) {
  setKey(null);
  const key = h('input', { type: 'password', required: true, autocomplete: 'off', spellcheck: 'false', name: 'api-key', placeholder: 'gc_…' });
  const err = h('div', { 'aria-live': 'assertive' }, message ? errorBox(new Error(message)) : null);
  const form = h('form', {
    class: 'signin card',
    onsubmit: async (e: Event) => {
      e.preventDefault();
      const btn = form.querySelector('button')!;
      btn.disabled = true;
      setKey(key.value.trim());
      try {
        const who = await whoAmI();
        key.value = '';
        start(who.me, who.callable);
      } catch (e2) {
        setKey(null);
        put(err, errorBox(e2));
        btn.disabled = false;
        key.focus();
      }
    },
  },
  h('h1', null, 'ctxgate'),
  h('p', null, 'Sign in with an API key. It stays in this tab only (session storage) and is sent as the Authorization header; you see exactly what the key may see.'),
  field('API key', key),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  err);
  put(app, h('main', { id: 'main', class: 'center' }, form));
  key.focus();
}

function start(me: Me, callable: Set<string>) {
  const can = (name: string) => callable.has(name);
  const visible = PAGES.filter((p) => p.needs.every(can));
  const status = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', id: 'announcer' });
  const toast = h('div', { class: 'toast', 'aria-hidden': 'true' });
  const main = h('main', { id: 'main', tabindex: -1 });
  const nav = h('nav', { 'aria-label': 'Sections' }, h('ul', null, ...visible.map((p) => h('li', null, h('a', { href: `#/${p.id}`, 'data-page': p.id }, p.title)))));
  // The chart draws on a canvas with resolved colours: re-render when the theme changes.
  const setTheme = (t: Theme) => (applyTheme(t), ctx.refresh());
  matchMedia('(prefers-color-scheme: dark)').onchange = () => savedTheme() === 'system' && ctx.refresh();
  const themeSel = select([['system', 'System theme'], ['light', 'Light theme'], ['dark', 'Dark theme']], savedTheme(), { 'aria-label': 'Theme', onchange: (e: Event) => setTheme((e.target as HTMLSelectElement).value as Theme) });
  const signOut = () => {
    setKey(null);
    location.hash = '';
    signIn();
  };
  put(
    app,
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '#/overview' }, 'ctxgate'),
      h('span', { class: 'who', id: 'who' }, `${me.keyName} · ${me.role} · ${me.plan}${me.projectBound ? ' · bound to ' + me.projectId : ''}`),
      h('button', { type: 'button', class: 'ghost', 'aria-keyshortcuts': 'Control+K Meta+K', onclick: () => palette() }, 'Commands', h('kbd', null, 'Ctrl K')),
      themeSel,
      h('button', { type: 'button', onclick: signOut }, 'Sign out'),
    ),
    h('div', { class: 'layout' }, nav, main),
    status,
    toast,
  );
  let controller = new AbortController();
  const ctx: Ctx = {
    me,
    can,
    announce: (msg) => {
      status.textContent = msg;
      toast.textContent = msg;
      toast.classList.add('show');
      setTimeout(() => toast.classList.remove('show'), 4000);
    },
    refresh: () => void route(false),
  };
  async function route(focus = true) {
    controller.abort();
    controller = new AbortController();
    const [id = 'overview', ...sub] = location.hash.replace(/^#\/?/, '').split('/');
    const page = visible.find((p) => p.id === id) ?? visible[0];
    if (!page) {
      main.dataset.page = 'none';
      return put(main, h('h1', null, 'Nothing to show'), h('p', null, `This key (${me.plan} plan, ${me.role} role) may not call the tools the dashboard reads (GET /v1/tools lists what it may call). A key on a higher plan sees more.`));
    }
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.page === page.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${page.title} · ctxgate`;
    main.setAttribute('aria-busy', 'true');
    if (focus) put(main, h('h1', null, page.title), h('p', { class: 'muted' }, 'Loading…'));
    try {
      await page.render(ctx, main, controller.signal, sub.join('/'));
    } catch (e) {
      if (!controller.signal.aborted) put(main, h('h1', null, page.title), errorBox(e));
    } finally {
      main.removeAttribute('aria-busy');
      main.dataset.page = page.id;
    }
    if (focus) (main.querySelector('h1') as HTMLElement | null)?.setAttribute('tabindex', '-1');
    if (focus && document.activeElement === document.body) (main.querySelector('h1') as HTMLElement | null)?.focus();
  }
  window.onhashchange = () => void route();

  // Command palette: every page and library section, themes, sign out; type to filter, arrows, Enter.
  const commands = () => [
    ...visible.map((p) => ({ label: `Go to ${p.title}`, run: () => (location.hash = `#/${p.id}`) })),
    ...(visible.includes(library) ? LIBRARY_TABS.filter((t) => can(t.needs)).map((t) => ({ label: `Library: ${t.label}`, run: () => (location.hash = `#/library/${t.id}`) })) : []),
    ...(['light', 'dark', 'system'] as Theme[]).map((t) => ({ label: `Theme: ${t}`, run: () => ((themeSel.value = t), setTheme(t)) })),
    { label: 'Sign out', run: signOut },
  ];
  let open = false;
  function palette() {
    if (open) return;
    open = true;
    const listId = uid('cmds');
    const input = h('input', { type: 'text', role: 'combobox', 'aria-expanded': 'true', 'aria-controls': listId, 'aria-autocomplete': 'list', autocomplete: 'off', 'aria-label': 'Command' });
    const list = h('ul', { role: 'listbox', id: listId, 'aria-label': 'Commands' });
    const d = h('dialog', { class: 'palette', 'aria-label': 'Command palette' }, input, list);
    let items: ReturnType<typeof commands> = [];
    let sel = 0;
    const draw = () => {
      const q = input.value.toLowerCase();
      items = commands().filter((c) => c.label.toLowerCase().includes(q));
      sel = Math.min(sel, Math.max(0, items.length - 1));
      put(list, ...items.map((c, i) => h('li', { role: 'option', id: `${listId}-${i}`, 'aria-selected': String(i === sel), onclick: () => choose(i) }, c.label)));
      if (items.length) input.setAttribute('aria-activedescendant', `${listId}-${sel}`);
      else input.removeAttribute('aria-activedescendant');
    };
    const choose = (i: number) => {
      const c = items[i];
      d.close();
      c?.run();
    };
    input.addEventListener('input', () => ((sel = 0), draw()));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') (sel = Math.min(items.length - 1, sel + 1)), draw(), e.preventDefault();
      else if (e.key === 'ArrowUp') (sel = Math.max(0, sel - 1)), draw(), e.preventDefault();
      else if (e.key === 'Enter') e.preventDefault(), choose(sel);
    });
    d.addEventListener('close', () => {
      d.remove();
      open = false;
    });
    document.body.appendChild(d);
    draw();
    d.showModal();
    input.focus();
  }
  let g = false;
  document.onkeydown = (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      palette();
      return;
    }
    const t = e.target as HTMLElement;
    if (open || e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName) || document.querySelector('dialog[open]')) return;
    if (g && SHORTCUTS[e.key] && visible.some((p) => p.id === SHORTCUTS[e.key])) location.hash = `#/${SHORTCUTS[e.key]}`;
    g = e.key === 'g';
  };
  whenUnauthorized(() => signIn('The key was refused (revoked or rotated?). Sign in again.'));
  void route();
}

// A key already in this tab's session storage (a reload) signs in again without asking.
if (getKey()) {
  whoAmI().then(
    (w) => start(w.me, w.callable),
    (e) => signIn(e instanceof Error ? e.message : String(e)),
  );
} else signIn();
