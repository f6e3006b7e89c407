import type { Trx } from '../../db/database.js';
import { insertPolicyVersion } from '../../db/policy-versions.js';
import type { PolicyChange } from '../../domain/policies.js';
import type { Actor } from '../actor.js';

/** Who made a change, as a version records it: the principal's kind and id (never a name that may change). */
export function changedBy(actor: Actor): string {
  return `${actor.type}:${actor.id ?? 'unknown'}`;
}

/** The one way a policy change leaves its snapshot: in the change's own transaction. */
export function recordVersion(
  trx: Trx,
  actor: Actor,
  v: { orgId: string; policyId: string; version: number; changeType: PolicyChange; snapshot: object; at: string },
): Promise<void> {
  return insertPolicyVersion(trx, v.orgId, {
    policyId: v.policyId,
    version: v.version,
    changeType: v.changeType,
    changedBy: changedBy(actor),
    snapshot: v.snapshot as Record<string, unknown>,
    createdAt: v.at,
  });
}
