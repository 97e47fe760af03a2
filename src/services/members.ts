// Members and roles of a project (issue 18). The role check itself is in one place, SessionView
// (src/registry/visibility.ts); this service answers "what role does this person have here" for
// authentication and keeps the membership rules: only an owner makes or unmakes owners, the last
// owner can be neither removed nor demoted, and the account holder (who owns the project's rows)
// stays a member. Removing a member revokes the keys it held in the project, in the same transaction.
import type { AppDeps } from '../app-deps.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import type { Role, Scope } from '../domain/scope.js';
import { nowIso } from '../store/db.js';
import type { MemberRow } from '../store/members.js';
import type { TxStore as Transaction } from '../store/store.js';
import { AccountsService } from './accounts.js';

export interface MemberView {
  user_id: string;
  name: string;
  role: Role;
  /** The account holder: owns the project's data; cannot be removed. */
  account_holder: boolean;
  added_by: string | null;
  created_at: string;
}

export class MembersService {
  constructor(private readonly deps: AppDeps) {}

  /** The role of a person in a project, or undefined when they are not a member (any more). */
  async roleOf(scope: Scope, userId: string): Promise<Role | undefined> {
    const row = await this.deps.store.members(scope).get(userId);
    if (row) return row.role;
    // Without rows the account holder is the project's owner.
    if (userId === scope.ownerId && (await this.deps.store.members(scope).count()) === 0) return 'owner';
    return undefined;
  }

  async list(scope: Scope): Promise<MemberView[]> {
    const rows = await this.deps.store.members(scope).list();
    const all = rows.length ? rows : [holderRow(scope)];
    const accounts = this.deps.service(AccountsService);
    return Promise.all(all.map(async (r) => ({ ...r, name: (await accounts.getUser(r.user_id).catch(() => ({ name: '(deleted user)' }))).name, account_holder: r.user_id === scope.ownerId })));
  }

  /**
   * Adds a user of this server (userId) or a new one (name) to the project. Only an owner adds owners.
   */
  async add(scope: Scope, actor: { userId: string; role: Role }, req: { userId?: string; name?: string; role: Role }): Promise<MemberView> {
    if (req.role === 'owner' && actor.role !== 'owner') throw onlyOwners('add an owner');
    if (req.userId && !(await this.deps.store.users().get(req.userId))) {
      throw new NotFound(`user_id ${req.userId} is not a user of this server`, { field: 'user_id' });
    }
    const at = nowIso();
    const userId = await this.deps.store.tx(async (t) => {
      await ensureHolder(t, scope);
      // A new person becomes a user of this server (with their own default project) in the same transaction.
      const userId = req.userId ?? (await t.users().create(req.name!)).user.id;
      const r = await t.members(scope).insert({ user_id: userId, role: req.role, added_by: actor.userId, created_at: at, updated_at: at });
      if (r === 'duplicate') throw new Conflict(`user ${userId} is already a member of this project; change the role with set_member_role`, { field: 'user_id' });
      return userId;
    });
    return this.view(scope, userId);
  }

  async setRole(scope: Scope, actor: { userId: string; role: Role }, userId: string, role: Role): Promise<MemberView> {
    await this.deps.store.tx(async (t) => {
      await ensureHolder(t, scope);
      const m = await member(t, scope, userId);
      if ((m.role === 'owner' || role === 'owner') && actor.role !== 'owner') throw onlyOwners(role === 'owner' ? 'make an owner' : 'change an owner\'s role');
      if (m.role === 'owner' && role !== 'owner' && (await t.members(scope).countRole('owner')) <= 1) throw lastOwner('demoted');
      await t.members(scope).setRole(userId, role, nowIso());
    });
    return this.view(scope, userId);
  }

  async remove(scope: Scope, actor: { userId: string; role: Role }, userId: string): Promise<{ user_id: string; keys_revoked: number }> {
    return this.deps.store.tx(async (t) => {
      await ensureHolder(t, scope);
      const m = await member(t, scope, userId);
      if (m.role === 'owner' && actor.role !== 'owner') throw onlyOwners('remove an owner');
      if (m.role === 'owner' && (await t.members(scope).countRole('owner')) <= 1) throw lastOwner('removed');
      if (userId === scope.ownerId) {
        throw new Conflict('The account holder owns this project\'s data and stays a member; change their role with set_member_role instead', { field: 'user_id', reason: 'account_holder' });
      }
      await t.members(scope).remove(userId);
      const revoked = await t.keys({ ownerId: scope.ownerId }).revokeMemberKeys(scope.projectId, userId, nowIso());
      return { user_id: userId, keys_revoked: revoked };
    });
  }

  private async view(scope: Scope, userId: string): Promise<MemberView> {
    const v = (await this.list(scope)).find((m) => m.user_id === userId);
    if (!v) throw new NotFound(`user_id ${userId} is not a member of this project`, { field: 'user_id' });
    return v;
  }
}

function holderRow(scope: Scope): MemberRow {
  return { user_id: scope.ownerId, role: 'owner', added_by: null, created_at: '1970-01-01T00:00:00.000Z', updated_at: '1970-01-01T00:00:00.000Z' };
}

/** Writes the implicit owner row of the account holder before the first change to membership. */
async function ensureHolder(t: Transaction, scope: Scope): Promise<void> {
  if ((await t.members(scope).count()) > 0) return;
  const at = nowIso();
  await t.members(scope).insert({ ...holderRow(scope), created_at: at, updated_at: at });
}

async function member(t: Transaction, scope: Scope, userId: string): Promise<MemberRow> {
  const m = await t.members(scope).get(userId);
  if (!m) throw new NotFound(`user_id ${userId} is not a member of this project`, { field: 'user_id' });
  return m;
}

function onlyOwners(action: string): Forbidden {
  return new Forbidden(`Only an owner can ${action}`, { required_role: 'owner', reason: 'role' });
}

function lastOwner(what: 'removed' | 'demoted'): Conflict {
  return new Conflict(`This is the project's last owner and cannot be ${what}; make another member an owner first`, { field: 'user_id', reason: 'last_owner' });
}

