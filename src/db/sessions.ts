import type { Role } from '../domain/vocabulary.js';
import type { Executor } from './database.js';
import type { UserKind } from './users.js';

export interface SessionRecord {
  id: string;
  orgId: string;
  userId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  user: { email: string; name: string; role: Role; kind: UserKind; status: string };
  orgStatus: string;
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

/** One query per request: the session with what authorization needs of its user and org. */
export async function findSession(db: Executor, id: string): Promise<SessionRecord | null> {
  const row = await db
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
      'o.status as org_status',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    orgId: row.org_id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    user: { email: row.email, name: row.name, role: row.role as Role, kind: row.kind as UserKind, status: row.user_status },
    orgStatus: row.org_status,
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

