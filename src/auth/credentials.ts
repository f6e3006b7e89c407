import type { AuthModel } from '../domain/errors.js';

export const SESSION_COOKIE = 'axonflow_session';

/** What a request carried: a credential of one of our models, or something in Authorization we do not take. */
export type PresentedCredential =
  | { model: AuthModel; secret: string; duplicate?: boolean }
  | { model: 'unrecognised'; description: string };

export type HeaderReader = (name: string) => string | undefined;

/**
 * Reads the credentials a request carries. Header credentials are deliberate and win over the session
 * cookie, which a browser sends on its own; among headers the admin key, then Authorization, then X-API-Key.
 * `sessionCookies` is every axonflow_session value of the Cookie header: a second one (set by a sibling
 * subdomain, say) is refused rather than guessed between.
 */
export function presentedCredential(header: HeaderReader, sessionCookies: readonly string[]): PresentedCredential | null {
  const admin = header('x-admin-api-key');
  if (admin !== undefined) return { model: 'admin_api_key', secret: admin.trim() };
  const authorization = header('authorization');
  if (authorization !== undefined) {
    const m = /^(\S+)(?:\s+(\S+))?$/.exec(authorization.trim());
    if (!m) return { model: 'unrecognised', description: 'a malformed Authorization header (expected "Bearer <token>")' };
    const scheme = m[1];
    const token = m[2] ?? '';
    if (scheme.toLowerCase() !== 'bearer') {
      return { model: 'unrecognised', description: `an Authorization header with the ${scheme.slice(0, 20)} scheme` };
    }
    if (token.startsWith('scim_')) return { model: 'scim_token', secret: token };
    if (token.startsWith('axon_')) return { model: 'api_key', secret: token };
    return { model: 'unrecognised', description: 'a bearer token that is neither an API key (axon_...) nor a SCIM token (scim_...)' };
  }
  const apiKey = header('x-api-key');
  if (apiKey !== undefined) return { model: 'api_key', secret: apiKey.trim() };
  if (sessionCookies.length > 0) return { model: 'portal_session', secret: sessionCookies[0], duplicate: sessionCookies.length > 1 };
  return null;
}

/** Every value of the session cookie in a Cookie header, in order. */
export function sessionCookiesOf(cookieHeader: string | undefined): string[] {
  if (!cookieHeader || !cookieHeader.includes(SESSION_COOKIE)) return [];
  const out: string[] = [];
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    out.push(value);
  }
  return out;
}

/** True when the request carries a credential in a header, which no web page can add without the caller's say. */
export function hasHeaderCredential(header: HeaderReader): boolean {
  return header('x-admin-api-key') !== undefined || header('authorization') !== undefined || header('x-api-key') !== undefined;
}
