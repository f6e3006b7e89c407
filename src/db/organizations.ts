import { sql } from 'kysely';
import type { Executor } from './database.js';
import { prepared } from './prepared.js';
import type { OrganizationRow } from './tables.js';

import type { Organization } from '../domain/organization.js';
import type { OrgStatus, Tier } from '../domain/vocabulary.js';

export type { Organization };

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

const organizationByCaseFreeId = prepared((db: Executor, lowered: string, exact: string) =>
  db
    .selectFrom('organizations')
    .selectAll()
    .where(sql<string>`lower(org_id)`, '=', lowered)
    .orderBy(sql`case when org_id = ${exact} then 0 else 1 end`)
    .orderBy('org_id')
    .limit(1),
);

/**
 * Org ids are one tenant whatever their case ("ACME" is "acme"). The exact spelling wins where two rows
 * differ only in case, which only data from before the case-insensitive index can hold.
 */
export async function findOrganization(db: Executor, orgId: string): Promise<Organization | null> {
  const [row] = await organizationByCaseFreeId(db, orgId.toLowerCase(), orgId);
  return row ? toOrganization(row) : null;
}

/** Groups of org ids that differ only in case (kept from before the index that now forbids them). */
export async function caseDuplicateOrgIds(db: Executor): Promise<string[][]> {
  const rows = await db.selectFrom('organizations').select(['org_id']).where(
    sql<string>`lower(org_id)`,
    'in',
    db.selectFrom('organizations').select(sql<string>`lower(org_id)`.as('k')).groupBy(sql`lower(org_id)`).having(sql`count(*)`, '>', 1),
  ).orderBy('org_id').execute();
  const groups = new Map<string, string[]>();
  for (const r of rows) groups.set(r.org_id.toLowerCase(), [...(groups.get(r.org_id.toLowerCase()) ?? []), r.org_id]);
  return [...groups.values()];
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

/** Inserts unless the org_id exists in any case (a concurrent create won): false then, and nothing written. */
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
    // No conflict target: the primary key and the case-insensitive unique index both mean "exists".
    .onConflict((oc) => oc.doNothing())
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
