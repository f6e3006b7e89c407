import type { Executor } from './database.js';
import { prepared } from './prepared.js';

/** A licenses row as the service sees it. Columns may have been altered in the database: nothing here is trusted. */
export interface StoredLicense {
  id: string;
  orgId: string;
  seq: number;
  licenseKey: string;
  tier: string;
  maxNodes: number;
  /** null when the stored JSON is not an array of strings. */
  permissions: string[] | null;
  issuedAt: string;
  expiresAt: string;
  createdAt: string;
  issuedBy: string;
}

export type NewLicense = Omit<StoredLicense, 'permissions'> & { permissions: string[] };

function parsePermissions(text: string): string[] | null {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

export async function insertLicense(db: Executor, l: NewLicense): Promise<void> {
  await db
    .insertInto('licenses')
    .values({
      id: l.id,
      org_id: l.orgId,
      seq: l.seq,
      license_key: l.licenseKey,
      tier: l.tier,
      max_nodes: l.maxNodes,
      permissions: JSON.stringify(l.permissions),
      issued_at: l.issuedAt,
      expires_at: l.expiresAt,
      created_at: l.createdAt,
      issued_by: l.issuedBy,
    })
    .execute();
}

/** The next per-org sequence number. Call after locking the organization row (updating it does). */
export async function nextLicenseSeq(db: Executor, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('licenses')
    .select((eb) => eb.fn.max('seq').as('last'))
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return Number(row?.last ?? 0) + 1;
}

const currentLicense = prepared((db: Executor, orgId: string) =>
  db.selectFrom('licenses').selectAll().where('org_id', '=', orgId).orderBy('issued_at', 'desc').orderBy('seq', 'desc').limit(1),
);

/** The most recently issued license of the organization, or null. */
export async function findCurrentLicense(db: Executor, orgId: string): Promise<StoredLicense | null> {
  const [r] = await currentLicense(db, orgId);
  if (!r) return null;
  return {
    id: r.id,
    orgId: r.org_id,
    seq: Number(r.seq),
    licenseKey: String(r.license_key),
    tier: String(r.tier),
    maxNodes: Number(r.max_nodes),
    permissions: parsePermissions(String(r.permissions)),
    issuedAt: String(r.issued_at),
    expiresAt: String(r.expires_at),
    createdAt: r.created_at,
    issuedBy: r.issued_by,
  };
}
