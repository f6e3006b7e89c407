// The enumerations of the domain: every layer speaks them, so they live below all of them.

export const TIERS = ['DEVELOPER', 'PROFESSIONAL', 'ENTERPRISE', 'PLUS'] as const;
export type Tier = (typeof TIERS)[number];
export const ORG_STATUSES = ['ACTIVE', 'SUSPENDED', 'CANCELLED'] as const;
export type OrgStatus = (typeof ORG_STATUSES)[number];

export const NODE_ROLES = ['agent', 'orchestrator', 'customer-portal'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];
/** Active nodes against max_nodes: OK below 80%, CAUTION 80-89%, WARNING 90-99%, VIOLATION at 100% or more. */
export const NODE_BANDS = ['OK', 'CAUTION', 'WARNING', 'VIOLATION'] as const;
export type NodeBand = (typeof NODE_BANDS)[number];

/** The portal roles. What each may do is the permission catalogue's business (auth/permissions.ts). */
export const ROLES = ['owner', 'admin', 'policy_admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Most privileged first: a user in several mapped groups gets the role of lowest rank. */
export const ROLE_RANK: Record<Role, number> = { owner: 1, admin: 2, policy_admin: 3, developer: 4, viewer: 5 };
