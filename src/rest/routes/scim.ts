import { InvalidInput } from '../../domain/errors.js';
import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs } from '../input.js';
import { route } from '../router.js';

const TOKEN_FIELDS = `id name prefix createdAt expiresAt revokedAt lastUsedAt
  requests24h { ok notModified clientErrors serverErrors } lastError { at status scimType detail request }`;

export const scimRoutes = [
  route('GET', '/api/v1/scim/tokens', {
    operation: `query($first: Int, $after: String) { organization { scimTokens(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { ${TOKEN_FIELDS} } } } } }`,
    variables: (req) => pageArgs(req, 200),
    respond: (d) => ({ status: 200, body: listBody('tokens', d.organization.scimTokens, snakeKeys) }),
  }),
  route('POST', '/api/v1/scim/tokens', {
    operation: `mutation($input: CreateScimTokenInput!) { createScimToken(input: $input) { token scimToken { ${TOKEN_FIELDS} } } }`,
    variables: (req) => ({ input: bodyFields(req, ['name', 'expiresInDays']) }),
    respond: (d) => ({ status: 201, body: { ...(snakeKeys(d.createScimToken.scimToken) as object), token: d.createScimToken.token } }),
  }),
  route('DELETE', '/api/v1/scim/tokens/:id', {
    operation: `mutation($id: ID!) { revokeScimToken(id: $id) { ${TOKEN_FIELDS} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.revokeScimToken) }),
  }),
  route('GET', '/api/v1/scim/roles', {
    operation: 'query { scimRoles { id name displayName } }',
    respond: (d) => ({ status: 200, body: { roles: snakeKeys(d.scimRoles), count: d.scimRoles.length } }),
  }),
  route('GET', '/api/v1/scim/groups/role-mappings', {
    operation: 'query { scimGroupRoleMappings { groupId groupName roleId roleName mappedAt } }',
    respond: (d) => ({ status: 200, body: { mappings: snakeKeys(d.scimGroupRoleMappings), count: d.scimGroupRoleMappings.length } }),
  }),
  route('PUT', '/api/v1/scim/groups/:groupId/role-mapping', {
    operation: `mutation($groupId: ID!, $roleId: String) { mapScimGroupRole(groupId: $groupId, roleId: $roleId) {
      groupId roleId roleName usersUpdated } }`,
    variables: (req) => {
      const body = bodyFields(req, ['roleId']);
      if (!('roleId' in body)) throw new InvalidInput('is required (a role id from GET /api/v1/scim/roles, or null to clear)', 'roleId');
      if (body.roleId !== null && typeof body.roleId !== 'string') throw new InvalidInput('must be a role id string or null', 'roleId');
      return { groupId: req.params.groupId, roleId: body.roleId };
    },
    respond: (d) => ({ status: 200, body: snakeKeys(d.mapScimGroupRole) }),
  }),
];
