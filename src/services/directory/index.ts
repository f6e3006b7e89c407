import type { Clock } from '../../clock.js';
import { type DB, type Trx, inTransaction } from '../../db/database.js';
import {
  type Member,
  type StoredGroup,
  type StoredResource,
  type StoredUser,
  addMembers,
  bumpScimGroup,
  bumpScimUsers,
  deleteScimGroup,
  existingScimUserIds,
  findScimGroup,
  findScimGroupIdByName,
  findScimUser,
  findScimUserIdByUserName,
  groupsOfUsers,
  insertScimGroup,
  insertScimUser,
  listGroupRoles,
  listScimGroups,
  listScimUsers,
  memberIds,
  membersOfGroups,
  recomputeScimRoles,
  removeMembers,
  setGroupRole,
  updateScimGroup,
  updateScimUser,
} from '../../db/directory.js';
import { lockOrganization } from '../../db/organizations.js';
import { deleteUserSessions } from '../../db/sessions.js';
import { deleteUser, findLoginAccount, insertUser, updateUserFields } from '../../db/users.js';
import { FILTERABLE_GROUP, FILTERABLE_USER, type FilterableResource } from '../../domain/directory.js';
import { Conflict, InvalidInput, NotFound, PreconditionFailed } from '../../domain/errors.js';
import { ROLES, ROLE_RANK, type Role } from '../../domain/vocabulary.js';
import { newId } from '../../ids.js';
import { type Actor, tenantOf } from '../actor.js';
import type { AuditService } from '../audit.js';
import { parseFilter, parseSort } from './filter.js';
import { portalEmail, portalName, userIndex } from './user-index.js';

export type Document = Record<string, unknown>;

export interface DirectoryUser extends StoredUser {
  groups: { id: string; displayName: string }[];
}

export interface DirectoryGroup extends StoredGroup {
  /** Null when the caller asked for the group without its members (they were not read). */
  members: Member[] | null;
}

export interface ListQuery {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  /** 1-based, as SCIM counts. */
  startIndex: number;
  count: number;
}

/** Member changes, as set operations: the cost of one follows the ids it names. */
export type MemberChange = { op: 'add' | 'remove' | 'replace'; ids: string[] };

/** A condition on the stored version (If-Match); false refuses the change with 412. */
export type VersionCheck = (version: number) => boolean;

export interface ReadOptions {
  withMembers?: boolean;
}

/** The most a list returns at once (advertised as filter.maxResults). */
export const MAX_PAGE = 200;

/**
 * The directory an identity provider keeps: users (each one a portal user of the organization, source scim)
 * and groups (whose role mappings give their members portal roles). It stores each SCIM resource whole,
 * indexes what filters need, and keeps the portal in step: a user deactivated or deleted loses their
 * sessions in the same transaction. Every change writes an audit event in that transaction.
 */
export class DirectoryService {
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  // Users --------------------------------------------------------------------------------------------

  async listUsers(actor: Actor, q: ListQuery): Promise<{ total: number; items: DirectoryUser[] }> {
    const orgId = tenantOf(actor);
    const { filter, sort, page } = this.query(FILTERABLE_USER, q);
    const { total, items } = await listScimUsers(this.db, orgId, { filter, sort, page });
    const groups = await groupsOfUsers(this.db, orgId, items.map((u) => u.id));
    return { total, items: items.map((u) => ({ ...u, groups: groups.get(u.id) ?? [] })) };
  }

  async getUser(actor: Actor, id: string): Promise<DirectoryUser> {
    const orgId = tenantOf(actor);
    const user = await findScimUser(this.db, orgId, id);
    if (!user) throw notFound('User', id);
    const groups = await groupsOfUsers(this.db, orgId, [id]);
    return { ...user, groups: groups.get(id) ?? [] };
  }

  async createUser(actor: Actor, doc: Document): Promise<DirectoryUser> {
    const orgId = tenantOf(actor);
    const now = this.now();
    const document: Document & { active: boolean } = { ...doc, active: doc.active !== false };
    return this.write(orgId, async (trx) => {
      await this.assertUserNameFree(trx, orgId, document, null);
      const email = portalEmail(document);
      // Never taken over by address alone (SECURITY: identity from an IdP is not keyed by an email): a person
      // the portal already has stays theirs; an admin removes them (or the provider uses another userName).
      if (await findLoginAccount(trx, orgId, email)) {
        throw new Conflict(
          `the portal already has a user who signs in as ${email.slice(0, 128)} and was not provisioned by SCIM; remove that user in the portal, then provision again`,
        );
      }
      const id = newId('usr');
      const status = document.active ? 'active' : 'disabled';
      await insertUser(
        trx,
        { id, orgId, email, name: portalName(document), role: 'viewer', kind: 'person', status, source: 'scim', createdAt: now, updatedAt: now, lastLoginAt: null },
        null,
        'scim',
      );
      const stored: StoredResource = { id, orgId, document, version: 1, createdAt: now, updatedAt: now };
      const { index, values } = userIndex(document);
      await insertScimUser(trx, stored, index, values);
      await this.audit.append(trx, actor, {
        action: 'scim.user_created',
        orgId,
        targetType: 'user',
        targetId: id,
        details: { user_name: document.userName, active: document.active },
      });
      return { ...stored, active: document.active, portalDisabled: false, groups: [] };
    });
  }

  /** PUT (a whole document) and PATCH (a function of the stored one) both come here, in one transaction. */
  async updateUser(actor: Actor, id: string, change: (current: Document) => Document, check?: VersionCheck): Promise<DirectoryUser> {
    const orgId = tenantOf(actor);
    const now = this.now();
    return this.write(orgId, async (trx) => {
      const current = checked(await findScimUser(trx, orgId, id), 'User', id, check);
      const next = change(current.document);
      const document: Document & { active: boolean } = { ...next, active: next.active === undefined ? current.active : next.active !== false };
      const groups = (await groupsOfUsers(trx, orgId, [id])).get(id) ?? [];
      // Nothing changed: no write, no new version (Okta PUTs back the object it just read).
      if (JSON.stringify(document) === JSON.stringify(current.document)) return { ...current, groups };
      await this.assertUserNameFree(trx, orgId, document, id);
      const email = portalEmail(document);
      // The sign-in moves only with userName or the emails; unchanged, it is still this user's.
      if (email.toLowerCase() !== portalEmail(current.document).toLowerCase()) {
        const holder = await findLoginAccount(trx, orgId, email);
        if (holder && holder.user.id !== id) throw new Conflict(`the portal sign-in ${email.slice(0, 128)} already belongs to another portal user`);
      }
      const active = document.active;
      // The portal's own disable outlives whatever the provider sends; the provider's no is final too.
      const signIn = active && !current.portalDisabled;
      await updateUserFields(trx, id, { email, name: portalName(document), status: signIn ? 'active' : 'disabled' }, now);
      const sessionsEnded = signIn ? 0 : await deleteUserSessions(trx, id);
      const stored: StoredResource = { ...current, document, version: current.version + 1, updatedAt: now };
      const { index, values } = userIndex(document);
      await updateScimUser(trx, stored, index, values);
      const action = current.active && !active ? 'scim.user_deactivated' : !current.active && active ? 'scim.user_reactivated' : 'scim.user_updated';
      await this.audit.append(trx, actor, {
        action,
        orgId,
        targetType: 'user',
        targetId: id,
        details: { user_name: document.userName, sessions_ended: sessionsEnded },
      });
      return { ...stored, active, portalDisabled: current.portalDisabled, groups };
    });
  }

  async deleteUser(actor: Actor, id: string, check?: VersionCheck): Promise<void> {
    const orgId = tenantOf(actor);
    await this.write(orgId, async (trx) => {
      const current = checked(await findScimUser(trx, orgId, id), 'User', id, check);
      const groups = (await groupsOfUsers(trx, orgId, [id])).get(id) ?? [];
      // The portal user goes with the resource: sessions, memberships and the SCIM rows cascade.
      await deleteUser(trx, orgId, id);
      for (const g of groups) await bumpScimGroup(trx, orgId, g.id, this.now());
      await this.audit.append(trx, actor, {
        action: 'scim.user_deleted',
        orgId,
        targetType: 'user',
        targetId: id,
        details: { user_name: current.document.userName },
      });
    });
  }

  private async assertUserNameFree(trx: Trx, orgId: string, doc: Document, self: string | null): Promise<void> {
    const holder = await findScimUserIdByUserName(trx, orgId, String(doc.userName).toLowerCase());
    if (holder && holder !== self) {
      throw new Conflict(`userName ${JSON.stringify(String(doc.userName).slice(0, 64))} is already taken (userName is unique, whatever its letter case)`);
    }
  }

  // Groups -------------------------------------------------------------------------------------------

  async listGroups(actor: Actor, q: ListQuery, opts: ReadOptions = {}): Promise<{ total: number; items: DirectoryGroup[] }> {
    const orgId = tenantOf(actor);
    const { filter, sort, page } = this.query(FILTERABLE_GROUP, q);
    const { total, items } = await listScimGroups(this.db, orgId, { filter, sort, page });
    const members = opts.withMembers === false ? null : await membersOfGroups(this.db, orgId, items.map((g) => g.id));
    return { total, items: items.map((g) => ({ ...g, members: members ? members.get(g.id) ?? [] : null })) };
  }

  async getGroup(actor: Actor, id: string, opts: ReadOptions = {}): Promise<DirectoryGroup> {
    return this.readGroup(this.db, tenantOf(actor), id, opts);
  }

  async createGroup(actor: Actor, doc: Document, members: string[], opts: ReadOptions = {}): Promise<DirectoryGroup> {
    const orgId = tenantOf(actor);
    const now = this.now();
    const displayName = String(doc.displayName);
    return this.write(orgId, async (trx) => {
      if (await findScimGroupIdByName(trx, orgId, displayName)) {
        throw new Conflict(`a group named ${JSON.stringify(displayName.slice(0, 64))} already exists (displayName is unique, whatever its letter case)`);
      }
      const id = newId('grp');
      const stored: StoredResource = { id, orgId, document: doc, version: 1, createdAt: now, updatedAt: now };
      await insertScimGroup(trx, stored, displayName, externalIdOf(doc));
      const added = await this.applyMembers(trx, orgId, id, [{ op: 'add', ids: members }], now);
      await this.audit.append(trx, actor, {
        action: 'scim.group_created',
        orgId,
        targetType: 'group',
        targetId: id,
        details: { display_name: displayName, members_added: added.added },
      });
      return this.readGroup(trx, orgId, id, opts);
    });
  }

  /**
   * PUT and PATCH of a group. `change` returns the new document and the member changes, applied as set
   * operations on the membership rows: their cost follows the members named, not the size of the group.
   */
  async updateGroup(
    actor: Actor,
    id: string,
    change: (current: Document) => { document: Document; members: MemberChange[] },
    check?: VersionCheck,
    opts: ReadOptions = {},
  ): Promise<DirectoryGroup> {
    const orgId = tenantOf(actor);
    const now = this.now();
    return this.write(orgId, async (trx) => {
      const current = checked(await findScimGroup(trx, orgId, id), 'Group', id, check);
      const { document, members } = change(current.document);
      const documentChanged = JSON.stringify(document) !== JSON.stringify(current.document);
      const displayName = String(document.displayName);
      if (documentChanged) {
        const holder = await findScimGroupIdByName(trx, orgId, displayName);
        if (holder && holder !== id) throw new Conflict(`a group named ${JSON.stringify(displayName.slice(0, 64))} already exists (displayName is unique, whatever its letter case)`);
        await updateScimGroup(trx, { ...current, document, version: current.version + 1, updatedAt: now }, displayName, externalIdOf(document));
      }
      const result = await this.applyMembers(trx, orgId, id, members, now);
      if (!documentChanged && result.added + result.removed > 0) await bumpScimGroup(trx, orgId, id, now);
      if (documentChanged || result.added + result.removed > 0) {
        await this.audit.append(trx, actor, {
          action: 'scim.group_updated',
          orgId,
          targetType: 'group',
          targetId: id,
          details: { display_name: displayName, members_added: result.added, members_removed: result.removed, roles_changed: result.rolesChanged },
        });
      }
      return this.readGroup(trx, orgId, id, opts);
    });
  }

  async deleteGroup(actor: Actor, id: string, check?: VersionCheck): Promise<void> {
    const orgId = tenantOf(actor);
    const now = this.now();
    await this.write(orgId, async (trx) => {
      const current = checked(await findScimGroup(trx, orgId, id), 'Group', id, check);
      const members = await memberIds(trx, orgId, id);
      await deleteScimGroup(trx, orgId, id);
      await bumpScimUsers(trx, orgId, members, now);
      const rolesChanged = current.role && members.length ? await recomputeScimRoles(trx, orgId, { userIds: members }, now) : 0;
      await this.audit.append(trx, actor, {
        action: 'scim.group_deleted',
        orgId,
        targetType: 'group',
        targetId: id,
        details: { display_name: current.displayName, roles_changed: rolesChanged },
      });
    });
  }

  private async applyMembers(trx: Trx, orgId: string, groupId: string, changes: MemberChange[], now: string) {
    let added = 0;
    let removed = 0;
    const touched = new Set<string>();
    for (const change of changes) {
      let toAdd: string[] = [];
      let toRemove: string[] = [];
      if (change.op === 'replace') {
        const current = new Set(await memberIds(trx, orgId, groupId));
        const wanted = new Set(change.ids);
        toAdd = [...wanted].filter((x) => !current.has(x));
        toRemove = [...current].filter((x) => !wanted.has(x));
      } else if (change.op === 'add') {
        toAdd = change.ids;
      } else {
        toRemove = change.ids;
      }
      if (toAdd.length) {
        const known = await existingScimUserIds(trx, orgId, toAdd);
        const unknown = toAdd.filter((x) => !known.has(x));
        if (unknown.length) {
          throw new InvalidInput(
            `members names ${unknown.length} id(s) that are no user of this directory (${unknown.slice(0, 3).map((x) => JSON.stringify(x.slice(0, 64))).join(', ')}); provision the users first`,
            undefined,
            undefined,
            'value',
          );
        }
        for (const x of await addMembers(trx, orgId, groupId, toAdd)) touched.add(x), added++;
      }
      if (toRemove.length) for (const x of await removeMembers(trx, orgId, groupId, toRemove)) touched.add(x), removed++;
    }
    if (touched.size) await bumpScimUsers(trx, orgId, [...touched], now);
    const rolesChanged = touched.size ? await recomputeScimRoles(trx, orgId, { userIds: [...touched] }, now) : 0;
    return { added, removed, rolesChanged };
  }

  private async readGroup(db: DB | Trx, orgId: string, id: string, opts: ReadOptions): Promise<DirectoryGroup> {
    const group = await findScimGroup(db, orgId, id);
    if (!group) throw notFound('Group', id);
    const members = opts.withMembers === false ? null : (await membersOfGroups(db, orgId, [id])).get(id) ?? [];
    return { ...group, members };
  }

  // Role mappings -------------------------------------------------------------------------------------

  roles(): { id: Role; name: Role; displayName: string }[] {
    return [...ROLES].sort((a, b) => ROLE_RANK[a] - ROLE_RANK[b]).map((r) => ({ id: r, name: r, displayName: r.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') }));
  }

  roleMappings(actor: Actor) {
    return listGroupRoles(this.db, tenantOf(actor));
  }

  /** Maps a group to a portal role (null clears); its members' SCIM-assigned roles follow at once. */
  async mapGroupRole(actor: Actor, groupId: string, roleId: string | null): Promise<{ groupId: string; role: Role | null; usersUpdated: number }> {
    const orgId = tenantOf(actor);
    if (roleId !== null && !(ROLES as readonly string[]).includes(roleId)) {
      throw new InvalidInput(`names no system role; use one of ${ROLES.join(', ')}, or null to clear`, 'roleId');
    }
    const role = roleId as Role | null;
    const now = this.now();
    return this.write(orgId, async (trx) => {
      const group = await findScimGroup(trx, orgId, groupId);
      if (!group) throw new NotFound(`group ${groupId.slice(0, 64)} not found`);
      await setGroupRole(trx, orgId, groupId, role, now);
      const usersUpdated = await recomputeScimRoles(trx, orgId, { groupId }, now);
      await this.audit.append(trx, actor, {
        action: 'scim.group_role_mapped',
        orgId,
        targetType: 'group',
        targetId: groupId,
        details: { from: group.role, to: role, users_updated: usersUpdated },
      });
      return { groupId, role, usersUpdated };
    });
  }

  /** The role a group is mapped to, for the scope that keeps owner mappings to owners; null when unknown. */
  async groupRole(actor: Actor, groupId: string): Promise<Role | null> {
    return (await findScimGroup(this.db, tenantOf(actor), groupId))?.role ?? null;
  }

  /**
   * Every directory change runs with its organization locked: on PostgreSQL, two PATCHes of one user (or
   * two POSTs of one userName) then follow each other instead of one losing the other's update.
   */
  private write<T>(orgId: string, fn: (trx: Trx) => Promise<T>): Promise<T> {
    return inTransaction(this.db, async (trx) => {
      await lockOrganization(trx, orgId);
      return fn(trx);
    });
  }

  private query(resource: FilterableResource, q: ListQuery) {
    return {
      filter: q.filter ? parseFilter(resource, q.filter) : null,
      sort: parseSort(resource, q.sortBy, q.sortOrder),
      page: { offset: Math.max(1, q.startIndex) - 1, limit: Math.min(MAX_PAGE, Math.max(0, q.count)) },
    };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

function externalIdOf(doc: Document): string | null {
  return typeof doc.externalId === 'string' && doc.externalId !== '' ? doc.externalId : null;
}

/** The stored resource a write starts from: 404 when there is none, 412 when If-Match names another version. */
function checked<R extends { version: number }>(found: R | null, type: 'User' | 'Group', id: string, check?: VersionCheck): R {
  if (!found) throw notFound(type, id);
  if (check && !check(found.version)) throw preconditionFailed(found.version);
  return found;
}

function notFound(type: 'User' | 'Group', id: string): NotFound {
  return new NotFound(`${type} ${JSON.stringify(id.slice(0, 64))} not found`);
}

function preconditionFailed(version: number): PreconditionFailed {
  return new PreconditionFailed(`the resource has changed: its version is now W/"${version}"; read it again and retry`);
}
