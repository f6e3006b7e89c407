import { ORG_STATUSES, ROLES, TIERS } from '../../domain/vocabulary.js';
import { builder } from '../builder.js';

export const TierEnum = builder.enumType('Tier', { values: TIERS });
export const OrgStatusEnum = builder.enumType('OrganizationStatus', { values: ORG_STATUSES });
export const RoleEnum = builder.enumType('Role', { values: ROLES });
export const PrincipalKindEnum = builder.enumType('PrincipalKind', {
  values: ['session', 'admin', 'api_key'] as const,
});
