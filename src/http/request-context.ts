import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { SESSION_COOKIE } from '../auth/credentials.js';
import { resolveAuth } from '../auth/resolve.js';
import { type Context, createContext } from '../graphql/context.js';
import { errorResponse } from '../rest/router.js';
import { DomainError, Forbidden } from '../services/errors.js';
import type { AppDeps } from '../app.js';
import { clientIp, isSecure, remoteAddress } from './client.js';

export const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What the HTTP layer keeps per request. */
export type AppEnv = { Variables: { ctx: Context; requestId: string } };

/**
 * Resolves the caller once per request into the context every face shares, and afterwards writes the
 * cookies the operation asked for (the session token only ever leaves through Set-Cookie).
 */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const { config } = deps;
  return async (c, next) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    const secure = isSecure(c, config.trustProxyHops, config.publicUrl);
    // A cookie-authenticated change must come from our own origin (SameSite=Lax is the first line).
    if (cookie && UNSAFE_METHODS.has(c.req.method) && !sameOrigin(c, config.publicUrl)) {
      return errorResponse(c, new Forbidden('cross-origin request refused: the Origin header does not match this service'));
    }
    const request = {
      id: c.get('requestId'),
      ip: clientIp(remoteAddress(c), c.req.header('x-forwarded-for'), config.trustProxyHops),
      userAgent: c.req.header('user-agent') ?? null,
      secure,
    };
    let auth;
    try {
      auth = await resolveAuth(deps.services, config, (name) => c.req.header(name), cookie, request);
    } catch (err) {
      // Too many refused credentials from this address: answered before anything else happens.
      if (err instanceof DomainError) return errorResponse(c, err);
      throw err;
    }
    const ctx = createContext({ auth, services: deps.services, config, clock: deps.clock, database: deps.database, request });
    c.set('ctx', ctx);
    await next();
    await Promise.all(ctx.pending);
    const write = (value: string, maxAge: number) =>
      setCookie(c, SESSION_COOKIE, value, {
        httpOnly: true,
        sameSite: 'Lax',
        path: '/',
        secure,
        maxAge,
        ...(maxAge === 0 ? { expires: new Date(0) } : {}),
      });
    for (const change of ctx.cookies) write(change.value, change.maxAgeSeconds);
    // A refused or ended session should not linger in the browser.
    if (cookie && auth.presented === 'portal_session' && auth.rejection && ctx.cookies.length === 0) write('', 0);
  };
}

function sameOrigin(c: HonoContext, publicUrl: string | null): boolean {
  const origin = c.req.header('origin');
  if (!origin) return true;
  if (publicUrl && origin === publicUrl) return true;
  const host = c.req.header('host');
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
