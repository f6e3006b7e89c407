import type { AuthModel } from '../services/errors.js';

export const SESSION_COOKIE = 'axonflow_session';

export interface PresentedCredential {
  model: AuthModel;
  secret: string;
}

/**
 * Reads the credentials a request carries. Header credentials are deliberate and win over the session
 * cookie, which a browser sends on its own; among headers the admin key, then Authorization, then X-API-Key.
 */
export type HeaderReader = (name: string) => string | undefined;

export function presentedCredential(header: HeaderReader, cookie: string | undefined): PresentedCredential | null {
  const admin = header('x-admin-api-key');
  if (admin !== undefined) return { model: 'admin_api_key', secret: admin.trim() };
  const authorization = header('authorization');
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const token = m?.[1] ?? '';
    if (token.startsWith('scim_')) return { model: 'scim_token', secret: token };
    // Anything else in Authorization is taken as a runtime key attempt, so its refusal says so.
    return { model: 'api_key', secret: token };
  }
  const apiKey = header('x-api-key');
  if (apiKey !== undefined) return { model: 'api_key', secret: apiKey.trim() };
  if (cookie) return { model: 'portal_session', secret: cookie };
  return null;
}
