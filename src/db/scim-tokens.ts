import { sql } from 'kysely';
import type { Executor } from './database.js';
import { prepared } from './prepared.js';
import type { ScimTokensTable } from './tables/scim.js';

export interface ScimTokenError {
  at: string;
  status: number;
  scimType: string | null;
  detail: string;
  /** Method and path, without the query. */
  request: string;
}

export interface ScimToken {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  lastError: ScimTokenError | null;
}

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

/** Requests of one token by status class over a window. */
export type TrafficCounts = Record<StatusClass, number>;

function toToken(r: ScimTokensTable): ScimToken {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    lastError:
      r.last_error_at && r.last_error_status !== null
        ? {
            at: r.last_error_at,
            status: r.last_error_status,
            scimType: r.last_error_type,
            detail: r.last_error_detail ?? '',
            request: r.last_error_request ?? '',
          }
        : null,
  };
}

export async function insertScimToken(db: Executor, t: ScimToken, digest: string): Promise<void> {
  await db
    .insertInto('scim_tokens')
    .values({
      id: t.id,
      org_id: t.orgId,
      name: t.name,
      prefix: t.prefix,
      digest,
      created_at: t.createdAt,
      created_by: t.createdBy,
      expires_at: t.expiresAt,
      revoked_at: null,
      last_used_at: null,
      last_error_at: null,
      last_error_status: null,
      last_error_type: null,
      last_error_detail: null,
      last_error_request: null,
    })
    .execute();
}

export async function findScimToken(db: Executor, orgId: string, id: string): Promise<ScimToken | null> {
  const row = await db.selectFrom('scim_tokens').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row ? toToken(row) : null;
}

export async function listScimTokens(db: Executor, orgId: string, page: { offset: number; limit: number }): Promise<ScimToken[]> {
  const rows = await db
    .selectFrom('scim_tokens')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map(toToken);
}

export async function revokeScimToken(db: Executor, orgId: string, id: string, at: string): Promise<void> {
  await db.updateTable('scim_tokens').set({ revoked_at: at }).where('org_id', '=', orgId).where('id', '=', id).where('revoked_at', 'is', null).execute();
}


const tokenForAuth = prepared((db: Executor, id: string) =>
  db
    .selectFrom('scim_tokens as t')
    .innerJoin('organizations as o', 'o.org_id', 't.org_id')
    .select(['t.id', 't.org_id', 't.digest', 't.expires_at', 't.revoked_at', 't.last_used_at', 'o.status as org_status'])
    .where('t.id', '=', id),
);

/** The per-request lookup: the token by its public id, with its digest and its organization's status. */
export async function findScimTokenForAuth(db: Executor, id: string) {
  const [row] = await tokenForAuth(db, id);
  if (!row) return null;
  return {
    id: row.id,
    orgId: row.org_id,
    digest: row.digest,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    orgStatus: row.org_status,
  };
}

/** One request of a token: its hour's counter, and (when given) its last use and its last error. */
export async function recordScimTraffic(
  db: Executor,
  orgId: string,
  tokenId: string,
  at: string,
  statusClass: StatusClass,
  write: { lastUsedAt: string | null; error: ScimTokenError | null },
): Promise<void> {
  const hour = `${at.slice(0, 13)}:00:00.000Z`;
  await db
    .insertInto('scim_token_traffic')
    .values({ org_id: orgId, token_id: tokenId, hour, status_class: statusClass, count: 1 })
    .onConflict((oc) => oc.columns(['token_id', 'hour', 'status_class']).doUpdateSet({ count: sql`scim_token_traffic.count + 1` }))
    .execute();
  const { lastUsedAt, error } = write;
  if (!lastUsedAt && !error) return;
  await db
    .updateTable('scim_tokens')
    .set({
      ...(lastUsedAt ? { last_used_at: lastUsedAt } : {}),
      ...(error
        ? {
            last_error_at: error.at,
            last_error_status: error.status,
            last_error_type: error.scimType,
            last_error_detail: error.detail,
            last_error_request: error.request,
          }
        : {}),
    })
    .where('id', '=', tokenId)
    .execute();
}

/** Requests by status class since `since`, per token of the list. */
export async function scimTrafficSince(db: Executor, tokenIds: readonly string[], since: string): Promise<Map<string, TrafficCounts>> {
  const out = new Map<string, TrafficCounts>();
  if (tokenIds.length === 0) return out;
  const rows = await db
    .selectFrom('scim_token_traffic')
    .select(['token_id', 'status_class', (eb) => eb.fn.sum<number | string>('count').as('n')])
    .where('token_id', 'in', tokenIds)
    .where('hour', '>=', since)
    .groupBy(['token_id', 'status_class'])
    .execute();
  for (const r of rows) {
    const counts = out.get(r.token_id) ?? { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    counts[r.status_class as StatusClass] = Number(r.n);
    out.set(r.token_id, counts);
  }
  return out;
}

/** Counters older than the window nobody reads any more. */
export async function pruneScimTraffic(db: Executor, before: string): Promise<void> {
  await db.deleteFrom('scim_token_traffic').where('hour', '<', before).execute();
}
