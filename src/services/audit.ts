// The audit log (issue 18): every call that changes something, and every refused call, made with a key.
// Recorded by the call hook the app's wiring installs (src/app.ts → CallHooks.record), so no tool
// writes its own rows. Only ids leave a call's arguments and result — never values — so secrets and
// documents never land here. Rows older than the retention (CTXGATE_AUDIT_RETENTION_DAYS, default 90)
// are deleted at most once an hour, on a write.
import type { AppDeps } from '../app-deps.js';
import type { Scope } from '../domain/scope.js';
import { detectSecret } from '../engine/secrets.js';
import type { CallRecord } from '../registry/invoke.js';
import { requiredRole } from '../registry/visibility.js';
import type { AuditFilter, AuditRow } from '../store/audit.js';
import { nowIso } from '../store/db.js';

export type AuditEntry = AuditRow;

const ID_KEY = /^(id|.+_id|.+_ids)$/;
const ID_VALUE = /^[A-Za-z0-9_.:@/-]{1,128}$/;
const MAX_TARGETS = 12;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The ids a call named or produced: `*_id` / `*_ids` fields of its arguments and result, at the top
 * and one object deep (add_member answers { member: { user_id }, key: { key_id } }).
 */
export function targetIds(...objects: unknown[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const ok = (v: unknown): v is string => typeof v === 'string' && ID_VALUE.test(v) && !detectSecret(v);
  const nested = objects.flatMap((o) => (o && typeof o === 'object' && !Array.isArray(o) ? Object.values(o).filter((v) => v && typeof v === 'object' && !Array.isArray(v)) : []));
  for (const o of [...objects, ...nested]) {
    if (!o || typeof o !== 'object' || Array.isArray(o)) continue;
    for (const [k, v] of Object.entries(o)) {
      if (Object.keys(out).length >= MAX_TARGETS || !ID_KEY.test(k) || k in out) continue;
      if (ok(v)) out[k] = v;
      else if (Array.isArray(v)) {
        const ids = v.filter(ok).slice(0, 20);
        if (ids.length) out[k] = ids;
      }
    }
  }
  return out;
}

export class AuditService {
  private lastPrune = 0;

  constructor(private readonly deps: AppDeps) {}

  /** Whether a call belongs in the log: it may change something, or it was refused. */
  static wanted(e: CallRecord): boolean {
    if (e.outcome === 'refused') return true;
    return !!e.tool && requiredRole(e.tool) !== 'viewer';
  }

  async record(e: CallRecord): Promise<void> {
    if (!AuditService.wanted(e)) return;
    const c = e.caller;
    const at = nowIso();
    const row = {
      at,
      actor_user_id: c.actorId ?? c.userId,
      key_id: c.keyId,
      role: c.role ?? null,
      transport: e.transport,
      client_address: e.clientAddress,
      tool: e.name,
      outcome: e.outcome,
      status: e.status,
      error_code: e.code,
      targets: targetIds(e.args, e.output),
      request_id: e.requestId.slice(0, 100),
    };
    // The caller's project's log, and the log of every other project of the account the call acted on.
    for (const projectId of new Set([c.projectId, ...(e.alsoProjects ?? [])])) await this.deps.store.audit({ ownerId: c.userId, projectId }).insert(row);
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) await this.prune();
  }

  /** Deletes rows past the retention; returns how many. */
  async prune(now = Date.now()): Promise<number> {
    this.lastPrune = now;
    const cutoff = new Date(now - this.deps.config.auditRetentionDays * 86_400_000).toISOString();
    return this.deps.store.auditRetention().deleteBefore(cutoff);
  }

  /** One page, newest first; `next_before` continues from there (null at the end). */
  async query(scope: Scope, f: AuditFilter): Promise<{ entries: AuditEntry[]; next_before: number | null }> {
    const rows = await this.deps.store.audit(scope).query({ ...f, limit: f.limit + 1 });
    const more = rows.length > f.limit;
    const entries = rows.slice(0, f.limit);
    return { entries, next_before: more ? entries[entries.length - 1]!.id : null };
  }
}
