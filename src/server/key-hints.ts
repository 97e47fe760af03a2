// What to tell a client whose key never reached us: its config's placeholder arrived as is
// (`${CTXGATE_KEY}`, `${env:CTXGATE_KEY}`, `$CTXGATE_KEY`, `{env:CTXGATE_KEY}`) or as nothing. The fix
// is in the environment the client was started from, not in the key, so "invalid key" misleads.

/** A placeholder a client config uses for an environment variable (never a gc_ key). */
const PLACEHOLDER = /^\$?\{(?:env:|input:)?[A-Za-z_][\w-]*\}$|^\$[A-Za-z_]\w*$/;

/** The advice when `presented` is a placeholder the client did not substitute, else null. */
export function unexpandedKeyHint(presented: string): string | null {
  if (!PLACEHOLDER.test(presented)) return null;
  return (
    `The API key arrived as the unexpanded placeholder ${presented}: the client did not substitute it. ` +
    'Export the variable it names (export CTXGATE_KEY=gc_...) in the shell that starts the client, then restart the client'
  );
}

/** The advice for an Authorization header that says Bearer and nothing after it. */
export const EMPTY_BEARER_HINT =
  'The Authorization header says "Bearer" with no key after it: the variable the client config reads (CTXGATE_KEY) is empty or unset where the client was started. Export it (export CTXGATE_KEY=gc_...), then restart the client';
