import { type Config, missingAdminKeyAllowed } from '../config.js';
import { type HeaderReader, presentedCredential } from './credentials.js';
import type { AdminPrincipal, ApiKeyPrincipal, RequestAuth, ScimPrincipal, SessionPrincipal } from './principal.js';

/** Where the request came from, as the refusal counters and the audit trail see it. */
export interface Origin {
  ip: string | null;
  userAgent: string | null;
}

type Verified<P> = P | { rejected: string };

/**
 * What resolution needs from the services, declared here so auth depends on no service: each credential
 * kind has one verifier, and the credential guard counts and audits what was refused.
 */
export interface CredentialVerifiers {
  session(token: string): Promise<Verified<SessionPrincipal>>;
  apiKey(secret: string, where: Origin): Promise<Verified<ApiKeyPrincipal>>;
  scimToken(secret: string, where: Origin): Promise<Verified<ScimPrincipal>>;
  /** Throws RateLimited while this address is throttled, before any comparison. */
  adminKey(secret: string, where: Origin): Promise<Verified<AdminPrincipal>>;
}

/**
 * Turns a request's credentials into at most one principal. A credential that does not verify leaves the
 * request anonymous, with the reason kept for the refusal.
 */
export async function resolveAuth(
  verify: CredentialVerifiers,
  config: Config,
  header: HeaderReader,
  sessionCookies: readonly string[],
  where: Origin,
  /** False when a browser says the request comes from another site: such a request is never the keyless operator. */
  keylessOperatorPossible: boolean,
): Promise<RequestAuth> {
  const presented = presentedCredential(header, sessionCookies);
  const anonymous = (rejection: string | null): RequestAuth => ({
    principal: { kind: 'anonymous' },
    presented: presented?.model ?? null,
    rejection,
    operatorWithoutKey:
      presented === null &&
      keylessOperatorPossible &&
      config.adminApiKey === null &&
      missingAdminKeyAllowed(config.deploymentMode, config.environment),
  });
  if (!presented) return anonymous(null);

  switch (presented.model) {
    case 'unrecognised':
      return anonymous(presented.description);
    case 'admin_api_key': {
      const result = await verify.adminKey(presented.secret, where);
      if ('rejected' in result) return anonymous(result.rejected);
      return { ...anonymous(null), principal: result };
    }
    case 'portal_session': {
      if (presented.duplicate) {
        return anonymous('two axonflow_session cookies were sent (one may be set by another site of the same domain); clear the cookies and log in again');
      }
      const result = await verify.session(presented.secret);
      if ('rejected' in result) return anonymous(result.rejected);
      return { ...anonymous(null), principal: result };
    }
    case 'scim_token': {
      const result = await verify.scimToken(presented.secret, where);
      if ('rejected' in result) return anonymous(result.rejected);
      return { ...anonymous(null), principal: result };
    }
    case 'api_key': {
      const result = await verify.apiKey(presented.secret, where);
      if ('rejected' in result) return anonymous(result.rejected);
      return { ...anonymous(null), principal: result };
    }
  }
}
