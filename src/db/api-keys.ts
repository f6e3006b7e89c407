import type { Executor } from './database.js';
import { prepared } from './prepared.js';
import type { ApiKeysTable } from './tables/api-keys.js';

export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

function toApiKey(r: ApiKeysTable): ApiKey {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    prefix: r.prefix,
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export async function insertApiKey(db: Executor, key: ApiKey, digest: string): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      org_id: key.orgId,
      name: key.name,
      prefix: key.prefix,
      digest,
      scopes: JSON.stringify(key.scopes),
      created_at: key.createdAt,
      created_by: key.createdBy,
      expires_at: key.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
}

export async function findApiKey(db: Executor, orgId: string, id: string): Promise<ApiKey | null> {
  const row = await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row ? toApiKey(row) : null;
}

const keysPage = prepared((db: Executor, orgId: string, limit: number, offset: number) =>
  db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset),
);

export async function listApiKeys(db: Executor, orgId: string, page: { offset: number; limit: number }): Promise<ApiKey[]> {
  return (await keysPage(db, orgId, page.limit, page.offset)).map(toApiKey);
}

const keyForAuth = prepared((db: Executor, id: string) =>
  db
    .selectFrom('api_keys as k')
    .innerJoin('organizations as o', 'o.org_id', 'k.org_id')
    .select(['k.id', 'k.org_id', 'k.digest', 'k.scopes', 'k.expires_at', 'k.revoked_at', 'k.last_used_at', 'o.status as org_status'])
    .where('k.id', '=', id),
);

/** The per-request lookup: the key by its public id, with its digest and its organization's status. */
export async function findKeyForAuth(db: Executor, id: string) {
  const [row] = await keyForAuth(db, id);
  if (!row) return null;
  return {
    id: row.id,
    orgId: row.org_id,
    digest: row.digest,
    scopes: JSON.parse(row.scopes) as string[],
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    orgStatus: row.org_status,
  };
}

export async function revokeApiKey(db: Executor, orgId: string, id: string, at: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function touchApiKey(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}
