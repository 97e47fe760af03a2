// API keys: "gc_" + 32 random bytes. Only HMAC-SHA256(secret, key) is stored; the key is shown once.
import crypto from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { PLANS, type Plan } from '../config.js';
import { BadRequest, InvalidInput, NotFound } from '../errors.js';
import type { Caller } from '../domain/scope.js';
import { newId, nowIso } from '../store/db.js';
import { AccountsService } from './accounts.js';
import { MembersService } from './members.js';
import type { KeyRow, KeysRepo } from '../store/accounts.js';

export type { KeyRow } from '../store/accounts.js';

export interface CreatedKey {
  key: string;
  key_id: string;
  name: string;
  created_at: string;
  plan: Plan;
  user_id: string;
  project_id: string | null;
}

export interface KeySummary {
  key_id: string;
  name: string;
  plan: Plan;
  masked_key: string;
  status: 'active' | 'revoked';
  user_id: string;
  project_id: string | null;
  /** The member the key acts for; null = the account holder. */
  member_user_id: string | null;
  created_at: string;
  /** The REST field name (list_api_keys), which the CLI prints too. */
  last_used: string | null;
  revoked_at: string | null;
}

const KEY_RE = /^gc_[A-Za-z0-9_-]{20,100}$/;

export class KeysService {
  constructor(private readonly deps: AppDeps) {}

  private hash(key: string): string {
    return crypto.createHmac('sha256', this.deps.secret).update(key).digest('hex');
  }

  /** A new key row for an owner (checked: name, plan, the owner and the bound project exist). */
  private async newKey(opts: { name: string; plan?: Plan; ownerId: string; projectId?: string | null; memberUserId?: string | null }): Promise<{ created: CreatedKey; row: Parameters<KeysRepo['insert']>[0] }> {
    const name = opts.name.trim();
    if (!name || name.length > 100) throw new InvalidInput("Field 'name' must be 1-100 characters", { field: 'name' });
    const plan = opts.plan ?? 'free';
    if (!PLANS.includes(plan)) throw new BadRequest(`Invalid plan '${plan}'. Valid: [${PLANS.join(', ')}]`, 'invalid_value', { field: 'plan' });
    const accounts = this.deps.service(AccountsService);
    await accounts.getUser(opts.ownerId);
    if (opts.projectId) await accounts.getProject(opts.ownerId, opts.projectId);
    const key = 'gc_' + crypto.randomBytes(32).toString('base64url');
    const id = newId('key');
    const createdAt = nowIso();
    return {
      created: { key, key_id: id, name, created_at: createdAt, plan, user_id: opts.ownerId, project_id: opts.projectId ?? null },
      row: { id, project_id: opts.projectId ?? null, name, plan, key_hash: this.hash(key), masked_key: `gc_****${key.slice(-4)}`, created_at: createdAt, member_user_id: opts.memberUserId ?? null },
    };
  }

  /** memberUserId: a key for a member of projectId (it carries that member's role there). */
  async create(opts: { name: string; plan?: Plan; ownerId: string; projectId?: string | null; memberUserId?: string | null }): Promise<CreatedKey> {
    const { created, row } = await this.newKey(opts);
    await this.deps.store.keys({ ownerId: opts.ownerId }).insert(row);
    return created;
  }

  /** Replaces a key with a new one of the same name and plan: the old is revoked and the new stored in one transaction. */
  async rotate(keyId: string, ownerId: string, projectId?: string): Promise<CreatedKey> {
    const old = await this.get(keyId, ownerId);
    if (old.status === 'revoked') throw new InvalidInput(`API key '${keyId}' is revoked; create a new key instead`, { field: 'key_id' }, 400, 'already_revoked');
    if (old.member_user_id && projectId && projectId !== old.project_id) {
      throw new InvalidInput(`API key '${keyId}' belongs to a member of project ${old.project_id} and cannot be moved to another project`, { field: 'project_id', reason: 'member_key' }, 400, 'member_key');
    }
    const { created, row } = await this.newKey({ name: old.name, plan: old.plan, ownerId, projectId: projectId ?? old.project_id, memberUserId: old.member_user_id });
    const rotated = await this.deps.store.tx(async (t) => {
      if (!(await t.keys({ ownerId }).revoke(keyId, nowIso()))) return false;
      await t.keys({ ownerId }).insert(row);
      return true;
    });
    if (!rotated) throw new InvalidInput(`API key '${keyId}' is revoked; create a new key instead`, { field: 'key_id' }, 400, 'already_revoked');
    return created;
  }

  /**
   * Binds a key to another project (or unbinds it: null) in place: the key string stays the same, so
   * no client configuration changes. A member's key stays in its project (it has no role elsewhere).
   * Returns the key as it is now and the project it left (one read, one write).
   */
  async rebind(keyId: string, ownerId: string, projectId: string | null): Promise<{ key: KeySummary; previousProjectId: string | null }> {
    const row = await this.deps.store.keys({ ownerId }).get(keyId);
    if (!row) throw new NotFound(`API key '${keyId}' not found`, { field: 'key_id', key_id: keyId });
    if (row.revoked_at) throw new InvalidInput(`API key '${keyId}' is revoked; create a new key instead`, { field: 'key_id' }, 400, 'already_revoked');
    if (row.member_user_id) throw new InvalidInput(`API key '${keyId}' belongs to a member of project ${row.project_id} and cannot be moved to another project`, { field: 'key_id', reason: 'member_key' }, 400, 'member_key');
    if (projectId) await this.deps.service(AccountsService).getProject(ownerId, projectId);
    if (!(await this.deps.store.keys({ ownerId }).rebind(keyId, projectId))) {
      throw new InvalidInput(`API key '${keyId}' is revoked; create a new key instead`, { field: 'key_id' }, 400, 'already_revoked');
    }
    return { key: summary({ ...row, project_id: projectId }), previousProjectId: row.project_id };
  }

  count(): Promise<number> {
    return this.deps.store.keyDirectory().count();
  }

  /** One owner's keys, or (no owner: the local CLI) every key. */
  async list(ownerId?: string): Promise<KeySummary[]> {
    const rows = ownerId ? await this.deps.store.keys({ ownerId }).list() : await this.deps.store.keyDirectory().all();
    return rows.map(summary);
  }

  async get(keyId: string, ownerId: string): Promise<KeySummary> {
    const row = await this.deps.store.keys({ ownerId }).get(keyId);
    if (!row) throw new NotFound(`API key '${keyId}' not found`, { field: 'key_id', key_id: keyId });
    return summary(row);
  }

  /** Revoke a key; ownerId restricts to the owner's keys (the CLI passes none: it has the data dir's authority). */
  async revoke(keyId: string, ownerId?: string): Promise<KeySummary> {
    const row = await this.deps.store.keyDirectory().byId(keyId);
    if (!row || (ownerId && row.owner_id !== ownerId)) throw new NotFound(`API key '${keyId}' not found`, { field: 'key_id', key_id: keyId });
    if (row.revoked_at) throw new BadRequest(`API key '${keyId}' is already revoked`, 'already_revoked', { field: 'key_id' });
    const at = nowIso();
    if (!(await this.deps.store.keys({ ownerId: row.owner_id }).revoke(keyId, at))) {
      throw new BadRequest(`API key '${keyId}' is already revoked`, 'already_revoked', { field: 'key_id' });
    }
    return summary({ ...row, revoked_at: at });
  }

  /** The caller for a presented key, or null when unknown or revoked. Checked on every request. */
  async authenticate(key: string): Promise<Caller | null> {
    if (!KEY_RE.test(key)) return null;
    const row = await this.deps.store.keyDirectory().byHash(this.hash(key));
    if (!row || row.revoked_at) return null;
    const projectId = row.project_id ?? (await this.deps.service(AccountsService).defaultProject(row.owner_id)).id;
    // The key carries its member's role in its project; a person who is no member there any more has none.
    const actorId = row.member_user_id ?? row.owner_id;
    const role = await this.deps.service(MembersService).roleOf({ ownerId: row.owner_id, projectId }, actorId);
    if (!role) return null;
    return { userId: row.owner_id, projectId, keyId: row.id, plan: row.plan as Plan, keyName: row.name, projectBound: row.project_id !== null, accountPlan: await this.accountPlan(row.owner_id), role, actorId };
  }

  /** The highest plan among an account's active keys: the plan its quota and account-wide rate follow. */
  async accountPlan(ownerId: string): Promise<Plan> {
    const plans = await this.deps.store.keyDirectory().activePlans(ownerId);
    return PLANS.filter((p) => plans.includes(p)).pop() ?? 'free';
  }

  /** Why authenticate() refused a key, in words safe to return to whoever presented it. */
  async refusalReason(key: string): Promise<string> {
    const row = KEY_RE.test(key) ? await this.deps.store.keyDirectory().byHash(this.hash(key)) : undefined;
    if (row?.revoked_reason === 'member_removed') return 'This API key belonged to a member who was removed from its project; the key was revoked with the membership.';
    if (row?.revoked_reason === 'project_deleted') return 'This API key was bound to a project that has been deleted; the key was revoked with it. Create a new key.';
    return 'Invalid or revoked API key';
  }

  /** Record use without a write per request: at most once a minute per key. */
  async touch(keyId: string): Promise<void> {
    const now = Date.now();
    const last = this.lastTouched.get(keyId) ?? 0;
    if (now - last < 60_000) return;
    this.lastTouched.set(keyId, now);
    await this.deps.store.keyDirectory().touch(keyId, new Date(now).toISOString());
  }
  private readonly lastTouched = new Map<string, number>();
}

function summary(r: KeyRow): KeySummary {
  return {
    key_id: r.id,
    name: r.name,
    plan: r.plan as Plan,
    masked_key: r.masked_key,
    status: r.revoked_at ? 'revoked' : 'active',
    user_id: r.owner_id,
    project_id: r.project_id,
    member_user_id: r.member_user_id ?? null,
    created_at: r.created_at,
    last_used: r.last_used_at,
    revoked_at: r.revoked_at,
  };
}
