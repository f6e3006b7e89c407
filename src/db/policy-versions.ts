import type { PolicyChange, PolicyVersion } from '../domain/policies.js';
import type { Executor } from './database.js';

export async function insertPolicyVersion(db: Executor, orgId: string, v: PolicyVersion): Promise<void> {
  await db
    .insertInto('policy_versions')
    .values({
      org_id: orgId,
      policy_id: v.policyId,
      version: v.version,
      change_type: v.changeType,
      changed_by: v.changedBy,
      snapshot: JSON.stringify(v.snapshot),
      created_at: v.createdAt,
    })
    .execute();
}

/** The newest version recorded, 0 when none (a system policy this organization never overrode). */
export async function latestPolicyVersion(db: Executor, orgId: string, policyId: string): Promise<number> {
  const r = await db
    .selectFrom('policy_versions')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('org_id', '=', orgId)
    .where('policy_id', '=', policyId)
    .executeTakeFirst();
  return Number(r?.v ?? 0);
}

/** Newest first. */
export async function listPolicyVersions(db: Executor, orgId: string, policyId: string, page: { offset: number; limit: number }): Promise<PolicyVersion[]> {
  const rows = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('policy_id', '=', policyId)
    .orderBy('version', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map((r) => ({
    policyId: r.policy_id,
    version: r.version,
    changeType: r.change_type as PolicyChange,
    changedBy: r.changed_by,
    snapshot: JSON.parse(r.snapshot) as Record<string, unknown>,
    createdAt: r.created_at,
  }));
}
