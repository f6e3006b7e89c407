import type { Harness } from '../helpers/harness.js';

export const DAY = 86_400_000;

/** Every license row of the org, oldest first, read straight from the database. */
export function storedLicenses(h: Harness, orgId: string) {
  return h.runtime.database.db
    .selectFrom('licenses')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('seq')
    .execute();
}

export async function currentKey(h: Harness, orgId: string): Promise<{ id: string; licenseKey: string }> {
  const rows = await storedLicenses(h, orgId);
  const last = rows[rows.length - 1];
  if (!last) throw new Error(`no license stored for ${orgId}`);
  return { id: last.id, licenseKey: last.license_key };
}

export async function setStoredKey(h: Harness, licenseId: string, licenseKey: string): Promise<void> {
  await h.runtime.database.db.updateTable('licenses').set({ license_key: licenseKey }).where('id', '=', licenseId).execute();
}

/** One character of the payload part changed to another base64url character. */
export function flipPayloadChar(licenseKey: string, at = 20): string {
  const c = licenseKey[at];
  if (!c || c === '.' || at < 'AXON-'.length) throw new Error('flip position is outside the payload');
  return licenseKey.slice(0, at) + (c === 'A' ? 'B' : 'A') + licenseKey.slice(at + 1);
}

/** An actor of the organization, for calling tenant services directly. */
export function orgActor(orgId: string) {
  return { type: 'user' as const, id: null, orgId, ip: null, userAgent: null };
}
