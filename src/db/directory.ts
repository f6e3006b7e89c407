import { type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import type { DirectoryFilter, DirectorySort } from '../domain/directory.js';
import { ROLE_RANK, type Role } from '../domain/vocabulary.js';
import type { Executor } from './database.js';
import { compileFilter, compileSort } from './directory-filter.js';
import type { ScimGroupsTable, ScimUsersTable } from './tables/scim.js';

/** The filterable attributes of a user, lower-cased where not case-exact; derived from the resource. */
export type UserIndex = Omit<ScimUsersTable, 'id' | 'org_id' | 'resource' | 'version' | 'created_at' | 'updated_at' | 'portal_disabled'>;

export interface IndexedValue {
  attr: string;
  value: string | null;
  type: string | null;
  display: string | null;
  /** null when the value did not say. */
  primary: boolean | null;
}

export interface StoredResource {
  id: string;
  orgId: string;
  /** The canonical document, without id, meta and (for users) groups; members are rows, not in it. */
  document: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface StoredGroup extends StoredResource {
  displayName: string;
  role: Role | null;
}

export interface Page {
  offset: number;
  limit: number;
}


function toStored(r: { id: string; org_id: string; resource: string; version: number; created_at: string; updated_at: string }): StoredResource {
  return {
    id: r.id,
    orgId: r.org_id,
    document: JSON.parse(r.resource) as Record<string, unknown>,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toGroup(r: ScimGroupsTable): StoredGroup {
  return { ...toStored(r), displayName: r.display_name, role: (r.role as Role | null) ?? null };
}

// Users -------------------------------------------------------------------------------------------------

export async function insertScimUser(db: Executor, r: StoredResource, index: UserIndex, values: IndexedValue[]): Promise<void> {
  await db
    .insertInto('scim_users')
    .values({ id: r.id, org_id: r.orgId, ...index, resource: JSON.stringify(r.document), version: r.version, created_at: r.createdAt, updated_at: r.updatedAt })
    .execute();
  await insertValues(db, r.orgId, r.id, values);
}

export async function updateScimUser(db: Executor, r: StoredResource, index: UserIndex, values: IndexedValue[]): Promise<void> {
  await db
    .updateTable('scim_users')
    .set({ ...index, resource: JSON.stringify(r.document), version: r.version, updated_at: r.updatedAt })
    .where('org_id', '=', r.orgId)
    .where('id', '=', r.id)
    .execute();
  await db.deleteFrom('scim_user_values').where('user_id', '=', r.id).execute();
  await insertValues(db, r.orgId, r.id, values);
}

async function insertValues(db: Executor, orgId: string, userId: string, values: IndexedValue[]): Promise<void> {
  if (values.length === 0) return;
  await db
    .insertInto('scim_user_values')
    .values(
      values.map((v, position) => ({
        org_id: orgId,
        user_id: userId,
        attr: v.attr,
        position,
        value: v.value,
        type: v.type,
        display: v.display,
        is_primary: v.primary === null ? null : v.primary ? 1 : 0,
      })),
    )
    .execute();
}

export interface StoredUser extends StoredResource {
  active: boolean;
  /** Disabled in the portal by an admin, whatever the identity provider says. */
  portalDisabled: boolean;
}

function toUser(r: Selectable<ScimUsersTable>): StoredUser {
  return { ...toStored(r), active: r.active === 1, portalDisabled: r.portal_disabled === 1 };
}

export async function findScimUser(db: Executor, orgId: string, id: string): Promise<StoredUser | null> {
  // No id holds NUL, and PostgreSQL refuses one in a parameter: a malformed id is simply not found.
  if (id.includes('\u0000')) return null;
  const row = await db.selectFrom('scim_users').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function setPortalDisabled(db: Executor, orgId: string, id: string, disabled: boolean): Promise<void> {
  await db.updateTable('scim_users').set({ portal_disabled: disabled ? 1 : 0 }).where('org_id', '=', orgId).where('id', '=', id).execute();
}

/** Their groups changed: the users' representation did too, so their version and lastModified move. */
export async function bumpScimUsers(db: Executor, orgId: string, ids: readonly string[], at: string): Promise<void> {
  for (const chunk of chunks([...new Set(ids)], 500)) {
    await db
      .updateTable('scim_users')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: at }))
      .where('org_id', '=', orgId)
      .where('id', 'in', chunk)
      .execute();
  }
}

export async function findScimUserIdByUserName(db: Executor, orgId: string, userNameLower: string): Promise<string | null> {
  const row = await db.selectFrom('scim_users').select('id').where('org_id', '=', orgId).where('user_name', '=', userNameLower).executeTakeFirst();
  return row?.id ?? null;
}

/** Which of these ids are users of the directory of this organization. */
export async function existingScimUserIds(db: Executor, orgId: string, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const chunk of chunks(ids, 500)) {
    const rows = await db.selectFrom('scim_users').select('id').where('org_id', '=', orgId).where('id', 'in', chunk).execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
}

function orderBy(db: Executor, target: 'users' | 'groups', sort: DirectorySort | null, alias: string): RawBuilder<unknown> {
  const tie = sql.ref(`${alias}.id`);
  if (!sort) return sql`${sql.ref(`${alias}.created_at`)}, ${tie}`;
  return sql`${compileSort(db, target, sort)}, ${tie}`;
}

function where(db: Executor, target: 'users' | 'groups', filter: DirectoryFilter | null): RawBuilder<SqlBool> {
  return filter ? compileFilter(db, target, filter) : sql<SqlBool>`1 = 1`;
}

export async function listScimUsers(
  db: Executor,
  orgId: string,
  q: { filter: DirectoryFilter | null; sort: DirectorySort | null; page: Page },
): Promise<{ total: number; items: StoredUser[] }> {
  const cond = where(db, 'users', q.filter);
  const [{ n }] = await db
    .selectFrom('scim_users as u')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('u.org_id', '=', orgId)
    .where(cond)
    .execute();
  const total = Number(n);
  if (q.page.limit === 0 || q.page.offset >= total) return { total, items: [] };
  const rows = await db
    .selectFrom('scim_users as u')
    .selectAll('u')
    .where('u.org_id', '=', orgId)
    .where(cond)
    .orderBy(orderBy(db, 'users', q.sort, 'u'))
    .limit(q.page.limit)
    .offset(q.page.offset)
    .execute();
  return { total, items: rows.map(toUser) };
}

/** The groups of each user, for the read-only `groups` attribute: one statement for a whole page. */
export async function groupsOfUsers(db: Executor, orgId: string, userIds: readonly string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
  const out = new Map<string, { id: string; displayName: string }[]>();
  for (const chunk of chunks(userIds, 500)) {
    const rows = await db
      .selectFrom('scim_members as m')
      .innerJoin('scim_groups as g', 'g.id', 'm.group_id')
      .select(['m.user_id', 'g.id', 'g.display_name'])
      .where('m.org_id', '=', orgId)
      .where('m.user_id', 'in', chunk)
      .orderBy('g.display_name_lower')
      .execute();
    for (const r of rows) {
      const list = out.get(r.user_id) ?? [];
      list.push({ id: r.id, displayName: r.display_name });
      out.set(r.user_id, list);
    }
  }
  return out;
}

// Groups ------------------------------------------------------------------------------------------------

export async function insertScimGroup(db: Executor, r: StoredResource, displayName: string, externalId: string | null): Promise<void> {
  await db
    .insertInto('scim_groups')
    .values({
      id: r.id,
      org_id: r.orgId,
      display_name: displayName,
      display_name_lower: displayName.toLowerCase(),
      external_id: externalId,
      resource: JSON.stringify(r.document),
      version: r.version,
      role: null,
      role_rank: null,
      role_mapped_at: null,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    })
    .execute();
}

export async function updateScimGroup(db: Executor, r: StoredResource, displayName: string, externalId: string | null): Promise<void> {
  await db
    .updateTable('scim_groups')
    .set({
      display_name: displayName,
      display_name_lower: displayName.toLowerCase(),
      external_id: externalId,
      resource: JSON.stringify(r.document),
      version: r.version,
      updated_at: r.updatedAt,
    })
    .where('org_id', '=', r.orgId)
    .where('id', '=', r.id)
    .execute();
}

/** A membership change moves the group's version and lastModified without rewriting it. */
export async function bumpScimGroup(db: Executor, orgId: string, id: string, at: string): Promise<void> {
  await db
    .updateTable('scim_groups')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: at }))
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .execute();
}

export async function findScimGroup(db: Executor, orgId: string, id: string): Promise<StoredGroup | null> {
  if (id.includes('\u0000')) return null;
  const row = await db.selectFrom('scim_groups').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row ? toGroup(row) : null;
}

export async function findScimGroupIdByName(db: Executor, orgId: string, displayName: string): Promise<string | null> {
  const row = await db
    .selectFrom('scim_groups')
    .select('id')
    .where('org_id', '=', orgId)
    .where('display_name_lower', '=', displayName.toLowerCase())
    .executeTakeFirst();
  return row?.id ?? null;
}

export async function deleteScimGroup(db: Executor, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('scim_groups').where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function listScimGroups(
  db: Executor,
  orgId: string,
  q: { filter: DirectoryFilter | null; sort: DirectorySort | null; page: Page },
): Promise<{ total: number; items: StoredGroup[] }> {
  const cond = where(db, 'groups', q.filter);
  const [{ n }] = await db
    .selectFrom('scim_groups as g')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('g.org_id', '=', orgId)
    .where(cond)
    .execute();
  const total = Number(n);
  if (q.page.limit === 0 || q.page.offset >= total) return { total, items: [] };
  const rows = await db
    .selectFrom('scim_groups as g')
    .selectAll('g')
    .where('g.org_id', '=', orgId)
    .where(cond)
    .orderBy(orderBy(db, 'groups', q.sort, 'g'))
    .limit(q.page.limit)
    .offset(q.page.offset)
    .execute();
  return { total, items: rows.map(toGroup) };
}

export interface Member {
  id: string;
  /** The portal user's name, for `display`. */
  name: string;
}

export async function membersOfGroups(db: Executor, orgId: string, groupIds: readonly string[]): Promise<Map<string, Member[]>> {
  const out = new Map<string, Member[]>();
  for (const chunk of chunks(groupIds, 500)) {
    const rows = await db
      .selectFrom('scim_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.group_id', 'm.user_id', 'u.name'])
      .where('m.org_id', '=', orgId)
      .where('m.group_id', 'in', chunk)
      .orderBy('m.group_id')
      .orderBy('m.user_id')
      .execute();
    for (const r of rows) {
      const list = out.get(r.group_id) ?? [];
      list.push({ id: r.user_id, name: r.name });
      out.set(r.group_id, list);
    }
  }
  return out;
}

/** Adds members as a set: ids already in the group are left alone. Returns the ids that were added. */
export async function addMembers(db: Executor, orgId: string, groupId: string, userIds: readonly string[]): Promise<string[]> {
  const added: string[] = [];
  for (const chunk of chunks([...new Set(userIds)], 500)) {
    const rows = await db
      .insertInto('scim_members')
      .values(chunk.map((user_id) => ({ org_id: orgId, group_id: groupId, user_id })))
      .onConflict((oc) => oc.columns(['org_id', 'group_id', 'user_id']).doNothing())
      .returning('user_id')
      .execute();
    for (const r of rows) added.push(r.user_id);
  }
  return added;
}

/** Removes members as a set; returns the ids that were members. */
export async function removeMembers(db: Executor, orgId: string, groupId: string, userIds: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const chunk of chunks([...new Set(userIds)], 500)) {
    const rows = await db
      .deleteFrom('scim_members')
      .where('org_id', '=', orgId)
      .where('group_id', '=', groupId)
      .where('user_id', 'in', chunk)
      .returning('user_id')
      .execute();
    for (const r of rows) removed.push(r.user_id);
  }
  return removed;
}

export async function memberIds(db: Executor, orgId: string, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('scim_members').select('user_id').where('org_id', '=', orgId).where('group_id', '=', groupId).execute();
  return rows.map((r) => r.user_id);
}

// Roles -------------------------------------------------------------------------------------------------

export async function setGroupRole(db: Executor, orgId: string, groupId: string, role: Role | null, at: string): Promise<void> {
  await db
    .updateTable('scim_groups')
    .set({ role, role_rank: role ? ROLE_RANK[role] : null, role_mapped_at: role ? at : null })
    .where('org_id', '=', orgId)
    .where('id', '=', groupId)
    .execute();
}

export async function listGroupRoles(db: Executor, orgId: string): Promise<{ groupId: string; displayName: string; role: Role; mappedAt: string | null }[]> {
  const rows = await db
    .selectFrom('scim_groups')
    .select(['id', 'display_name', 'role', 'role_mapped_at'])
    .where('org_id', '=', orgId)
    .where('role', 'is not', null)
    .orderBy('display_name_lower')
    .execute();
  return rows.map((r) => ({ groupId: r.id, displayName: r.display_name, role: r.role as Role, mappedAt: r.role_mapped_at }));
}

const bestRole = sql<string>`coalesce((select g.role from scim_members m inner join scim_groups g on g.id = m.group_id
  where m.org_id = users.org_id and m.user_id = users.id and g.role is not null order by g.role_rank limit 1), 'viewer')`;

/**
 * Gives users the most privileged role of their mapped groups, or viewer in none, where SCIM assigned their
 * role (a role an admin set by hand stays). `who` picks them: these ids, or the members of a group.
 * Returns how many roles changed.
 */
export async function recomputeScimRoles(db: Executor, orgId: string, who: { userIds: readonly string[] } | { groupId: string }, at: string): Promise<number> {
  const base = db
    .updateTable('users')
    .set({ role: bestRole, updated_at: at })
    .where('org_id', '=', orgId)
    .where('role_source', '=', 'scim')
    .where('kind', '=', 'person')
    .where(sql<SqlBool>`role <> ${bestRole}`);
  if ('groupId' in who) {
    const r = await base.where('id', 'in', (eb) => eb.selectFrom('scim_members').select('user_id').where('org_id', '=', orgId).where('group_id', '=', who.groupId)).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
  let changed = 0;
  for (const chunk of chunks([...new Set(who.userIds)], 500)) {
    changed += Number((await base.where('id', 'in', chunk).executeTakeFirst()).numUpdatedRows);
  }
  return changed;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
