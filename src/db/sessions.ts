import type { Role } from '../domain/vocabulary.js';
import type { Executor } from './database.js';
import { type Organization, toOrganization } from './organizations.js';
import { prepared } from './prepared.js';
import type { UserKind } from './users.js';

export interface SessionRecord {
  id: string;
  orgId: string;
  userId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  user: { email: string; name: string; role: Role; kind: UserKind; status: string };
  organization: Organization;
}

export async function insertSession(
  db: Executor,
  s: { id: string; orgId: string; userId: string; createdAt: string; expiresAt: string; ip: string | null; userAgent: string | null },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: s.id,
      org_id: s.orgId,
      user_id: s.userId,
      created_at: s.createdAt,
      last_seen_at: s.createdAt,
      expires_at: s.expiresAt,
      ip: s.ip,
      user_agent: s.userAgent,
    })
    .execute();
}

const sessionWithTenant = prepared((db: Executor, id: string) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('organizations as o', 'o.org_id', 's.org_id')
    .select([
      's.id',
      's.org_id',
      's.user_id',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      'u.email',
      'u.name',
      'u.role',
      'u.kind',
      'u.status as user_status',
      'o.name as o_name',
      'o.tier as o_tier',
      'o.status as o_status',
      'o.max_nodes as o_max_nodes',
      'o.contact_email as o_contact_email',
      'o.contact_phone as o_contact_phone',
      'o.expires_at as o_expires_at',
      'o.created_at as o_created_at',
      'o.updated_at as o_updated_at',
    ])
    .where('s.id', '=', id),
);

/** One statement per request: the session with what authorization needs of its user, and its organization. */
export async function findSession(db: Executor, id: string): Promise<SessionRecord | null> {
  const [row] = await sessionWithTenant(db, id);
  if (!row) return null;
  return {
    id: row.id,
    orgId: row.org_id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    user: { email: row.email, name: row.name, role: row.role as Role, kind: row.kind as UserKind, status: row.user_status },
    organization: toOrganization({
      org_id: row.org_id,
      name: row.o_name,
      tier: row.o_tier,
      status: row.o_status,
      max_nodes: row.o_max_nodes,
      contact_email: row.o_contact_email,
      contact_phone: row.o_contact_phone,
      expires_at: row.o_expires_at,
      created_at: row.o_created_at,
      updated_at: row.o_updated_at,
    }),
  };
}

export async function touchSession(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
}

/** Gives a session a new token digest (its row, user and absolute end stay). */
export async function renewSession(db: Executor, id: string, newId: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ id: newId, last_seen_at: at }).where('id', '=', id).execute();
}

export async function deleteSession(db: Executor, id: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteUserSessions(db: Executor, userId: string, exceptId?: string): Promise<number> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptId) q = q.where('id', '!=', exceptId);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteOrgSessions(db: Executor, orgId: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('org_id', '=', orgId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Deletes sessions that can no longer be used: past their absolute end, or idle since idleSince or earlier.
 * SessionService.resolve refuses exactly these already; this only keeps the table from growing.
 */
export async function pruneSessions(db: Executor, now: string, idleSince: string): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
