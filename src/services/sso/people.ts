import { type Trx } from '../../db/database.js';
import { lockOrganization } from '../../db/organizations.js';
import { findIdentityUser, findScimUserBySubject, insertIdentity, provisionsThroughScim, scimUserActive, touchIdentity } from '../../db/sso.js';
import type { SsoProtocol } from '../../domain/sso.js';
import { type User, findLoginAccount, findUser, insertUser, updateUserFields } from '../../db/users.js';
import { newId } from '../../ids.js';
import { SsoRefusal } from './refusal.js';

export interface AssertedPerson {
  orgId: string;
  /** The SAML IdP entity id or the OIDC issuer. */
  idp: string;
  subject: string;
  email: string | null;
  name: string | null;
}

/** The least privilege: what a person the directory has not mapped to a role gets. */
const FIRST_LOGIN_ROLE = 'viewer';

/**
 * The portal user behind an SSO identity, inside the login's transaction. Identities are keyed by (org,
 * IdP, subject): the first login links a user SCIM provisioned for the same subject, or creates one; it
 * never takes over an account because the email matches (an IdP admin could assert anyone's address).
 */
/** When a person nobody provisioned may be created at their first login. */
export interface SignUpRule {
  protocol: SsoProtocol;
  emailDomains: string[];
}

export async function personFor(trx: Trx, p: AssertedPerson, rule: SignUpRule, now: string): Promise<User> {
  await lockOrganization(trx, p.orgId);
  const known = await findIdentityUser(trx, p.orgId, p.idp, p.subject);
  if (known) {
    const user = await findUser(trx, p.orgId, known);
    if (!user) throw new SsoRefusal('the linked portal user no longer exists', p);
    await usable(trx, user, p);
    await touchIdentity(trx, p.orgId, p.idp, p.subject, now);
    return refresh(trx, user, p, now);
  }
  const provisioned = await findScimUserBySubject(trx, p.orgId, p.subject);
  if (provisioned) {
    const user = await findUser(trx, p.orgId, provisioned);
    if (user) {
      await usable(trx, user, p);
      await insertIdentity(trx, p.orgId, p.idp, p.subject, user.id, now);
      return refresh(trx, user, p, now);
    }
  }
  if (!p.email) throw new SsoRefusal('the IdP sent no email address for a person this organization does not know yet', p);
  // An OIDC issuer may vouch for people of many organizations (Google, Entra's common endpoint, Auth0 social).
  if (rule.protocol === 'oidc' && rule.emailDomains.length === 0) {
    throw new SsoRefusal('first logins through OIDC create users only for email_domains, and none are configured (the issuer may vouch for people outside this organization)', p);
  }
  if (await findLoginAccount(trx, p.orgId, p.email)) {
    throw new SsoRefusal(
      `a portal user with email ${p.email} exists but is not linked to this identity provider; an existing account is never taken over by email (provision it through SCIM with userName = the IdP subject, or remove the old account)`,
      p,
    );
  }
  // A directory that provisions through SCIM is the list of who belongs: someone it removed or never sent
  // does not come back through a login.
  if (await provisionsThroughScim(trx, p.orgId, now)) {
    throw new SsoRefusal('this organization provisions people through SCIM and this person is not provisioned; assign them in the identity provider', p);
  }
  const user: User = {
    id: newId('usr'),
    orgId: p.orgId,
    email: p.email,
    name: (p.name ?? p.email).slice(0, 200),
    role: FIRST_LOGIN_ROLE,
    kind: 'person',
    status: 'active',
    source: 'sso',
    createdAt: now,
    updatedAt: now,
    lastLoginAt: null,
  };
  await insertUser(trx, user, null);
  await insertIdentity(trx, p.orgId, p.idp, p.subject, user.id, now);
  return user;
}

async function usable(trx: Trx, user: User, p: AssertedPerson): Promise<void> {
  if (user.status !== 'active') throw new SsoRefusal('the portal user is deactivated', p);
  if ((await scimUserActive(trx, user.id)) === false) throw new SsoRefusal('the user is deactivated in the directory (SCIM active: false)', p);
}

/** Later logins carry the IdP's current name and email; an email another user already has is left as it was. */
async function refresh(trx: Trx, user: User, p: AssertedPerson, now: string): Promise<User> {
  const fields: { email?: string; name?: string } = {};
  if (p.name && p.name !== user.name) fields.name = p.name.slice(0, 200);
  if (p.email && p.email.toLowerCase() !== user.email.toLowerCase()) {
    const holder = await findLoginAccount(trx, p.orgId, p.email);
    if (!holder) fields.email = p.email;
  }
  if (Object.keys(fields).length === 0) return user;
  await updateUserFields(trx, user.id, fields, now);
  return { ...user, ...fields, updatedAt: now };
}
