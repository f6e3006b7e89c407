import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryBool, queryString } from '../input.js';
import { route } from '../router.js';

const OVERRIDE = 'override { id action enabled reason expiresAt createdBy createdAt }';
const POLICY = `id name category tier tenantId description pattern severity action priority enabled tags version readOnly ${OVERRIDE} createdAt updatedAt`;
const BASE = '/api/v1/static-policies';

export const staticPolicyRoutes = [
  route('GET', BASE, {
    operation: `query($first: Int, $after: String, $tier: StaticPolicyTier, $category: String, $enabled: Boolean, $tenantId: String) {
      staticPolicies(first: $first, after: $after, tier: $tier, category: $category, enabled: $enabled, tenantId: $tenantId) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { ${POLICY} } } } }`,
    variables: (req) => ({
      ...pageArgs(req, 200),
      tier: queryString(req, 'tier'),
      category: queryString(req, 'category'),
      enabled: queryBool(req, 'enabled'),
      tenantId: queryString(req, 'tenant_id'),
    }),
    respond: (d) => ({ status: 200, body: listBody('policies', d.staticPolicies, snakeKeys) }),
  }),
  route('POST', BASE, {
    operation: `mutation($input: StaticPolicyInput!) { createStaticPolicy(input: $input) { ${POLICY} } }`,
    variables: (req) => ({ input: req.body }),
    respond: (d) => ({ status: 201, body: snakeKeys(d.createStaticPolicy), headers: { location: `${BASE}/${d.createStaticPolicy.id}` } }),
  }),
  route('GET', `${BASE}/effective`, {
    operation: `query($tenantId: String) { effectiveStaticPolicies(tenantId: $tenantId) { action policy { ${POLICY} } } }`,
    variables: (req) => ({ tenantId: queryString(req, 'tenant_id') }),
    respond: (d) => ({
      status: 200,
      body: { policies: d.effectiveStaticPolicies.map((e: { action: string; policy: object }) => ({ ...(snakeKeys(e.policy) as object), effective_action: e.action })) },
    }),
  }),
  route('POST', `${BASE}/test`, {
    operation: `query($text: String!, $tenantId: String) { testStaticPolicies(text: $text, tenantId: $tenantId) {
      action blocked complete policiesEvaluated redactedText elapsedMs
      matches { policyId name tier category severity action overridden matchCount positions { start end } } } }`,
    variables: (req) => bodyFields(req, ['text', 'tenantId']),
    respond: (d) => ({ status: 200, body: snakeKeys(d.testStaticPolicies) }),
  }),
  route('GET', `${BASE}/:id`, {
    operation: `query($id: ID!) { staticPolicy(id: $id) { ${POLICY} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.staticPolicy) }),
  }),
  route('PUT', `${BASE}/:id`, {
    operation: `mutation($id: ID!, $input: StaticPolicyInput!) { updateStaticPolicy(id: $id, input: $input) { ${POLICY} } }`,
    variables: (req) => ({ id: req.params.id, input: req.body }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.updateStaticPolicy) }),
  }),
  route('PATCH', `${BASE}/:id`, {
    operation: `mutation($id: ID!, $enabled: Boolean) { toggleStaticPolicy(id: $id, enabled: $enabled) { ${POLICY} } }`,
    variables: (req) => ({ id: req.params.id, ...bodyFields(req, ['enabled']) }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.toggleStaticPolicy) }),
  }),
  route('DELETE', `${BASE}/:id`, {
    operation: 'mutation($id: ID!) { deleteStaticPolicy(id: $id) }',
    variables: (req) => ({ id: req.params.id }),
    respond: () => ({ status: 204 }),
  }),
  route('GET', `${BASE}/:id/versions`, {
    operation: `query($id: ID!, $first: Int, $after: String) { staticPolicyVersions(id: $id, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { policyId version changeType changedBy snapshot createdAt } } } }`,
    variables: (req) => ({ id: req.params.id, ...pageArgs(req, 200) }),
    respond: (d) => ({ status: 200, body: listBody('versions', d.staticPolicyVersions, snakeKeys) }),
  }),
  route('POST', `${BASE}/:id/override`, {
    operation: `mutation($id: ID!, $input: StaticPolicyOverrideInput!) { overrideStaticPolicy(id: $id, input: $input) { ${POLICY} } }`,
    variables: (req) => ({ id: req.params.id, input: req.body }),
    respond: (d) => ({ status: 201, body: snakeKeys(d.overrideStaticPolicy) }),
  }),
  route('DELETE', `${BASE}/:id/override`, {
    operation: `mutation($id: ID!) { removeStaticPolicyOverride(id: $id) { ${POLICY} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.removeStaticPolicyOverride) }),
  }),
];
