import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { randomToken, sha256Hex } from '../../auth/tokens.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { inTransaction } from '../../db/database.js';
import { findOrganization } from '../../db/organizations.js';
import {
  type StoredSsoConfig,
  consumeLoginRequest,
  findOrgSsoConfig,
  insertLoginRequest,
  loginRequestState,
  rememberAssertionId,
} from '../../db/sso.js';
import { InvalidInput, NotFound, Unauthenticated, UpstreamFailed } from '../../domain/errors.js';
import type { Organization } from '../../domain/organization.js';
import { DEFAULT_RETURN_PATH, type SsoProtocol, providerGuide, safeReturnPath } from '../../domain/sso.js';
import { newId } from '../../ids.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import { type RateLimiter, type Throttle, addressSubject } from '../rate-limits.js';
import type { LoginResult, SessionService } from '../sessions.js';
import { type OidcRelyingParty, describe } from './oidc.js';
import { type AssertedPerson, personFor } from './people.js';
import { SsoRefusal } from './refusal.js';
import { MAX_SAML_RESPONSE_BYTES, authnRequestUrl, checkEnvelope, requestKey, verifyResponse } from './saml.js';
import { VERIFIER_CONTEXT } from './sealed.js';
import { serviceProvider } from './sp.js';

/**
 * Failed SSO callbacks per client address, like password logins: a forger or replayer is slowed, the person
 * whose browser finishes a real login is not (a success is refunded), and other addresses are untouched.
 */
export const SSO_CALLBACK_BY_ADDRESS: Throttle = {
  name: 'sso-callback',
  limit: 10,
  windowSeconds: 60,
  what: 'too many failed single sign-on attempts from this address',
};
/** Login starts per client address: each stores a request row, so anonymous GETs cannot fill the table. */
export const SSO_START_BY_ADDRESS: Throttle = {
  name: 'sso-start',
  limit: 30,
  windowSeconds: 60,
  what: 'too many single sign-on starts from this address',
};
/** How long a browser has between leaving for the IdP and coming back. */
const LOGIN_REQUEST_TTL_MS = 10 * 60_000;

export interface SsoStart {
  location: string;
  /** The browser-binding cookie's value: only its digest is stored. */
  binding: string;
}

export interface SsoFinish {
  login: LoginResult;
  returnTo: string;
}

/**
 * SP-initiated SSO logins, SAML and OIDC: the request stored in the database and bound to the browser that
 * started it, the answer checked (ours first, then the library's), the person found or created, a session
 * issued the way password logins get theirs, and every attempt in the org's audit as auth.sso_login.
 */
export class SsoLoginService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly sessions: SessionService,
    private readonly box: SecretBox,
    private readonly oidc: OidcRelyingParty,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * `binding` is the value the browser already carries, if any: a second tab or a retry reuses it, so an
   * earlier tab's login still finishes.
   */
  async begin(actor: Actor, protocol: SsoProtocol, orgId: string, origin: string, returnTo: string | null, binding: string | null): Promise<SsoStart> {
    const target = returnTo === null ? DEFAULT_RETURN_PATH : safeReturnPath(returnTo);
    if (target === null) throw new InvalidInput('must be a path of this portal, like /dashboard', 'returnTo');
    const config = await this.enabledConfig(orgId, protocol);
    await this.limiter.take(SSO_START_BY_ADDRESS, addressSubject(actor.ip), actor);
    const sp = serviceProvider(origin, config.orgId);
    if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) binding = randomToken();
    const now = this.deps.clock.now();
    const row = {
      org_id: config.orgId,
      protocol,
      browser_digest: sha256Hex(binding),
      return_to: target,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + LOGIN_REQUEST_TTL_MS).toISOString(),
      consumed_at: null,
    };
    if (protocol === 'saml') {
      const requestId = `_${randomBytes(20).toString('hex')}`;
      await insertLoginRequest(this.deps.db, { ...row, id: requestKey(requestId), nonce: null, code_verifier: null });
      return { location: await authnRequestUrl(config, sp, requestId, target), binding };
    }
    const checks = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    let location: URL;
    try {
      location = await this.oidc.authorizationUrl(config, sp.oidcRedirectUri, checks);
    } catch (err) {
      const ref = await this.refused(actor, config.orgId, protocol, `OIDC discovery failed at the login start: ${describe(err)}`, {});
      throw new UpstreamFailed(`single sign-on for organization ${config.orgId} is unavailable: its identity provider did not answer discovery (reference ${ref})`);
    }
    await insertLoginRequest(this.deps.db, {
      ...row,
      id: oidcKey(checks.state),
      nonce: checks.nonce,
      code_verifier: this.box.seal(checks.codeVerifier, VERIFIER_CONTEXT),
    });
    return { location: location.href, binding };
  }

  /** The ACS: the HTTP-POST binding's SAMLResponse. */
  async completeSaml(actor: Actor, orgId: string, origin: string, samlResponse: string | null, binding: string | null, replacing: string | null): Promise<SsoFinish> {
    return this.complete(actor, 'saml', orgId, async (config) => {
      if (!samlResponse) throw new SsoRefusal('the POST has no SAMLResponse field');
      if (samlResponse.length > MAX_SAML_RESPONSE_BYTES) throw new SsoRefusal(`the SAMLResponse is larger than ${MAX_SAML_RESPONSE_BYTES} bytes`);
      const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
      const sp = serviceProvider(origin, config.orgId);
      const envelope = checkEnvelope(xml, sp, this.deps.clock.now());
      const request = await this.takeRequest(config, 'saml', requestKey(envelope.inResponseTo), binding, 'InResponseTo');
      const guide = providerGuide(config.provider);
      const identity = await verifyResponse(config, sp, samlResponse, guide.samlEmailAttributes, guide.samlNameAttributes);
      if (!(await rememberAssertionId(this.deps.db, config.orgId, envelope.assertionId, envelope.expiresAt))) {
        throw new SsoRefusal(`assertion ${envelope.assertionId} was used before (replay)`, identity);
      }
      return { person: { orgId: config.orgId, idp: config.idpEntityId!, ...identity }, returnTo: request.return_to };
    }, replacing);
  }

  /** The OIDC redirect URI: ?code&state (or ?error). */
  async completeOidc(actor: Actor, orgId: string, origin: string, query: URLSearchParams, binding: string | null, replacing: string | null): Promise<SsoFinish> {
    return this.complete(actor, 'oidc', orgId, async (config) => {
      const error = query.get('error');
      if (error) throw new SsoRefusal(`the IdP answered error=${error.slice(0, 100)}${query.get('error_description') ? `: ${query.get('error_description')!.slice(0, 200)}` : ''}`);
      const state = query.get('state');
      if (!state) throw new SsoRefusal('the callback has no state');
      const request = await this.takeRequest(config, 'oidc', oidcKey(state), binding, 'state');
      const sp = serviceProvider(origin, config.orgId);
      const callbackUrl = new URL(sp.oidcRedirectUri);
      for (const [k, v] of query) callbackUrl.searchParams.append(k, v);
      const claims = await this.oidc.exchange(config, callbackUrl, {
        state,
        nonce: request.nonce!,
        codeVerifier: this.openVerifier(request.code_verifier!),
      });
      const map = config.oidcClaimMapping;
      const claim = (name: string) => (typeof claims[name] === 'string' && (claims[name] as string).trim() ? (claims[name] as string).trim() : null);
      const email = claim(map.email);
      if (email && (claims.email_verified === false || claims.email_verified === 'false')) throw new SsoRefusal(`the IdP says email ${email} is not verified (email_verified: false)`, { subject: claims.sub, email });
      // Google's issuer vouches for every Google account: the hosted domain claim says whose it is.
      if (config.oidcIssuer === GOOGLE_ISSUER && config.emailDomains.length > 0 && !config.emailDomains.includes(String(claims.hd ?? '').toLowerCase())) {
        throw new SsoRefusal(`the Google account's hosted domain ${JSON.stringify(claims.hd ?? '(none: a personal account)')} is not one of email_domains`, { subject: claims.sub, email });
      }
      const name = claim(map.name) ?? ([claim(map.givenName), claim(map.familyName)].filter(Boolean).join(' ') || null);
      return { person: { orgId: config.orgId, idp: config.oidcIssuer!, subject: claims.sub!, email, name }, returnTo: request.return_to };
    }, replacing);
  }

  private async complete(
    actor: Actor,
    protocol: SsoProtocol,
    orgId: string,
    verify: (config: StoredSsoConfig) => Promise<{ person: AssertedPerson; returnTo: string }>,
    replacing: string | null,
  ): Promise<SsoFinish> {
    const config = await this.enabledConfig(orgId, protocol);
    const attempt = await this.limiter.take(SSO_CALLBACK_BY_ADDRESS, addressSubject(actor.ip), actor);
    let known: { subject?: string | null; email?: string | null } = {};
    try {
      const org = await findOrganization(this.deps.db, config.orgId);
      if (!org) throw new SsoRefusal('the organization no longer exists');
      const { person, returnTo } = await verify(config);
      known = person;
      this.checkDomain(config, person);
      if (org.status !== 'ACTIVE') throw new SsoRefusal(`the organization is ${org.status.toLowerCase()}`, person);
      const user = await inTransaction(this.deps.db, (trx) =>
        personFor(trx, person, { protocol, emailDomains: config.emailDomains }, this.deps.clock.now().toISOString()),
      );
      const login = await this.sessions.issue(actor, org as Organization, user, {
        action: 'auth.sso_login',
        details: { protocol, subject: person.subject.slice(0, 256), email: person.email, idp: person.idp, first_login: user.lastLoginAt === null },
      }, replacing);
      await this.limiter.refund(attempt);
      return { login, returnTo };
    } catch (err) {
      if (!(err instanceof SsoRefusal)) throw err;
      const ref = await this.refused(actor, config.orgId, protocol, err.reason, { subject: err.known.subject ?? known.subject, email: err.known.email ?? known.email });
      throw new Unauthenticated(`single sign-on did not succeed; your administrator can see why in the SSO audit (reference ${ref})`);
    }
  }

  /** A verifier sealed under a key since dropped from ENCRYPTION_KEYS_PREVIOUS: that login cannot finish. */
  private openVerifier(sealed: string): string {
    try {
      return this.box.open(sealed, VERIFIER_CONTEXT);
    } catch (err) {
      throw new SsoRefusal(`the login's PKCE verifier does not open (${(err as Error).message}); start the login again`);
    }
  }

  /** A refused attempt in the org's audit; the reference is what the browser is told. */
  private async refused(actor: Actor, orgId: string, protocol: SsoProtocol, reason: string, known: { subject?: string | null; email?: string | null }): Promise<string> {
    const ref = newId('ssofail');
    await this.deps.audit.record(actor, {
      action: 'auth.sso_login',
      orgId,
      outcome: 'failure',
      details: { protocol, reason: reason.slice(0, 1000), subject: known.subject?.slice(0, 256) ?? null, email: known.email?.slice(0, 254) ?? null, ref },
    });
    return ref;
  }

  private checkDomain(config: StoredSsoConfig, person: AssertedPerson): void {
    if (config.emailDomains.length === 0 || !person.email) return;
    const domain = person.email.split('@').pop()!.toLowerCase();
    if (!config.emailDomains.includes(domain)) {
      throw new SsoRefusal(`email domain ${domain} is not one of the configured email_domains (${config.emailDomains.join(', ')})`, person);
    }
  }

  private async takeRequest(config: StoredSsoConfig, protocol: SsoProtocol, id: string, binding: string | null, what: string) {
    if (!binding) throw new SsoRefusal(`this browser did not start the login (no binding cookie); the ${what} cannot be matched`);
    const now = this.deps.clock.now().toISOString();
    const taken = await consumeLoginRequest(this.deps.db, { id, orgId: config.orgId, protocol, browserDigest: sha256Hex(binding), now });
    if (taken) return taken;
    const state = await loginRequestState(this.deps.db, id);
    if (!state || state.org_id !== config.orgId || state.protocol !== protocol) throw new SsoRefusal(`the ${what} matches no login this service started for this organization`);
    if (state.consumed_at) throw new SsoRefusal(`the login this ${what} names was completed before (replay)`);
    if (state.expires_at <= now) throw new SsoRefusal(`the login this ${what} names expired at ${state.expires_at}`);
    throw new SsoRefusal(`the login this ${what} names was started by another browser`);
  }

  private async enabledConfig(orgId: string, protocol: SsoProtocol): Promise<StoredSsoConfig> {
    const config = await findOrgSsoConfig(this.deps.db, orgId);
    if (!config || !config.enabled || config.protocol !== protocol) {
      throw new NotFound(`${protocol.toUpperCase()} single sign-on is not enabled for organization ${orgId.slice(0, 128)}`);
    }
    return config;
  }
}

const oidcKey = (state: string): string => sha256Hex(`oidc\n${state}`);
const GOOGLE_ISSUER = 'https://accounts.google.com';
