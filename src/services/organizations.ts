import { checkPasswordPolicy, hashPassword } from '../auth/passwords.js';
import type { Clock } from '../clock.js';
import { type DB, type Trx, inTransaction } from '../db/database.js';
import {
  type Organization,
  type OrganizationFilter,
  caseDuplicateOrgIds,
  countOrganizations,
  findOrganization,
  insertOrganization,
  listOrganizations,
  updateOrganization,
} from '../db/organizations.js';
import { operatorModules, setOperatorModules } from '../db/modules.js';
import { deleteOrgSessions, deleteUserSessions } from '../db/sessions.js';
import { COMPLIANCE_MODULES, isComplianceModule } from '../domain/compliance.js';
import { findLoginAccount, insertUser, setPasswordHash, updateUserFields } from '../db/users.js';
import type { OrgStatus, Tier } from '../domain/vocabulary.js';
import { newId } from '../ids.js';
import { type Actor, type OperatorActor, actorLabel, tenantOf } from './actor.js';
import type { AuditService } from './audit.js';
import { Conflict, InvalidInput, NotFound } from '../domain/errors.js';
import * as v from './validate.js';

export const DEFAULT_MAX_NODES: Record<Tier, number> = { DEVELOPER: 5, PROFESSIONAL: 25, ENTERPRISE: 100, PLUS: 500 };
const ORG_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/;

export interface OrganizationInput {
  orgId: string;
  name: string;
  password?: string | null;
  tier?: Tier | null;
  status?: OrgStatus | null;
  maxNodes?: number | null;
  contactEmail?: string | null;
  contactPhone?: string | null;
  expiresAt?: string | null;
}

export type OrganizationPatch = { [K in Exclude<keyof OrganizationInput, 'orgId' | 'password'>]?: OrganizationInput[K] | null } & {
  /** The full list of modules the operator enables (a license enables its own besides). */
  modules?: readonly string[] | null;
};

/**
 * Called inside the transaction that sets an organization's licensed terms: at creation (before is null) and
 * whenever tier, max_nodes or expiry change. Licenses hook in here.
 */
export type TermsHook = (trx: Trx, before: Organization | null, after: Organization, actor: Actor) => Promise<void>;

export class OrganizationService {
  private readonly onTerms: TermsHook[] = [];

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  whenTermsChange(hook: TermsHook): void {
    this.onTerms.push(hook);
  }

  /** The actor's own organization (a session's, an API key's): the id comes from the principal. */
  own(actor: Actor): Promise<Organization | null> {
    return findOrganization(this.db, tenantOf(actor));
  }

  /** Org ids that differ only in case, kept apart from before the rule that forbids them: to report, never to merge. */
  caseDuplicates(): Promise<string[][]> {
    return caseDuplicateOrgIds(this.db);
  }

  private async require(orgId: string): Promise<Organization> {
    const org = await findOrganization(this.db, orgId);
    if (!org) throw new NotFound(`organization ${orgId} not found`);
    return org;
  }

  async list(actor: OperatorActor, filter: OrganizationFilter, page: { offset: number; limit: number }) {
    await this.audit.record(actor, {
      action: 'admin.organizations_listed',
      orgId: null,
      details: { status: filter.status ?? null, tier: filter.tier ?? null },
    });
    const [items, total] = await Promise.all([
      listOrganizations(this.db, filter, page),
      countOrganizations(this.db, filter),
    ]);
    return { items, total };
  }

  async read(actor: OperatorActor, orgId: string): Promise<Organization> {
    const org = await this.require(orgId);
    await this.audit.record(actor, { action: 'admin.organization_read', orgId: org.orgId, targetType: 'organization', targetId: org.orgId });
    return org;
  }

  /** POST semantics of the admin API: create, or update every field given. */
  async upsert(actor: OperatorActor, input: OrganizationInput): Promise<{ organization: Organization; created: boolean }> {
    const orgId = input.orgId.trim();
    if (!ORG_ID.test(orgId)) {
      throw new InvalidInput('must be 2 to 64 letters, digits, "-" or "_", starting with a letter or digit', 'orgId');
    }
    const name = v.text('name', input.name, { max: 200 });
    if (input.password != null) checkPasswordPolicy(input.password);
    const passwordHash = input.password != null ? await hashPassword(input.password) : null;
    const now = this.clock.now().toISOString();

    return inTransaction(this.db, async (trx) => {
      const existing = await findOrganization(trx, orgId);
      if (existing) return this.upsertExisting(trx, actor, existing, { ...input, name }, passwordHash, now);
      const tier = input.tier ?? 'DEVELOPER';
      const oneYear = new Date(this.clock.now().getTime() + 365 * 86400_000).toISOString();
      const organization: Organization = {
        orgId,
        name,
        tier,
        status: input.status ?? 'ACTIVE',
        maxNodes: input.maxNodes != null ? v.integer('maxNodes', input.maxNodes, 0, 1_000_000) : DEFAULT_MAX_NODES[tier],
        contactEmail: input.contactEmail ? v.email('contactEmail', input.contactEmail) : null,
        contactPhone: v.optionalText('contactPhone', input.contactPhone, 40),
        expiresAt: input.expiresAt ? v.dateOrTimestamp('expiresAt', input.expiresAt) : oneYear,
        createdAt: now,
        updatedAt: now,
      };
      if (!(await insertOrganization(trx, organization))) {
        // A concurrent POST created it first: this one is the update the caller asked for.
        const winner = await findOrganization(trx, orgId);
        if (!winner) throw new Conflict(`organization ${orgId} is being created by another request; retry`);
        return this.upsertExisting(trx, actor, winner, { ...input, name }, passwordHash, now);
      }
      // The account behind the organization password: the org's built-in owner.
      await insertUser(
        trx,
        {
          id: newId('usr'),
          orgId,
          email: organization.contactEmail ?? '',
          name: organization.name,
          role: 'owner',
          kind: 'organization',
          status: 'active',
          source: 'org',
          createdAt: now,
          updatedAt: now,
          lastLoginAt: null,
        },
        passwordHash,
      );
      await this.audit.append(trx, actor, {
        action: 'organization.created',
        orgId,
        targetType: 'organization',
        targetId: orgId,
        details: { tier, status: organization.status, max_nodes: organization.maxNodes, password_set: passwordHash !== null },
      });
      for (const hook of this.onTerms) await hook(trx, null, organization, actor);
      return { organization, created: true };
    });
  }

  private async upsertExisting(
    trx: Trx,
    actor: Actor,
    existing: Organization,
    patch: OrganizationPatch,
    passwordHash: string | null,
    now: string,
  ): Promise<{ organization: Organization; created: boolean }> {
    const organization = this.applyPatch(existing, patch, now);
    await updateOrganization(trx, organization);
    await this.afterChange(trx, actor, existing, organization, passwordHash);
    return { organization, created: false };
  }

  async update(actor: OperatorActor, orgId: string, patch: OrganizationPatch): Promise<Organization> {
    const now = this.clock.now().toISOString();
    return inTransaction(this.db, async (trx) => {
      const existing = await findOrganization(trx, orgId);
      if (!existing) throw new NotFound(`organization ${orgId} not found`);
      const organization = this.applyPatch(existing, patch, now);
      const modules = patch.modules != null ? moduleList(patch.modules) : null;
      await updateOrganization(trx, organization);
      await this.afterChange(trx, actor, existing, organization, null);
      if (modules) await this.setModules(trx, actor, organization.orgId, modules, now);
      return organization;
    });
  }

  private async setModules(trx: Trx, actor: Actor, orgId: string, modules: string[], now: string): Promise<void> {
    const before = await operatorModules(trx, orgId);
    await setOperatorModules(trx, orgId, modules, actorLabel(actor), now);
    await this.audit.append(trx, actor, {
      action: 'organization.modules_set',
      orgId,
      targetType: 'organization',
      targetId: orgId,
      details: { modules, before },
    });
  }

  /** The operator sets the organization password; sessions opened with the old one end. */
  async setPassword(actor: OperatorActor, orgId: string, password: string): Promise<Organization> {
    checkPasswordPolicy(password);
    const hash = await hashPassword(password);
    return inTransaction(this.db, async (trx) => {
      const org = await findOrganization(trx, orgId);
      if (!org) throw new NotFound(`organization ${orgId} not found`);
      await this.setOrgAccountPassword(trx, actor, org, hash);
      return org;
    });
  }

  private applyPatch(existing: Organization, patch: OrganizationPatch, now: string): Organization {
    return {
      ...existing,
      name: patch.name != null ? v.text('name', patch.name, { max: 200 }) : existing.name,
      tier: patch.tier ?? existing.tier,
      status: patch.status ?? existing.status,
      maxNodes: patch.maxNodes != null ? v.integer('maxNodes', patch.maxNodes, 0, 1_000_000) : existing.maxNodes,
      contactEmail:
        patch.contactEmail === undefined
          ? existing.contactEmail
          : patch.contactEmail
            ? v.email('contactEmail', patch.contactEmail)
            : null,
      contactPhone: patch.contactPhone === undefined ? existing.contactPhone : v.optionalText('contactPhone', patch.contactPhone, 40),
      expiresAt: patch.expiresAt ? v.dateOrTimestamp('expiresAt', patch.expiresAt) : existing.expiresAt,
      updatedAt: now,
    };
  }

  private async afterChange(
    trx: Trx,
    actor: Actor,
    before: Organization,
    after: Organization,
    passwordHash: string | null,
  ): Promise<void> {
    const changed = (Object.keys(after) as (keyof Organization)[]).filter(
      (k) => k !== 'updatedAt' && before[k] !== after[k],
    );
    let sessionsEnded = 0;
    // Anything but ACTIVE closes the doors at once: sessions go now, keys and tokens check status per request.
    if (before.status === 'ACTIVE' && after.status !== 'ACTIVE') sessionsEnded = await deleteOrgSessions(trx, after.orgId);
    if (before.contactEmail !== after.contactEmail || before.name !== after.name) {
      const account = await findLoginAccount(trx, after.orgId, null);
      if (account) {
        await updateUserFields(trx, account.user.id, { email: after.contactEmail ?? '', name: after.name }, after.updatedAt);
      }
    }
    await this.audit.append(trx, actor, {
      action: before.status !== after.status ? `organization.${after.status.toLowerCase()}` : 'organization.updated',
      orgId: after.orgId,
      targetType: 'organization',
      targetId: after.orgId,
      details: { changed, status: after.status, sessions_ended: sessionsEnded },
    });
    if (passwordHash) await this.setOrgAccountPassword(trx, actor, after, passwordHash);
    if (before.tier !== after.tier || before.maxNodes !== after.maxNodes || before.expiresAt !== after.expiresAt) {
      for (const hook of this.onTerms) await hook(trx, before, after, actor);
    }
  }

  private async setOrgAccountPassword(trx: Trx, actor: Actor, org: Organization, hash: string): Promise<void> {
    const account = await findLoginAccount(trx, org.orgId, null);
    if (!account) throw new NotFound(`organization ${org.orgId} has no organization account`);
    await setPasswordHash(trx, account.user.id, hash, this.clock.now().toISOString());
    const ended = await deleteUserSessions(trx, account.user.id);
    await this.audit.append(trx, actor, {
      action: 'organization.password_set',
      orgId: org.orgId,
      targetType: 'user',
      targetId: account.user.id,
      details: { sessions_ended: ended },
    });
  }
}

function moduleList(modules: readonly string[]): string[] {
  for (const [i, m] of modules.entries()) {
    if (!isComplianceModule(m)) throw new InvalidInput(`is not a module: expected one of ${COMPLIANCE_MODULES.join(', ')}`, `modules[${i}]`);
  }
  return [...new Set(modules)].sort();
}
