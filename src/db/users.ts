import { sql } from 'kysely';
import type { Role } from '../domain/vocabulary.js';
import type { Executor } from './database.js';
import type { UserRow } from './tables.js';

export type UserKind = 'organization' | 'person';
export type UserStatus = 'active' | 'disabled';
export type UserSource = 'org' | 'manual' | 'scim' | 'sso' | 'api';
/** Who assigned a user's role; SCIM recomputes only roles it assigned. */
export type RoleSource = 'manual' | 'scim' | 'api';

export interface User {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: Role;
  kind: UserKind;
  status: UserStatus;
  source: UserSource;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

// The organization account's email is the org contact address, which a person of the org may share:
// its login key is one no person can have, so the unique index never ties them together.
const ORG_ACCOUNT_KEY = '#organization';

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    orgId: r.org_id,
    email: r.email,
    name: r.name,
    role: r.role as Role,
    kind: r.kind as UserKind,
    status: r.status as UserStatus,
    source: r.source as UserSource,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastLoginAt: r.last_login_at,
  };
}

export async function findUser(db: Executor, orgId: string, userId: string): Promise<User | null> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', userId)
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function findUsersByIds(db: Executor, orgId: string, ids: readonly string[]): Promise<User[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', 'in', ids).execute();
  return rows.map(toUser);
}

/** The login lookup: the account and its hash, or null. */
export async function findLoginAccount(
  db: Executor,
  orgId: string,
  email: string | null,
): Promise<{ user: User; passwordHash: string | null } | null> {
  let q = db.selectFrom('users').selectAll().where('org_id', '=', orgId);
  q = email === null ? q.where('kind', '=', 'organization') : q.where('email_lower', '=', email.toLowerCase()).where('kind', '=', 'person');
  const row = await q.executeTakeFirst();
  return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
}

export async function findPasswordHash(db: Executor, userId: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  return row?.password_hash ?? null;
}

export async function listUsers(
  db: Executor,
  orgId: string,
  page: { offset: number; limit: number },
): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map(toUser);
}

export async function countActiveOwners(db: Executor, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('org_id', '=', orgId)
    .where('kind', '=', 'person')
    .where('role', '=', 'owner')
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertUser(db: Executor, user: User, passwordHash: string | null, roleSource: RoleSource = 'manual'): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      org_id: user.orgId,
      email: user.email,
      email_lower: user.kind === 'organization' ? ORG_ACCOUNT_KEY : user.email.toLowerCase(),
      name: user.name,
      role: user.role,
      kind: user.kind,
      status: user.status,
      password_hash: passwordHash,
      source: user.source,
      role_source: roleSource,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
      last_login_at: user.lastLoginAt,
    })
    .execute();
}

export async function updateUserFields(
  db: Executor,
  userId: string,
  fields: Partial<{ role: Role; roleSource: RoleSource; status: UserStatus; source: UserSource; email: string; name: string; lastLoginAt: string }>,
  updatedAt: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      ...(fields.role !== undefined ? { role: fields.role } : {}),
      ...(fields.roleSource !== undefined ? { role_source: fields.roleSource } : {}),
      ...(fields.status !== undefined ? { status: fields.status } : {}),
      ...(fields.source !== undefined ? { source: fields.source } : {}),
      ...(fields.email !== undefined
        ? {
            email: fields.email,
            email_lower: sql<string>`case when kind = 'organization' then ${ORG_ACCOUNT_KEY} else ${fields.email.toLowerCase()} end`,
          }
        : {}),
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.lastLoginAt !== undefined ? { last_login_at: fields.lastLoginAt } : {}),
      updated_at: updatedAt,
    })
    .where('id', '=', userId)
    .execute();
}

export async function setPasswordHash(db: Executor, userId: string, hash: string, at: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: at }).where('id', '=', userId).execute();
}

export async function deleteUser(db: Executor, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom('users').where('org_id', '=', orgId).where('id', '=', userId).execute();
}
