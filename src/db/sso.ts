import { type ClaimMapping, DEFAULT_CLAIM_MAPPING, type SsoConfig, type SsoProtocol, type SsoProvider } from '../domain/sso.js';
import type { Executor } from './database.js';
import { findOrganization } from './organizations.js';
import type { SsoConfigsTable, SsoLoginRequestsTable } from './tables/sso.js';

/** A configuration as stored, with its sealed secret (the service opens it, no face ever sees it). */
export interface StoredSsoConfig extends SsoConfig {
  sealedClientSecret: string | null;
}

function toConfig(r: SsoConfigsTable): StoredSsoConfig {
  return {
    orgId: r.org_id,
    protocol: r.protocol as SsoProtocol,
    provider: r.provider as SsoProvider,
    enabled: r.enabled === 1,
    enforceSso: r.enforce_sso === 1,
    idpEntityId: r.idp_entity_id,
    idpSsoUrl: r.idp_sso_url,
    idpCertificate: r.idp_certificate,
    idpMetadataUrl: r.idp_metadata_url,
    emailDomains: JSON.parse(r.email_domains) as string[],
    oidcIssuer: r.oidc_issuer,
    oidcAudience: r.oidc_audience,
    oidcJwksUri: r.oidc_jwks_uri,
    oidcClaimMapping: { ...DEFAULT_CLAIM_MAPPING, ...(r.oidc_claim_mapping ? (JSON.parse(r.oidc_claim_mapping) as Partial<ClaimMapping>) : {}) },
    oidcClientSecretSet: r.oidc_client_secret !== null,
    sealedClientSecret: r.oidc_client_secret,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(c: StoredSsoConfig): SsoConfigsTable {
  return {
    org_id: c.orgId,
    protocol: c.protocol,
    provider: c.provider,
    enabled: c.enabled ? 1 : 0,
    enforce_sso: c.enforceSso ? 1 : 0,
    idp_entity_id: c.idpEntityId,
    idp_sso_url: c.idpSsoUrl,
    idp_certificate: c.idpCertificate,
    idp_metadata_url: c.idpMetadataUrl,
    email_domains: JSON.stringify(c.emailDomains),
    oidc_issuer: c.oidcIssuer,
    oidc_audience: c.oidcAudience,
    oidc_jwks_uri: c.oidcJwksUri,
    oidc_claim_mapping: c.protocol === 'oidc' ? JSON.stringify(c.oidcClaimMapping) : null,
    oidc_client_secret: c.sealedClientSecret,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

export async function findSsoConfig(db: Executor, orgId: string): Promise<StoredSsoConfig | null> {
  const r = await db.selectFrom('sso_configs').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  return r ? toConfig(r) : null;
}

/** The configuration of the organization an id names, in whatever case it is typed (org ids are case-insensitive). */
export async function findOrgSsoConfig(db: Executor, orgId: string): Promise<StoredSsoConfig | null> {
  if (orgId.length > 128) return null;
  const org = await findOrganization(db, orgId);
  return org ? findSsoConfig(db, org.orgId) : null;
}

/** False when the organization already has one (the caller answers 409). */
export async function insertSsoConfig(db: Executor, c: StoredSsoConfig): Promise<boolean> {
  const r = await db.insertInto('sso_configs').values(toRow(c)).onConflict((oc) => oc.column('org_id').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** False when there is none to replace (removed meanwhile). */
export async function replaceSsoConfig(db: Executor, c: StoredSsoConfig): Promise<boolean> {
  const { org_id: _org, created_at: _created, ...rest } = toRow(c);
  const r = await db.updateTable('sso_configs').set(rest).where('org_id', '=', c.orgId).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteSsoConfig(db: Executor, orgId: string): Promise<boolean> {
  const r = await db.deleteFrom('sso_configs').where('org_id', '=', orgId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Every sealed client secret, for rotate-secrets. */
export async function listSealedClientSecrets(db: Executor): Promise<{ orgId: string; sealed: string }[]> {
  const rows = await db.selectFrom('sso_configs').select(['org_id', 'oidc_client_secret']).where('oidc_client_secret', 'is not', null).execute();
  return rows.map((r) => ({ orgId: r.org_id, sealed: r.oidc_client_secret! }));
}

/** Compare-and-set, so two rotations running at once cannot lose a value. */
export async function resealClientSecret(db: Executor, orgId: string, from: string, to: string): Promise<boolean> {
  const r = await db.updateTable('sso_configs').set({ oidc_client_secret: to }).where('org_id', '=', orgId).where('oidc_client_secret', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export type LoginRequest = SsoLoginRequestsTable;

export async function insertLoginRequest(db: Executor, r: LoginRequest): Promise<void> {
  await db.insertInto('sso_login_requests').values(r).execute();
}

/**
 * Takes a login request once: the row of this org and protocol, bound to this browser, unexpired and not
 * taken before. The update is the check, so two callbacks racing with the same state cannot both win.
 */
export async function consumeLoginRequest(
  db: Executor,
  q: { id: string; orgId: string; protocol: SsoProtocol; browserDigest: string; now: string },
): Promise<LoginRequest | null> {
  const taken = await db
    .updateTable('sso_login_requests')
    .set({ consumed_at: q.now })
    .where('id', '=', q.id)
    .where('org_id', '=', q.orgId)
    .where('protocol', '=', q.protocol)
    .where('browser_digest', '=', q.browserDigest)
    .where('expires_at', '>', q.now)
    .where('consumed_at', 'is', null)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return null;
  return (await db.selectFrom('sso_login_requests').selectAll().where('id', '=', q.id).executeTakeFirst()) ?? null;
}

/** Why a request could not be taken, for the audit (never for the browser). */
export async function loginRequestState(db: Executor, id: string): Promise<LoginRequest | null> {
  return (await db.selectFrom('sso_login_requests').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** False when the assertion id was seen before: a replay. */
export async function rememberAssertionId(db: Executor, orgId: string, assertionId: string, expiresAt: string): Promise<boolean> {
  const r = await db
    .insertInto('sso_assertion_ids')
    .values({ org_id: orgId, assertion_id: assertionId, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['org_id', 'assertion_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function pruneSsoState(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('sso_login_requests').where('expires_at', '<', now).execute();
  await db.deleteFrom('sso_assertion_ids').where('expires_at', '<', now).execute();
}

export async function findIdentityUser(db: Executor, orgId: string, idp: string, subject: string): Promise<string | null> {
  const r = await db
    .selectFrom('sso_identities')
    .select('user_id')
    .where('org_id', '=', orgId)
    .where('idp', '=', idp)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return r?.user_id ?? null;
}

export async function insertIdentity(db: Executor, orgId: string, idp: string, subject: string, userId: string, at: string): Promise<void> {
  await db.insertInto('sso_identities').values({ org_id: orgId, idp, subject, user_id: userId, created_at: at, last_login_at: at }).execute();
}

export async function touchIdentity(db: Executor, orgId: string, idp: string, subject: string, at: string): Promise<void> {
  await db.updateTable('sso_identities').set({ last_login_at: at }).where('org_id', '=', orgId).where('idp', '=', idp).where('subject', '=', subject).execute();
}

/** A user SCIM provisioned whose userName or externalId is the IdP's subject: the same directory, the same person. */
export async function findScimUserBySubject(db: Executor, orgId: string, subject: string): Promise<string | null> {
  const r = await db
    .selectFrom('scim_users')
    .select('id')
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('user_name', '=', subject.toLowerCase()), eb('external_id', '=', subject)]))
    .limit(1)
    .executeTakeFirst();
  return r?.id ?? null;
}

/** Whether the organization has a SCIM token that still works: its directory is then the list of who belongs. */
export async function provisionsThroughScim(db: Executor, orgId: string, now: string): Promise<boolean> {
  const r = await db
    .selectFrom('scim_tokens')
    .select('id')
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

export async function scimUserActive(db: Executor, userId: string): Promise<boolean | null> {
  const r = await db.selectFrom('scim_users').select('active').where('id', '=', userId).executeTakeFirst();
  return r ? r.active === 1 : null;
}

