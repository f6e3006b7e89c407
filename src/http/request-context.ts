import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import { SESSION_COOKIE, sessionCookiesOf } from '../auth/credentials.js';
import { resolveAuth } from '../auth/resolve.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { type Context, createContext } from '../context.js';
import { DomainError } from '../domain/errors.js';
import type { Services } from '../services/index.js';
import { fromAnotherSite, requestHost, requestHostname } from './boundary.js';
import { clientIp, isSecure, remoteAddress } from './client.js';
import { errorResponse } from './error-response.js';

/** What the HTTP layer keeps per request. */
export type AppEnv = { Variables: { ctx: Context; requestId: string } };

export interface RequestContextDeps {
  config: Config;
  services: Services;
  clock: Clock;
  logger: Logger;
}

/**
 * Resolves the caller once per request into the context every face shares, and afterwards writes the
 * cookies the operation asked for (the session token only ever leaves through Set-Cookie).
 */
export function requestContext(
  deps: RequestContextDeps,
  /** How this face words an error answered before the face runs (a throttled address): SCIM has its own. */
  renderError: (c: HonoContext, err: DomainError) => Response = errorResponse,
): MiddlewareHandler<AppEnv> {
  const { config, logger } = deps;
  let warnedAboutProxy = false;
  return async (c, next) => {
    const forwardedFor = c.req.header('x-forwarded-for');
    if (forwardedFor && config.trustProxyHops === 0 && !warnedAboutProxy) {
      warnedAboutProxy = true;
      // Behind an untrusted hop every client has the proxy's address: one guesser would throttle everyone.
      logger.warn('requests carry X-Forwarded-For but TRUST_PROXY_HOPS=0: clients are told apart by the socket address only; set TRUST_PROXY_HOPS to the number of proxies in front');
    }
    const secure = isSecure(c, config);
    const requestMeta = {
      id: c.get('requestId'),
      ip: clientIp(remoteAddress(c), forwardedFor, config.trustProxyHops),
      userAgent: c.req.header('user-agent') ?? null,
      secure,
      origin: serviceOrigin(c, config, secure),
    };
    const cookies = sessionCookiesOf(c.req.header('cookie'));
    let auth;
    try {
      auth = await resolveAuth(deps.services.credentials, config, (name) => c.req.header(name), cookies, requestMeta, !fromAnotherSite(c, config));
    } catch (err) {
      // Too many refused credentials from this address: answered before anything else happens.
      if (err instanceof DomainError) return renderError(c, err);
      throw err;
    }
    const ctx = createContext({ auth, services: deps.services, config, clock: deps.clock, requestMeta, log: logger });
    c.set('ctx', ctx);
    await next();
    await Promise.all(ctx.pending);
    const write = (value: string, maxAge: number, scope: { domain?: string; path?: string } = {}) =>
      setCookie(c, SESSION_COOKIE, value, {
        httpOnly: true,
        sameSite: 'Lax',
        path: scope.path ?? '/',
        ...(scope.domain ? { domain: scope.domain } : {}),
        secure,
        maxAge,
        ...(maxAge === 0 ? { expires: new Date(0) } : {}),
      });
    for (const change of ctx.cookies) write(change.value, change.maxAgeSeconds);
    // A refused or ended session should not linger in the browser.
    if (cookies.length > 0 && auth.presented === 'portal_session' && auth.rejection && ctx.cookies.length === 0) {
      write('', 0);
      // A second copy was set by a sibling site (a parent Domain) or for a deeper Path: clear every copy this
      // response can reach, or the next login would meet the same pair again.
      if (cookies.length > 1) for (const scope of cookieScopes(requestHostname(c), c.req.path)) write('', 0, scope);
    }
  };
}

/** The Domain and Path attributes another copy of the cookie may have been set with, for this host and path. */
function cookieScopes(hostname: string, path: string): { domain?: string; path?: string }[] {
  const scopes: { domain?: string; path?: string }[] = [];
  const labels = hostname.split('.');
  if (!/^[\d.]+$/.test(hostname) && !hostname.includes(':')) {
    for (let i = 0; i < labels.length - 1; i++) scopes.push({ domain: labels.slice(i).join('.') });
  }
  const segments = path.split('/').filter(Boolean);
  for (let i = 1; i <= segments.length; i++) scopes.push({ path: `/${segments.slice(0, i).join('/')}` });
  return scopes;
}

function serviceOrigin(c: HonoContext, config: Config, secure: boolean): string {
  return config.publicUrl ?? `${secure ? 'https' : 'http'}://${requestHost(c)}`;
}
