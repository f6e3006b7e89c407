import * as client from 'openid-client';
import { createRemoteJWKSet, customFetch as joseFetch, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { StoredSsoConfig } from '../../db/sso.js';
import type { OutboundClient } from '../../outbound/client.js';
import { CLIENT_SECRET_CONTEXT } from './sealed.js';
import { SsoRefusal } from './refusal.js';

/** What ID tokens may be signed with: asymmetric only, so a client secret can never forge one. */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'ES256'];
const CLOCK_TOLERANCE_S = 60;
const DISCOVERY_TTL_MS = 10 * 60_000;
/** An unknown kid refetches the JWKS, at most once a minute per JWKS URL; then the token is refused. */
const JWKS_COOLDOWN_MS = 60_000;

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

/**
 * The OpenID Connect relying party: discovery, the authorization URL (code flow, PKCE S256, state, nonce)
 * and the code exchange, with openid-client; then the ID token verified again with jose against the IdP's
 * JWKS, with our algorithm allow-list, exact issuer, audience, exp and nbf. Every fetch goes through the
 * guarded outbound client.
 */
export class OidcRelyingParty {
  private readonly discovered = new Map<string, { at: number; config: Promise<client.Configuration> }>();
  private readonly keySets = new Map<string, RemoteKeys>();

  constructor(
    private readonly outbound: OutboundClient,
    private readonly box: SecretBox,
  ) {}

  async discover(c: StoredSsoConfig): Promise<client.Configuration> {
    const key = `${c.oidcIssuer}\n${c.oidcAudience}\n${c.sealedClientSecret ?? ''}`;
    const hit = this.discovered.get(key);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    const config = this.load(c);
    this.discovered.set(key, { at: Date.now(), config });
    config.catch(() => this.discovered.delete(key));
    return config;
  }

  async authorizationUrl(c: StoredSsoConfig, redirectUri: string, checks: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const config = await this.discover(c);
    return client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /** The verified ID token's claims, or an SsoRefusal saying exactly what failed. */
  async exchange(
    c: StoredSsoConfig,
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<JWTPayload> {
    const config = await this.discover(c).catch((err: Error) => {
      throw new SsoRefusal(`OIDC discovery failed: ${describe(err)}`);
    });
    let idToken: string | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      idToken = tokens.id_token;
    } catch (err) {
      throw new SsoRefusal(`the code exchange or ID token was refused: ${describe(err)}`);
    }
    if (!idToken) throw new SsoRefusal('the token response has no id_token');
    const jwksUri = c.oidcJwksUri ?? config.serverMetadata().jwks_uri;
    if (!jwksUri) throw new SsoRefusal('the IdP publishes no jwks_uri and none is configured');
    try {
      const { payload } = await jwtVerify(idToken, this.keys(jwksUri), {
        algorithms: ID_TOKEN_ALGORITHMS,
        issuer: c.oidcIssuer!,
        audience: c.oidcAudience!,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      if (payload.nonce !== checks.nonce) throw new SsoRefusal('the ID token nonce does not match the one this login sent');
      return payload;
    } catch (err) {
      if (err instanceof SsoRefusal) throw err;
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw new SsoRefusal(`the ID token was refused: ${unknownKid(idToken, jwksUri)}`);
      throw new SsoRefusal(`the ID token was refused: ${describe(err)}`);
    }
  }

  private async load(c: StoredSsoConfig): Promise<client.Configuration> {
    const issuer = new URL(c.oidcIssuer!);
    const secret = c.sealedClientSecret ? this.box.open(c.sealedClientSecret, CLIENT_SECRET_CONTEXT) : null;
    const insecure = issuer.protocol === 'http:' && this.outbound.allows(issuer);
    const config = await client.discovery(
      issuer,
      c.oidcAudience!,
      undefined,
      secret ? client.ClientSecretPost(secret) : client.None(),
      { [client.customFetch]: this.outbound.fetch, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) },
    );
    config[client.customFetch] = this.outbound.fetch;
    return config;
  }

  private keys(uri: string): RemoteKeys {
    let set = this.keySets.get(uri);
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), { cooldownDuration: JWKS_COOLDOWN_MS, [joseFetch]: this.outbound.fetch });
      this.keySets.set(uri, set);
    }
    return set;
  }
}

function unknownKid(idToken: string, jwksUri: string): string {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(idToken).kid;
  } catch {
    kid = undefined;
  }
  const named = typeof kid === 'string' ? `kid ${JSON.stringify(kid.slice(0, 100))}` : 'its kid (the token names none)';
  return `no key at ${jwksUri} matches ${named} (an unknown kid refetches the JWKS at most once a minute)`;
}

export function describe(err: unknown): string {
  // The token endpoint's OAuth error: its cause is the response body, not an Error.
  if (err instanceof client.ResponseBodyError) {
    return `the token endpoint answered HTTP ${err.status} error=${err.error}${err.error_description ? `: ${err.error_description}` : ''}`.slice(0, 300);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return `its algorithm is not allowed (${ID_TOKEN_ALGORITHMS.join(', ')} only)`;
  if (err instanceof joseErrors.JWTExpired) return 'it has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} is not valid (${err.reason})`;
  const e = err as { message?: string; code?: string; cause?: unknown };
  const cause = e.cause && typeof e.cause === 'object' && 'message' in e.cause ? `: ${(e.cause as Error).message}` : '';
  return `${e.message ?? String(err)}${cause}`.slice(0, 300);
}
