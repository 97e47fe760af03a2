// What the signed-in key is and may do, read once at sign-in from public routes: check_environment
// (plan, role, project binding) and GET /v1/tools (which tools this key may call).
import { h, put, confirmDialog, type Child } from './dom';
import { ApiError } from './api';

export interface Me {
  plan: string;
  role: string;
  keyId: string | null;
  keyName: string;
  projectId: string;
  projectBound: boolean;
  version: string;
}

export interface Ctx {
  me: Me;
  can: (toolName: string) => boolean;
  /** A polite status message for screen readers and sighted users. */
  announce: (msg: string) => void;
  /** Re-render the current page. */
  refresh: () => void;
}

export interface Page {
  id: string;
  title: string;
  /** Shown only when the key may call these tools. */
  needs: string[];
  render(ctx: Ctx, main: HTMLElement, signal: AbortSignal, sub: string): Promise<void>;
}

/** An error as the page shows it: the server's own detail (never echoes input) in an alert. */
export function errorBox(e: unknown): HTMLElement {
  const msg = e instanceof ApiError ? `${e.status}: ${e.message}` : e instanceof Error ? e.message : String(e);
  return h('p', { class: 'error', role: 'alert' }, msg);
}

/** Runs an action from a button: disables it meanwhile, shows errors next to it. */
export async function act(btn: HTMLButtonElement | null, out: HTMLElement, fn: () => Promise<Child | void>): Promise<void> {
  if (btn) btn.disabled = true;
  try {
    const r = await fn();
    if (r !== undefined) put(out, r);
  } catch (e) {
    put(out, errorBox(e));
  } finally {
    if (btn) btn.disabled = false;
  }
}

export const section = (title: string, ...children: Child[]) => h('section', { class: 'card', 'aria-label': title }, h('h2', null, title), ...children);

/**
 * A button that asks first (a modal confirmation; `typeToConfirm` makes the user type a name), then
 * runs the action; errors go to `out`; a returned message is announced and the page re-rendered.
 */
export function confirmButton(ctx: Ctx, out: HTMLElement, o: { label: string; name: string; title: string; message: string; confirm: string; typeToConfirm?: string; danger?: boolean; run: () => Promise<string | void> }): HTMLButtonElement {
  return h('button', {
    type: 'button',
    class: o.danger ? 'danger' : null,
    'aria-label': o.name,
    onclick: async (e: Event) => {
      if (!(await confirmDialog(o.title, o.message, o.confirm, o.typeToConfirm))) return;
      await act(e.target as HTMLButtonElement, out, async () => {
        const msg = await o.run();
        if (msg) {
          ctx.announce(msg);
          ctx.refresh();
        }
      });
    },
  }, o.label);
}
