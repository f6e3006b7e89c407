import type { PolicyOverride, Severity, StaticAction, StaticPolicy, StaticTier } from '../domain/policies.js';
import type { Executor } from './database.js';
import type { StaticPoliciesTable, StaticPolicyOverridesTable } from './tables/runtime.js';

function toPolicy(r: StaticPoliciesTable): StaticPolicy {
  return {
    id: r.id,
    orgId: r.org_id,
    tier: r.tier as StaticTier,
    tenantId: r.tenant_id,
    name: r.name,
    category: r.category,
    description: r.description,
    pattern: r.pattern,
    severity: r.severity as Severity,
    action: r.action as StaticAction,
    priority: r.priority,
    enabled: r.enabled === 1,
    tags: JSON.parse(r.tags) as string[],
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
  };
}

function toRow(p: StaticPolicy): StaticPoliciesTable {
  return {
    id: p.id,
    org_id: p.orgId!,
    tier: p.tier,
    tenant_id: p.tenantId,
    name: p.name,
    category: p.category,
    description: p.description,
    pattern: p.pattern,
    severity: p.severity,
    action: p.action,
    priority: p.priority,
    enabled: p.enabled ? 1 : 0,
    tags: JSON.stringify(p.tags),
    version: p.version,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    deleted_at: p.deletedAt,
  };
}

export interface StaticPolicyFilter {
  tier?: StaticTier;
  category?: string;
  enabled?: boolean;
  tenantId?: string;
}

function filtered(db: Executor, orgId: string, f: StaticPolicyFilter) {
  let q = db.selectFrom('static_policies').where('org_id', '=', orgId).where('deleted_at', 'is', null);
  if (f.tier) q = q.where('tier', '=', f.tier);
  if (f.category) q = q.where('category', '=', f.category);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.tenantId) q = q.where('tenant_id', '=', f.tenantId);
  return q;
}

export async function listStaticPolicies(db: Executor, orgId: string, f: StaticPolicyFilter, page: { offset: number; limit: number }): Promise<StaticPolicy[]> {
  const rows = await filtered(db, orgId, f).selectAll().orderBy('priority', 'desc').orderBy('id').offset(page.offset).limit(page.limit).execute();
  return rows.map(toPolicy);
}

export async function countStaticPolicies(db: Executor, orgId: string, f: StaticPolicyFilter): Promise<number> {
  const r = await filtered(db, orgId, f).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** What applies to a text: the organization's policies and, with a tenant, that tenant's (enabled or not: an override may flip it). */
export async function applicableStaticPolicies(db: Executor, orgId: string, tenantId: string | null): Promise<StaticPolicy[]> {
  let q = db.selectFrom('static_policies').selectAll().where('org_id', '=', orgId).where('deleted_at', 'is', null);
  q = tenantId === null ? q.where('tier', '=', 'organization') : q.where((eb) => eb.or([eb('tier', '=', 'organization'), eb('tenant_id', '=', tenantId)]));
  return (await q.orderBy('priority', 'desc').orderBy('id').execute()).map(toPolicy);
}

export async function findStaticPolicy(db: Executor, orgId: string, id: string): Promise<StaticPolicy | null> {
  const r = await db.selectFrom('static_policies').selectAll().where('org_id', '=', orgId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return r ? toPolicy(r) : null;
}

/** Also finds a deleted one: its history stays readable. */
export async function staticPolicyExisted(db: Executor, orgId: string, id: string): Promise<boolean> {
  const r = await db.selectFrom('static_policies').select('id').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return r !== undefined;
}

export async function staticPolicyNameTaken(db: Executor, orgId: string, name: string, exceptId: string | null): Promise<boolean> {
  let q = db.selectFrom('static_policies').select('id').where('org_id', '=', orgId).where('name', '=', name).where('deleted_at', 'is', null);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function insertStaticPolicy(db: Executor, p: StaticPolicy): Promise<void> {
  await db.insertInto('static_policies').values(toRow(p)).execute();
}

/** Writes the whole policy if it is still at version `from` (false: changed or deleted meanwhile). */
export async function saveStaticPolicy(db: Executor, p: StaticPolicy, from: number): Promise<boolean> {
  const { id, org_id, created_at: _c, ...rest } = toRow(p);
  const r = await db.updateTable('static_policies').set(rest).where('org_id', '=', org_id).where('id', '=', id).where('version', '=', from).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

function toOverride(r: StaticPolicyOverridesTable): PolicyOverride {
  return {
    id: r.id,
    orgId: r.org_id,
    policyId: r.policy_id,
    action: r.action as StaticAction | null,
    enabled: r.enabled === null ? null : r.enabled === 1,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/** Overrides in force at `now`, by policy id (at most one each). */
export async function activeOverrides(db: Executor, orgId: string, now: string, policyId?: string): Promise<Map<string, PolicyOverride>> {
  let q = db.selectFrom('static_policy_overrides').selectAll().where('org_id', '=', orgId).where('removed_at', 'is', null).where('expires_at', '>', now);
  if (policyId) q = q.where('policy_id', '=', policyId);
  return new Map((await q.execute()).map((r) => [r.policy_id, toOverride(r)]));
}

export async function insertOverride(db: Executor, o: PolicyOverride): Promise<void> {
  await db
    .insertInto('static_policy_overrides')
    .values({
      id: o.id,
      org_id: o.orgId,
      policy_id: o.policyId,
      action: o.action,
      enabled: o.enabled === null ? null : o.enabled ? 1 : 0,
      reason: o.reason,
      expires_at: o.expiresAt,
      created_by: o.createdBy,
      created_at: o.createdAt,
      removed_at: null,
    })
    .execute();
}

export async function removeOverride(db: Executor, orgId: string, id: string, now: string): Promise<boolean> {
  const r = await db.updateTable('static_policy_overrides').set({ removed_at: now }).where('org_id', '=', orgId).where('id', '=', id).where('removed_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
