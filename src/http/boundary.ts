import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { hasHeaderCredential } from '../auth/credentials.js';
import type { Config } from '../config.js';
import { Forbidden } from '../domain/errors.js';
import { isSecure } from './client.js';
import { errorResponse } from './error-response.js';

// The browser boundary, in one place for every face: what a web page on another origin can make a browser
// send is exactly what must not change anything here.
//  - Host must be one of the service's own names (421 otherwise): no DNS rebinding onto a keyless operator.
//  - CORS is closed unless CORS_ORIGINS lists the exact origin; never "*", never a reflected Origin.
//  - A request with no header credential (a cookie or nothing) that changes anything must come from no Origin
//    or one of ours, with a JSON body (or none): a form or text body, a foreign or "null" Origin are refused.

export const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const CORS_HEADERS = 'Content-Type, Authorization, X-API-Key, X-Admin-API-Key, Idempotency-Key, X-Request-Id, X-GraphQL-Yoga-CSRF';
const CORS_EXPOSE = 'X-Request-Id, Retry-After, Idempotency-Replayed, WWW-Authenticate';
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/** application/json or application/<anything>+json, with parameters: the one test of "a JSON body". */
export function isJsonContentType(type: string | undefined): boolean {
  return type !== undefined && JSON_TYPE.test(type);
}

function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export interface Boundary {
  hostAllowed(host: string): boolean;
  /** The exact origins CORS answers, and that may send changes besides the service's own. */
  corsOrigins: ReadonlySet<string>;
}

export function boundaryOf(config: Config): Boundary {
  const hosts = new Set(config.allowedHosts.map(hostnameOf));
  if (config.publicUrl) hosts.add(hostnameOf(new URL(config.publicUrl).host));
  if (config.environment === 'development') for (const n of LOOPBACK_NAMES) hosts.add(n);
  return { hostAllowed: (host) => hosts.has(hostnameOf(host)), corsOrigins: new Set(config.corsOrigins) };
}

export function requestHost(c: HonoContext): string {
  return c.req.header('host') ?? new URL(c.req.url).host;
}

/** The host name the request was sent to, without port (already checked to be one of ours). */
export function requestHostname(c: HonoContext): string {
  return hostnameOf(requestHost(c));
}

/** 421 before any work for a Host that is not one of ours. */
export function hostCheck(boundary: Boundary): MiddlewareHandler {
  return async (c, next) => {
    const host = requestHost(c);
    if (!boundary.hostAllowed(host)) {
      return c.json(
        {
          error: {
            code: 'MISDIRECTED_REQUEST',
            message: `this service does not answer for the host ${JSON.stringify(host.slice(0, 100))}; set PUBLIC_URL or add the name to ALLOWED_HOSTS`,
          },
        },
        421,
      );
    }
    await next();
  };
}

/** Exact-origin CORS with credentials; a preflight from any other origin gets no CORS headers and a 403. */
export function cors(boundary: Boundary): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const allowed = origin !== undefined && boundary.corsOrigins.has(origin);
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      c.header('Vary', 'Origin');
      if (!allowed) {
        return c.json({ error: { code: 'FORBIDDEN', message: 'this origin is not allowed to call the API from a browser (CORS_ORIGINS)' } }, 403);
      }
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Credentials', 'true');
      c.header('Access-Control-Allow-Methods', CORS_METHODS);
      c.header('Access-Control-Allow-Headers', CORS_HEADERS);
      c.header('Access-Control-Max-Age', '600');
      return c.body(null, 204);
    }
    await next();
    c.res.headers.append('Vary', 'Origin');
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Allow-Credentials', 'true');
      c.res.headers.set('Access-Control-Expose-Headers', CORS_EXPOSE);
    }
  };
}

/** The service's own origin for this request: PUBLIC_URL's, or the (checked) Host's. */
function isSameOrigin(c: HonoContext, origin: string, config: Config): boolean {
  if (config.publicUrl && origin === config.publicUrl) return true;
  const scheme = isSecure(c, config) ? 'https' : 'http';
  return origin.toLowerCase() === `${scheme}://${requestHost(c).toLowerCase()}`;
}

/**
 * True when the browser says the request comes from another site or origin: a foreign Origin, or
 * Sec-Fetch-Site cross-site or same-site (a sibling subdomain). Such a request is never the keyless operator,
 * whatever its method, and even from an origin CORS lets in: that one may log in, not act for the network.
 */
export function fromAnotherSite(c: HonoContext, config: Config): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = c.req.header('origin');
  return origin !== undefined && !isSameOrigin(c, origin, config);
}

function hasBody(c: HonoContext): boolean {
  const length = c.req.header('content-length');
  return (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
}

/**
 * Changes by callers without a header credential: the session cookie rides along on its own, and a keyless
 * operator is whoever can reach the port, so the browser's word (Origin) and a body no form can send are
 * what tell the service's own pages from anyone else's.
 */
export function ambientCredentialGuard(boundary: Boundary, config: Config): MiddlewareHandler {
  return async (c, next) => {
    if (!UNSAFE_METHODS.has(c.req.method) || hasHeaderCredential((name) => c.req.header(name))) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && !boundary.corsOrigins.has(origin) && !isSameOrigin(c, origin, config)) {
      return errorResponse(
        c,
        new Forbidden(
          `cross-origin request refused: Origin ${JSON.stringify(origin.slice(0, 100))} is not this service's; changes without a header credential are accepted only from the service's own pages (or an origin in CORS_ORIGINS)`,
        ),
      );
    }
    const type = c.req.header('content-type');
    if (type !== undefined ? !isJsonContentType(type) : hasBody(c)) {
      return errorResponse(
        c,
        new Forbidden('a change without a header credential must send its body as JSON (Content-Type: application/json); form and text bodies are refused'),
      );
    }
    return next();
  };
}
