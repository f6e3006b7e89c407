import type { DirectoryGroup, DirectoryUser } from '../services/directory/index.js';
import { GROUP_SCHEMA, USER_SCHEMA } from './schemas.js';

type Json = Record<string, unknown>;

export const etagOf = (version: number) => `W/"${version}"`;

function meta(resourceType: 'User' | 'Group', r: { id: string; version: number; createdAt: string; updatedAt: string }, base: string): Json {
  return {
    resourceType,
    created: r.createdAt,
    lastModified: r.updatedAt,
    location: `${base}/${resourceType}s/${r.id}`,
    version: etagOf(r.version),
  };
}

/** The stored document with what the service owns: id, groups, meta. */
export function renderUser(u: DirectoryUser, base: string): Json {
  const { schemas, ...rest } = u.document;
  const out: Json = { schemas: schemas ?? [USER_SCHEMA], id: u.id, ...rest, active: u.active };
  if (u.groups.length > 0) {
    out.groups = u.groups.map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.displayName, type: 'direct' }));
  }
  out.meta = meta('User', u, base);
  return out;
}

export function renderGroup(g: DirectoryGroup, base: string): Json {
  const { schemas, ...rest } = g.document;
  const out: Json = { schemas: schemas ?? [GROUP_SCHEMA], id: g.id, ...rest };
  if (g.members !== null) {
    out.members = g.members.map((m) => ({ value: m.id, $ref: `${base}/Users/${m.id}`, display: m.name, type: 'User' }));
  }
  out.meta = meta('Group', g, base);
  return out;
}
