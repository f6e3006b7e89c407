import { randomBytes } from 'node:crypto';
import type { Role } from '../auth/permissions.js';
import { hashPassword } from '../auth/passwords.js';
import type { SessionPrincipal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { type DB, type Trx, inTransaction } from '../db/database.js';
import { lockOrganization } from '../db/organizations.js';
import { deleteUserSessions } from '../db/sessions.js';
import {
  type User,
  countActiveOwners,
  deleteUser,
  findLoginAccount,
  findUser,
  insertUser,
  listUsers,
  updateUserFields,
} from '../db/users.js';
import { newId } from '../ids.js';
import { type Actor, tenantOf } from './actor.js';
import type { AuditService } from './audit.js';
import { Conflict, InvalidInput, NotFound } from './errors.js';
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

  async setRole(actor: Actor, caller: SessionPrincipal, userId: string, role: Role): Promise<User> {
    return this.change(caller, userId, async (trx, user) => {
      if (user.role === role) return user;
      if (user.role === 'owner') await this.keepAnOwner(trx, user, 'change the role of');
      await updateUserFields(trx, user.id, { role }, this.now());
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

  async setActive(actor: Actor, caller: SessionPrincipal, userId: string, active: boolean): Promise<User> {
    return this.change(caller, userId, async (trx, user) => {
      const status = active ? 'active' : 'disabled';
      if (user.status === status) return user;
      if (!active) {
        if (user.id === caller.userId) throw new InvalidInput('you cannot disable your own account', 'user_id');
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

  async remove(actor: Actor, caller: SessionPrincipal, userId: string): Promise<User> {
    return this.change(caller, userId, async (trx, user) => {
      if (user.id === caller.userId) throw new InvalidInput('you cannot remove your own account', 'user_id');
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

  private async change(caller: SessionPrincipal, userId: string, fn: (trx: Trx, user: User) => Promise<User>): Promise<User> {
    return inTransaction(this.db, async (trx) => {
      // Two admins demoting the last two owners at once must not both pass the owner count.
      await lockOrganization(trx, caller.orgId);
      // Scoped by the caller's organization: another org's id is simply not found.
      const user = await findUser(trx, caller.orgId, userId);
      if (!user) throw new NotFound(`user ${userId} not found`);
      if (user.kind === 'organization') {
        throw new InvalidInput('the organization account is managed by the operator and cannot be changed here', 'user_id');
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
