import { createHash } from 'node:crypto';
import type { Harness } from '../helpers/harness.js';

export const KEY_LIST_FIELDS = ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes'];

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function keyRows(h: Harness, orgId?: string) {
  let q = h.runtime.database.db.selectFrom('api_keys').selectAll();
  if (orgId) q = q.where('org_id', '=', orgId);
  return q.execute();
}

export async function keyRow(h: Harness, id: string) {
  return h.runtime.database.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** The key with one character of its secret replaced by another character the format allows. */
export function mistype(key: string, at = 30): string {
  const c = key[at] === 'A' ? 'B' : 'A';
  return key.slice(0, at) + c + key.slice(at + 1);
}
