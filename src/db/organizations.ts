import type { Executor } from './database.js';
import type { OrganizationRow } from './tables.js';

export const TIERS = ['DEVELOPER', 'PROFESSIONAL', 'ENTERPRISE', 'PLUS'] as const;
export const ORG_STATUSES = ['ACTIVE', 'SUSPENDED', 'CANCELLED'] as const;
export type Tier = (typeof TIERS)[number];
export type OrgStatus = (typeof ORG_STATUSES)[number];

export interface Organization {
  orgId: string;
  name: string;
  tier: Tier;
  status: OrgStatus;
  maxNodes: number;
  contactEmail: string | null;
  contactPhone: string | null;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export function toOrganization(r: OrganizationRow): Organization {
  return {
    orgId: r.org_id,
    name: r.name,
    tier: r.tier as Tier,
    status: r.status as OrgStatus,
    maxNodes: Number(r.max_nodes),
    contactEmail: r.contact_email,
    contactPhone: r.contact_phone,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function findOrganization(db: Executor, orgId: string): Promise<Organization | null> {
  const row = await db.selectFrom('organizations').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  return row ? toOrganization(row) : null;
}

export async function findOrganizations(db: Executor, orgIds: readonly string[]): Promise<Organization[]> {
  if (orgIds.length === 0) return [];
  const rows = await db.selectFrom('organizations').selectAll().where('org_id', 'in', orgIds).execute();
  return rows.map(toOrganization);
}

export interface OrganizationFilter {
  status?: OrgStatus | null;
  tier?: Tier | null;
}

export async function listOrganizations(
  db: Executor,
  filter: OrganizationFilter,
  page: { offset: number; limit: number },
): Promise<Organization[]> {
  let q = db.selectFrom('organizations').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.tier) q = q.where('tier', '=', filter.tier);
  const rows = await q.orderBy('org_id').limit(page.limit).offset(page.offset).execute();
  return rows.map(toOrganization);
}

export async function countOrganizations(db: Executor, filter: OrganizationFilter): Promise<number> {
  let q = db.selectFrom('organizations').select((eb) => eb.fn.countAll().as('n'));
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.tier) q = q.where('tier', '=', filter.tier);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Inserts unless the org_id exists (a concurrent create won): false then, and nothing written. */
export async function insertOrganization(db: Executor, org: Organization): Promise<boolean> {
  const row = await db
    .insertInto('organizations')
    .values({
      org_id: org.orgId,
      name: org.name,
      tier: org.tier,
      status: org.status,
      max_nodes: org.maxNodes,
      contact_email: org.contactEmail,
      contact_phone: org.contactPhone,
      expires_at: org.expiresAt,
      created_at: org.createdAt,
      updated_at: org.updatedAt,
    })
    .onConflict((oc) => oc.column('org_id').doNothing())
    .returning('org_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Takes the organization row's lock for the rest of the transaction (PostgreSQL; SQLite has one writer):
 * rules that count rows of one organization, like keeping an owner, then see a stable count.
 */
export async function lockOrganization(db: Executor, orgId: string): Promise<void> {
  await db.updateTable('organizations').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('org_id', '=', orgId).execute();
}

export async function updateOrganization(db: Executor, org: Organization): Promise<void> {
  await db
    .updateTable('organizations')
    .set({
      name: org.name,
      tier: org.tier,
      status: org.status,
      max_nodes: org.maxNodes,
      contact_email: org.contactEmail,
      contact_phone: org.contactPhone,
      expires_at: org.expiresAt,
      updated_at: org.updatedAt,
    })
    .where('org_id', '=', org.orgId)
    .execute();
}
