// The REST routes a script would use (POST /v1/tools/{name}, the aliases, the SSE stream), with the
// API key from this tab's sessionStorage in the Authorization header. Never a cookie, never the URL.
const KEY = 'ctxgate.key';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: Record<string, unknown> = {}) {
    super(message);
  }
}

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (k: string | null) => (k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY));

let onUnauthorized: () => void = () => {};
export const whenUnauthorized = (fn: () => void) => void (onUnauthorized = fn);

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const k = getKey();
  return { ...(k ? { Authorization: `Bearer ${k}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const detail = typeof body.detail === 'string' ? body.detail : `${res.status} ${res.statusText}`;
  if (res.status === 401) onUnauthorized();
  return new ApiError(res.status, detail, body);
}

export async function request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? res.json() : res.text()) as Promise<T>;
}

/** Any tool through its generic REST route, POST /v1/tools/{name}. */
export const tool = <T = any>(name: string, args: Record<string, unknown> = {}) => request<T>('POST', `/v1/tools/${encodeURIComponent(name)}`, args);

/**
 * Server-Sent Events over fetch (EventSource cannot send an Authorization header). Reconnects after
 * the server's retry delay until `signal` aborts; `onState` reports connected / reconnecting.
 */
export async function stream(path: string, onEvent: (event: string, data: any) => void, signal: AbortSignal, onState: (s: 'live' | 'reconnecting') => void): Promise<void> {
  let retry = 3000;
  while (!signal.aborted) {
    try {
      const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal, credentials: 'omit', cache: 'no-store' });
      if (!res.ok || !res.body) throw await failure(res);
      onState('live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n/g, '\n');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            else if (line.startsWith('retry:')) retry = Number(line.slice(6)) || retry;
          }
          if (data.length) onEvent(event, JSON.parse(data.join('\n')));
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
    }
    if (signal.aborted) return;
    onState('reconnecting');
    await new Promise((r) => setTimeout(r, retry));
  }
}
