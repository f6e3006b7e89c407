import type { Context as HonoContext } from 'hono';
import { Conflict, DomainError, type InputFault, InvalidInput, RateLimited, Unauthenticated } from '../domain/errors.js';
import { ERROR_SCHEMA } from './schemas.js';

export const SCIM_JSON = 'application/scim+json';

const SCIM_TYPES: Record<InputFault, string> = {
  value: 'invalidValue',
  syntax: 'invalidSyntax',
  filter: 'invalidFilter',
  path: 'invalidPath',
  noTarget: 'noTarget',
  mutability: 'mutability',
  tooMany: 'tooMany',
};

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: string;
  detail: string;
}

/** A domain error in RFC 7644 §3.12 words: status as a string, scimType where one applies. */
export function scimErrorBody(err: DomainError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(err.status), detail: err.message };
  if (err instanceof InvalidInput) body.scimType = SCIM_TYPES[err.fault];
  if (err instanceof Conflict) body.scimType = 'uniqueness';
  return body;
}

export function scimJson(c: HonoContext, body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(body), status as 200, { ...headers, 'content-type': SCIM_JSON });
}

export function scimError(c: HonoContext, err: unknown): Response {
  if (!(err instanceof DomainError)) {
    return scimJson(c, { schemas: [ERROR_SCHEMA], status: '500', detail: 'internal error; the request id is in X-Request-Id' }, 500);
  }
  const headers: Record<string, string> = {};
  if (err instanceof RateLimited) headers['Retry-After'] = String(err.retryAfterSeconds);
  // Every 401 of SCIM carries the SCIM challenge, whatever credential was (or was not) presented.
  if (err instanceof Unauthenticated) headers['WWW-Authenticate'] = `Bearer realm="SCIM"${err.credentialRefused ? ', error="invalid_token"' : ''}`;
  return scimJson(c, scimErrorBody(err), err.status, headers);
}

export function scimTooLarge(c: HonoContext, detail: string): Response {
  return scimJson(c, { schemas: [ERROR_SCHEMA], status: '413', detail }, 413);
}

/** Bad protocol input of the adapter's own (a query parameter, a header), in the domain's terms. */
export function badRequest(detail: string, fault: InputFault = 'value'): InvalidInput {
  return new InvalidInput(detail, undefined, undefined, fault);
}
