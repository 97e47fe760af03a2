// PostgreSQL NOTIFY / LISTEN, the transport of the replica bus (src/services/bus.ts) on a PostgreSQL
// store without Redis. The bus keeps the policy (payload size, reconnecting); the SQL lives here.
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.js';

/** The one channel; a payload carries the bus's logical channel inside it. */
const PG_CHANNEL = 'ctxgate_bus';

/** Sends one payload to every listener (the sender's own included). */
export async function pgNotify(db: Kysely<Database>, payload: string): Promise<void> {
  await sql`SELECT pg_notify(${PG_CHANNEL}, ${payload})`.execute(db);
}

/**
 * Opens a dedicated connection that LISTENs (a pooled one cannot hold a LISTEN). `onPayload` gets
 * each notification's payload; `onLost` is called once the connection errs or ends, after which the
 * caller decides whether to listen again. Listeners are attached before connecting, so a failure
 * while connecting is reported too.
 */
export async function pgListen(
  url: string,
  onPayload: (payload: string) => void,
  onLost: (err?: Error) => void,
): Promise<pg.Client> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: url });
  client.on('error', (err) => onLost(err));
  client.on('end', () => onLost());
  client.on('notification', (n) => {
    if (n.channel === PG_CHANNEL && n.payload) onPayload(n.payload);
  });
  await client.connect();
  await client.query(`LISTEN ${PG_CHANNEL}`);
  return client;
}
