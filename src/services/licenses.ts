import { type JsonWebKey, type KeyObject, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { type Trx, inTransaction } from '../db/database.js';
import { type StoredLicense, findCurrentLicense, insertLicense, nextLicenseSeq } from '../db/licenses.js';
import { findOrganization, updateOrganization } from '../db/organizations.js';
import { COMPLIANCE_MODULES } from '../domain/compliance.js';
import { TIERS, type Tier } from '../domain/vocabulary.js';
import { newId } from '../ids.js';
import {
  LICENSE_AUDIENCE,
  type LicensePayload,
  type VerifyResult,
  keyPrefix,
  licenseStatus,
  loadSigningKey,
  publicKeyDocument,
  signLicense,
  verifyLicense,
} from '../licenses/license-format.js';
import { type Actor, type OperatorActor, tenantOf } from './actor.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInput, NotFound } from '../domain/errors.js';
import { DEFAULT_MAX_NODES } from './organizations.js';
import * as v from './validate.js';

/** Product features a license can switch on. */
export const LICENSE_FEATURES = ['sso', 'scim', 'deployments'] as const;
export const LICENSE_PERMISSIONS = [...LICENSE_FEATURES, ...COMPLIANCE_MODULES] as const;
export type LicensePermission = (typeof LICENSE_PERMISSIONS)[number];

/** What a license of each tier carries unless the operator lists permissions explicitly. */
export const TIER_PERMISSIONS: Record<Tier, readonly LicensePermission[]> = {
  DEVELOPER: [],
  PROFESSIONAL: ['sso', 'deployments'],
  ENTERPRISE: ['sso', 'scim', 'deployments', 'eu_ai_act', 'hitl'],
  PLUS: LICENSE_PERMISSIONS,
};

export type LicenseState = 'valid' | 'expiring' | 'expired' | 'invalid';

/** An organization's license as verified just now. Never holds the key itself. */
export interface LicenseView {
  licenseId: string;
  orgId: string;
  /** The remaining fields come from the signed payload; when status is invalid, from the stored row (null if unreadable). */
  tier: Tier | null;
  issuedAt: string | null;
  expiresAt: string | null;
  maxNodes: number | null;
  permissions: string[];
  status: LicenseState;
  daysRemaining: number;
  keyPrefix: string;
  /** Why the license is invalid or expired; null otherwise. */
  reason: string | null;
}

export interface LicenseSummary {
  status: LicenseState | 'missing';
  expiresAt: string | null;
  daysRemaining: number;
}

export interface IssueLicenseInput {
  tier?: string | null;
  validityDays?: number | null;
  maxNodes?: number | null;
  permissions?: readonly string[] | null;
}

/** The answer to the operator who issued a license: the only place the whole key is returned. */
export interface IssuedLicense {
  licenseKey: string;
  licenseId: string;
  orgId: string;
  tier: Tier;
  maxNodes: number;
  permissions: string[];
  issuedAt: string;
  expiresAt: string;
}

interface Terms {
  tier: Tier;
  maxNodes: number;
  permissions: string[];
  expiresAt: string;
}

const DAY_MS = 86_400_000;
const DEFAULT_VALIDITY_DAYS = 365;
const ISO_START = /^\d{4}-\d{2}-\d{2}T/;

const VERDICTS_KEPT = 1000;

export class LicenseService {
  private readonly signingKey: KeyObject;
  private readonly verifyKey: KeyObject;
  /**
   * Verdicts on license keys already checked. A verdict is a pure function of the key's text and this
   * service's public key, so it can be kept; reading a license on every request would otherwise verify
   * an Ed25519 signature every time. Bounded, oldest out first.
   */
  private readonly verdicts = new Map<string, VerifyResult>();
  private readonly publicDocument: { pem: string; jwk: JsonWebKey };

  constructor(private readonly deps: ServiceDeps) {
    // Start-up work: a bad key stops the process here, not on the first request.
    this.signingKey = loadSigningKey(deps.config.licenseSigningKeyPem);
    this.verifyKey = createPublicKey(this.signingKey);
    this.publicDocument = publicKeyDocument(this.verifyKey);

    // The license follows the organization's terms: issued at creation, reissued when tier, max_nodes or
    // expiry change. Permissions an operator chose survive a change that keeps the tier.
    deps.organizations.whenTermsChange(async (trx, before, org, actor) => {
      const now = this.deps.clock.now().getTime();
      const expires = Date.parse(org.expiresAt);
      // A signed license must expire after it was issued: an org created already expired gets an expired license.
      const issuedAt = new Date(expires > now ? now : expires - DAY_MS).toISOString();
      const kept = before && before.tier === org.tier ? (await findCurrentLicense(trx, org.orgId))?.permissions : null;
      const terms: Terms = {
        tier: org.tier,
        maxNodes: org.maxNodes,
        permissions: kept ? kept.filter((x) => (LICENSE_PERMISSIONS as readonly string[]).includes(x)) : [...TIER_PERMISSIONS[org.tier]],
        expiresAt: new Date(expires).toISOString(),
      };
      await this.write(trx, actor, org.orgId, terms, issuedAt);
    });
  }

  /**
   * Issues a new license (operator). Fields not given come from the organization: its tier, its max_nodes
   * (the new tier's default when the tier changes), its expiry while that is in the future (else one year),
   * and the tier's permissions. The organization takes the license's tier, max_nodes and expiry.
   */
  async issue(actor: OperatorActor, orgId: string, input: IssueLicenseInput = {}): Promise<IssuedLicense> {
    const tier = input.tier != null ? tierOf(input.tier) : null;
    const validityDays = input.validityDays != null ? v.integer('validityDays', input.validityDays, 1, 3650) : null;
    const maxNodes = input.maxNodes != null ? v.integer('maxNodes', input.maxNodes, 0, 1_000_000) : null;
    const permissions = input.permissions != null ? permissionsOf(input.permissions) : null;

    return inTransaction(this.deps.db, async (trx) => {
      const org = await findOrganization(trx, orgId);
      if (!org) throw new NotFound(`organization ${orgId} not found`);
      const now = this.deps.clock.now();
      const newTier = tier ?? org.tier;
      const orgExpiry = Date.parse(org.expiresAt);
      const terms: Terms = {
        tier: newTier,
        maxNodes: maxNodes ?? (newTier === org.tier ? org.maxNodes : DEFAULT_MAX_NODES[newTier]),
        permissions: permissions ?? [...TIER_PERMISSIONS[newTier]],
        expiresAt:
          validityDays !== null
            ? new Date(now.getTime() + validityDays * DAY_MS).toISOString()
            : orgExpiry > now.getTime()
              ? new Date(orgExpiry).toISOString()
              : new Date(now.getTime() + DEFAULT_VALIDITY_DAYS * DAY_MS).toISOString(),
      };
      // Updating the organization first also takes its row lock on PostgreSQL, serialising issuance per org.
      await updateOrganization(trx, {
        ...org,
        tier: terms.tier,
        maxNodes: terms.maxNodes,
        expiresAt: terms.expiresAt,
        updatedAt: now.toISOString(),
      });
      return this.write(trx, actor, org.orgId, terms, now.toISOString());
    });
  }

  /** The actor's organization's current license, verified with the public key now; null when it has none. */
  current(actor: Actor): Promise<LicenseView | null> {
    return this.currentOf(tenantOf(actor));
  }

  private async currentOf(orgId: string): Promise<LicenseView | null> {
    const row = await findCurrentLicense(this.deps.db, orgId);
    return row ? this.view(row) : null;
  }

  /** The operator's view of any organization's license (no key); audited like every admin read. */
  async read(actor: OperatorActor, orgId: string): Promise<LicenseView | null> {
    const org = await findOrganization(this.deps.db, orgId);
    if (!org) throw new NotFound(`organization ${orgId} not found`);
    await this.deps.audit.record(actor, { action: 'admin.license_read', orgId: org.orgId, targetType: 'organization', targetId: org.orgId });
    return this.currentOf(org.orgId);
  }

  /** What a heartbeat needs to know: the status of the current license ('missing' when there is none). */
  async statusFor(actor: Actor): Promise<LicenseSummary> {
    const license = await this.current(actor);
    if (!license) return { status: 'missing', expiresAt: null, daysRemaining: 0 };
    return { status: license.status, expiresAt: license.expiresAt, daysRemaining: license.daysRemaining };
  }

  /** What the organization's current license grants: its permissions while it is valid or expiring, else nothing. */
  async grantsOf(orgId: string): Promise<readonly string[]> {
    const license = await this.currentOf(orgId);
    return license && (license.status === 'valid' || license.status === 'expiring') ? license.permissions : [];
  }

  /** Signs a document (an export manifest) with the service's Ed25519 key: the one publicKey() publishes. */
  sign(data: Buffer): string {
    return cryptoSign(null, data, this.signingKey).toString('base64url');
  }

  /** The verification key, for anyone who wants to check a license offline. */
  publicKey(): { pem: string; jwk: JsonWebKey } {
    return { pem: this.publicDocument.pem, jwk: { ...this.publicDocument.jwk } };
  }

  private async write(trx: Trx, actor: Actor, orgId: string, terms: Terms, issuedAt: string): Promise<IssuedLicense> {
    const licenseId = newId('lic');
    const payload: LicensePayload = {
      license_id: licenseId,
      tier: terms.tier,
      org_id: orgId,
      permissions: terms.permissions,
      max_nodes: terms.maxNodes,
      issued_at: issuedAt,
      expires_at: terms.expiresAt,
      aud: LICENSE_AUDIENCE,
    };
    const licenseKey = signLicense(payload, this.signingKey);
    await insertLicense(trx, {
      id: licenseId,
      orgId,
      seq: await nextLicenseSeq(trx, orgId),
      licenseKey,
      tier: terms.tier,
      maxNodes: terms.maxNodes,
      permissions: terms.permissions,
      issuedAt,
      expiresAt: terms.expiresAt,
      createdAt: this.deps.clock.now().toISOString(),
      issuedBy: `${actor.type}:${actor.id ?? '-'}`,
    });
    await this.deps.audit.append(trx, actor, {
      action: 'license.issued',
      orgId,
      targetType: 'license',
      targetId: licenseId,
      details: {
        key_prefix: keyPrefix(licenseKey),
        tier: terms.tier,
        max_nodes: terms.maxNodes,
        permissions: terms.permissions,
        issued_at: issuedAt,
        expires_at: terms.expiresAt,
      },
    });
    return { licenseKey, licenseId, orgId, ...terms, issuedAt };
  }

  private view(row: StoredLicense): LicenseView {
    const checked = this.check(row);
    const prefix = keyPrefix(row.licenseKey);
    if (!checked.ok) {
      return {
        licenseId: row.id,
        orgId: row.orgId,
        tier: (TIERS as readonly string[]).includes(row.tier) ? (row.tier as Tier) : null,
        issuedAt: isoOrNull(row.issuedAt),
        expiresAt: isoOrNull(row.expiresAt),
        maxNodes: Number.isSafeInteger(row.maxNodes) ? row.maxNodes : null,
        permissions: row.permissions ?? [],
        status: 'invalid',
        daysRemaining: 0,
        keyPrefix: prefix,
        reason: checked.reason,
      };
    }
    const p = checked.payload;
    const { status, daysRemaining } = licenseStatus(p, this.deps.clock.now());
    return {
      licenseId: p.license_id,
      orgId: p.org_id,
      tier: p.tier,
      issuedAt: p.issued_at,
      expiresAt: p.expires_at,
      maxNodes: p.max_nodes,
      permissions: p.permissions,
      status,
      daysRemaining,
      keyPrefix: prefix,
      reason: status === 'expired' ? `the license expired at ${p.expires_at}` : null,
    };
  }

  /** A genuine signature is not enough: the key must be this row's, for this organization. */
  private check(row: StoredLicense): VerifyResult {
    let result = this.verdicts.get(row.licenseKey);
    if (!result) {
      result = verifyLicense(row.licenseKey, this.verifyKey);
      if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(row.licenseKey, result);
    }
    if (!result.ok) return result;
    const p = result.payload;
    const fail = (reason: string): VerifyResult => ({ ok: false, reason });
    if (p.org_id !== row.orgId) return fail('the license was issued to another organization');
    if (p.license_id !== row.id) return fail('the license key does not belong to this license record');
    const mismatched = [
      p.tier !== row.tier && 'tier',
      p.max_nodes !== row.maxNodes && 'max_nodes',
      p.issued_at !== row.issuedAt && 'issued_at',
      p.expires_at !== row.expiresAt && 'expires_at',
      JSON.stringify(p.permissions) !== JSON.stringify(row.permissions) && 'permissions',
    ].filter((x): x is string => typeof x === 'string');
    if (mismatched.length > 0) {
      return fail(`the stored license record does not match its signed key (${mismatched.join(', ')})`);
    }
    return result;
  }
}

function tierOf(value: string): Tier {
  if (!(TIERS as readonly string[]).includes(value)) throw new InvalidInput(`must be one of ${TIERS.join(', ')}`, 'tier');
  return value as Tier;
}

/** Known names only, in catalogue order, each once. */
function permissionsOf(list: readonly string[]): string[] {
  const unknown = list.filter((p) => !(LICENSE_PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new InvalidInput(
      `holds an unknown permission ${JSON.stringify(String(unknown[0]).slice(0, 64))}; known: ${LICENSE_PERMISSIONS.join(', ')}`,
      'permissions',
    );
  }
  return LICENSE_PERMISSIONS.filter((p) => list.includes(p));
}

function isoOrNull(value: string): string | null {
  const t = Date.parse(value);
  if (!ISO_START.test(value) || Number.isNaN(t)) return null;
  const iso = new Date(t).toISOString();
  return ISO_START.test(iso) ? iso : null;
}
