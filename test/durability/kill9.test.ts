// Durability: a write that returned success survives `kill -9` of the server the next instant.
// A real `ctxgate serve` process takes a stream of add_memory writes from several concurrent
// clients, is SIGKILLed the moment a target number has been acknowledged (with more in flight),
// and is restarted on the same data dir; every acknowledged memory must be there, intact, and the
// store must pass the backend's checks (SQLite and FTS5 integrity checks; on PostgreSQL, with
// CTXGATE_TEST_DATABASE=postgres, the rows counted in the database itself).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runCli, startServeProcess, type ServeProcess } from '../helpers/cli.js';
import { databaseUrlFor, dropDatabaseFor } from '../helpers/database.js';

const WORKERS = 6;
const ACK_TARGET = 120;
const BASE_ENV = { CTXGATE_RPM_ENTERPRISE: '1000000', CTXGATE_EMBEDDER: 'offline' };

const dirs: string[] = [];
const children: ServeProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  for (const d of dirs) {
    await dropDatabaseFor(d);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

function baseOf(p: ServeProcess): string {
  return new URL(p.url).origin;
}

async function post(base: string, key: string, urlPath: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + urlPath, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function get(base: string, key: string, urlPath: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + urlPath, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

describe('durability', () => {
  it('keeps every acknowledged write across kill -9 of the server', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctxgate-kill9-'));
    dirs.push(dir);
    // On PostgreSQL the data dir keeps only the server secret; the rows live in the dir's database.
    const databaseUrl = await databaseUrlFor(dir);
    const ENV: Record<string, string> = { ...BASE_ENV, ...(databaseUrl && { CTXGATE_DATABASE_URL: databaseUrl }) };
    const created = runCli(['keys', 'create', '--name', 't', '--plan', 'enterprise'], dir, ENV);
    expect(created.status, created.stderr).toBe(0);
    const key = (JSON.parse(created.stdout) as { key: string }).key;

    const first = await startServeProcess(dir, ENV);
    children.push(first);
    const base = baseOf(first);
    const exited = new Promise<void>((r) => first.child.once('exit', () => r()));

    const acked = new Map<string, string>();
    let sent = 0;
    let killed = false;
    const worker = async (w: number) => {
      for (let i = 0; !killed; i++) {
        // Distinct facts (and dedupe off) so every acknowledged write is its own row.
        const text = `Durability record ${w}-${i}: worker ${w} wrote item ${i} with token ${Math.random().toString(36).slice(2)}.`;
        sent++;
        try {
          const r = await post(base, key, '/v1/memories', { text, tags: [`w${w}`], dedupe: false });
          if (r.status !== 200) throw new Error(`add_memory answered ${r.status}: ${JSON.stringify(r.body)}`);
          acked.set(r.body.id as string, text);
          if (acked.size >= ACK_TARGET && !killed) {
            killed = true;
            first.child.kill('SIGKILL'); // the next instant after an acknowledgement, writes still in flight
          }
        } catch (err) {
          if (!killed) throw err; // after the kill, a cut-off request is expected
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(ACK_TARGET);
    expect(sent).toBeGreaterThan(acked.size); // some requests were cut off by the kill

    const second = await startServeProcess(dir, ENV);
    children.push(second);
    const base2 = baseOf(second);
    const stored = new Map<string, string>();
    for (let offset: number | null = 0; offset !== null; ) {
      const page = await get(base2, key, `/v1/memories?limit=100&offset=${offset}&order=oldest`);
      expect(page.status).toBe(200);
      for (const m of page.body.memories as Array<{ id: string; text: string }>) stored.set(m.id, m.text);
      offset = page.body.next_offset as number | null;
    }
    const lost = [...acked.keys()].filter((id) => stored.get(id) !== acked.get(id));
    expect(lost).toEqual([]);
    // Nothing beyond what was sent: at most the writes in flight at the kill landed unacknowledged.
    expect(stored.size).toBeLessThanOrEqual(acked.size + WORKERS);

    // The recovered store is fully usable: keyword and semantic search both see acknowledged rows.
    const [someId, someText] = [...acked.entries()][Math.floor(acked.size / 2)]!;
    const token = someText.match(/token (\w+)/)![1]!;
    const found = await post(base2, key, '/v1/memories/search', { query: token, top_k: 1, mode: 'keyword' });
    expect(found.body.results.map((r: { id: string }) => r.id)).toEqual([someId]);
    const more = await post(base2, key, '/v1/memories', { text: 'Written after recovery.', dedupe: false });
    expect(more.status).toBe(200);

    second.child.kill('SIGTERM');
    await new Promise<void>((r) => (second.child.exitCode !== null ? r() : second.child.once('exit', () => r())));
    if (databaseUrl) {
      // Every acknowledged row, the in-flight ones that landed, and the one written after recovery.
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        const n = Number((await c.query('SELECT count(*) AS n FROM memories')).rows[0].n);
        expect(n).toBe(stored.size + 1);
        const keyword = Number((await c.query("SELECT count(*) AS n FROM memories WHERE fts @@ ctxgate_tsquery($1)", [token])).rows[0].n);
        expect(keyword).toBe(1);
      } finally {
        await c.end();
      }
      return;
    }
    const db = new Database(path.join(dir, 'ctxgate.db'), { fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(() => db.exec("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    } finally {
      db.close();
    }
  }, 180_000);
});
