import type { SecretBox } from '../../crypto/secret-box.js';
import { inTransaction } from '../../db/database.js';
import { findOrganization, lockOrganization } from '../../db/organizations.js';
import { deleteSsoConfig, findOrgSsoConfig, findSsoConfig, insertSsoConfig, replaceSsoConfig, type StoredSsoConfig } from '../../db/sso.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import type { SsoConfig } from '../../domain/sso.js';
import type { OutboundClient } from '../../outbound/client.js';
import { type Actor, type OperatorActor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import { inspectCertificate } from './certificates.js';
import { checkUrl, configFromInput, protocolOf, type SsoConfigInput } from './config-input.js';
import { type IdpMetadata, parseIdpMetadata } from './metadata.js';
import { CLIENT_SECRET_CONTEXT } from './sealed.js';
import { loginUrl } from './sp.js';
import { type SsoCheck, checkConfig } from './checks.js';

export interface SsoAvailability {
  ssoEnabled: boolean;
  ssoProvider: string | null;
  enforceSso: boolean;
  ssoLoginUrl: string | null;
}

/** Never the sealed secret: what every face is given. */
function visible(c: StoredSsoConfig): SsoConfig {
  const { sealedClientSecret: _sealed, ...config } = c;
  return config;
}

/** Each organization's identity provider: its configuration, checked before it is stored and audited when it changes. */
export class SsoConfigService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretBox,
    private readonly outbound: OutboundClient,
  ) {}

  async get(actor: Actor): Promise<SsoConfig | null> {
    const c = await findSsoConfig(this.deps.db, tenantOf(actor));
    return c ? visible(c) : null;
  }

  async create(actor: Actor, input: SsoConfigInput): Promise<SsoConfig> {
    const orgId = tenantOf(actor);
    if (await findSsoConfig(this.deps.db, orgId)) throw this.exists(orgId);
    const config = await this.build(orgId, input, null);
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await insertSsoConfig(trx, config))) throw this.exists(orgId);
      await this.deps.audit.append(trx, actor, { action: 'sso.config_created', orgId, targetType: 'sso_config', targetId: orgId, details: this.summary(config) });
    });
    return visible(config);
  }

  async replace(actor: Actor, input: SsoConfigInput): Promise<SsoConfig> {
    const orgId = tenantOf(actor);
    const previous = await this.stored(orgId);
    const config = await this.build(orgId, input, previous);
    await inTransaction(this.deps.db, async (trx) => {
      await lockOrganization(trx, orgId);
      if (!(await replaceSsoConfig(trx, config))) throw this.missing(orgId);
      await this.deps.audit.append(trx, actor, {
        action: 'sso.config_replaced',
        orgId,
        targetType: 'sso_config',
        targetId: orgId,
        details: { ...this.summary(config), previous_protocol: previous.protocol, client_secret_changed: config.sealedClientSecret !== previous.sealedClientSecret },
      });
    });
    return visible(config);
  }

  async update(actor: Actor, change: { enabled?: boolean | null; enforceSso?: boolean | null }): Promise<SsoConfig> {
    const orgId = tenantOf(actor);
    return this.toggle(actor, orgId, change);
  }

  /** The operator's way out of enforcement (an IdP outage must not lock an organization out of its portal). */
  async liftEnforcement(actor: OperatorActor, orgId: string): Promise<SsoConfig> {
    return this.toggle(actor, orgId, { enforceSso: false });
  }

  async remove(actor: Actor): Promise<void> {
    const orgId = tenantOf(actor);
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await deleteSsoConfig(trx, orgId))) throw this.missing(orgId);
      await this.deps.audit.append(trx, actor, { action: 'sso.config_deleted', orgId, targetType: 'sso_config', targetId: orgId });
    });
  }

  /** Fetches and checks what the stored configuration points at; changes nothing. */
  async test(actor: Actor): Promise<SsoCheck[]> {
    const config = await this.stored(tenantOf(actor));
    return checkConfig(config, { outbound: this.outbound, now: this.deps.clock.now() });
  }

  async fetchMetadata(_actor: Actor, url: string): Promise<IdpMetadata> {
    const checked = checkUrl('url', url, this.outbound);
    return this.readMetadata(checked, 'url');
  }

  async availability(orgId: string, origin: string): Promise<SsoAvailability> {
    const c = await findOrgSsoConfig(this.deps.db, orgId);
    if (!c || !c.enabled) return { ssoEnabled: false, ssoProvider: null, enforceSso: false, ssoLoginUrl: null };
    return { ssoEnabled: true, ssoProvider: c.provider, enforceSso: c.enforceSso, ssoLoginUrl: loginUrl(origin, c.orgId, c.protocol) };
  }

  private async toggle(actor: Actor, orgId: string, change: { enabled?: boolean | null; enforceSso?: boolean | null }): Promise<SsoConfig> {
    for (const [field, value] of Object.entries(change)) {
      if (value !== undefined && value !== null && typeof value !== 'boolean') throw new InvalidInput('must be true or false', field);
    }
    if (change.enabled == null && change.enforceSso == null) throw new InvalidInput('give enabled or enforce_sso (true or false)', 'enabled');
    return inTransaction(this.deps.db, async (trx) => {
      // Serialised with replacements: a switch read-modify-writes the row.
      const org = await findOrganization(trx, orgId);
      if (org) await lockOrganization(trx, org.orgId);
      const current = org ? await findSsoConfig(trx, org.orgId) : null;
      if (!current) throw this.missing(orgId);
      orgId = current.orgId;
      const enabled = change.enabled ?? current.enabled;
      // Switching the login off also stops refusing passwords: otherwise nobody could log in at all.
      const enforceSso = enabled ? (change.enforceSso ?? current.enforceSso) : false;
      if (change.enforceSso && !enabled) throw new InvalidInput('needs enabled: true (password login cannot be refused for a login that is switched off)', 'enforceSso');
      const next: StoredSsoConfig = { ...current, enabled, enforceSso, updatedAt: this.deps.clock.now().toISOString() };
      await replaceSsoConfig(trx, next);
      await this.deps.audit.append(trx, actor, {
        action: 'sso.config_updated',
        orgId,
        targetType: 'sso_config',
        targetId: orgId,
        details: { enabled, enforce_sso: enforceSso, was_enabled: current.enabled, was_enforced: current.enforceSso },
      });
      return visible(next);
    });
  }

  /** A SAML configuration that gives only its metadata URL is completed from the metadata. */
  private async build(orgId: string, input: SsoConfigInput, previous: StoredSsoConfig | null): Promise<StoredSsoConfig> {
    const now = this.deps.clock.now();
    let filled = input;
    if (protocolOf(input) === 'saml' && typeof input.idpMetadataUrl === 'string' && (!input.idpEntityId || !input.idpSsoUrl || !input.idpCertificate)) {
      const meta = await this.readMetadata(checkUrl('idpMetadataUrl', input.idpMetadataUrl, this.outbound), 'idpMetadataUrl');
      const usable = meta.certificates.find((c) => c.problem === null);
      filled = {
        ...input,
        idpEntityId: input.idpEntityId ?? meta.entityId,
        idpSsoUrl: input.idpSsoUrl ?? meta.ssoUrl,
        idpCertificate: input.idpCertificate ?? usable?.pem ?? meta.certificates[0].pem,
      };
    }
    return configFromInput(orgId, filled, {
      now,
      previous,
      urls: this.outbound,
      sealSecret: (s) => this.box.seal(s, CLIENT_SECRET_CONTEXT),
    });
  }

  private async readMetadata(url: string, field: string): Promise<IdpMetadata> {
    let text: string;
    try {
      const r = await this.outbound.getText(url, { accept: 'application/samlmetadata+xml, application/xml, text/xml' });
      if (r.status !== 200) throw new Error(`the metadata URL answered ${r.status}`);
      text = r.text;
    } catch (err) {
      throw new InvalidInput(`could not be read: ${(err as Error).message}`, field);
    }
    try {
      return parseIdpMetadata(text, this.deps.clock.now());
    } catch (err) {
      throw new InvalidInput(`does not hold usable IdP metadata: ${(err as Error).message}`, field);
    }
  }

  private async stored(orgId: string): Promise<StoredSsoConfig> {
    const c = await findSsoConfig(this.deps.db, orgId);
    if (!c) throw this.missing(orgId);
    return c;
  }

  /** What an auditor needs to see a change of trust: which IdP, where logins go, which key is pinned. */
  private summary(c: StoredSsoConfig): Record<string, unknown> {
    return {
      protocol: c.protocol,
      provider: c.provider,
      enabled: c.enabled,
      enforce_sso: c.enforceSso,
      idp: c.protocol === 'saml' ? c.idpEntityId : c.oidcIssuer,
      idp_sso_url: c.idpSsoUrl,
      certificate_sha256: c.idpCertificate ? inspectCertificate(c.idpCertificate, this.deps.clock.now()).info?.fingerprintSha256 ?? null : null,
      oidc_audience: c.oidcAudience,
      oidc_jwks_uri: c.oidcJwksUri,
      email_domains: c.emailDomains,
      client_secret_set: c.sealedClientSecret !== null,
    };
  }

  private exists(orgId: string): Conflict {
    return new Conflict(`organization ${orgId} already has an SSO configuration; replace it with PUT or remove it with DELETE`);
  }

  private missing(orgId: string): NotFound {
    return new NotFound(`organization ${orgId} has no SSO configuration; create one with POST /api/v1/sso/config`);
  }
}
