import { randomBytes } from 'node:crypto';
import type { Role } from '../domain/vocabulary.js';
import { hashPassword } from '../auth/passwords.js';
import type { Clock } from '../clock.js';
import { type DB, type Trx, inTransaction } from '../db/database.js';
import { lockOrganization } from '../db/organizations.js';
import { findScimUser, setPortalDisabled } from '../db/directory.js';
import { deleteUserSessions } from '../db/sessions.js';
import {
  type User,
  countActiveOwners,
  deleteUser,
  findLoginAccount,
  findUser,
  findUsersByIds,
  insertUser,
  listUsers,
  updateUserFields,
} from '../db/users.js';
import { newId } from '../ids.js';
import { type Actor, tenantOf } from './actor.js';
import type { AuditService } from './audit.js';
import { Conflict, InvalidInput, NotFound } from '../domain/errors.js';
import * as v from './validate.js';

export interface NewUserInput {
  email: string;
  name: string;
  role: Role;
}

/**
 * Portal users of one organization. Who may call what is declared on the GraphQL fields; the rules here
 * are the ones that hold whoever calls: tenant scoping, the organization account's fixed role, and
 * that an organization never loses its last person with the owner role.
 */
export class UserService {
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  list(actor: Actor, page: { offset: number; limit: number }): Promise<User[]> {
    return listUsers(this.db, tenantOf(actor), page);
  }

  /** Users of the actor's organization by id (for a per-request loader); another org's ids find nothing. */
  findMany(actor: Actor, ids: readonly string[]): Promise<User[]> {
    return findUsersByIds(this.db, tenantOf(actor), ids);
  }

  /** Adds a person with a generated first password, returned once and never stored in plaintext. */
  async add(actor: Actor, input: NewUserInput): Promise<{ user: User; initialPassword: string }> {
    const orgId = tenantOf(actor);
    const email = v.email('email', input.email);
    const name = v.text('name', input.name, { max: 200 });
    const initialPassword = randomBytes(18).toString('base64url');
    const hash = await hashPassword(initialPassword);
    const now = this.clock.now().toISOString();
    const user: User = {
      id: newId('usr'),
      orgId,
      email,
      name,
      role: input.role,
      kind: 'person',
      status: 'active',
      source: 'manual',
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    };
    await inTransaction(this.db, async (trx) => {
      // Serialised with the directory's writes: a provider creating the same address meanwhile gets 409, not a 500.
      await lockOrganization(trx, orgId);
      if (await findLoginAccount(trx, orgId, email)) {
        throw new Conflict(`a user with email ${email} already exists in this organization`);
      }
      await insertUser(trx, user, hash);
      await this.audit.append(trx, actor, {
        action: 'user.created',
        orgId,
        targetType: 'user',
        targetId: user.id,
        details: { role: user.role },
      });
    });
    return { user, initialPassword };
  }

  async setRole(actor: Actor, userId: string, role: Role): Promise<User> {
    return this.change(actor, userId, async (trx, user) => {
      if (user.role === role) return user;
      if (user.role === 'owner') await this.keepAnOwner(trx, user, 'change the role of');
      // A role set by hand stays: SCIM recomputes only the roles it assigned.
      await updateUserFields(trx, user.id, { role, roleSource: 'manual' }, this.now());
      await this.audit.append(trx, actor, {
        action: 'user.role_changed',
        orgId: user.orgId,
        targetType: 'user',
        targetId: user.id,
        details: { from: user.role, to: role },
      });
      return { ...user, role };
    });
  }

  async setActive(actor: Actor, userId: string, active: boolean): Promise<User> {
    return this.change(actor, userId, async (trx, user) => {
      const status = active ? 'active' : 'disabled';
      if (user.status === status) return user;
      // A provisioned user signs in only while both say yes: the portal cannot undo the identity provider's
      // no, and the provider's next sync cannot undo the portal's (the portal's kill switch stays down).
      const provisioned = await findScimUser(trx, user.orgId, user.id);
      if (active && provisioned && !provisioned.active) {
        throw new Conflict('this user was deactivated by your identity provider (SCIM); reactivate them there');
      }
      if (provisioned) await setPortalDisabled(trx, user.orgId, user.id, !active);
      if (!active) {
        if (user.id === actor.id) throw new InvalidInput('names your own account, which you cannot disable', 'userId');
        if (user.role === 'owner') await this.keepAnOwner(trx, user, 'disable');
      }
      await updateUserFields(trx, user.id, { status }, this.now());
      const ended = active ? 0 : await deleteUserSessions(trx, user.id);
      await this.audit.append(trx, actor, {
        action: active ? 'user.enabled' : 'user.disabled',
        orgId: user.orgId,
        targetType: 'user',
        targetId: user.id,
        details: { sessions_ended: ended },
      });
      return { ...user, status };
    });
  }

  async remove(actor: Actor, userId: string): Promise<User> {
    return this.change(actor, userId, async (trx, user) => {
      if (user.id === actor.id) throw new InvalidInput('names your own account, which you cannot remove', 'userId');
      if (user.role === 'owner') await this.keepAnOwner(trx, user, 'remove');
      await deleteUser(trx, user.orgId, user.id);
      await this.audit.append(trx, actor, {
        action: 'user.removed',
        orgId: user.orgId,
        targetType: 'user',
        targetId: user.id,
        details: { role: user.role },
      });
      return user;
    });
  }

  private async change(actor: Actor, userId: string, fn: (trx: Trx, user: User) => Promise<User>): Promise<User> {
    const orgId = tenantOf(actor);
    return inTransaction(this.db, async (trx) => {
      // Two admins demoting the last two owners at once must not both pass the owner count.
      await lockOrganization(trx, orgId);
      // Scoped by the caller's organization: another org's id is simply not found.
      const user = await findUser(trx, orgId, userId);
      if (!user) throw new NotFound(`user ${userId} not found`);
      if (user.kind === 'organization') {
        throw new InvalidInput('names the organization account, which the operator manages; it cannot be changed here', 'userId');
      }
      return fn(trx, user);
    });
  }

  private async keepAnOwner(trx: Trx, user: User, verb: string): Promise<void> {
    if (user.status === 'active' && (await countActiveOwners(trx, user.orgId)) <= 1) {
      throw new Conflict(`cannot ${verb} the last owner; make another user an owner first`);
    }
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
