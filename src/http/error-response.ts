import type { Context as HonoContext } from 'hono';
import { type AuthModel, DomainError, Forbidden, InvalidInput, ModuleNotEnabled, RateLimited, SsoRequired, Unauthenticated } from '../domain/errors.js';

// The JSON error envelope of every face but GraphQL and SCIM: {"error": {code, message, field?, required_auth?, details?}}.
// Field names are spelt the REST way (snake_case), whatever the domain called them.

/** REST query parameters whose GraphQL argument has another name, not only another case. */
const REST_NAMES: Record<string, string> = { after: 'cursor', first: 'limit' };

function snake(word: string): string {
  return /^[a-z][A-Za-z0-9]*$/.test(word) ? word.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : word;
}

/** events[3].promptTokens -> events[3].prompt_tokens; header names and other spellings stay as they are. */
export function restFieldName(path: string, opaque?: ReadonlySet<string>): string {
  // Past a field whose value is the caller's own JSON (a provider's settings, routing weights), names are the caller's.
  let verbatim = false;
  return path
    .split('.')
    .map((segment, i) => {
      const m = /^([^[]+)(.*)$/.exec(segment);
      if (!m || verbatim) return segment;
      const name = i === 0 && REST_NAMES[m[1]] ? REST_NAMES[m[1]] : snake(m[1]);
      if (opaque?.has(name)) verbatim = true;
      return name + m[2];
    })
    .join('.');
}

/** The challenge each model answers a 401 with (RFC 9110 11.6.1). Header credentials have no registered scheme. */
const CHALLENGES: Record<AuthModel, string> = {
  portal_session: 'Session realm="portal", cookie="axonflow_session"',
  admin_api_key: 'ApiKey realm="admin", header="X-Admin-API-Key"',
  api_key: 'Bearer realm="runtime"',
  scim_token: 'Bearer realm="SCIM"',
};

export function wwwAuthenticate(err: Unauthenticated): string | null {
  if (err.requiredAuth.length === 0) return null;
  return err.requiredAuth
    .map((m) => (err.credentialRefused && CHALLENGES[m].startsWith('Bearer') ? `${CHALLENGES[m]}, error="invalid_token"` : CHALLENGES[m]))
    .join(', ');
}

export function errorBody(err: DomainError, opaque?: ReadonlySet<string>): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if ((err instanceof Unauthenticated || err instanceof Forbidden) && err.requiredAuth.length > 0) {
    error.required_auth = err.requiredAuth;
  }
  if (err instanceof SsoRequired) error.sso_login_url = err.loginUrl;
  if (err instanceof ModuleNotEnabled) error.module = err.module;
  if (err instanceof InvalidInput) {
    if (err.field) {
      const field = restFieldName(err.field, opaque);
      error.field = field;
      error.message = `${field} ${err.problem}`;
    }
    if (err.details) {
      error.details = err.details.map((d) => {
        const field = restFieldName(d.field);
        return { index: d.index, [snake(d.idName ?? 'eventId')]: d.id, field, message: `${field} ${d.problem}` };
      });
    }
  }
  return { error };
}

/** `opaque`: the route's fields of free-form JSON, whose inner names an error repeats as sent. */
export function errorResponse(c: HonoContext, err: DomainError, opaque?: ReadonlySet<string>): Response {
  if (err instanceof RateLimited) c.header('Retry-After', String(err.retryAfterSeconds));
  if (err instanceof Unauthenticated) {
    const challenge = wwwAuthenticate(err);
    if (challenge) c.header('WWW-Authenticate', challenge);
  }
  return c.json(errorBody(err, opaque), err.status as 400);
}

/** An error that is not a DomainError: the body says only where to look. */
export function internalErrorBody(): { error: { code: string; message: string } } {
  return { error: { code: 'INTERNAL', message: 'internal error; the request id is in X-Request-Id' } };
}
