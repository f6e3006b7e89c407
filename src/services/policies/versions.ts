import { inTransaction, type Trx } from '../../db/database.js';
import { lockOrganization } from '../../db/organizations.js';
import { insertPolicyVersion } from '../../db/policy-versions.js';
import type { PolicyChange } from '../../domain/policies.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps } from '../deps.js';

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

interface Versioned {
  id: string;
  orgId: string | null;
  version: number;
  updatedAt: string;
}

/**
 * The one way a policy change commits, for either kind: under the organization's lock, the row (by `apply`),
 * its version snapshot and its audit event, in one transaction.
 */
export function commitPolicyChange<P extends Versioned>(
  deps: ServiceDeps,
  actor: Actor,
  change: { orgId: string; target: 'static_policy' | 'dynamic_policy'; type: PolicyChange; details: (p: P) => Record<string, unknown> },
  apply: (trx: Trx) => Promise<P>,
): Promise<void> {
  return inTransaction(deps.db, async (trx) => {
    await lockOrganization(trx, change.orgId);
    const p = await apply(trx);
    const { orgId: _org, ...snapshot } = p;
    await recordVersion(trx, actor, { orgId: change.orgId, policyId: p.id, version: p.version, changeType: change.type, snapshot, at: p.updatedAt });
    await deps.audit.append(trx, actor, { action: `${change.target}.${change.type}`, orgId: change.orgId, targetType: change.target, targetId: p.id, details: change.details(p) });
  });
}
