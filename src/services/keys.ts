// API keys: "gc_" + 32 random bytes. Only HMAC-SHA256(secret, key) is stored; the key is shown once.
import crypto from 'node:crypto';
import type { AppDeps } from '../app-deps.js';
import { PLANS, type Plan } from '../config.js';
import { BadRequest, InvalidInput, NotFound } from '../errors.js';
import type { Caller } from '../registry/define.js';
import { newId, nowIso } from '../store/db.js';
import { AccountsService } from './accounts.js';

export interface KeyRow {
  id: string;
  owner_id: string;
  project_id: string | null;
  name: string;
  plan: Plan;
  key_hash: string;
  masked_key: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** 'project_deleted' when the key went with its project; null for an explicit revoke. */
  revoked_reason?: string | null;
}

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
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const KEY_RE = /^gc_[A-Za-z0-9_-]{20,100}$/;

export class KeysService {
  constructor(private readonly deps: AppDeps) {}

  private hash(key: string): string {
    return crypto.createHmac('sha256', this.deps.secret).update(key).digest('hex');
  }

  create(opts: { name: string; plan?: Plan; ownerId: string; projectId?: string | null }): CreatedKey {
    const name = opts.name.trim();
    if (!name || name.length > 100) throw new InvalidInput("Field 'name' must be 1-100 characters", { field: 'name' });
    const plan = opts.plan ?? 'free';
    if (!PLANS.includes(plan)) throw new BadRequest(`Invalid plan '${plan}'. Valid: [${PLANS.join(', ')}]`, 'invalid_value', { field: 'plan' });
    const accounts = this.deps.service(AccountsService);
    accounts.getUser(opts.ownerId);
    if (opts.projectId) accounts.getProject(opts.ownerId, opts.projectId);
    const key = 'gc_' + crypto.randomBytes(32).toString('base64url');
    const row = {
      id: newId('key'),
      created_at: nowIso(),
    };
    this.deps.db
      .prepare(
        'INSERT INTO api_keys (id, owner_id, project_id, name, plan, key_hash, masked_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(row.id, opts.ownerId, opts.projectId ?? null, name, plan, this.hash(key), `gc_****${key.slice(-4)}`, row.created_at);
    return { key, key_id: row.id, name, created_at: row.created_at, plan, user_id: opts.ownerId, project_id: opts.projectId ?? null };
  }

  count(): number {
    return (this.deps.db.prepare('SELECT COUNT(*) AS n FROM api_keys').get() as { n: number }).n;
  }

  list(ownerId?: string): KeySummary[] {
    const rows = (
      ownerId
        ? this.deps.db.prepare('SELECT * FROM api_keys WHERE owner_id = ? ORDER BY created_at, rowid').all(ownerId)
        : this.deps.db.prepare('SELECT * FROM api_keys ORDER BY created_at, rowid').all()
    ) as KeyRow[];
    return rows.map(summary);
  }

  get(keyId: string, ownerId: string): KeySummary {
    const row = this.deps.db.prepare('SELECT * FROM api_keys WHERE id = ? AND owner_id = ?').get(keyId, ownerId) as KeyRow | undefined;
    if (!row) throw new NotFound(`API key '${keyId}' not found`, { key_id: keyId });
    return summary(row);
  }

  /** Revoke a key; ownerId restricts to the owner's keys (the CLI passes none: it has the data dir's authority). */
  revoke(keyId: string, ownerId?: string): KeySummary {
    const row = this.deps.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(keyId) as KeyRow | undefined;
    if (!row || (ownerId && row.owner_id !== ownerId)) throw new NotFound(`API key '${keyId}' not found`, { key_id: keyId });
    if (row.revoked_at) throw new BadRequest(`API key '${keyId}' is already revoked`, 'already_revoked');
    const at = nowIso();
    this.deps.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(at, keyId);
    return summary({ ...row, revoked_at: at });
  }

  /** The caller for a presented key, or null when unknown or revoked. Checked on every request. */
  authenticate(key: string): Caller | null {
    if (!KEY_RE.test(key)) return null;
    const row = this.deps.db.prepare('SELECT * FROM api_keys WHERE key_hash = ?').get(this.hash(key)) as KeyRow | undefined;
    if (!row || row.revoked_at) return null;
    const projectId = row.project_id ?? this.deps.service(AccountsService).defaultProject(row.owner_id).id;
    return { userId: row.owner_id, projectId, keyId: row.id, plan: row.plan, keyName: row.name, projectBound: row.project_id !== null, accountPlan: this.accountPlan(row.owner_id) };
  }

  /** The highest plan among an account's active keys: the plan its quota and account-wide rate follow. */
  accountPlan(ownerId: string): Plan {
    const plans = (this.deps.db.prepare('SELECT DISTINCT plan FROM api_keys WHERE owner_id = ? AND revoked_at IS NULL').all(ownerId) as Array<{ plan: Plan }>).map((r) => r.plan);
    return PLANS.filter((p) => plans.includes(p)).pop() ?? 'free';
  }

  /** Why authenticate() refused a key, in words safe to return to whoever presented it. */
  refusalReason(key: string): string {
    const row = KEY_RE.test(key) ? (this.deps.db.prepare('SELECT revoked_reason FROM api_keys WHERE key_hash = ?').get(this.hash(key)) as { revoked_reason: string | null } | undefined) : undefined;
    if (row?.revoked_reason === 'project_deleted') return 'This API key was bound to a project that has been deleted; the key was revoked with it. Create a new key.';
    return 'Invalid or revoked API key';
  }

  /** Record use without a write per request: at most once a minute per key. */
  touch(keyId: string): void {
    const now = Date.now();
    const last = this.lastTouched.get(keyId) ?? 0;
    if (now - last < 60_000) return;
    this.lastTouched.set(keyId, now);
    this.deps.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(new Date(now).toISOString(), keyId);
  }
  private readonly lastTouched = new Map<string, number>();
}

function summary(r: KeyRow): KeySummary {
  return {
    key_id: r.id,
    name: r.name,
    plan: r.plan,
    masked_key: r.masked_key,
    status: r.revoked_at ? 'revoked' : 'active',
    user_id: r.owner_id,
    project_id: r.project_id,
    created_at: r.created_at,
    last_used_at: r.last_used_at,
    revoked_at: r.revoked_at,
  };
}
