import { InvalidInput, type ItemProblem } from '../../domain/errors.js';
import {
  type ClaimMapping,
  DEFAULT_CLAIM_MAPPING,
  SSO_PROVIDERS,
  type SsoProtocol,
  type SsoProvider,
  providerGuide,
} from '../../domain/sso.js';
import type { StoredSsoConfig } from '../../db/sso.js';
import * as v from '../validate.js';
import { inspectCertificate } from './certificates.js';

/** What a caller sends to create or replace a configuration (every field checked here, not by the face). */
export interface SsoConfigInput {
  protocol?: string | null;
  provider?: string | null;
  enabled?: boolean | null;
  enforceSso?: boolean | null;
  idpEntityId?: string | null;
  idpSsoUrl?: string | null;
  idpCertificate?: string | null;
  idpMetadataUrl?: string | null;
  emailDomains?: string[] | null;
  oidcIssuer?: string | null;
  oidcAudience?: string | null;
  oidcJwksUri?: string | null;
  oidcClaimMapping?: Record<string, unknown> | null;
  /** Write-only. Omitted: a replacement keeps the stored one (same issuer); null: removed. */
  oidcClientSecret?: string | null;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Collects every problem of a body, so the caller fixes them in one round. */
class Problems {
  readonly list: { field: string; problem: string }[] = [];
  check<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      this.list.push({ field: err.field ?? '', problem: err.problem });
      return null;
    }
  }
  /** Whether a field already has a problem (a blank value has none yet: it counts as missing). */
  has(field: string): boolean {
    return this.list.some((p) => p.field === field);
  }
  add(field: string, problem: string): void {
    this.list.push({ field, problem });
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const details: ItemProblem[] = this.list.map((p) => ({ index: 0, id: null, field: p.field, problem: p.problem }));
    const first = this.list[0];
    throw new InvalidInput(
      this.list.length === 1 ? first.problem : `${first.problem} (and ${this.list.length - 1} more in details)`,
      first.field,
      details,
    );
  }
}

export interface UrlRule {
  /** Whether http (or a private address) is allowed for this URL: only OUTBOUND_ALLOW_HOSTS entries. */
  allows(url: URL): boolean;
}

export function checkUrl(field: string, raw: string, rule: UrlRule): string {
  const value = v.text(field, raw, { max: 2048 });
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidInput('is not a URL (https://...)', field);
  }
  if (u.username || u.password) throw new InvalidInput('must not carry a user name or password', field);
  if (u.hash) throw new InvalidInput('must not have a #fragment', field);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && rule.allows(u))) {
    throw new InvalidInput('must be an https URL (plain http only for hosts listed in OUTBOUND_ALLOW_HOSTS)', field);
  }
  return value;
}

/** The protocol a body is for: as given, else OIDC when it names the oidc provider or an issuer, else SAML. */
export function protocolOf(input: SsoConfigInput): SsoProtocol {
  const given = typeof input.protocol === 'string' ? input.protocol.trim().toLowerCase() : '';
  if (given === 'saml' || given === 'oidc') return given;
  const provider = typeof input.provider === 'string' ? input.provider.trim().toLowerCase() : '';
  return provider === 'oidc' || input.oidcIssuer ? 'oidc' : 'saml';
}

function pick<T extends string>(field: string, raw: string, allowed: readonly T[]): T {
  const value = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) throw new InvalidInput(`must be one of ${allowed.join(', ')}`, field);
  return value as T;
}

/**
 * A whole configuration from a create or replace body. `previous` is the stored one a replacement keeps the
 * client secret from; `sealSecret` seals a new one (the plaintext goes no further than here).
 */
export function configFromInput(
  orgId: string,
  input: SsoConfigInput,
  ctx: { now: Date; previous: StoredSsoConfig | null; urls: UrlRule; sealSecret: (s: string) => string },
): StoredSsoConfig {
  const p = new Problems();
  const str = (field: keyof SsoConfigInput, max = 2048) => {
    const raw = input[field];
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'string') {
      p.add(field, 'must be a string');
      return null;
    }
    return p.check(() => v.optionalText(field, raw, max));
  };
  const url = (field: keyof SsoConfigInput) => {
    const raw = str(field);
    return raw === null ? null : p.check(() => checkUrl(field, raw, ctx.urls));
  };

  const providerRaw = str('provider', 32);
  const provider: SsoProvider | null = providerRaw ? p.check(() => pick('provider', providerRaw, SSO_PROVIDERS)) : null;
  const protocolRaw = str('protocol', 8);
  if (protocolRaw) p.check(() => pick('protocol', protocolRaw, ['saml', 'oidc'] as const));
  const protocol = protocolOf(input);
  const chosenProvider: SsoProvider = provider ?? (protocol === 'oidc' ? 'oidc' : 'generic');
  if (provider && !providerGuide(provider).protocols.includes(protocol)) {
    p.add('provider', `${provider} is set up with ${providerGuide(provider).protocols.join(' or ')}, not ${protocol}`);
  }
  if (!providerRaw && protocolRaw === null && !input.oidcIssuer && !input.idpEntityId && !input.idpMetadataUrl) {
    p.add('provider', `is required: one of ${SSO_PROVIDERS.join(', ')}`);
  }

  // Omitted on a replacement of the same protocol, the switches stay as they were (a certificate rotation
  // must not switch SSO off); a switch of protocol is a new rollout and starts off unless told otherwise.
  const kept = ctx.previous?.protocol === protocol ? ctx.previous : null;
  const bool = (field: 'enabled' | 'enforceSso') => {
    const raw = input[field];
    if (raw === null || raw === undefined) return kept?.[field] ?? false;
    if (typeof raw !== 'boolean') {
      p.add(field, 'must be true or false');
      return false;
    }
    return raw;
  };
  const enabled = bool('enabled');
  const enforceSso = bool('enforceSso');
  if (enforceSso && !enabled) p.add('enforceSso', 'needs enabled: true (password login cannot be refused for a login that is switched off)');

  const emailDomains: string[] = [];
  if (input.emailDomains !== null && input.emailDomains !== undefined) {
    if (!Array.isArray(input.emailDomains)) p.add('emailDomains', 'must be a list of domains, e.g. ["example.com"]');
    else if (input.emailDomains.length > 50) p.add('emailDomains', 'must list at most 50 domains');
    else
      input.emailDomains.forEach((d, i) => {
        const domain = typeof d === 'string' ? d.trim().toLowerCase().replace(/^@/, '') : '';
        if (!DOMAIN.test(domain)) p.add(`emailDomains[${i}]`, `${JSON.stringify(d)} is not a domain name (example.com)`);
        else if (!emailDomains.includes(domain)) emailDomains.push(domain);
      });
  }

  const samlFields = ['idpEntityId', 'idpSsoUrl', 'idpCertificate', 'idpMetadataUrl'] as const;
  const oidcFields = ['oidcIssuer', 'oidcAudience', 'oidcJwksUri', 'oidcClaimMapping', 'oidcClientSecret'] as const;
  for (const f of protocol === 'saml' ? oidcFields : samlFields) {
    if (input[f] !== undefined && input[f] !== null) p.add(f, `is a field of ${protocol === 'saml' ? 'OIDC' : 'SAML'} configurations; this one is ${protocol.toUpperCase()}`);
  }

  let idpEntityId = null, idpSsoUrl = null, idpCertificate = null, idpMetadataUrl = null;
  let oidcIssuer = null, oidcAudience = null, oidcJwksUri = null;
  let claimMapping: ClaimMapping = { ...DEFAULT_CLAIM_MAPPING };
  let sealedClientSecret: string | null = null;
  if (protocol === 'saml') {
    idpEntityId = str('idpEntityId', 1024);
    idpSsoUrl = url('idpSsoUrl');
    idpMetadataUrl = url('idpMetadataUrl');
    // A PEM is lines: the one text field where newlines belong.
    const cert = input.idpCertificate;
    if (cert !== null && cert !== undefined && typeof cert !== 'string') p.add('idpCertificate', 'must be a string (PEM or base64)');
    else if (typeof cert === 'string' && cert.length > 16384) p.add('idpCertificate', 'must be at most 16384 characters');
    else if (typeof cert === 'string' && cert.trim()) {
      const r = inspectCertificate(cert, ctx.now);
      if (r.problem) p.add('idpCertificate', r.problem);
      else idpCertificate = r.info!.pem;
    }
    for (const [field, value] of [['idpEntityId', idpEntityId], ['idpSsoUrl', idpSsoUrl], ['idpCertificate', idpCertificate]] as const) {
      if (value === null && !p.has(field)) p.add(field, 'is required (or give idp_metadata_url and it is read from the metadata)');
    }
  } else {
    oidcIssuer = url('oidcIssuer');
    if (oidcIssuer === null && !p.has('oidcIssuer')) p.add('oidcIssuer', 'is required: the issuer URL whose /.well-known/openid-configuration answers');
    oidcAudience = str('oidcAudience', 256);
    if (oidcAudience === null && !p.has('oidcAudience')) p.add('oidcAudience', 'is required: the client id the IdP gave this application');
    oidcJwksUri = url('oidcJwksUri');
    if (input.oidcClaimMapping != null) {
      const m = input.oidcClaimMapping;
      if (typeof m !== 'object' || Array.isArray(m)) p.add('oidcClaimMapping', `must be an object like {"email": "email"}`);
      else
        for (const [k, val] of Object.entries(m)) {
          if (!(k in DEFAULT_CLAIM_MAPPING)) p.add(`oidcClaimMapping.${k}`, `is not mapped; the keys are ${Object.keys(DEFAULT_CLAIM_MAPPING).join(', ')}`);
          else if (typeof val !== 'string' || !/^[A-Za-z0-9_:./-]{1,128}$/.test(val)) p.add(`oidcClaimMapping.${k}`, 'must be a claim name (letters, digits, _ : . / -)');
          else claimMapping = { ...claimMapping, [k]: val };
        }
    }
    const secret = input.oidcClientSecret;
    if (typeof secret === 'string') {
      if (secret.length === 0 || secret.length > 1024) p.add('oidcClientSecret', 'must be 1 to 1024 characters');
      else sealedClientSecret = ctx.sealSecret(secret);
    } else if (secret === undefined && ctx.previous?.protocol === 'oidc' && ctx.previous.oidcIssuer === oidcIssuer) {
      sealedClientSecret = ctx.previous.sealedClientSecret;
    } else if (secret !== undefined && secret !== null) {
      p.add('oidcClientSecret', 'must be a string');
    }
  }
  p.throwIfAny();
  const at = ctx.now.toISOString();
  return {
    orgId,
    protocol,
    provider: chosenProvider,
    enabled,
    enforceSso,
    idpEntityId,
    idpSsoUrl,
    idpCertificate,
    idpMetadataUrl,
    emailDomains,
    oidcIssuer,
    oidcAudience,
    oidcJwksUri,
    oidcClaimMapping: claimMapping,
    oidcClientSecretSet: sealedClientSecret !== null,
    sealedClientSecret,
    createdAt: ctx.previous?.createdAt ?? at,
    updatedAt: at,
  };
}

