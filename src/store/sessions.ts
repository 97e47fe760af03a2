// MCP sessions any replica can serve: the row is the session (its key, surface, negotiated protocol
// and client capabilities); each replica's SDK transport + server objects are a cache rebuilt from it.
// Looked up by session id (an unguessable UUID the client holds); the gateway checks the key.
// The gateway (src/server/mcp.ts) is this process's only writer of these rows: it keeps a read row
// between requests only while store.externalVersion() says no other connection has committed.
import { readJson } from './dialect.js';
import type { RepoContext } from './store.js';

export interface SessionRecord {
  id: string;
  keyId: string | null;
  ownerId: string | null;
  who: string;
  profile: string;
  toolsets: string[] | null;
  enabledToolsets: string[];
  enabledTools: string[];
  jsonResponse: boolean;
  protocolVersion: string | null;
  /** What the client said at initialize, and what it asked for in the connect URL (`?upstreams=1`). */
  client: { info?: unknown; capabilities?: unknown; upstreams?: boolean };
  used: boolean;
  createdMs: number;
  lastSeenMs: number;
}

export class McpSessionsRepo {
  constructor(private readonly ctx: RepoContext) {}

  async create(s: SessionRecord): Promise<void> {
    const { json } = this.ctx.dialect;
    await this.ctx.db
      .insertInto('mcp_sessions')
      .values({
        id: s.id,
        key_id: s.keyId,
        owner_id: s.ownerId,
        who: s.who,
        profile: s.profile,
        toolsets: s.toolsets === null ? null : json(s.toolsets),
        enabled_toolsets: json(s.enabledToolsets),
        enabled_tools: json(s.enabledTools),
        json_response: s.jsonResponse ? 1 : 0,
        protocol_version: s.protocolVersion,
        client: json(s.client),
        used: s.used ? 1 : 0,
        created_ms: s.createdMs,
        last_seen_ms: s.lastSeenMs,
      })
      .execute();
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const r = await this.ctx.db.selectFrom('mcp_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    return {
      id: r.id,
      keyId: r.key_id,
      ownerId: r.owner_id,
      who: r.who,
      profile: r.profile,
      toolsets: r.toolsets === null ? null : readJson<string[]>(r.toolsets),
      enabledToolsets: readJson<string[]>(r.enabled_toolsets),
      enabledTools: readJson<string[]>(r.enabled_tools),
      jsonResponse: r.json_response === 1,
      protocolVersion: r.protocol_version,
      client: readJson(r.client),
      used: r.used === 1,
      createdMs: Number(r.created_ms),
      lastSeenMs: Number(r.last_seen_ms),
    };
  }

  /**
   * Adds toolsets / tools to what the session enabled, as a union read and written in one transaction,
   * so two replicas enabling different toolsets at once both keep theirs. Undefined when the session ended.
   */
  async addEnabled(id: string, toolsets: string[], tools: string[]): Promise<{ toolsets: string[]; tools: string[] } | undefined> {
    return this.ctx.tx(async (t) => {
      const r = await t.db.selectFrom('mcp_sessions').select(['enabled_toolsets', 'enabled_tools']).where('id', '=', id).executeTakeFirst();
      if (!r) return undefined;
      const next = {
        toolsets: [...new Set([...readJson<string[]>(r.enabled_toolsets), ...toolsets])],
        tools: [...new Set([...readJson<string[]>(r.enabled_tools), ...tools])],
      };
      await t.db
        .updateTable('mcp_sessions')
        .set({ enabled_toolsets: t.dialect.json(next.toolsets), enabled_tools: t.dialect.json(next.tools) })
        .where('id', '=', id)
        .execute();
      return next;
    });
  }

  /** Records activity (idle reaping reads it on every replica); `used` once a request followed initialize. */
  async touch(id: string, nowMs: number, used: boolean): Promise<void> {
    await this.ctx.db
      .updateTable('mcp_sessions')
      .set({ last_seen_ms: nowMs, ...(used && { used: 1 }) })
      .where('id', '=', id)
      .execute();
  }

  /** True when this call ended the session (it existed). */
  async delete(id: string): Promise<boolean> {
    const r = await this.ctx.db.deleteFrom('mcp_sessions').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Ends sessions idle past their lifetime (used ones after usedIdleMs, never-used after unusedIdleMs); their ids. */
  async deleteIdle(nowMs: number, usedIdleMs: number, unusedIdleMs: number): Promise<string[]> {
    const rows = await this.ctx.db
      .deleteFrom('mcp_sessions')
      .where((eb) =>
        eb.or([
          eb.and([eb('used', '=', 1), eb('last_seen_ms', '<', nowMs - usedIdleMs)]),
          eb.and([eb('used', '=', 0), eb('last_seen_ms', '<', nowMs - unusedIdleMs)]),
        ]),
      )
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }
}
