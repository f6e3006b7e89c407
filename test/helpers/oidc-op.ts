// A mock OpenID provider on loopback (oauth2-mock-server) and the browser's walk through an OIDC login.
import { OAuth2Server } from 'oauth2-mock-server';
import type { ApiResult, Harness } from './harness.js';
import { ORIGIN, browserIp, cookieValue } from './sso.js';

export const AUDIENCE = 'axonflow-portal';
export const CLIENT_SECRET = 'mock-secret';
export const redirectUri = (orgId: string) => `${ORIGIN}/auth/oidc/${orgId}/callback`;

type Claims = Record<string, unknown>;
type TokenHook = (token: { header: Record<string, unknown>; payload: Claims }) => void;

/**
 * oauth2-mock-server with one RS256 key, its issuer spelt http://127.0.0.1:<port> (the mock would call
 * itself localhost). It signs two JWTs per code exchange, the access token first: `idToken` hooks act on
 * the ID token only (the one with an aud and no scope).
 */
export class MockOp {
  private constructor(readonly server: OAuth2Server) {}

  static async start(): Promise<MockOp> {
    const server = new OAuth2Server();
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    server.issuer.url = `http://127.0.0.1:${server.address().port}`;
    return new MockOp(server);
  }

  get issuer(): string {
    return this.server.issuer.url!;
  }

  /** What the service's outboundAllowHosts must list. */
  get hostPort(): string {
    return new URL(this.issuer).host;
  }

  /** Changes the next ID token the mock signs (after it set its own claims: sub johndoe, aud, nonce, iss, iat, exp, nbf). */
  idToken(hook: TokenHook): void {
    const listener = (token: { header: Record<string, unknown>; payload: Claims }) => {
      if (!('aud' in token.payload) || 'scope' in token.payload) return; // the access token
      this.server.service.off('beforeTokenSigning', listener);
      hook(token);
    };
    this.server.service.on('beforeTokenSigning', listener);
  }

  /** Sets claims on the next ID token. */
  claims(claims: Claims): void {
    this.idToken((t) => Object.assign(t.payload, claims));
  }

  /** Changes the next token endpoint answer (synchronously: the mock sends it right after). */
  tokenResponse(hook: (response: { body: Record<string, unknown>; statusCode: number }) => void): void {
    this.server.service.once('beforeResponse', hook);
  }

  /** Changes where the next /authorize sends the browser back to. */
  authorizeRedirect(hook: (redirect: { url: URL }) => void): void {
    this.server.service.once('beforeAuthorizeRedirect', hook);
  }

  /** Drops hooks a test left unused, so they cannot act on the next test's login. */
  reset(): void {
    for (const e of ['beforeTokenSigning', 'beforeResponse', 'beforeAuthorizeRedirect'] as const) this.server.service.removeAllListeners(e);
  }

  async stop(): Promise<void> {
    if (this.server.listening) await this.server.stop();
  }
}

export async function configureOidc(h: Harness, cookie: string, op: MockOp, extra: Record<string, unknown> = {}): Promise<ApiResult> {
  const r = await h.call('POST', '/api/v1/sso/config', {
    cookie,
    body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: AUDIENCE, oidc_client_secret: CLIENT_SECRET, email_domains: ['example.com'], enabled: true, ...extra },
  });
  if (r.status !== 201) throw new Error(`configureOidc: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export interface OidcStart {
  /** The axonflow_sso_oidc cookie's value. */
  binding: string;
  /** The whole Set-Cookie line of the binding cookie, for its attributes. */
  setCookie: string;
  /** Where we sent the browser: the IdP's /authorize with our parameters. */
  authorize: URL;
}

export async function startOidcLogin(h: Harness, orgId: string, query = ''): Promise<OidcStart> {
  const r = await h.call('GET', `/auth/oidc/${orgId}/login${query}`, { ip: browserIp() });
  if (r.status !== 302) throw new Error(`startOidcLogin: ${r.status} ${JSON.stringify(r.body)}`);
  const binding = cookieValue(r, 'axonflow_sso_oidc');
  if (!binding) throw new Error('startOidcLogin: no axonflow_sso_oidc cookie');
  const setCookie = r.headers.getSetCookie().find((line) => line.startsWith('axonflow_sso_oidc='))!;
  return { binding, setCookie, authorize: new URL(r.headers.get('location')!) };
}

/** The browser at the IdP: the mock signs the user in at once and redirects back; the redirect is where we go next. */
export async function atIdp(authorize: URL): Promise<URL> {
  const r = await fetch(authorize, { redirect: 'manual' });
  await r.arrayBuffer();
  if (r.status !== 302) throw new Error(`atIdp: ${r.status}`);
  return new URL(r.headers.get('location')!);
}

/** The browser arrives at our redirect URI (path and query of what the IdP sent it to), with the binding cookie if given. */
export function oidcCallback(h: Harness, back: URL, binding: string | undefined, extraHeaders: Record<string, string> = {}): Promise<ApiResult> {
  return h.call('GET', `${back.pathname}${back.search}`, {
    ip: browserIp(),
    headers: { ...(binding ? { cookie: `axonflow_sso_oidc=${binding}` } : {}), ...extraHeaders },
  });
}

/** The whole walk: login, IdP, callback. */
export async function oidcLogin(h: Harness, orgId: string): Promise<{ start: OidcStart; back: URL; res: ApiResult }> {
  const start = await startOidcLogin(h, orgId);
  const back = await atIdp(start.authorize);
  return { start, back, res: await oidcCallback(h, back, start.binding) };
}
