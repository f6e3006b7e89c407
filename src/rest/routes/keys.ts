import { snakeKeys } from '../case.js';
import { listBody, pageArgs } from '../input.js';
import { route } from '../router.js';

const KEY_FIELDS = 'id name prefix scopes createdAt expiresAt revokedAt lastUsedAt';

export const keyRoutes = [
  route('GET', '/api/v1/keys', {
    operation: `query($first: Int, $after: String) { organization { apiKeys(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { ${KEY_FIELDS} } } } } }`,
    variables: (req) => pageArgs(req, 200),
    respond: (d) => ({ status: 200, body: listBody('keys', d.organization.apiKeys, snakeKeys) }),
  }),
  route('POST', '/api/v1/keys', {
    operation: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { ${KEY_FIELDS} } } }`,
    variables: (req) => ({ input: req.body }),
    respond: (d) => ({
      status: 201,
      body: { ...(snakeKeys(d.createApiKey.apiKey) as object), key: d.createApiKey.key },
    }),
  }),
  route('GET', '/api/v1/keys/:id', {
    operation: `query($id: ID!) { apiKey(id: $id) { ${KEY_FIELDS} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.apiKey) }),
  }),
  route('DELETE', '/api/v1/keys/:id', {
    operation: `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.revokeApiKey) }),
  }),
];
