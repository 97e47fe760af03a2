// A tiny DOM builder. Text always goes in as text nodes (never parsed as HTML): stored documents,
// memories and names are untrusted, and nothing here ever assigns innerHTML.
export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (e: Event) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Handler>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as Handler);
    else if (k === 'class') el.className = String(v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && el instanceof HTMLInputElement) el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace an element's children. */
export function put(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
export const uid = (p = 'f') => `${p}${++ids}`;

/** A labelled form control: <label for> + the control, so every control has an accessible name. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= uid();
  const hintEl = hint ? h('small', { id: `${control.id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

export function select(options: Array<[string, string]>, value?: string, props: Props = {}): HTMLSelectElement {
  const s = h('select', props, ...options.map(([v, label]) => h('option', { value: v }, label)));
  if (value !== undefined) s.value = value;
  return s;
}

export function table(head: string[], rows: Child[][], caption?: string, props: Props = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      props,
      caption ? h('caption', null, caption) : null,
      h('thead', null, h('tr', null, ...head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, ...(rows.length ? rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, c)))) : [h('tr', null, h('td', { colspan: head.length, class: 'empty' }, 'Nothing here yet.'))])),
    ),
  );
}

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmtUsd = (n: number) => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
export const fmtPct = (n: number) => `${(Math.round(n * 10) / 10).toFixed(1)}%`;
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** A modal dialog (native <dialog>: focus moves in and is trapped; Escape closes). Resolves with the pressed button's value. */
export function dialog(title: string, body: Child[], buttons: Array<{ label: string; value: string; kind?: 'primary' | 'danger' }>, opts: { initialFocus?: HTMLElement; onSubmit?: (value: string) => boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const form = h('form', { method: 'dialog' });
    const d = h('dialog', { 'aria-labelledby': titleId }, form);
    append(form, [h('h2', { id: titleId }, title), ...body, h('div', { class: 'actions' }, ...buttons.map((b) => h('button', { type: 'submit', value: b.value, class: b.kind ?? '' }, b.label)))]);
    form.addEventListener('submit', (e) => {
      const v = ((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value ?? '';
      if (opts.onSubmit && v !== 'cancel' && !opts.onSubmit(v)) e.preventDefault();
    });
    d.addEventListener('close', () => {
      d.remove();
      resolve(d.returnValue || 'cancel');
    });
    document.body.appendChild(d);
    d.showModal();
    opts.initialFocus?.focus();
  });
}

export async function confirmDialog(title: string, message: string, confirmLabel: string, typeToConfirm?: string): Promise<boolean> {
  const input = typeToConfirm !== undefined ? h('input', { type: 'text', autocomplete: 'off', required: true }) : null;
  const err = h('p', { class: 'error', role: 'alert' });
  const body: Child[] = [h('p', null, message)];
  if (input) body.push(field(`Type "${typeToConfirm}" to confirm`, input), err);
  const v = await dialog(title, body, [{ label: 'Cancel', value: 'cancel' }, { label: confirmLabel, value: 'ok', kind: 'danger' }], {
    initialFocus: input ?? undefined,
    onSubmit: () => {
      if (!input || input.value === typeToConfirm) return true;
      err.textContent = 'The text does not match.';
      return false;
    },
  });
  return v === 'ok';
}

export async function promptDialog(title: string, label: string, initial: string): Promise<string | null> {
  const input = h('input', { type: 'text', value: initial, required: true, maxlength: 100 });
  const v = await dialog(title, [field(label, input)], [{ label: 'Cancel', value: 'cancel' }, { label: 'Save', value: 'ok', kind: 'primary' }], { initialFocus: input });
  return v === 'ok' ? input.value.trim() : null;
}
