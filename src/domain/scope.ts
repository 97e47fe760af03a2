// The few types every layer shares: who is calling, whose rows a query may touch, what a call used.
// They live below the registry and the services so both can import them without importing each other.
import type { Plan } from '../config.js';

/** Project roles, least to most power: viewer reads; operator runs jobs and manages its own keys; admin manages members and integrations; owner everything. */
export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who is calling: resolved from the API key. */
export interface Caller {
  userId: string;
  projectId: string;
  keyId: string | null;
  plan: Plan;
  keyName: string;
  /** The key is bound to one project: it may act only inside it (no account-level actions). */
  projectBound?: boolean;
  /**
   * The account's plan: the highest plan among its active keys. The monthly quota and the account-wide
   * rate limit are the account's, at this plan (default: `plan`).
   */
  accountPlan?: Plan;
  /**
   * The caller's role in `projectId` (its key's member's role). Undefined for callers that are not keys
   * of a member (the local CLI and stdio act with the data dir's authority): treated as owner.
   */
  role?: Role;
  /** The person acting: the key's member, or the account holder (= userId). */
  actorId?: string;
}

/** The data dir's owner acting locally, without a key (stdio without a key, the CLI). */
export function localOwnerCaller(userId: string, projectId: string, plan: Plan): Caller {
  return { userId, projectId, keyId: null, plan, keyName: 'local owner' };
}

/** Every stored row belongs to an owner and a project; every query filters by both. */
export interface Scope {
  ownerId: string;
  projectId: string;
}

/** Rows that belong to an owner across projects (projects themselves, API keys). */
export interface OwnerScope {
  ownerId: string;
}

export interface Metering {
  tokensIn: number;
  tokensOut: number;
  /** 'exact' | 'semantic' for cache hits: recorded, but not counted against the quota. */
  cache?: 'exact' | 'semantic' | null;
  /** The fidelity a compression ran at, when the tool has one (shown in the dashboard's recent list). */
  fidelity?: string | null;
}

export function scopeOf(caller: Caller): Scope {
  return { ownerId: caller.userId, projectId: caller.projectId };
}
