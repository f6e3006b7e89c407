import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryBool, queryInt, queryString } from '../input.js';
import { type Route, route } from '../router.js';

const POLICY = 'id name type category description conditions { field operator value } actions { type config } priority enabled tags version createdAt updatedAt deletedAt';
// Conditions, actions and a sample context are the caller's JSON: their keys go in and come back as written.
const OPAQUE = new Set(['conditions', 'actions', 'context', 'value', 'actual', 'config']);
const out = (v: unknown) => snakeKeys(v, OPAQUE);

/** The same rows under /api/v1/dynamic-policies and under its older name, /api/v1/policies. */
function dynamicPolicyRoutes(base: string): Route[] {
  return [
    route('GET', base, {
      operation: `query($page: Int, $pageSize: Int, $sortBy: DynamicPolicySort, $sortDir: SortDirection, $search: String, $includeDeleted: Boolean, $type: DynamicPolicyType, $enabled: Boolean) {
        dynamicPolicies(page: $page, pageSize: $pageSize, sortBy: $sortBy, sortDir: $sortDir, search: $search, includeDeleted: $includeDeleted, type: $type, enabled: $enabled) {
          page pageSize total totalPages items { ${POLICY} } } }`,
      variables: (req) => ({
        page: queryInt(req, 'page', 1, 100_000),
        pageSize: queryInt(req, 'page_size', 1, 200),
        sortBy: queryString(req, 'sort_by'),
        sortDir: queryString(req, 'sort_dir'),
        search: queryString(req, 'search'),
        includeDeleted: queryBool(req, 'include_deleted'),
        type: queryString(req, 'type'),
        enabled: queryBool(req, 'enabled'),
      }),
      respond: (d) => {
        const { items, ...paging } = d.dynamicPolicies;
        return { status: 200, body: { policies: items.map(out), ...(snakeKeys(paging) as object) } };
      },
    }),
    route('POST', base, {
      operation: `mutation($input: DynamicPolicyInput!) { createDynamicPolicy(input: $input) { ${POLICY} } }`,
      variables: (req) => ({ input: req.body }),
      opaque: OPAQUE,
      respond: (d) => ({ status: 201, body: out(d.createDynamicPolicy), headers: { location: `${base}/${d.createDynamicPolicy.id}` } }),
    }),
    route('GET', `${base}/effective`, {
      operation: `query($type: DynamicPolicyType) { effectiveDynamicPolicies(type: $type) { ${POLICY} } }`,
      variables: (req) => ({ type: queryString(req, 'type') }),
      respond: (d) => ({ status: 200, body: { policies: d.effectiveDynamicPolicies.map(out) } }),
    }),
    route('GET', `${base}/schema`, {
      operation: 'query { dynamicPolicySchema }',
      respond: (d) => ({ status: 200, body: d.dynamicPolicySchema }),
    }),
    route('GET', `${base}/:id`, {
      operation: `query($id: ID!) { dynamicPolicy(id: $id) { ${POLICY} } }`,
      variables: (req) => ({ id: req.params.id }),
      respond: (d) => ({ status: 200, body: out(d.dynamicPolicy) }),
    }),
    route('PUT', `${base}/:id`, {
      operation: `mutation($id: ID!, $input: DynamicPolicyInput!) { updateDynamicPolicy(id: $id, input: $input) { ${POLICY} } }`,
      variables: (req) => ({ id: req.params.id, input: req.body }),
      opaque: OPAQUE,
      respond: (d) => ({ status: 200, body: out(d.updateDynamicPolicy) }),
    }),
    route('DELETE', `${base}/:id`, {
      operation: 'mutation($id: ID!) { deleteDynamicPolicy(id: $id) }',
      variables: (req) => ({ id: req.params.id }),
      respond: () => ({ status: 204 }),
    }),
    route('POST', `${base}/:id/test`, {
      operation: `query($id: ID!, $context: JSONObject!) { testDynamicPolicy(id: $id, context: $context) {
        policyId matched enabled conditions { field operator value actual matched explanation } actions { type config } } }`,
      variables: (req) => ({ id: req.params.id, ...bodyFields(req, ['context']) }),
      opaque: OPAQUE,
      respond: (d) => ({ status: 200, body: out(d.testDynamicPolicy) }),
    }),
    route('GET', `${base}/:id/versions`, {
      operation: `query($id: ID!, $first: Int, $after: String) { dynamicPolicyVersions(id: $id, first: $first, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { policyId version changeType changedBy snapshot createdAt } } } }`,
      variables: (req) => ({ id: req.params.id, ...pageArgs(req, 200) }),
      respond: (d) => ({ status: 200, body: listBody('versions', d.dynamicPolicyVersions, out) }),
    }),
  ];
}

export const dynamicPolicyRouteRows = [...dynamicPolicyRoutes('/api/v1/dynamic-policies'), ...dynamicPolicyRoutes('/api/v1/policies')];
