import { ROLES, type Role } from '../domain/vocabulary.js';

/** The one permission catalogue: roles -> permissions. Fields name a permission; nothing else checks roles. */

export const PERMISSIONS = [
  'org:read',
  'users:read',
  'users:manage',
  'owners:manage',
  'sso:configure',
  'keys:read',
  'keys:manage',
  'license:read',
  'nodes:read',
  'usage:read',
  'deployments:read',
  'deployments:manage',
  'providers:read',
  'providers:write',
  'connectors:read',
  'connectors:write',
  'policies:read',
  'policies:write',
  'compliance:read',
  'compliance:export',
  'hitl:review',
  'audit:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = [
  'org:read',
  'users:read',
  'keys:read',
  'license:read',
  'nodes:read',
  'usage:read',
  'deployments:read',
  'providers:read',
  'connectors:read',
  'policies:read',
  'compliance:read',
];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS.filter((p) => p !== 'owners:manage'),
  policy_admin: [...READ, 'policies:write', 'compliance:export', 'hitl:review', 'audit:read'],
  developer: [...READ, 'keys:manage', 'providers:write', 'connectors:write'],
  viewer: READ,
};

const ROLE_SETS = new Map<Role, ReadonlySet<Permission>>(
  ROLES.map((r) => [r, new Set(ROLE_PERMISSIONS[r])]),
);

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return ROLE_SETS.get(role) ?? new Set();
}
