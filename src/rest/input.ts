import { InvalidInput } from '../domain/errors.js';
import type { RestRequest } from './router.js';

/** The body, refusing fields the route does not take (for routes whose variables are not one input object). */
export function bodyFields(req: RestRequest, allowed: string[]): Record<string, unknown> {
  for (const key of Object.keys(req.body)) {
    if (!allowed.includes(key)) throw new InvalidInput('is not a field this route takes', key);
  }
  return req.body;
}

export function queryString(req: RestRequest, name: string): string | undefined {
  const v = req.query.get(name);
  return v === null || v === '' ? undefined : v;
}

export function queryInt(req: RestRequest, name: string, min: number, max: number): number | undefined {
  const v = queryString(req, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidInput(`must be a whole number from ${min} to ${max}`, name);
  }
  return n;
}

export function queryBool(req: RestRequest, name: string): boolean | undefined {
  const v = queryString(req, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new InvalidInput('must be true or false', name);
  return v === 'true';
}

export function queryEnum<T extends string>(req: RestRequest, name: string, values: readonly T[]): T | undefined {
  const v = queryString(req, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new InvalidInput(`must be one of ${values.join(', ')}`, name);
  return v as T;
}

/** ?limit= and ?cursor= as Relay first/after. */
export function pageArgs(req: RestRequest, max: number): { first: number | undefined; after: string | undefined } {
  return { first: queryInt(req, 'limit', 1, max), after: queryString(req, 'cursor') };
}

interface Connection<T> {
  edges: { node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount?: number;
}

/** A GraphQL connection as the REST list shape: items under their plural name and the next cursor. */
export function listBody<T>(name: string, conn: Connection<T>, map: (n: T) => unknown): Record<string, unknown> {
  return {
    [name]: conn.edges.map((e) => map(e.node)),
    ...(conn.totalCount !== undefined ? { total: conn.totalCount } : {}),
    next_cursor: conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null,
  };
}
