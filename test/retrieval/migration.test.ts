// A data dir written before the retrieval index (migrations up to 0008) opens and migrates: memory's
// scope counters become its change stamps, and keyword rows orphaned by earlier cascades are dropped.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/store/db.js';

describe('0011 retrieval stamps on an existing store', () => {
  it('keeps memory stamps, drops orphaned keyword rows, and stamps every later write', () => {
    const db = new Database(':memory:');
    const all = loadMigrations();
    migrate(db, all.filter((m) => m.version <= 8));
    db.prepare(
      `INSERT INTO memories (id, owner_id, project_id, text, tags, embedding, embedder_id, created_at, updated_at) VALUES ('mem_1', 'o', 'p', 'kept fact', '[]', x'00', 'e', 't', 't')`,
    ).run();
    db.prepare(`UPDATE memories SET text = 'kept fact, edited' WHERE id = 'mem_1'`).run();
    expect(db.prepare(`SELECT version FROM memory_scope_versions`).pluck().get()).toBe(2);
    // A keyword row whose chunk is gone (deleted by a cascade before 0011).
    db.prepare(`INSERT INTO kb_chunks_fts (rowid, text) VALUES (41, 'orphaned passage')`).run();

    migrate(db, all);
    const stamp = (c: string) => db.prepare(`SELECT stamp FROM retrieval_stamps WHERE collection = ? AND owner_id = 'o' AND project_id = 'p'`).pluck().get(c);
    expect(stamp('memory')).toBe(2);
    expect(db.prepare(`SELECT rowid FROM kb_chunks_fts WHERE kb_chunks_fts MATCH 'orphaned'`).all()).toEqual([]);
    expect(db.prepare(`SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'edited'`).pluck().all()).toHaveLength(1);

    db.prepare(`UPDATE memories SET tags = '["x"]' WHERE id = 'mem_1'`).run();
    expect(stamp('memory')).toBe(3);
    db.prepare(`INSERT INTO kb_items (owner_id, project_id, item_id, current_version, created_at, updated_at) VALUES ('o', 'p', 'i', 1, 't', 't')`).run();
    const r = db
      .prepare(`INSERT INTO kb_chunks (owner_id, project_id, item_id, version, idx, text, tokens, start_offset, end_offset, embedding, embedder_id) VALUES ('o', 'p', 'i', 1, 0, 'hello', 1, 0, 5, x'00', 'e')`)
      .run();
    db.prepare(`INSERT INTO kb_chunks_fts (rowid, text) VALUES (?, 'hello')`).run(r.lastInsertRowid);
    expect(stamp('kb')).toBe(1);
    // A cascade (the item deleted) removes the chunk, its keyword row, and moves the stamp.
    db.pragma('foreign_keys = ON');
    db.prepare(`DELETE FROM kb_items WHERE item_id = 'i'`).run();
    expect(db.prepare(`SELECT count(*) FROM kb_chunks`).pluck().get()).toBe(0);
    expect(db.prepare(`SELECT rowid FROM kb_chunks_fts WHERE kb_chunks_fts MATCH 'hello'`).all()).toEqual([]);
    expect(stamp('kb')).toBe(2);
  });
});
